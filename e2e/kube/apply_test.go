package kube

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"iter"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/synctl/synctl/internal/bundletest"
	"github.com/synctl/synctl/internal/kubetest"
	"github.com/synctl/synctl/pkg/gkeapi"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
)

// kubeTargets are the targets whose bundles are Kubernetes manifests.
func kubeTargets() []string {
	var names []string
	for _, t := range target.All() {
		if t.Stdout() == render.KindManifest {
			names = append(names, t.Name())
		}
	}
	return names
}

// fieldManager is the manager name the bundles' READMEs tell users to
// apply with; the idempotence checks only hold for one manager.
const fieldManager = "--field-manager=synctl"

// seed is what every test cluster starts from: an empty control plane with
// the CRDs the bundles need — the Gateway API's standard channel at go.mod's
// version, and the HealthCheckPolicy CRD generated from pkg/gkeapi —
// installed once per test binary instead of once per test.
var seed = kubetest.NewSeed(func(t testing.TB, c *kubetest.Cluster) {
	c.InstallGatewayAPI(t)
	c.InstallCRDYAML(t, gkeapi.CRD())
})

func TestMain(m *testing.M) {
	code := m.Run()
	if err := seed.Remove(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e/kube:", err)
	}
	os.Exit(code)
}

// freshCluster starts a control plane of t's own, with the CRDs installed
// and nothing else stored.
func freshCluster(t *testing.T) *kubetest.Cluster {
	t.Helper()
	return seed.Start(t)
}

// TestServerSideApply applies every app's bundle of every Kubernetes target,
// rendered with --namespace other, to a fresh control plane: fresh, because
// whether a bundle brings everything it needs (namespaces first) is the
// point, and the bundles share cluster-scoped names. The first apply is
// what `synctl render` prints without --out, piped to `kubectl apply -f -`;
// the directory's applies that follow must find nothing to change
// (fixedPoint). The bundles in the spec's namespace go the same way in
// TestBundleOnItsCluster, their first apply the README's.
func TestServerSideApply(t *testing.T) {
	const ns = "other"
	for _, app := range bundletest.Apps(t) {
		for _, tg := range kubeTargets() {
			t.Run(app.Name+"/"+tg+"/namespace-"+ns, func(t *testing.T) {
				t.Parallel()
				b := app.Render(t, tg, target.Overrides{Namespace: ns})
				dir := bundletest.Write(t, b)
				want := bundleObjects(t, dir)
				c := freshCluster(t)
				requireNamespaces(t, tg, want)

				start := time.Now()
				out, errOut, err := c.KubectlStdin(t, bundletest.Stream(t, b), "apply", "--server-side", fieldManager, "-f", "-")
				if err != nil {
					t.Fatalf("synctl render --target %s --namespace %s | kubectl apply --server-side -f -: %v\n%s%s", tg, ns, err, out, errOut)
				}
				// The stream leaves the bundle's Secret out (its README
				// says so); it is applied from its file, as the README
				// says to do before the pods start.
				keys := applySecrets(t, c, dir)
				if n := strings.Count(out, "serverside-applied"); n != len(want)-keys {
					t.Errorf("the stream applied %d objects, the bundle directory has %d and %d in %s:\n%s", n, len(want)-keys, keys, render.SecretsFile, out)
				}
				t.Logf("kubectl apply --server-side of %d objects: %s\n%s", len(want), time.Since(start).Round(time.Millisecond), out)
				fixedPoint(t, c, dir, want)
			})
		}
	}
}

// fixedPoint applies the bundle in dir to c, where it is applied already,
// twice more: the second apply must change nothing, and the third not even
// a resourceVersion. The API server still rewrites, once, objects whose
// defaults it fills in on read but did not store on create (see
// TestServerRewritesReadDefaultsOnce): for those the resourceVersion moves
// on the second apply while the object stays the same, so the strict
// resourceVersion check is on the third. Then `kubectl diff` must be empty.
func fixedPoint(t *testing.T, c *kubetest.Cluster, dir string, want []objectID) {
	t.Helper()
	first := serverState(t, c, dir, want)
	c.MustKubectl(t, "apply", "--server-side", fieldManager, "-f", dir)
	second := serverState(t, c, dir, want)
	var rewritten []string
	for _, id := range slices.Sorted(maps.Keys(first)) {
		if first[id].body != second[id].body {
			t.Errorf("%s changed on the second apply of the same bundle; a bundle must apply to a fixed point.\nafter the first:  %s\nafter the second: %s", id, first[id].body, second[id].body)
		} else if first[id].rv != second[id].rv {
			rewritten = append(rewritten, id)
		}
	}
	if len(rewritten) > 0 {
		t.Logf("second apply: the server rewrote %s once (read defaults stored; the objects are unchanged)", strings.Join(rewritten, ", "))
	}
	c.MustKubectl(t, "apply", "--server-side", fieldManager, "-f", dir)
	third := serverState(t, c, dir, want)
	for _, id := range slices.Sorted(maps.Keys(second)) {
		if second[id].rv != third[id].rv {
			t.Errorf("%s: resourceVersion %s became %s on the third apply of the same bundle; the server-side apply never reaches a fixed point", id, second[id].rv, third[id].rv)
		}
	}
	diffEmpty(t, c, dir)
}

// objectID names one object as `kind namespace/name`.
type objectID struct {
	APIVersion, Kind, Namespace, Name string
}

func (o objectID) String() string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// bundleObjects lists the objects in the bundle's manifests, as written.
// applySecrets applies the bundle's key material (render.SecretsFile, the
// Secret a stream or a layout leaves out) from dir, if it has any, and
// returns how many objects it holds.
func applySecrets(t *testing.T, c *kubetest.Cluster, dir string) int {
	t.Helper()
	f := filepath.Join(dir, render.SecretsFile)
	if _, err := os.Stat(f); err != nil {
		return 0
	}
	out := c.MustKubectl(t, "apply", "--server-side", fieldManager, "-f", f)
	return strings.Count(out, "serverside-applied")
}

func bundleObjects(t *testing.T, dir string) []objectID {
	t.Helper()
	var ids []objectID
	for f, docs := range bundleDocs(t, dir) {
		for _, doc := range docs {
			var o struct {
				APIVersion string `json:"apiVersion"`
				Kind       string `json:"kind"`
				Metadata   struct {
					Name, Namespace string
				} `json:"metadata"`
			}
			if err := yaml.Unmarshal(doc, &o); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind == "" {
				continue
			}
			ids = append(ids, objectID{o.APIVersion, o.Kind, o.Metadata.Namespace, o.Metadata.Name})
		}
	}
	if len(ids) == 0 {
		t.Fatalf("no Kubernetes objects in %s", dir)
	}
	return ids
}

// bundleDocs reads the YAML documents of every manifest in the bundle
// directory dir, by file.
func bundleDocs(t *testing.T, dir string) iter.Seq2[string, [][]byte] {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return func(yield func(string, [][]byte) bool) {
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if !yield(f, yamlDocs(t, data)) {
				return
			}
		}
	}
}

func yamlDocs(t *testing.T, data []byte) [][]byte {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var docs [][]byte
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatal(err)
		}
		if len(bytes.TrimSpace(doc)) > 0 {
			docs = append(docs, doc)
		}
	}
}

// requireNamespaces fails t when the bundle puts objects in a namespace it
// does not create itself: `kubectl apply -f DIR` on a fresh cluster would
// then fail with namespaces not found.
func requireNamespaces(t *testing.T, target string, objs []objectID) {
	t.Helper()
	has := map[string]bool{}
	for _, o := range objs {
		if o.Kind == "Namespace" {
			has[o.Name] = true
		}
	}
	var missing []string
	for _, o := range objs {
		if o.Namespace == "" && o.Kind != "Namespace" && o.Kind != "GatewayClass" && o.Kind != "IngressClass" {
			t.Errorf("%s has no namespace: it would land in whatever namespace kubectl's context names", o)
		}
		if o.Namespace != "" && !has[o.Namespace] {
			missing = append(missing, o.Namespace)
			has[o.Namespace] = true
		}
	}
	if len(missing) > 0 {
		t.Fatalf("the %s bundle puts objects in namespace(s) %s but creates no Namespace for them: `kubectl apply -f DIR` on a fresh cluster fails with namespaces not found", target, strings.Join(missing, ", "))
	}
}

// served is one object as the server returns it.
type served struct {
	rv   string // metadata.resourceVersion
	body string // the whole object as JSON, without resourceVersion
}

// serverState reads every object of the bundle back from the server,
// failing t if one of want is missing.
func serverState(t *testing.T, c *kubetest.Cluster, dir string, want []objectID) map[string]served {
	t.Helper()
	out := c.MustKubectl(t, "get", "-f", dir, "-o", "json")
	var list struct {
		Items []map[string]any `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("kubectl get -f %s -o json: %v", dir, err)
	}
	got := map[string]served{}
	for _, it := range list.Items {
		meta, _ := it["metadata"].(map[string]any)
		str := func(m map[string]any, k string) string { v, _ := m[k].(string); return v }
		id := objectID{str(it, "apiVersion"), str(it, "kind"), str(meta, "namespace"), str(meta, "name")}
		rv := str(meta, "resourceVersion")
		if rv == "" {
			t.Errorf("%s has no resourceVersion on the server", id)
		}
		delete(meta, "resourceVersion")
		body, err := json.Marshal(it) // map keys come out sorted
		if err != nil {
			t.Fatal(err)
		}
		got[id.String()] = served{rv: rv, body: string(body)}
	}
	for _, w := range want {
		id := w
		if id.Namespace == "" && id.Kind != "Namespace" && id.Kind != "GatewayClass" {
			// kubectl puts objects without a namespace into its
			// context's namespace, "default".
			id.Namespace = "default"
		}
		if _, ok := got[id.String()]; !ok {
			t.Errorf("%s is in the bundle but not on the server (server has: %s)", id, strings.Join(slices.Sorted(maps.Keys(got)), ", "))
		}
	}
	return got
}

// diffEmpty asserts that `kubectl diff --server-side` finds nothing to
// change: exit 0 and no output.
func diffEmpty(t *testing.T, c *kubetest.Cluster, dir string) {
	t.Helper()
	out, errOut, err := c.Kubectl(t, "diff", "--server-side", fieldManager, "-f", dir)
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit) && exit.ExitCode() == 1:
		t.Errorf("kubectl diff --server-side after apply found differences; a bundle must apply to a fixed point:\n%s%s", out, errOut)
	case err != nil:
		t.Errorf("kubectl diff --server-side: %v\n%s%s", err, out, errOut)
	case out != "":
		t.Errorf("kubectl diff exited 0 but printed:\n%s", out)
	}
}

// mustReplace replaces old in s exactly once, so that a hand-broken
// manifest fails loudly when the bundle it starts from changes shape.
func mustReplace(t *testing.T, s, old, new string) string {
	t.Helper()
	if n := strings.Count(s, old); n != 1 {
		t.Fatalf("breaking the manifest: %q occurs %d times, want once in:\n%s", old, n, s)
	}
	return strings.Replace(s, old, new, 1)
}

func readFile(t *testing.T, dir, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// TestServerRejectsBrokenManifests takes objects of the built-in app's gke
// bundle, breaks each in one way, and checks that the server refuses it with
// the message of the rule that was broken, and stores nothing. It shows the
// cluster really validates: the same apply succeeds in TestServerSideApply.
func TestServerRejectsBrokenManifests(t *testing.T) {
	dir := bundletest.Write(t, bundletest.Default(t, "gke"))
	c := freshCluster(t)
	c.MustKubectl(t, "apply", "--server-side", fieldManager, "-f", filepath.Join(dir, "00-namespaces.yaml"))

	for _, tt := range []struct {
		name, file   string
		breakIt      func(t *testing.T, s string) string
		kind, object string
		want         []string
	}{{
		// URLRewrite with ReplacePrefixMatch only makes sense for a prefix
		// match; the Gateway API's CEL rule says so.
		name: "HTTPRoute rewrite without PathPrefix match",
		file: "api-httproute.yaml",
		breakIt: func(t *testing.T, s string) string {
			return mustReplace(t, s, "type: PathPrefix", "type: Exact")
		},
		kind: "httproute", object: "api-httproute",
		want: []string{"When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"},
	}, {
		name: "Deployment selector does not match its pod labels",
		file: "web-deployment.yaml",
		breakIt: func(t *testing.T, s string) string {
			return mustReplace(t, s, "  selector:\n    matchLabels:\n      app: synergychat-web\n", "  selector:\n    matchLabels:\n      app: synergychat-webb\n")
		},
		kind: "deployment", object: "synergychat-web",
		want: []string{"spec.template.metadata.labels", "`selector` does not match template `labels`"},
	}, {
		// The HealthCheckPolicy CRD from pkg/gkeapi carries GKE's limits.
		name: "HealthCheckPolicy interval out of range and timeout over interval",
		file: "web-healthcheckpolicy.yaml",
		breakIt: func(t *testing.T, s string) string {
			s = mustReplace(t, s, "checkIntervalSec: 10", "checkIntervalSec: 301")
			return mustReplace(t, s, "timeoutSec: 5", "timeoutSec: 302")
		},
		kind: "healthcheckpolicy", object: "web-healthcheckpolicy",
		want: []string{
			"spec.default.checkIntervalSec: Invalid value: 301: spec.default.checkIntervalSec in body should be less than or equal to 300",
			"timeoutSec must not be greater than checkIntervalSec",
		},
	}, {
		name: "HealthCheckPolicy config block does not match its type",
		file: "web-healthcheckpolicy.yaml",
		breakIt: func(t *testing.T, s string) string {
			return mustReplace(t, s, "type: HTTP\n", "type: HTTPS\n")
		},
		kind: "healthcheckpolicy", object: "web-healthcheckpolicy",
		want: []string{"httpHealthCheck must be set when type is HTTP, and only then", "httpsHealthCheck must be set when type is HTTPS, and only then"},
	}} {
		t.Run(tt.name, func(t *testing.T) {
			broken := tt.breakIt(t, readFile(t, dir, tt.file))
			out, errOut, err := c.KubectlStdin(t, []byte(broken), "apply", "--server-side", fieldManager, "-f", "-")
			if err == nil {
				t.Fatalf("the server accepted the broken %s:\n%s\nmanifest:\n%s", tt.file, out, broken)
			}
			// The verbatim answer, for anyone who wants to quote the server.
			t.Logf("server's answer to the broken %s:\n%s", tt.file, errOut)
			for _, w := range tt.want {
				if !strings.Contains(errOut, w) {
					t.Errorf("the server's rejection does not say %q", w)
				}
			}
			if _, _, err := c.Kubectl(t, "get", "-n", "synergychat", tt.kind, tt.object); err == nil {
				t.Errorf("%s %s exists after the rejected apply", tt.kind, tt.object)
			}
		})
	}
}

// TestServerRewritesReadDefaultsOnce pins down the server behaviour that
// TestServerSideApply tolerates on the second apply, with hand-written
// minimal objects rather than synctl's: a PersistentVolumeClaim (status.phase
// "Pending" is defaulted on read, not stored on create) and a GatewayClass
// (its CRD's status default likewise) get a new resourceVersion on the first
// re-apply of an identical manifest, then keep it. Should a kube-apiserver
// release stop doing so, this fails, and the second-apply check in
// TestServerSideApply should become a strict resourceVersion comparison.
func TestServerRewritesReadDefaultsOnce(t *testing.T) {
	c := freshCluster(t)
	dir := t.TempDir()
	manifest := filepath.Join(dir, "minimal.yaml")
	if err := os.WriteFile(manifest, []byte(`apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: claim, namespace: default}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: {name: example}
spec: {controllerName: example.com/gateway-controller}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: control, namespace: default}
data: {key: value}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	want := bundleObjects(t, dir)
	var states []map[string]served
	for range 3 {
		c.MustKubectl(t, "apply", "--server-side", fieldManager, "-f", manifest)
		states = append(states, serverState(t, c, manifest, want))
	}
	for id, first := range states[0] {
		second, third := states[1][id], states[2][id]
		if first.body != second.body || second.rv != third.rv {
			t.Errorf("%s: the re-applies changed it (rv %s, %s, %s); the server no longer behaves as TestServerSideApply assumes", id, first.rv, second.rv, third.rv)
		}
		rewrites := first.rv != second.rv
		if wantRewrite := !strings.HasPrefix(id, "ConfigMap"); rewrites != wantRewrite {
			t.Errorf("%s: first re-apply rewrote it: %v, want %v (rv %s then %s); if the server stopped rewriting, make TestServerSideApply compare resourceVersions strictly on the second apply", id, rewrites, wantRewrite, first.rv, second.rv)
		}
	}
}
