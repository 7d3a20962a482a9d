package target

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/synctl/synctl/internal/golden"
	"github.com/synctl/synctl/pkg/gkeapi"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target/platform"
	"github.com/synctl/synctl/pkg/topology"
)

const regen = "go test ./pkg/target -update"

// app is one app under test: its plan, where its goldens live, and the
// spec path its bundles record (relative to each bundle directory).
type app struct {
	name    string
	plan    *Plan
	golden  string // testdata/<golden>/<target>/
	specRel string
}

// apps are the built-in app (goldens in testdata/<target>/) and two apps
// with other names, roles and links (testdata/<app>/<target>/).
func apps(t testing.TB) []app {
	t.Helper()
	def, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	out := []app{{name: "builtin", plan: def, golden: ""}}
	for _, name := range []string{"shop", "transit", "voting"} {
		data, err := os.ReadFile("../../testdata/apps/" + name + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		p, err := Load(name+".yaml", data, Overrides{})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, app{name: name, plan: p, golden: name, specRel: "../../apps/" + name + ".yaml"})
	}
	return out
}

func (a app) render(t testing.TB, tg Target) *render.Bundle {
	t.Helper()
	b, err := a.plan.Render(tg, Invocation{Spec: a.specRel})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestGolden(t *testing.T) {
	for _, a := range apps(t) {
		for _, tg := range All() {
			dir := filepath.Join("../../testdata", a.golden, tg.Name())
			t.Run(a.name+"/"+tg.Name(), func(t *testing.T) {
				var rendered []string
				for _, f := range a.render(t, tg).Files {
					if f.Kind == render.KindKey {
						continue // random; checked by TestCertificate
					}
					rendered = append(rendered, f.Path)
					golden.AssertFile(t, filepath.Join(dir, filepath.FromSlash(f.Path)), f.Data, f.Mode, regen)
				}
				// A file that is no longer rendered must not linger in testdata.
				onDisk := listFiles(t, dir)
				slices.Sort(rendered)
				if *golden.Update {
					for _, p := range onDisk {
						if !slices.Contains(rendered, p) {
							os.Remove(filepath.Join(dir, p))
						}
					}
				} else if !slices.Equal(onDisk, rendered) {
					t.Errorf("%s holds %v, but the render has %v; run: %s", dir, onDisk, rendered, regen)
				}
			})
		}
	}
}

func listFiles(t *testing.T, dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(out)
	return out
}

func TestDeterministic(t *testing.T) {
	for _, a := range apps(t) {
		for _, tg := range All() {
			x, y := a.render(t, tg), a.render(t, tg)
			if len(x.Files) != len(y.Files) {
				t.Fatalf("%s/%s: %d files, then %d", a.name, tg.Name(), len(x.Files), len(y.Files))
			}
			for i := range x.Files {
				if x.Files[i].Path != y.Files[i].Path || (x.Files[i].Kind != render.KindKey && !bytes.Equal(x.Files[i].Data, y.Files[i].Data)) {
					t.Errorf("%s/%s: %s differs between two renders", a.name, tg.Name(), x.Files[i].Path)
				}
			}
		}
	}
}

// TestRegistry walks every target: each part of a target is there and
// works for every app, and names no app's services.
func TestRegistry(t *testing.T) {
	seen := map[string]bool{}
	for _, tg := range All() {
		name := tg.Name()
		if name == "" || name == "all" || strings.ContainsAny(name, ", ") || seen[name] {
			t.Errorf("target name %q: must be unique, non-empty, not \"all\", without commas or spaces", name)
		}
		seen[name] = true
		if got, err := Lookup(name); err != nil || got != tg {
			t.Errorf("Lookup(%q) = %v, %v", name, got, err)
		}
		if d := tg.Description(); d == "" || strings.HasSuffix(d, ".") || strings.ToUpper(d[:1]) != d[:1] {
			t.Errorf("%s: description %q: one capitalised line without a final full stop", name, d)
		}
		spec := reflect.TypeOf(tg.Spec())
		if spec.Kind() != reflect.Pointer || spec.Elem().Kind() != reflect.Struct || topology.Fields(tg.Spec()) == "{}" {
			t.Errorf("%s: Spec() must be a pointer to a struct with yaml fields, got %s", name, spec)
		}
		switch tg.Stdout() {
		case "", render.KindManifest, render.KindCompose:
		default:
			t.Errorf("%s: prints %q files to stdout; the CLI knows how to print manifests and compose files", name, tg.Stdout())
		}
		for _, f := range tg.Flags() {
			if !slices.Contains([]Flag{FlagNamespace, FlagHost, FlagAddress}, f) {
				t.Errorf("%s: flag %q has no command-line flag", name, f)
			}
		}
		for _, a := range apps(t) {
			b := a.render(t, tg)
			var kinds []render.Kind
			for _, f := range b.Files {
				kinds = append(kinds, f.Kind)
				if f.Kind == "" {
					t.Errorf("%s/%s: %s has no kind", a.name, name, f.Path)
				}
			}
			if !slices.Contains(kinds, render.KindReadme) || !slices.Contains(kinds, render.KindRecord) {
				t.Errorf("%s/%s: every bundle has a README and a record, got kinds %v", a.name, name, kinds)
			}
			if tg.Stdout() != "" && !slices.Contains(kinds, tg.Stdout()) {
				t.Errorf("%s/%s: prints %s files but renders none", a.name, name, tg.Stdout())
			}
			for _, other := range apps(t) {
				if other.name == a.name {
					continue
				}
				words := strings.FieldsFunc(tg.Description(), func(r rune) bool { return !unicode.IsLetter(r) && r != '-' })
				for _, s := range other.plan.Model.Services {
					// The role names (frontend, api, internal) are the spec's
					// own words, whatever an app calls its services.
					if slices.Contains(words, s.Name) && !slices.Contains([]string{"frontend", "api", "internal"}, s.Name) {
						t.Errorf("%s: description names service %s of app %s", name, s.Name, other.name)
					}
				}
			}
		}
	}
}

// TestNoTargetSwitchOutside: code outside this package never asks which
// target it has: no target's name appears as a string literal anywhere in
// cmd/, pkg/ or internal/ except in the target's own file.
func TestNoTargetSwitchOutside(t *testing.T) {
	names := map[string]bool{}
	for _, tg := range All() {
		names[tg.Name()] = true
	}
	// Literals that are target names by coincidence: the nginx binary and
	// file kind, and the nginx image and user in a proxy's files.
	allowed := map[string]bool{
		"pkg/validate/nginx.go:nginx":    true,
		"pkg/validate/validate.go:nginx": true,
		"pkg/validate/compose.go:nginx":  true,
		"pkg/importer/known.go:nginx":    true, // the nginx image listens on 80
	}
	fset := token.NewFileSet()
	for _, root := range []string{"cmd", "pkg", "internal"} {
		filepath.WalkDir(filepath.Join("../..", root), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			rel, _ := filepath.Rel("../..", p)
			rel = filepath.ToSlash(rel)
			// pkg/target is where target names belong; the engine harnesses
			// say "docker" and "nginx" for the programs, not the targets.
			for _, own := range []string{"pkg/target/", "internal/standin/", "internal/dockertest/", "internal/kubetest/"} {
				if strings.HasPrefix(rel, own) {
					return nil
				}
			}
			f, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				v, err := strconv.Unquote(lit.Value)
				if err == nil && names[v] && !allowed[rel+":"+v] {
					t.Errorf("%s: the literal %q is a target's name; ask the target (pkg/target) instead", fset.Position(lit.Pos()), v)
				}
				return true
			})
			return nil
		})
	}
}

// TestConventionsOwnedOnce: each platform convention (a name Docker
// resolves, an ingress-nginx annotation, GKE's class prefix, the apply
// command, the config-hash annotation, shell quoting) is stated in
// pkg/target/platform alone: no string literal elsewhere in cmd/, pkg/,
// internal/ or templates/ contains one of its values.
func TestConventionsOwnedOnce(t *testing.T) {
	values := []string{
		platform.HostGateway, platform.HostGatewayTarget,
		platform.IngressNginxUseRegex, platform.IngressNginxRewriteTarget,
		platform.GKEClassPrefix, platform.ConfigHashAnnotation,
		"kubectl apply --", // platform.KubectlApply, or a copy of it that drifted
		`'\''`,             // the shell's quote inside a quoted word
	}
	fset := token.NewFileSet()
	for _, root := range []string{"cmd", "pkg", "internal", "templates"} {
		filepath.WalkDir(filepath.Join("../..", root), func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
				return err
			}
			rel, _ := filepath.Rel("../..", p)
			if strings.HasPrefix(filepath.ToSlash(rel), "pkg/target/platform/") {
				return nil
			}
			f, err := parser.ParseFile(fset, p, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil {
					return true
				}
				for _, c := range values {
					if strings.Contains(v, c) {
						t.Errorf("%s: the literal %q states %q, which pkg/target/platform owns; use its constant", fset.Position(lit.Pos()), v, c)
					}
				}
				return true
			})
			return nil
		})
	}
}

// TestBuiltinWiring: the built-in app's wiring on every target is the
// table's one source, testdata/wiring/all.json (the golden output of
// `synctl wiring --target all --format json`, which the README's table is
// checked against). nginx's entry URL is https://localhost, the URL that
// serves the page: port 80 only redirects there.
func TestBuiltinWiring(t *testing.T) {
	data, err := os.ReadFile("../../testdata/wiring/all.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]map[string]string
	if err := json.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) != len(All()) {
		t.Errorf("testdata/wiring/all.json has %d targets, the registry %d", len(want), len(All()))
	}
	p := apps(t)[0].plan
	for _, tg := range All() {
		w := p.Wiring(tg)
		got := map[string]string{}
		for _, u := range w.URLs {
			got[w.Key(u)] = u.URL
		}
		if !reflect.DeepEqual(got, want[tg.Name()]) {
			t.Errorf("%s: wiring %v, want %v", tg.Name(), got, want[tg.Name()])
		}
	}
}

// TestWireOtherApp: URLs come from roles and links, whatever the names.
func TestWireOtherApp(t *testing.T) {
	shop := apps(t)[1].plan
	cases := []struct {
		target, service, env, want string
	}{
		{"docker", "storefront", "CART_URL", "http://localhost:9002"},
		{"docker", "catalog", "SEARCH_BASE_URL", "http://host.docker.internal:9003"},
		{"docker-network", "cart", "PRICING_BASE_URL", "http://pricing:7000"},
		{"nginx", "storefront", "CATALOG_URL", "/catalog-api/"},
		{"nginx", "storefront", "CART_URL", "/cart/"},
		{"minikube", "storefront", "CATALOG_URL", "http://shopcatalog.internal"},
		{"minikube", "catalog", "SEARCH_BASE_URL", "http://search-service"},
		{"gke", "storefront", "CART_URL", "/v1/cart"},
	}
	for _, c := range cases {
		tg, _ := Lookup(c.target)
		if got := shop.Wiring(tg).Link(c.service, c.env); got != c.want {
			t.Errorf("%s %s.%s = %q, want %q", c.target, c.service, c.env, got, c.want)
		}
	}
	nginx, _ := Lookup("nginx")
	gke, _ := Lookup("gke")
	if got := shop.Wiring(nginx).EntryURL; got != "https://shop.localhost:8443" {
		t.Errorf("nginx entry URL %s", got)
	}
	if got := shop.Wiring(gke).EntryURL; got != "http://203.0.113.10/" {
		t.Errorf("gke entry URL %s", got)
	}
}

// TestOverrides: command-line values reach the targets that take them.
func TestOverrides(t *testing.T) {
	p, err := Load("x", topology.DefaultSpec(), Overrides{
		Images:    map[string]string{"api": "registry.example/api:1.2"},
		Hosts:     map[string]string{"web": "chat.test"},
		Namespace: "chat",
		Address:   "chat-ip=203.0.113.7",
	})
	if err != nil {
		t.Fatal(err)
	}
	api, _ := p.Model.Service("api")
	minikube, _ := Lookup("minikube")
	gke, _ := Lookup("gke")
	if api.Image != "registry.example/api:1.2" || p.Wiring(minikube).EntryURL != "http://chat.test" || p.Wiring(gke).EntryURL != "http://203.0.113.7/" {
		t.Errorf("overrides not applied: %s %s %s", api.Image, p.Wiring(minikube).EntryURL, p.Wiring(gke).EntryURL)
	}
	b, err := p.Render(gke, Invocation{Overrides: Overrides{Namespace: "chat", Address: "chat-ip=203.0.113.7"}})
	if err != nil {
		t.Fatal(err)
	}
	gw := fileNamed(t, b.Files, "gateway.yaml")
	if !bytes.Contains(gw.Data, []byte("addresses:\n  - type: NamedAddress\n    value: chat-ip\n")) {
		t.Errorf("--address NAME=IP must set the Gateway's NamedAddress:\n%s", gw.Data)
	}
	if !strings.Contains(b.Command, "--namespace chat --address chat-ip=203.0.113.7 --out .") {
		t.Errorf("the bundle's command must carry the flags that made it: %s", b.Command)
	}
	for _, f := range b.Files {
		if f.Kind == render.KindManifest && bytes.Contains(f.Data, []byte("namespace: synergychat")) {
			t.Errorf("%s still uses the spec's namespace", f.Path)
		}
	}
}

// TestWiringInFiles checks that each URL of the wiring reaches the file that
// carries it, for the built-in app: its wiring table, in the rendered bytes.
func TestWiringInFiles(t *testing.T) {
	a := apps(t)[0]
	cases := []struct {
		target, file string
		want         []string
	}{
		{"docker", "compose.yaml", []string{"API_URL: http://localhost:8081", "CRAWLER_BASE_URL: http://host.docker.internal:8082", "- host.docker.internal:host-gateway", "network_mode: bridge", "name: synergychat-docker-api-data"}},
		{"docker", "docker-run.sh", []string{"-e 'CRAWLER_BASE_URL=http://host.docker.internal:8082'", "--add-host 'host.docker.internal:host-gateway'", "-p 8082:8080", "-v 'synergychat-docker-api-data:/persist'"}},
		{"docker-network", "compose.yaml", []string{"API_URL: http://localhost:8081", "CRAWLER_BASE_URL: http://crawler:8080", "name: synergychat-docker-network\n"}},
		{"docker-network", "docker-run.sh", []string{"docker network create 'synergychat-docker-network'", "--network-alias 'crawler'"}},
		{"nginx", "compose.yaml", []string{"API_URL: /api/", "CRAWLER_BASE_URL: http://crawler:8080"}},
		{"nginx", "nginx.conf", []string{"location /api/ {", "return 301 https://$host$request_uri;", "ssl_protocols TLSv1.2 TLSv1.3;"}},
		{"minikube", "web-configmap.yaml", []string{"API_URL: http://synergychatapi.internal"}},
		{"minikube", "api-configmap.yaml", []string{"CRAWLER_BASE_URL: http://crawler-service"}},
		{"minikube", "web-httproute.yaml", []string{"- synergychat.internal"}},
		{"gke", "web-configmap.yaml", []string{"API_URL: /api\n"}},
		{"gke", "api-httproute.yaml", []string{"value: /api\n", "replacePrefixMatch: /\n"}},
		{"gke", "api-healthcheckpolicy.yaml", []string{"requestPath: /healthz"}},
	}
	for _, c := range cases {
		tg, _ := Lookup(c.target)
		f := fileNamed(t, a.render(t, tg).Files, c.file)
		for _, w := range c.want {
			if !strings.Contains(string(f.Data), w) {
				t.Errorf("%s/%s lacks %q", c.target, c.file, w)
			}
		}
	}
}

func fileNamed(t *testing.T, files []render.File, name string) render.File {
	t.Helper()
	for _, f := range files {
		if f.Path == name {
			return f
		}
	}
	t.Fatalf("no file %s in the bundle", name)
	return render.File{}
}

// TestComposeLoads loads every rendered compose file with compose-go's own
// loader, as `docker compose config` does, from a directory holding the
// whole bundle (so bind-mount sources resolve), and checks the environment
// it yields against the wiring.
func TestComposeLoads(t *testing.T) {
	for _, a := range apps(t) {
		for _, tg := range All() {
			b := a.render(t, tg)
			if !slices.ContainsFunc(b.Files, func(f render.File) bool { return f.Kind == render.KindCompose }) {
				continue
			}
			t.Run(a.name+"/"+tg.Name(), func(t *testing.T) {
				dir := filepath.Join(t.TempDir(), "b")
				if _, err := render.Write(context.Background(), dir, []render.Placement{{Bundle: b}}, render.WriteOptions{}); err != nil {
					t.Fatal(err)
				}
				p := loadCompose(t, dir)
				if p.Name != a.plan.Model.Name+"-"+tg.Name() {
					t.Errorf("project %s: each setup needs its own project name", p.Name)
				}
				for _, s := range a.plan.Model.Services {
					sc, err := p.GetService(s.Name)
					if err != nil {
						t.Fatal(err)
					}
					for _, l := range s.Links {
						got := sc.Environment[l.Env]
						want := b.Wiring.Link(s.Name, l.Env)
						if l.Password != "" {
							// The .env file's random value, interpolated.
							secret := p.Environment[render.ComposeSecretVar(l.Password)]
							if len(secret) != 32 {
								t.Fatalf("%s: the .env value of %s is %q, want 32 hex digits", s.Name, l.Password, secret)
							}
							want = strings.Replace(want, render.ComposeSecretRef(l.Password), secret, 1)
						}
						if got == nil || *got != want {
							t.Errorf("service %s: %s = %v, want %s", s.Name, l.Env, got, want)
						}
					}
					for _, e := range s.Env {
						if got := sc.Environment[e.Name]; got == nil || *got != e.Value {
							t.Errorf("service %s: %s = %v, want %q (compose interpolation must not change it)", s.Name, e.Name, got, e.Value)
						}
					}
				}
			})
		}
	}
}

func loadCompose(t *testing.T, dir string) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, "compose.yaml")},
		cli.WithWorkingDirectory(dir), cli.WithOsEnv, cli.WithEnvFiles(), cli.WithDotEnv, cli.WithResolvedPaths(true))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose-go rejects compose.yaml: %v", err)
	}
	for _, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind {
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("service %s mounts %s, which the bundle does not have: %v", s.Name, v.Source, err)
				}
			}
		}
	}
	return p
}

// TestKubeStrictDecode decodes every rendered document strictly into its
// typed struct: an unknown or misspelt field fails.
func TestKubeStrictDecode(t *testing.T) {
	for _, a := range apps(t) {
		for _, tg := range All() {
			if tg.Stdout() != render.KindManifest {
				continue
			}
			b := a.render(t, tg)
			out, err := b.Stream("test")
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]int{}
			for _, doc := range bytes.Split(out, []byte("\n---\n")) {
				var tm struct{ Kind string }
				if err := yaml.Unmarshal(doc, &tm); err != nil {
					t.Fatal(err)
				}
				obj, ok := typedObject(tm.Kind)
				if !ok {
					t.Errorf("%s/%s: unexpected kind %q", a.name, tg.Name(), tm.Kind)
					continue
				}
				if err := yaml.UnmarshalStrict(doc, obj); err != nil {
					t.Errorf("%s/%s: %s does not decode strictly: %v", a.name, tg.Name(), tm.Kind, err)
				}
				kinds[tm.Kind]++
			}
			var deployments, services, jobs int
			for _, s := range a.plan.Model.Services {
				switch {
				case s.Job:
					jobs++
				case s.Worker():
					deployments++
				default:
					deployments++
					services++
				}
			}
			if kinds["Deployment"] != deployments || kinds["Service"] != services || kinds["Job"] != jobs || kinds["Namespace"] == 0 || kinds["NetworkPolicy"] < 2 {
				t.Errorf("%s/%s: kinds %v", a.name, tg.Name(), kinds)
			}
		}
	}
}

func typedObject(kind string) (any, bool) {
	switch kind {
	case "Namespace":
		return &corev1.Namespace{}, true
	case "ConfigMap":
		return &corev1.ConfigMap{}, true
	case "Service":
		return &corev1.Service{}, true
	case "PersistentVolumeClaim":
		return &corev1.PersistentVolumeClaim{}, true
	case "Deployment":
		return &appsv1.Deployment{}, true
	case "Job":
		return &batchv1.Job{}, true
	case "HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, true
	case "PodDisruptionBudget":
		return &policyv1.PodDisruptionBudget{}, true
	case "NetworkPolicy":
		return &networkingv1.NetworkPolicy{}, true
	case "Ingress":
		return &networkingv1.Ingress{}, true
	case "GatewayClass":
		return &gwv1.GatewayClass{}, true
	case "Gateway":
		return &gwv1.Gateway{}, true
	case "HTTPRoute":
		return &gwv1.HTTPRoute{}, true
	case "HealthCheckPolicy":
		return &gkeapi.HealthCheckPolicy{}, true
	}
	return nil, false
}

func TestCertificate(t *testing.T) {
	nginx, _ := Lookup("nginx")
	files := apps(t)[0].render(t, nginx).Files
	certPEM, keyPEM := fileNamed(t, files, certPath), fileNamed(t, files, keyPath)
	if keyPEM.Mode != 0o600 || keyPEM.Kind != render.KindKey || certPEM.Kind != render.KindKey {
		t.Errorf("key mode %o kind %s, cert kind %s; want 0600 and key material", keyPEM.Mode, keyPEM.Kind, certPEM.Kind)
	}
	block, _ := pem.Decode(certPEM.Data)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range []string{"localhost", "127.0.0.1"} {
		if err := cert.VerifyHostname(h); err != nil {
			t.Error(err)
		}
	}
	kb, _ := pem.Decode(keyPEM.Data)
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !key.(*ecdsa.PrivateKey).PublicKey.Equal(cert.PublicKey) {
		t.Error("the key does not match the certificate")
	}
}

// TestStream: what a target prints without --out is every file of its
// stdout kind, under one header, and never the README or the record.
func TestStream(t *testing.T) {
	for _, tg := range All() {
		b := apps(t)[0].render(t, tg)
		out, err := b.Stream("synctl render --target " + tg.Name())
		if tg.Stdout() == "" {
			if err == nil || !strings.Contains(err.Error(), "pass --out DIR") {
				t.Errorf("%s: prints nothing, so Stream must say to pass --out; got %v", tg.Name(), err)
			}
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range b.Files {
			if f.Kind == tg.Stdout() {
				n += bytes.Count(f.Data, []byte("\n---\n")) + 1
			}
		}
		if got := bytes.Count(out, []byte("\n---\n")) + 1; got != n {
			t.Errorf("%s: the stream has %d documents, its files %d", tg.Name(), got, n)
		}
		if bytes.Count(out, []byte(render.HeaderMarker)) != 1 || bytes.Contains(out, []byte("README")) || bytes.Contains(out, []byte(render.RecordKind)) {
			t.Errorf("%s: the stream carries one header and no README or record", tg.Name())
		}
	}
}

// TestCheckFlags: a target-specific flag is refused where no chosen target
// takes it.
func TestCheckFlags(t *testing.T) {
	docker, _ := Lookup("docker")
	gke, _ := Lookup("gke")
	minikube, _ := Lookup("minikube")
	if err := CheckFlags([]Target{docker}, Overrides{Address: "1.2.3.4"}); err == nil || err.Error() != "--address applies only to gke, not to docker; drop the flag or choose one of those targets" {
		t.Errorf("--address on docker: %v", err)
	}
	if err := CheckFlags([]Target{gke}, Overrides{Hosts: map[string]string{"web": "x"}}); err == nil || !strings.HasPrefix(err.Error(), "--host applies only to minikube, ingress, not to gke") {
		t.Errorf("--host on gke: %v", err)
	}
	if err := CheckFlags([]Target{docker, minikube}, Overrides{Namespace: "x", Hosts: map[string]string{"web": "x"}}); err != nil {
		t.Errorf("a flag that one chosen target takes is fine: %v", err)
	}
}

// TestRelativeNoteGrammar: the nginx README's note on relative URLs agrees
// in number with the URLs it lists (issue: "A (`/a/`), B (`/b/`) is relative").
func TestRelativeNoteGrammar(t *testing.T) {
	nginx, _ := Lookup("nginx")
	want := map[string]string{
		"builtin": "- API_URL (`/api/`) is relative: ",
		"shop":    "- CATALOG_URL (`/catalog-api/`) and CART_URL (`/cart/`) are relative: ",
	}
	for _, a := range apps(t) {
		w, ok := want[a.name]
		if !ok {
			continue
		}
		readme := fileNamed(t, a.render(t, nginx).Files, "README.md")
		if !strings.Contains(string(readme.Data), w) {
			t.Errorf("%s: the nginx README lacks %q", a.name, w)
		}
	}
	for items, want := range map[string]string{"a": "a", "a b": "a and b", "a b c": "a, b and c"} {
		if got := andList(strings.Fields(items)); got != want {
			t.Errorf("andList(%s) = %q, want %q", items, got, want)
		}
	}
}
