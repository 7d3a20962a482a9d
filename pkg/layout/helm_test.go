package layout_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/lint"
	"helm.sh/helm/v3/pkg/lint/support"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/synctl/synctl/internal/helmtest"
	"github.com/synctl/synctl/pkg/diff"
	"github.com/synctl/synctl/pkg/layout"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/topology"
)

// Helm is used here as a library, to template and lint the charts as the
// helm command does; synctl itself does not link it.

// chartOf renders tg's bundle of the app with ov and makes its chart.
func chartOf(t testing.TB, a app, tg target.Target, ov target.Overrides) (chart, plain *render.Bundle) {
	t.Helper()
	plain = a.render(t, tg, ov)
	chart, err := layout.Helm(plain, layout.Command(target.Invocation{Spec: a.spec, Overrides: ov}, layout.FormatHelm, tg))
	if err != nil {
		t.Fatal(err)
	}
	return chart, plain
}

// writeChart writes a chart as `synctl render --format helm --out DIR`
// does, into DIR/<target>, and returns that directory.
func writeChart(t testing.TB, chart *render.Bundle) string {
	t.Helper()
	dir := t.TempDir()
	write(t, dir, render.Placement{Dir: chart.Target, Bundle: chart})
	return filepath.Join(dir, chart.Target)
}

// TestHelmRendersTarget templates every chart with Helm and its default
// values and compares the objects with the target's plain render.
func TestHelmRendersTarget(t *testing.T) {
	for _, a := range apps(t) {
		for _, tg := range kubeTargets() {
			t.Run(a.name+"/"+tg.Name(), func(t *testing.T) {
				chart, plain := chartOf(t, a, tg, target.Overrides{})
				got := parseObjects(t, "helm template", helmtest.Template(t, writeChart(t, chart), nil, nil))
				sameObjects(t, "helm template", bundleObjects(t, plain), got)
			})
		}
	}
}

// TestHelmLint runs Helm's linter on every chart: nothing but the one
// recommendation synctl cannot follow (an icon URL).
func TestHelmLint(t *testing.T) {
	for _, a := range apps(t) {
		for _, tg := range kubeTargets() {
			t.Run(a.name+"/"+tg.Name(), func(t *testing.T) {
				chart, _ := chartOf(t, a, tg, target.Overrides{})
				l := lint.All(writeChart(t, chart), nil, "default", false)
				for _, m := range l.Messages {
					if m.Severity == support.InfoSev && m.Path == "Chart.yaml" && strings.Contains(m.Err.Error(), "icon is recommended") {
						continue
					}
					t.Errorf("helm lint: %s", m)
				}
			})
		}
	}
}

// changes are the objects that differ between two `helm template` outputs,
// as `synctl diff` reports them.
func changes(t testing.TB, from, to []byte) []diff.Change {
	t.Helper()
	side := func(label string, data []byte) diff.Side {
		return diff.Side{Label: label, Files: []render.File{{Path: "objects.yaml", Data: data, Mode: 0o644}}}
	}
	res, err := diff.Compare(side("defaults", from), side("overridden", to))
	if err != nil {
		t.Fatal(err)
	}
	return res.Changes
}

func describe(cs []diff.Change) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "\n  %s %s", c.Op, c.ID)
		for _, f := range c.Fields {
			fmt.Fprintf(&b, "\n    %s %s: %v -> %v", f.Op, f.Path, f.From, f.To)
		}
	}
	return b.String()
}

// TestHelmOverrides sets values as `helm --set` and `--set-json` do and
// checks, by diffing the two renders, that each changes exactly the fields
// it says it sets.
func TestHelmOverrides(t *testing.T) {
	a := apps(t)[0]
	gke := kubeTargets()[1]
	// With a reserved address, so that the Gateway has one to change.
	chart, plain := chartOf(t, a, gke, target.Overrides{Address: "chat-ip=203.0.113.7"})
	dir := writeChart(t, chart)
	defaults := helmtest.Template(t, dir, nil, nil)
	svc := a.plan.Model.Services[0]
	var link topology.Link
	for _, s := range a.plan.Model.Services {
		if len(s.Links) > 0 {
			svc, link = s, s.Links[0]
			break
		}
	}
	var gateway string
	for i := range bundleObjects(t, plain) {
		if i.kind == "Gateway" {
			gateway = i.name
		}
	}

	t.Run("image", func(t *testing.T) {
		cs := changes(t, defaults, helmtest.Template(t, dir, []string{"services." + svc.Name + ".image=registry.example/other:2"}, nil))
		if len(cs) != 1 || cs[0].Kind != "Deployment" || len(cs[0].Fields) != 1 ||
			!strings.HasSuffix(cs[0].Fields[0].Path, ".image") || cs[0].Fields[0].To != "registry.example/other:2" {
			t.Errorf("setting %s's image changed:%s\nwant its Deployment's container image alone", svc.Name, describe(cs))
		}
	})
	t.Run("address", func(t *testing.T) {
		cs := changes(t, defaults, helmtest.Template(t, dir, nil, []string{"gateways." + gateway + `.addresses=[{"type":"NamedAddress","value":"other-ip"}]`}))
		if len(cs) != 1 || cs[0].Kind != "Gateway" || len(cs[0].Fields) == 0 {
			t.Fatalf("setting the Gateway's address changed:%s\nwant the Gateway's spec.addresses alone", describe(cs))
		}
		for _, f := range cs[0].Fields {
			if !strings.HasPrefix(f.Path, "spec.addresses") {
				t.Errorf("setting the Gateway's address changed %s", f.Path)
			}
		}
		if !strings.Contains(describe(cs), "other-ip") || strings.Contains(describe(cs), "IPAddress") {
			t.Errorf("setting the address changed:%s", describe(cs))
		}
	})
	t.Run("env", func(t *testing.T) {
		cs := changes(t, defaults, helmtest.Template(t, dir, []string{"services." + svc.Name + ".env." + link.Env + "=http://elsewhere.example"}, nil))
		var got []string
		for _, c := range cs {
			for _, f := range c.Fields {
				got = append(got, c.Kind+" "+f.Path)
			}
		}
		slices.Sort(got)
		want := []string{"ConfigMap data." + link.Env, `Deployment spec.template.metadata.annotations["synctl.dev/config-hash"]`}
		if !slices.Equal(got, want) {
			t.Errorf("setting %s's %s changed:%s\nwant %v: the ConfigMap's value and the hash that restarts the pods", svc.Name, link.Env, describe(cs), want)
		}
	})
	t.Run("namespace", func(t *testing.T) {
		cs := changes(t, defaults, helmtest.Template(t, dir, []string{"namespace=elsewhere"}, nil))
		moved := 0
		for _, c := range cs {
			switch {
			case c.Kind == "Namespace" && (c.Op == diff.OpRemoved && c.Name == a.plan.Model.Name || c.Op == diff.OpAdded && c.Name == "elsewhere"):
			case c.Op == diff.OpChanged && len(c.Fields) == 1 && c.Fields[0].Path == "metadata.namespace" && c.Fields[0].To == "elsewhere":
				moved++
			default:
				t.Errorf("setting the namespace changed %s %s: %s", c.Op, c.ID, describe([]diff.Change{c}))
			}
		}
		if moved == 0 {
			t.Errorf("setting the namespace moved no object:%s", describe(cs))
		}
	})
}

// configHash is render's config-hash annotation of a ConfigMap's data.
func configHash(data map[string]string) string {
	j, _ := json.Marshal(data)
	sum := sha256.Sum256(j)
	return hex.EncodeToString(sum[:8])
}

// TestHelmTemplatesAnyObject: a service name that is no Go identifier,
// text that looks like a template, an empty env value, a pod without
// resources and a replica count all come back as they were.
func TestHelmTemplatesAnyObject(t *testing.T) {
	data := map[string]string{"GREETING": "{{ hello }}", "EMPTY": "", "PORT": "8080"}
	manifest := `apiVersion: v1
kind: Namespace
metadata:
  name: orders
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: order-api-config
  namespace: orders
  labels: {app.kubernetes.io/name: order-api}
  annotations: {note: "{{ .Values.secret }} stays text"}
data: {GREETING: "{{ hello }}", EMPTY: "", PORT: "8080"}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: order-api
  namespace: orders
  labels: {app.kubernetes.io/name: order-api}
spec:
  replicas: 3
  selector: {matchLabels: {app: order-api}}
  template:
    metadata:
      labels: {app: order-api}
      annotations: {checksum: "` + configHash(data) + `"}
    spec:
      containers:
      - name: order-api
        image: registry.example/order-api:1.0
        envFrom: [{configMapRef: {name: order-api-config}}]
      volumes: [{name: scratch, emptyDir: {}}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: from-orders, namespace: other}
spec:
  podSelector: {}
  ingress: [{from: [{namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: orders}}}]}]
`
	b := &render.Bundle{Target: "test", App: "orders", Stdout: render.KindManifest,
		Files: []render.File{manifestFile(t, manifest)}}
	chart, err := layout.Helm(b, "synctl render --format helm")
	if err != nil {
		t.Fatal(err)
	}
	got := parseObjects(t, "helm template", helmtest.Template(t, writeChart(t, chart), nil, nil))
	sameObjects(t, "helm template", bundleObjects(t, b), got)
	var tmpl string
	for _, f := range chart.Files {
		if f.Kind == layout.KindTemplate {
			tmpl += string(f.Data)
		}
	}
	for _, want := range []string{
		`{{ index .Values "services" "order-api" "image" | quote }}`,
		`{{ index .Values "services" "order-api" "replicas" | int }}`,
		`checksum: {{ index .Values "services" "order-api" "env" | toJson | sha256sum | trunc 16 | quote }}`,
		`kubernetes.io/metadata.name: {{ .Values.namespace | quote }}`,
		`{{ "{{" }} .Values.secret }} stays text`,
	} {
		if !strings.Contains(tmpl, want) {
			t.Errorf("the templates lack %s:\n%s", want, tmpl)
		}
	}
	// The override reaches the object the value names, nothing else.
	cs := changes(t, helmtest.Template(t, writeChart(t, chart), nil, nil), helmtest.Template(t, writeChart(t, chart), []string{"services.order-api.replicas=5"}, nil))
	if len(cs) != 1 || len(cs[0].Fields) != 1 || cs[0].Fields[0].Path != "spec.replicas" || fmt.Sprint(cs[0].Fields[0].To) != "5" {
		t.Errorf("--set services.order-api.replicas=5 changed:%s", describe(cs))
	}
}

// TestHelmRefuses: two objects of one service that disagree on a value.
func TestHelmRefuses(t *testing.T) {
	manifest := `apiVersion: apps/v1
kind: Deployment
metadata: {name: a, namespace: ns, labels: {app.kubernetes.io/name: svc}}
spec: {template: {spec: {containers: [{name: c, image: one:1}]}}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: b, namespace: ns, labels: {app.kubernetes.io/name: svc}}
spec: {template: {spec: {containers: [{name: c, image: two:1}]}}}
`
	b := &render.Bundle{Target: "test", App: "app", Stdout: render.KindManifest,
		Files: []render.File{manifestFile(t, manifest)}}
	_, err := layout.Helm(b, "synctl render --format helm")
	want := "test chart, Deployment ns/b: value services.svc.image would be two:1 for Deployment ns/b spec.template.spec.containers[0].image but one:1 for Deployment ns/a spec.template.spec.containers[0].image"
	if err == nil || err.Error() != want {
		t.Errorf("error %v\nwant %s", err, want)
	}
	b.Stdout = render.KindCompose
	if _, err := layout.Helm(b, "synctl render"); err == nil || err.Error() != "target test renders no Kubernetes manifests; the helm layout takes Kubernetes targets only" {
		t.Errorf("a compose bundle: %v", err)
	}
}

// TestHelmFiles: synctl's header on every file, deterministic output, and
// the record kept out of a packaged chart.
func TestHelmFiles(t *testing.T) {
	for _, a := range apps(t) {
		for _, tg := range kubeTargets() {
			chart, _ := chartOf(t, a, tg, target.Overrides{})
			again, _ := chartOf(t, a, tg, target.Overrides{})
			if !slices.EqualFunc(chart.Files, again.Files, func(x, y render.File) bool { return x.Path == y.Path && string(x.Data) == string(y.Data) }) {
				t.Errorf("%s/%s: two charts of the same model differ", a.name, tg.Name())
			}
			assertHeaders(t, chart)
			ch, err := loader.Load(writeChart(t, chart))
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range ch.Files {
				if f.Name == render.RecordPath {
					t.Errorf("%s/%s: the chart carries %s", a.name, tg.Name(), f.Name)
				}
			}
		}
	}
}

// TestHelmGolden keeps the built-in app's charts under
// testdata/layout/helm/<target>, for review.
func TestHelmGolden(t *testing.T) {
	for _, tg := range kubeTargets() {
		chart, _ := chartOf(t, apps(t)[0], tg, target.Overrides{})
		assertGoldens(t, "../../testdata/layout/helm/"+tg.Name(), chart.Files)
	}
}

// manifestFile is a hand-written manifest as render.Manifests makes one:
// its YAML, and its objects (unstructured, as a kind render does not know
// would be).
func manifestFile(t testing.TB, manifest string) render.File {
	t.Helper()
	f := render.File{Path: "objects.yaml", Data: []byte(manifest), Mode: 0o644, Kind: render.KindManifest}
	for _, doc := range strings.Split(manifest, "\n---\n") {
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
			t.Fatal(err)
		}
		f.Objects = append(f.Objects, &unstructured.Unstructured{Object: obj})
	}
	return f
}

// TestHelmValuesReachTheirObjects: every chart offers only values its
// templates use, and setting one changes the object: an Ingress chart's
// host (its values.yaml speaks of no HTTPRoute), and a key added to the env
// of a service whose spec sets none (its ConfigMap gains the key, and the
// pods' config hash changes).
func TestHelmValuesReachTheirObjects(t *testing.T) {
	shop := apps(t)[1]
	ingress, _ := target.Lookup("ingress")
	minikube, _ := target.Lookup("minikube")

	chart, _ := chartOf(t, shop, ingress, target.Overrides{})
	dir := writeChart(t, chart)
	values, err := os.ReadFile(filepath.Join(dir, layout.ValuesFile))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(values, []byte("HTTPRoute")) || !bytes.Contains(values, []byte("host: the host its Ingress rules match")) {
		t.Errorf("the ingress chart's values.yaml describes values it does not have:\n%s", values)
	}
	cs := changes(t, helmtest.Template(t, dir, nil, nil), helmtest.Template(t, dir, []string{"services.storefront.host=shop.example.test"}, nil))
	if len(cs) != 1 || cs[0].Kind != "Ingress" || len(cs[0].Fields) != 1 || cs[0].Fields[0].Path != "spec.rules[matches=*].host" || fmt.Sprint(cs[0].Fields[0].To) != "shop.example.test" {
		t.Errorf("--set services.storefront.host changed:%s", describe(cs))
	}

	chart, plain := chartOf(t, shop, minikube, target.Overrides{})
	if !slices.ContainsFunc(plain.Files, func(f render.File) bool {
		return f.Path == "pricing-configmap.yaml" && !bytes.Contains(f.Data, []byte("\ndata:"))
	}) {
		t.Fatal("the test needs a service whose ConfigMap has no data (shop's pricing)")
	}
	dir = writeChart(t, chart)
	cs = changes(t, helmtest.Template(t, dir, nil, nil), helmtest.Template(t, dir, []string{"services.pricing.env.PRICING_CURRENCY=EUR", "services.cart.env.CART_TTL=30"}, nil))
	var got []string
	for _, c := range cs {
		for _, f := range c.Fields {
			got = append(got, c.ID+" "+f.Path+"="+fmt.Sprint(f.To))
		}
	}
	want := []string{
		"ConfigMap shop/shop-cart-configmap data.CART_TTL=30",
		"ConfigMap shop/shop-pricing-configmap data=map[PRICING_CURRENCY:EUR]",
		`Deployment shop/shop-cart spec.template.metadata.annotations["synctl.dev/config-hash"]=`,
		`Deployment shop/shop-pricing spec.template.metadata.annotations["synctl.dev/config-hash"]=`,
	}
	slices.Sort(got)
	if len(got) != len(want) {
		t.Fatalf("setting env changed:%s", describe(cs))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("setting env: got %s, want %s...", got[i], want[i])
		}
	}
}
