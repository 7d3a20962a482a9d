package standin_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synctl/synctl/internal/standin"
)

type exchange struct {
	method, path, body string
	header             map[string]string
	wantCode           int
	wantType           string
	wantBody           string // exact, or a prefix when it ends in "..."
	wantHeader         map[string]string
}

func check(t *testing.T, h http.Handler, tests []exchange) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			for k, v := range tt.header {
				req.Header.Set(k, v)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			// The recorder does not sniff: wantType holds only for handlers
			// that set Content-Type themselves (see TestWebContentTypesAreSniffed).
			if ct := rec.Header().Get("Content-Type"); tt.wantType != "" && ct != tt.wantType {
				t.Errorf("Content-Type %q, want %q", ct, tt.wantType)
			}
			if rec.Code != tt.wantCode {
				t.Errorf("status %d, want %d (body %q)", rec.Code, tt.wantCode, rec.Body.String())
			}
			got := rec.Body.String()
			if p, ok := strings.CutSuffix(tt.wantBody, "..."); ok {
				if !strings.HasPrefix(got, p) {
					t.Errorf("body %q, want prefix %q", got, p)
				}
			} else if tt.wantBody != "" && got != tt.wantBody {
				t.Errorf("body %q, want %q", got, tt.wantBody)
			}
			for k, v := range tt.wantHeader {
				if g := rec.Header().Get(k); g != v {
					t.Errorf("header %s = %q, want %q", k, g, v)
				}
			}
		})
	}
}

func TestWebContentTypesAreSniffed(t *testing.T) {
	s := httptest.NewServer(standin.Web("/api/"))
	defer s.Close()
	for path, want := range map[string]string{"/": "text/html; charset=utf-8", "/index.html": "text/html; charset=utf-8", "/app.js": "text/plain; charset=utf-8"} {
		resp, err := http.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); ct != want {
			t.Errorf("%s: Content-Type %q, want %q", path, ct, want)
		}
		if path == "/app.js" && !strings.HasPrefix(string(b), "const apiUrl = '/api/';\n") {
			t.Errorf("app.js starts %q, want the apiUrl line", string(b)[:40])
		}
	}
}

func TestWeb(t *testing.T) {
	check(t, standin.Web("http://localhost:8081"), []exchange{
		{method: "GET", path: "/", wantCode: 200, wantBody: standin.IndexHTML, wantHeader: map[string]string{"Access-Control-Allow-Origin": "*"}},
		{method: "GET", path: "/app.js", wantCode: 200, wantBody: "const apiUrl = 'http://localhost:8081';\n..."},
		{method: "GET", path: "/messages", wantCode: 404, wantBody: "404 page not found\n"},
	})
}

func TestAPI(t *testing.T) {
	var exited []int
	crawler := httptest.NewServer(standin.Crawler([]string{"love"}, []standin.Stat{{Keyword: "love", BookTitle: "Emma", Count: 3}, {Keyword: "hate", BookTitle: "Emma", Count: 9}}))
	defer crawler.Close()
	h := standin.API(standin.APIConfig{CrawlerBaseURL: crawler.URL, Exit: func(c int) { exited = append(exited, c) }})
	check(t, h, []exchange{
		{method: "GET", path: "/", wantCode: 404},
		{method: "GET", path: "/healthz", wantCode: 200, wantBody: "{\"status\":\"ok\"}\n"},
		{method: "GET", path: "/messages", wantCode: 200, wantBody: "[]\n"},
		{method: "GET", path: "//messages", wantCode: 404},
		{method: "POST", path: "/messages", body: `{"AuthorUsername":"a","Text":"hi"}`, wantCode: 201, wantBody: "[{\"AuthorUsername\":\"a\",\"Text\":\"hi\"}]\n"},
		{method: "POST", path: "/messages", body: `{"AuthorUsername":"a","Text":"/stats"}`, wantCode: 201,
			wantBody: `[{"AuthorUsername":"a","Text":"hi"},{"AuthorUsername":"a","Text":"/stats"},{"AuthorUsername":"crawler-bot","Text":"Beep boop! I have found 3 matches so far from ` + crawler.URL + `/stats"}]` + "\n"},
		{method: "OPTIONS", path: "/messages", header: map[string]string{"Origin": "http://localhost:8080", "Access-Control-Request-Method": "POST"}, wantCode: 200,
			wantHeader: map[string]string{"Access-Control-Allow-Origin": "http://localhost:8080", "Access-Control-Allow-Headers": "Accept, Authorization, Content-Type, X-CSRF-Token"}},
		{method: "GET", path: "/messages", header: map[string]string{"Origin": "file://x"}, wantCode: 200, wantHeader: map[string]string{"Access-Control-Allow-Origin": ""}},
	})
	check(t, h, []exchange{{method: "POST", path: "/messages", body: `{"AuthorUsername":"a","Text":"oh Heck"}`, wantCode: 200}})
	if len(exited) != 1 || exited[0] != 1 {
		t.Errorf("exits %v, want [1]: the real api exits on heck", exited)
	}
}

func TestAPISlashCommandFailures(t *testing.T) {
	check(t, standin.API(standin.APIConfig{}), []exchange{
		{method: "POST", path: "/messages", body: `{"AuthorUsername":"a","Text":"/stats"}`, wantCode: 201,
			wantBody: `[{"AuthorUsername":"a","Text":"/stats"},{"AuthorUsername":"crawler-bot","Text":"Crawler worker not configured"}]` + "\n"},
	})
	notCrawler := httptest.NewServer(http.NotFoundHandler())
	defer notCrawler.Close()
	check(t, standin.API(standin.APIConfig{CrawlerBaseURL: notCrawler.URL}), []exchange{
		{method: "POST", path: "/messages", body: `{"AuthorUsername":"a","Text":"/stats"}`, wantCode: 400,
			wantBody: `{"error":"Error handling slash command: GET \"` + notCrawler.URL + `/stats\": crawler answered 404 Not Found"}` + "\n"},
	})
}

func TestHandlerEnv(t *testing.T) {
	tests := []struct {
		role    string
		env     map[string]string
		port    string
		wantErr string
	}{
		{role: "web", env: map[string]string{}, port: "8080"},
		{role: "web", env: map[string]string{"WEB_PORT": "9000"}, port: "9000"},
		{role: "api", env: map[string]string{}, wantErr: "API_PORT environment variable is not set"},
		{role: "api", env: map[string]string{"API_PORT": "8080"}, port: "8080"},
		{role: "crawler", env: map[string]string{"CRAWLER_PORT": "8080"}, wantErr: "CRAWLER_KEYWORDS environment variable is not set"},
		{role: "crawler", env: map[string]string{"CRAWLER_KEYWORDS": "a"}, wantErr: "CRAWLER_PORT environment variable is not set"},
		{role: "crawler", env: map[string]string{"CRAWLER_PORT": "1", "CRAWLER_KEYWORDS": "a"}, port: "1"},
		{role: "db", env: map[string]string{}, wantErr: `unknown stand-in role "db": choose one of web, api, crawler`},
	}
	for _, tt := range tests {
		_, port, err := standin.Handler(tt.role, func(k string) string { return tt.env[k] })
		if tt.wantErr != "" {
			if err == nil || err.Error() != tt.wantErr {
				t.Errorf("%s %v: error %v, want %s", tt.role, tt.env, err, tt.wantErr)
			}
			continue
		}
		if err != nil || port != tt.port {
			t.Errorf("%s %v: port %q err %v, want %s", tt.role, tt.env, port, err, tt.port)
		}
	}
}

// TestAPIDatabaseFile: with API_DB_FILEPATH the messages outlive the process,
// which is what lets a restart policy bring the api back without losing chat
// history; a message that makes the api exit is never stored.
func TestAPIDatabaseFile(t *testing.T) {
	db := filepath.Join(t.TempDir(), "db.json")
	var exited []int
	h, port, err := standin.Handler(standin.RoleAPI, func(k string) string {
		return map[string]string{"API_PORT": "8080", "API_DB_FILEPATH": db}[k]
	})
	if err != nil || port != "8080" {
		t.Fatalf("Handler: %v, port %q", err, port)
	}
	check(t, h, []exchange{
		{method: "POST", path: "/messages", body: `{"AuthorUsername":"a","Text":"kept"}`, wantCode: 201},
	})
	crashing, err := standin.OpenAPI(standin.APIConfig{DBPath: db, Exit: func(c int) { exited = append(exited, c) }})
	if err != nil {
		t.Fatal(err)
	}
	check(t, crashing, []exchange{
		{method: "GET", path: "/messages", wantCode: 200, wantBody: `[{"AuthorUsername":"a","Text":"kept"}]` + "\n"},
		{method: "POST", path: "/messages", body: `{"AuthorUsername":"a","Text":"darn"}`, wantCode: 200},
	})
	if len(exited) != 1 {
		t.Fatalf("exits %v, want one", exited)
	}
	restarted, err := standin.OpenAPI(standin.APIConfig{DBPath: db})
	if err != nil {
		t.Fatal(err)
	}
	check(t, restarted, []exchange{
		{method: "GET", path: "/messages", wantCode: 200, wantBody: `[{"AuthorUsername":"a","Text":"kept"}]` + "\n"},
	})

	if err := os.WriteFile(db, []byte("not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := standin.OpenAPI(standin.APIConfig{DBPath: db}); err == nil || !strings.Contains(err.Error(), db) {
		t.Errorf("OpenAPI on a corrupt database: error %v, want one naming %s", err, db)
	}
}
