package topology

import (
	"errors"
	"fmt"
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

// TestStartOrder: a service starts after what its own process links to; a
// loop of links is broken at the link that closes it, and only there.
func TestStartOrder(t *testing.T) {
	m, err := Decode("app.yaml", []byte(`apiVersion: synctl.dev/v1alpha1
kind: App
metadata: {name: loop}
spec:
  services:
    - {name: web, role: frontend, image: x/web:1, port: 80, links: [{env: API, service: api, resolvedBy: browser}]}
    - {name: api, role: api, image: x/api:1, port: 80, links: [{env: A, service: a}]}
    - {name: a, role: internal, image: x/a:1, port: 80, links: [{env: B, service: b}]}
    - {name: b, role: internal, image: x/b:1, port: 80, links: [{env: A, service: a}, {env: C, service: c}]}
    - {name: c, role: internal, image: x/c:1, port: 80}
`))
	if err != nil {
		t.Fatal(err)
	}
	order, broken := m.StartOrder()
	if got := strings.Join(order, " "); got != "web c b a api" {
		t.Errorf("order %s, want web c b a api", got)
	}
	if len(broken) != 1 || broken[0] != (Edge{From: "b", To: "a"}) {
		t.Errorf("broken %v, want [{b a}]", broken)
	}
	deps := m.DependsOn()
	if got := fmt.Sprint(deps); got != "map[a:[b] api:[a] b:[c]]" {
		t.Errorf("depends on %s", got)
	}
}

// TestDefaults: setDefaults fills what the user left out, and only that;
// validation is a separate step.
func TestDefaults(t *testing.T) {
	two := int64(2)
	a := &App{Spec: AppSpec{Services: []ServiceSpec{
		{Name: "web", Port: 80, Links: []LinkSpec{{Env: "X", Service: "api"}}, Autoscaling: &AutoscalingSpec{MaxReplicas: 3}, Checks: []CheckSpec{{Path: "/p", Body: "{}"}}},
		{Name: "api", Port: 81, HostPort: 9000, HealthPath: "/h", Replicas: 2, Storage: &StorageSpec{MountPath: "/d", Persistent: true}, Security: &SecuritySpec{RunAsUser: &two}},
	}}}
	setDefaults(a)
	web, api := a.Spec.Services[0], a.Spec.Services[1]
	if a.Spec.EntryURLName != "APP_URL" || web.HostPort != 8080 || web.HealthPath != "/" || web.Replicas != 1 ||
		web.Links[0].ResolvedBy != ResolvedByService || web.Links[0].Form != FormURL || web.Protocol != ProtocolHTTP || web.Autoscaling.MinReplicas != 1 || web.Autoscaling.TargetCPUPercent != 50 ||
		*web.Security.RunAsUser != DefaultUser || *web.Security.RunAsGroup != DefaultUser ||
		web.Checks[0].Method != "GET" || web.Checks[0].Status != 200 || web.Checks[0].ContentType != "application/json" {
		t.Errorf("web defaults: %+v", web)
	}
	if api.HostPort != 9000 || api.HealthPath != "/h" || api.Replicas != 2 || api.Storage.Size != "1Gi" ||
		*api.Security.RunAsUser != 2 || *api.Security.RunAsGroup != 2 {
		t.Errorf("api: the user's values must stay, and runAsGroup follows runAsUser: %+v", api)
	}
}

func TestSpecErrorListsEveryProblem(t *testing.T) {
	spec := strings.Replace(string(DefaultSpec()), "port: 8080\n      portEnv: API_PORT", "port: 70000\n      portEnv: API-PORT", 1)
	_, err := Decode("app.yaml", []byte(spec))
	var se *SpecError
	if !errors.As(err, &se) {
		t.Fatalf("error %v is not a *SpecError", err)
	}
	want := `app.yaml:41:13: spec.services[1].port: 70000 is out of range 1-65535
app.yaml:42:16: spec.services[1].portEnv: "API-PORT" is not a valid environment variable name: use letters, digits and '_', not starting with a digit`
	if err.Error() != want {
		t.Errorf("got:\n%s\nwant:\n%s", err, want)
	}
}

// FuzzDecode: no input makes Decode panic, and every problem it reports
// is a SpecError with problems; every model it accepts has one frontend and
// links that resolve.
func FuzzDecode(f *testing.F) {
	f.Add(DefaultSpec())
	for _, app := range []string{"shop", "transit", "voting"} {
		if b, err := os.ReadFile("../../testdata/apps/" + app + ".yaml"); err == nil {
			f.Add(b)
		}
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
		if m.Frontend() == nil {
			t.Fatal("a valid model has no frontend")
		}
		for _, s := range m.Services {
			for _, l := range s.Links {
				if _, ok := m.Service(l.To); !ok {
					t.Fatalf("%s links to unknown %s", s.Name, l.To)
				}
			}
		}
		order, _ := m.StartOrder()
		if len(order) != len(m.Services) {
			t.Fatalf("start order %v misses services", order)
		}
	})
}
