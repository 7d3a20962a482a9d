package topology

import (
	"errors"
	"os"
	"strings"
	"testing"

	_ "github.com/synctl/synctl/internal/golden" // for -update
)

func TestDefaultIsTheSeedApp(t *testing.T) {
	m, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range m.Services {
		names = append(names, s.Name+":"+string(s.Role))
	}
	if got := strings.Join(names, " "); got != "web:frontend api:api crawler:internal" {
		t.Errorf("services %s", got)
	}
	if m.Frontend().Name != "web" {
		t.Errorf("frontend %s", m.Frontend().Name)
	}
}

// TestWireOtherApp: URLs come from roles and links, whatever the names.
func TestWireOtherApp(t *testing.T) {
	m, err := Load("../../testdata/apps/shop.yaml", Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		target       Target
		service, env string
		want         string
	}{
		{Docker, "storefront", "CART_URL", "http://localhost:9002"},
		{Docker, "catalog", "SEARCH_BASE_URL", "http://host.docker.internal:9003"},
		{DockerNetwork, "cart", "PRICING_BASE_URL", "http://pricing:7000"},
		{Nginx, "storefront", "CATALOG_URL", "/catalog-api/"},
		{Nginx, "storefront", "CART_URL", "/cart/"},
		{Minikube, "storefront", "CATALOG_URL", "http://shopcatalog.internal"},
		{Minikube, "catalog", "SEARCH_BASE_URL", "http://search-service"},
		{GKE, "storefront", "CART_URL", "/v1/cart"},
	}
	for _, c := range cases {
		if got := Wire(m, c.target).Link(c.service, c.env); got != c.want {
			t.Errorf("%s %s.%s = %q, want %q", c.target, c.service, c.env, got, c.want)
		}
	}
	if got := Wire(m, Nginx).CHATURL; got != "https://shop.localhost:8443" {
		t.Errorf("nginx CHAT_URL %s", got)
	}
	if got := Wire(m, GKE).CHATURL; got != "http://203.0.113.10/" {
		t.Errorf("gke CHAT_URL %s", got)
	}
}

func TestOverrides(t *testing.T) {
	m, err := DecodeWith("x", DefaultSpec(), Overrides{
		Images:    map[string]string{"api": "registry.example/api:1.2"},
		Hosts:     map[string]string{"web": "chat.test"},
		Namespace: "chat",
		Address:   "203.0.113.7",
	})
	if err != nil {
		t.Fatal(err)
	}
	api, _ := m.Service("api")
	if api.Image != "registry.example/api:1.2" || m.Targets.Minikube.Hosts["web"] != "chat.test" ||
		m.Targets.GKE.Namespace != "chat" || m.Targets.Minikube.Namespace != "chat" || Wire(m, GKE).CHATURL != "http://203.0.113.7/" {
		t.Errorf("overrides not applied: %+v", m.Targets)
	}
}

func TestSpecErrorListsEveryProblem(t *testing.T) {
	spec := strings.Replace(string(DefaultSpec()), "port: 8080\n      portEnv: API_PORT", "port: 70000\n      portEnv: API-PORT", 1)
	_, err := Decode("app.yaml", []byte(spec))
	var se *SpecError
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a *SpecError", err)
	}
	want := `app.yaml:36:13: spec.services[1].port: 70000 is out of range 1-65535
app.yaml:37:16: spec.services[1].portEnv: "API-PORT" is not a valid environment variable name: use letters, digits and '_', not starting with a digit`
	if err.Error() != want {
		t.Errorf("got:\n%s\nwant:\n%s", err, want)
	}
}

// FuzzDecode: no input makes Decode panic, and every spec it accepts can be
// wired for every target with a URL for every link.
func FuzzDecode(f *testing.F) {
	f.Add(DefaultSpec())
	if b, err := os.ReadFile("../../testdata/apps/shop.yaml"); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Decode("fuzz.yaml", data)
		if err != nil {
			var se *SpecError
			if !errors.As(err, &se) || len(se.Problems) == 0 {
				t.Fatalf("error %v is not a SpecError with problems", err)
			}
			return
		}
		for _, tg := range Targets() {
			w := Wire(m, tg)
			for _, u := range w.URLs {
				if u.URL == "" {
					t.Fatalf("%s: %s has no URL", tg, u.Name)
				}
			}
		}
	})
}
