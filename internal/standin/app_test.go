package standin_test

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synctl/synctl/internal/standin"
	"github.com/synctl/synctl/pkg/topology"
)

func loadApp(t *testing.T, name string) *topology.Model {
	t.Helper()
	path := filepath.Join("..", "..", "testdata", "apps", name)
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := topology.Decode(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func app(t *testing.T, m *topology.Model, svc string, env map[string]string) (http.Handler, string) {
	t.Helper()
	h, port, err := standin.App(standin.AppConfig{Model: m, Service: svc, Getenv: func(k string) string { return env[k] }})
	if err != nil {
		t.Fatal(err)
	}
	return h, port
}

func TestAppFrontend(t *testing.T) {
	m := loadApp(t, "transit.yaml")
	h, port := app(t, m, "portal", map[string]string{"LISTEN_PORT": "5001", "TRIPS_ENDPOINT": "/t/", "ALERTS_ENDPOINT": "http://localhost:7102"})
	if port != "5001" {
		t.Errorf("port %s, want LISTEN_PORT's 5001", port)
	}
	check(t, h, []exchange{
		{method: "GET", path: "/", wantCode: 200, wantType: "text/html; charset=utf-8", wantBody: "<!DOCTYPE html>...", wantHeader: map[string]string{"Access-Control-Allow-Origin": "*"}},
		{method: "GET", path: "/-/ready", wantCode: 200},
		{method: "GET", path: "/env.js", wantCode: 200, wantType: "text/javascript; charset=utf-8", wantBody: "window.TRIPS_ENDPOINT = \"/t/\";\n"},
		{method: "POST", path: "/env.js", wantCode: 405},
		{method: "GET", path: "/v2/departures", wantCode: 404},
	})
	// The page loads the exposed script, as a real frontend would.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
	if !strings.Contains(rec.Body.String(), `<script src="/env.js"></script>`) {
		t.Errorf("page lacks the script tag:\n%s", rec.Body.String())
	}
}

// TestAppExposedJSON: texts exposed at a .json path that are members make
// one JSON object.
func TestAppExposedJSON(t *testing.T) {
	h, port := app(t, loadApp(t, "shop.yaml"), "storefront", map[string]string{"CATALOG_URL": "/catalog-api/"})
	if port != "3000" {
		t.Errorf("port %s, want the model's 3000 when PORT is unset", port)
	}
	check(t, h, []exchange{
		{method: "GET", path: "/config.json", wantCode: 200, wantType: "application/json", wantBody: "{\n  \"catalog\": \"/catalog-api/\"\n}\n"},
	})
}

func TestAppChecks(t *testing.T) {
	m := loadApp(t, "transit.yaml")
	fares := httptest.NewServer(mustApp(t, m, "fares", nil))
	defer fares.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := "http://" + ln.Addr().String()
	ln.Close()

	h, port := app(t, m, "trips", map[string]string{"FARES_ADDR": fares.URL})
	if port != "9090" {
		t.Errorf("port %s, want 9090", port)
	}
	check(t, h, []exchange{
		{method: "GET", path: "/status", wantCode: 200, wantType: "application/json"},
		{method: "GET", path: "/v2/departures", wantCode: 200, wantType: "application/json", wantBody: "{\"check\":\"departures\",\"result\":\"\"}\n"},
		{method: "POST", path: "/v2/quote", body: `{"from":"A","to":"B"}`, wantCode: 200, wantBody: "check fare: total\n"},
		{method: "GET", path: "/v2/quote", wantCode: 405},
		{method: "OPTIONS", path: "/v2/quote", header: map[string]string{"Origin": "http://x", "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
			wantCode: 204, wantHeader: map[string]string{"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Methods": "POST", "Access-Control-Allow-Headers": "content-type"}},
	})
	// A wrong or missing via link fails the check, naming what it called.
	broken, _ := app(t, m, "trips", map[string]string{"FARES_ADDR": dead})
	check(t, broken, []exchange{
		{method: "POST", path: "/v2/quote", wantCode: 502, wantBody: `trips: check fare: calling FARES_ADDR: Get "` + dead + `/ping": dial tcp ...`},
		{method: "GET", path: "/v2/departures", wantCode: 200},
	})
	unset, _ := app(t, m, "trips", nil)
	check(t, unset, []exchange{{method: "POST", path: "/v2/quote", wantCode: 502, wantBody: "trips: check fare: FARES_ADDR is not set\n"}})
	// The linked service answering, but not healthy, is a failure too.
	sick := httptest.NewServer(http.NotFoundHandler())
	defer sick.Close()
	h, _ = app(t, m, "trips", map[string]string{"FARES_ADDR": sick.URL + "/"})
	check(t, h, []exchange{{method: "POST", path: "/v2/quote", wantCode: 502,
		wantBody: `trips: check fare: calling FARES_ADDR: GET "` + sick.URL + `/ping" answered 404 Not Found` + "\n"}})
}

func mustApp(t *testing.T, m *topology.Model, svc string, env map[string]string) http.Handler {
	h, _ := app(t, m, svc, env)
	return h
}

// TestAppCheckBodies: every check's answer satisfies its own contains and
// json, whatever text the spec asks for.
func TestAppCheckBodies(t *testing.T) {
	spec := `apiVersion: synctl.dev/v1alpha1
kind: App
metadata: {name: bodies}
spec:
  services:
    - {name: site, role: frontend, image: example.test/site:1, port: 8000}
    - name: back
      role: api
      image: example.test/back:1
      port: 8001
      checks:
        - {name: plain, path: /a, contains: 'say "hi" <b>'}
        - {name: json-text, path: /b, json: true, contains: 'a <b> & c'}
        - {name: json-member, path: /c, json: true, contains: '"total": 3'}
        - {name: json-value, path: /d, json: true, contains: '[1, 2]'}
        - {name: created, method: POST, path: /e, status: 201, json: true}
`
	m, err := topology.Decode("bodies.yaml", []byte(spec))
	if err != nil {
		t.Fatal(err)
	}
	s := httptest.NewServer(mustApp(t, m, "back", nil))
	defer s.Close()
	svc, _ := m.Service("back")
	for _, c := range svc.Checks {
		req, _ := http.NewRequest(c.Method, s.URL+c.Path, strings.NewReader(c.Body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != c.Status || !strings.Contains(string(b), c.Contains) || (c.JSON && !json.Valid(b)) {
			t.Errorf("check %s: %d %q; want %d, containing %q, JSON %v", c.Name, resp.StatusCode, b, c.Status, c.Contains, c.JSON)
		}
	}
	// A contains no JSON body can hold is refused up front.
	bad := strings.Replace(spec, `contains: '[1, 2]'`, `contains: 'a "b'`, 1)
	m, err = topology.Decode("bad.yaml", []byte(bad))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = standin.App(standin.AppConfig{Model: m, Service: "back", Getenv: func(string) string { return "" }})
	want := `back: checks[3] (json-value): no JSON answer can contain "a \"b" literally; change contains or json`
	if err == nil || err.Error() != want {
		t.Errorf("error %v, want %s", err, want)
	}
}

func TestAppErrors(t *testing.T) {
	m := loadApp(t, "transit.yaml")
	for _, tt := range []struct {
		svc  string
		env  map[string]string
		want string
	}{
		{"nope", nil, `stand-in: "nope" is not a service of app transit; choose one of portal, trips, alerts, fares, geo`},
		{"portal", map[string]string{"LISTEN_PORT": "http"}, `portal: LISTEN_PORT="http" is not a port (1-65535)`},
	} {
		_, _, err := standin.App(standin.AppConfig{Model: m, Service: tt.svc, Getenv: func(k string) string { return tt.env[k] }})
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: error %v, want %s", tt.svc, err, tt.want)
		}
	}
}
