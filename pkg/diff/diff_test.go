package diff

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/synctl/synctl/pkg/textdiff"

	"github.com/synctl/synctl/pkg/render"
)

func files(kv ...string) []render.File {
	var out []render.File
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, render.File{Path: kv[i], Data: []byte(kv[i+1]), Mode: 0o644})
	}
	return out
}

const hostRoute = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: api
spec:
  parentRefs:
  - name: gw
  hostnames: [api.internal]
  rules:
  - matches:
    - path: {type: PathPrefix, value: /}
    backendRefs:
    - {name: api-service, port: 80}
`

const pathRoute = `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: api
  namespace: app
spec:
  parentRefs:
  - name: gw
    namespace: infra
  rules:
  - matches:
    - path: {type: PathPrefix, value: /api}
    filters:
    - type: URLRewrite
      urlRewrite:
        path: {type: ReplacePrefixMatch, replacePrefixMatch: /}
    backendRefs:
    - {name: api-service, port: 80}
`

const deployA = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  template:
    spec:
      containers:
      - name: web
        image: web:1
        env:
        - {name: A, value: "1"}
        - {name: API_URL, value: http://api.internal}
        ports:
        - containerPort: 8080
`

// deployB reorders env and changes one entry: matched by name, only that
// entry is reported.
const deployB = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: app
spec:
  template:
    spec:
      containers:
      - name: web
        image: web:1
        env:
        - {name: API_URL, value: /api}
        - {name: A, value: "1"}
        ports:
        - containerPort: 8080
        resources:
          requests: {cpu: 250m}
`

// seedURLs are the URLs a directory's wiring is read as in these tests.
var seedURLs = []Expected{
	{Name: "CHAT_URL"},
	{Name: "API_URL", Service: "web", Env: "API_URL"},
	{Name: "CRAWLER_BASE_URL", Service: "api", Env: "CRAWLER_BASE_URL"},
}

func TestCompareKubernetes(t *testing.T) {
	from := Side{Label: "a", Expect: seedURLs, Files: files(
		"class.yaml", "apiVersion: gateway.networking.k8s.io/v1\nkind: GatewayClass\nmetadata:\n  name: envoy\nspec:\n  controllerName: example.com/ctl\n",
		"route.yaml", hostRoute, "web.yaml", deployA)}
	to := Side{Label: "b", Expect: seedURLs, Files: files(
		"ns.yaml", "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: app\n---\napiVersion: v1\nkind: Namespace\nmetadata:\n  name: infra\n",
		"api-route.yaml", pathRoute, "web-deployment.yaml", deployB)}
	res, err := Compare(from, to)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	if err := res.WriteText(&got, false); err != nil {
		t.Fatal(err)
	}
	want := `synctl diff a -> b

Summary
  * Namespaces added: app, infra.
  * 2 objects moved from the default namespace to namespace app.
  * Routing by path instead of by hostname: api (hostname api.internal -> path /api).
  * URL rewrite added: api on PathPrefix /api replaces the matched prefix with /.
  * GatewayClass removed: envoy (controller example.com/ctl).
  * Resource requests added: web.
  * API_URL became relative: http://api.internal -> /api (the browser resolves it against the page's address).

Wiring
    CHAT_URL          unknown -> unknown (not compared)
  ~ API_URL           http://api.internal -> /api
    CRAWLER_BASE_URL  unknown -> unknown (not compared)

Removed
  - GatewayClass envoy  (class.yaml)

Added
  + Namespace app  (ns.yaml)
  + Namespace infra  (ns.yaml)

Changed
  ~ HTTPRoute api -> app/api  (route.yaml -> api-route.yaml)
      spec.hostnames: removed ["api.internal"]
      spec.parentRefs[name=gw].namespace: added "infra"
      spec.rules[matches=PathPrefix /api]: added {backendRefs: [{name: "api-service", port: 80}], filters: [{type: "URLRewrite", urlRewrite: {path: {replacePrefixMatch: "/", type: "ReplacePrefixMatch"}}}], matches: [{path: {type: "PathPrefix", value: "/api"}}]}
      spec.rules[matches=PathPrefix /]: removed {backendRefs: [{name: "api-service", port: 80}], matches: [{path: {type: "PathPrefix", value: "/"}}]}
  ~ Deployment web -> app/web  (web.yaml -> web-deployment.yaml)
      spec.template.spec.containers[name=web].env[name=API_URL].value: "http://api.internal" -> "/api"
      spec.template.spec.containers[name=web].resources: added {requests: {cpu: "250m"}}
`
	if got.String() != want {
		t.Errorf("WriteText:\n%s\nwant:\n%s\n%s", got.String(), want, textdiff.Unified("want", "got", want, got.String(), 3))
	}
	if res.Equal {
		t.Error("Equal = true, want false")
	}
}

func TestCompareEqual(t *testing.T) {
	fs := files("compose.yaml", "services:\n  web:\n    image: x\n    environment: [A=1, B=2]\n")
	reordered := files("compose.yaml", "services:\n  web:\n    environment:\n      B: \"2\"\n      A: \"1\"\n    image: x\n")
	res, err := Compare(Side{Label: "a", Files: fs}, Side{Label: "b", Files: reordered})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Equal {
		t.Fatalf("Equal = false, changes: %+v", res.Changes)
	}
	var out bytes.Buffer
	res.WriteText(&out, false)
	if got, want := out.String(), "No differences between a and b.\n"; got != want {
		t.Errorf("text = %q, want %q", got, want)
	}
}

func TestCompareCompose(t *testing.T) {
	a := files("compose.yaml", `services:
  api:
    image: api
    ports: ["8081:8080"]
    environment: [CRAWLER_BASE_URL=http://host.docker.internal:8082]
    extra_hosts: ["host.docker.internal:host-gateway"]
  crawler:
    image: crawler
    ports: ["8082:8080"]
`, "docker-run.sh", "docker run api\ndocker run crawler\n")
	b := files("compose.yaml", `services:
  api:
    image: api
    ports: ["8081:8080"]
    environment: [CRAWLER_BASE_URL=http://crawler:8080]
    networks: [app]
  crawler:
    image: crawler
    networks: [app]
networks:
  app: {}
`, "docker-run.sh", "docker network create app\ndocker run api\ndocker run crawler\n")
	res, err := Compare(Side{Label: "docker", Files: a, Expect: seedURLs}, Side{Label: "net", Files: b, Expect: seedURLs})
	if err != nil {
		t.Fatal(err)
	}
	wantSummary := []string{
		"Compose networks added: app.",
		"Service api no longer gets extra host host.docker.internal:host-gateway.",
		"Service api joins network app.",
		"Service crawler joins network app.",
		"Service crawler no longer publishes ports (was 8082:8080).",
		"CRAWLER_BASE_URL changed: http://host.docker.internal:8082 -> http://crawler:8080.",
	}
	if strings.Join(res.Summary, "\n") != strings.Join(wantSummary, "\n") {
		t.Errorf("Summary:\n%s\nwant:\n%s", strings.Join(res.Summary, "\n"), strings.Join(wantSummary, "\n"))
	}
	var ids []string
	for _, c := range res.Changes {
		ids = append(ids, c.Op+" "+c.ID)
	}
	wantIDs := "added compose network app\nchanged compose service api\nchanged compose service crawler\nchanged docker-run.sh"
	if strings.Join(ids, "\n") != wantIDs {
		t.Errorf("changes:\n%s\nwant:\n%s", strings.Join(ids, "\n"), wantIDs)
	}
	last := res.Changes[len(res.Changes)-1]
	wantUnified := "--- docker/docker-run.sh\n+++ net/docker-run.sh\n@@ -1,2 +1,3 @@\n+docker network create app\n docker run api\n docker run crawler\n"
	if last.Unified != wantUnified {
		t.Errorf("unified:\n%s\nwant:\n%s", last.Unified, wantUnified)
	}
}

func TestCompareJSON(t *testing.T) {
	res, err := Compare(
		Side{Label: "a", Expect: seedURLs, Files: files("c.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata: {K: x, GONE: \"\"}\n"),
			Wiring: []URL{{Name: "CHAT_URL", Value: "http://a", Known: true}}},
		Side{Label: "b", Expect: seedURLs, Files: files("c.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\ndata: {K: null}\n")})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := res.WriteJSON(&out); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Equal   bool
		Wiring  []map[string]any
		Changes []struct {
			Change, Type, Kind, Name, ID string
			Fields                       []map[string]any
		}
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	if got.Equal || len(got.Changes) != 1 {
		t.Fatalf("got %s", out.String())
	}
	c := got.Changes[0]
	if c.Change != "changed" || c.Type != "kubernetes" || c.Kind != "ConfigMap" || c.ID != "ConfigMap m" {
		t.Errorf("change = %+v", c)
	}
	fields, _ := json.Marshal(c.Fields)
	if want := `[{"change":"removed","from":"","path":"data.GONE"},{"change":"changed","from":"x","path":"data.K","to":null}]`; string(fields) != want {
		t.Errorf("fields = %s, want %s", fields, want)
	}
	wiring, _ := json.Marshal(got.Wiring[0])
	if want := `{"changed":false,"from":"http://a","name":"CHAT_URL","to":null}`; string(wiring) != want {
		t.Errorf("wiring[0] = %s, want %s", wiring, want)
	}
}

func TestCompareErrors(t *testing.T) {
	dup := files("a.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n", "b.yaml", "apiVersion: v1\nkind: Service\nmetadata: {name: s}\n")
	_, err := Compare(Side{Label: "dir", Files: dup}, Side{Label: "x"})
	want := "dir: b.yaml: Service s is also defined in a.yaml; each object must appear once (kubectl apply would keep only the last)"
	if err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
}

func TestListMatching(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want string
	}{
		{"ports by containerPort", "ports: [{containerPort: 80, protocol: TCP}, {containerPort: 81}]", "ports: [{containerPort: 81}, {containerPort: 80, protocol: UDP}]",
			`ports[containerPort=80].protocol changed "TCP" -> "UDP"`},
		{"scalar set reordered", "hostnames: [a, b]", "hostnames: [b, a]", ""},
		{"args order matters", "args: [a, b]", "args: [b, a]", `args changed ["a", "b"] -> ["b", "a"]`},
		{"keyless items by value", "matches: [{path: /a}, {path: /b}]", "matches: [{path: /b}, {path: /c}]",
			"matches[{path: \"/c\"}] added <nil> -> map[path:/c]\nmatches[{path: \"/a\"}] removed map[path:/a] -> <nil>"},
		{"duplicates by index", "x: [{a: 1}, {a: 1}]", "x: [{a: 1}, {a: 2}]", "x[1].a changed 1 -> 2"},
		{"odd keys bracketed", "annotations: {example.com/x: a}", "annotations: {example.com/x: b}", `annotations["example.com/x"] changed "a" -> "b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := decodeDocs([]byte(tt.a))
			if err != nil {
				t.Fatal(err)
			}
			b, err := decodeDocs([]byte(tt.b))
			if err != nil {
				t.Fatal(err)
			}
			var fields []Field
			compareValues("", "", a[0], b[0], &fields)
			var lines []string
			for _, f := range fields {
				if f.Op == OpChanged {
					lines = append(lines, f.Path+" changed "+flow(f.From)+" -> "+flow(f.To))
				} else {
					lines = append(lines, f.Path+" "+f.Op+" "+fmtAny(f.From)+" -> "+fmtAny(f.To))
				}
			}
			if got := strings.Join(lines, "\n"); got != tt.want {
				t.Errorf("got:\n%s\nwant:\n%s", got, tt.want)
			}
		})
	}
}

func fmtAny(v any) string {
	if v == nil {
		return "<nil>"
	}
	m, ok := v.(map[string]any)
	if !ok {
		return flow(v)
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+":"+str(m[k]))
	}
	return "map[" + strings.Join(parts, " ") + "]"
}
