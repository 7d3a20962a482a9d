package layout_test

import (
	"bytes"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/synctl/synctl/pkg/diff"
	"github.com/synctl/synctl/pkg/layout"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
)

// kustomize lays out the app's bundles of tgs, each rendered with ov.
func kustomize(t testing.TB, a app, ov target.Overrides, tgs ...target.Target) (*render.Bundle, []*render.Bundle) {
	t.Helper()
	var bundles []*render.Bundle
	for _, tg := range tgs {
		bundles = append(bundles, a.render(t, tg, ov))
	}
	k, err := layout.Kustomize(bundles, layout.Command(target.Invocation{Spec: a.spec, Overrides: ov}, layout.FormatKustomize, tgs...))
	if err != nil {
		t.Fatal(err)
	}
	return k, bundles
}

// kubectl is the kubectl whose built-in Kustomize builds the overlays.
func kubectl(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kubectl")
	if err == nil {
		return p
	}
	msg := "kubectl not found: the Kustomize tests build each overlay with `kubectl kustomize` (Kustomize is built in); install kubectl (e.g. apt-get install kubectl from the Kubernetes apt repository, or https://dl.k8s.io/release/v1.32.4/bin/linux/amd64/kubectl into PATH)"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func build(t *testing.T, kubectl, dir string) []byte {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), kubectl, "kustomize", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("kubectl kustomize %s: %v\n%s", dir, err, stderr.Bytes())
	}
	return out
}

// TestKustomizeBuildsEachTarget builds every overlay with real Kustomize
// and compares the objects with the target's plain render, for every app,
// for both Kubernetes targets together, each alone, and three "targets"
// (the third is gke with a reserved address, so that the base is what all
// three share and some objects are in two overlays of three).
func TestKustomizeBuildsEachTarget(t *testing.T) {
	kc := kubectl(t)
	kube := kubeTargets()
	sets := [][]target.Target{kube, {kube[1], kube[0]}}
	for _, k := range kube {
		sets = append(sets, []target.Target{k})
	}
	for _, a := range apps(t) {
		for _, tgs := range sets {
			var names []string
			for _, tg := range tgs {
				names = append(names, tg.Name())
			}
			t.Run(a.name+"/"+strings.Join(names, ","), func(t *testing.T) {
				k, bundles := kustomize(t, a, target.Overrides{}, tgs...)
				dir := filepath.Join(t.TempDir(), "k8s")
				write(t, dir, render.Placement{Bundle: k})
				for _, b := range bundles {
					got := parseObjects(t, "overlay "+b.Target, build(t, kc, filepath.Join(dir, layout.OverlaysDir, b.Target)))
					sameObjects(t, "overlays/"+b.Target, bundleObjects(t, b), got)
				}
			})
		}
	}
	t.Run("three", func(t *testing.T) {
		a := apps(t)[0]
		gke, err := target.Lookup("gke")
		if err != nil {
			t.Fatal(err)
		}
		bundles := []*render.Bundle{a.render(t, kube[0], target.Overrides{}), a.render(t, gke, target.Overrides{})}
		reserved := a.render(t, gke, target.Overrides{Address: "chat-ip=203.0.113.7"})
		reserved.Target = "gke-reserved"
		bundles = append(bundles, reserved)
		k, err := layout.Kustomize(bundles, "synctl render")
		if err != nil {
			t.Fatal(err)
		}
		o := overlayOf(t, k, "gke-reserved")
		if len(o.added) == 0 || len(o.patched) == 0 {
			t.Errorf("gke-reserved overlay adds %v and patches %v; want both", o.added, o.patched)
		}
		dir := filepath.Join(t.TempDir(), "k8s")
		write(t, dir, render.Placement{Bundle: k})
		for _, b := range bundles {
			got := parseObjects(t, "overlay "+b.Target, build(t, kc, filepath.Join(dir, layout.OverlaysDir, b.Target)))
			sameObjects(t, "overlays/"+b.Target, bundleObjects(t, b), got)
		}
	})
}

// overlay is what an overlay's kustomization.yaml adds and patches.
type overlay struct {
	added, patched []id
	// namespace is the one the overlay sets on the base, if any.
	namespace string
}

// overlayOf reads the overlay of tg from the layout's files: the objects
// of the resources it lists beside the base, and of its patches.
func overlayOf(t testing.TB, k *render.Bundle, tg string) overlay {
	t.Helper()
	dir := path.Join(layout.OverlaysDir, tg)
	files := map[string][]byte{}
	for _, f := range k.Files {
		files[f.Path] = f.Data
	}
	var kz struct {
		Resources []string
		Patches   []struct{ Path string }
	}
	if err := yaml.Unmarshal(files[path.Join(dir, layout.KustomizationFile)], &kz); err != nil {
		t.Fatal(err)
	}
	var o overlay
	for _, r := range kz.Resources {
		if r == "../../"+layout.BaseDir {
			continue
		}
		if app, ok := files[path.Join(dir, r, layout.KustomizationFile)]; ok {
			// The base, in the target's namespace.
			var akz struct{ Namespace string }
			if err := yaml.Unmarshal(app, &akz); err != nil {
				t.Fatal(err)
			}
			o.namespace = akz.Namespace
			continue
		}
		data, ok := files[path.Join(dir, r)]
		if !ok {
			t.Fatalf("%s lists %s, which the layout lacks", dir, r)
		}
		for k := range parseObjects(t, r, data) {
			o.added = append(o.added, k)
		}
	}
	for _, p := range kz.Patches {
		data, ok := files[path.Join(dir, p.Path)]
		if !ok {
			t.Fatalf("%s patches with %s, which the layout lacks", dir, p.Path)
		}
		for k := range parseObjects(t, p.Path, data) {
			o.patched = append(o.patched, k)
		}
	}
	return o
}

// key is an object's identity as `synctl diff` matches it: group, not
// version.
func key(i id) string {
	g, _, found := strings.Cut(i.apiVersion, "/")
	if !found {
		g = ""
	}
	return g + "/" + i.kind + "/" + i.namespace + "/" + i.name
}

func changeKey(c diff.Change) string {
	return c.Group + "/" + c.Kind + "/" + c.Namespace + "/" + c.Name
}

func keys(ids []id) []string {
	var out []string
	for _, i := range ids {
		out = append(out, key(i))
	}
	slices.Sort(out)
	return out
}

func sorted(s []string) []string {
	slices.Sort(s)
	return slices.Compact(s)
}

// TestKustomizeIsWhatDiffReports holds the layout to `synctl diff --from
// A --to B`: A's overlay adds exactly the objects diff reports removed
// (or moved to another namespace, from A's side), B's those it reports
// added (or moved, from B's side), and the two overlays patch exactly the
// objects it reports changed in place; everything else is in the base.
func TestKustomizeIsWhatDiffReports(t *testing.T) {
	kube := kubeTargets()
	for _, a := range apps(t) {
		t.Run(a.name, func(t *testing.T) {
			k, bundles := kustomize(t, a, target.Overrides{}, kube[:2]...) // a diff compares two
			from, to := bundles[0], bundles[1]
			res, err := diff.Compare(diff.BundleSide(from), diff.BundleSide(to))
			if err != nil {
				t.Fatal(err)
			}
			fromObjs := bundleObjects(t, from)
			of, ot := overlayOf(t, k, from.Target), overlayOf(t, k, to.Target)
			// Where the targets put the app in namespaces of their own, the
			// layout shares the app's objects across them: keys leave those
			// namespaces out, and a move between them is no change.
			nsFree := func(k string) string {
				if of.namespace == "" {
					return k
				}
				parts := strings.SplitN(k, "/", 4)
				if parts[2] == of.namespace || parts[2] == ot.namespace {
					parts[2] = ""
				}
				return strings.Join(parts, "/")
			}
			var removed, added, changed []string
			for _, c := range res.Changes {
				if c.Type != diff.TypeKubernetes {
					continue
				}
				switch {
				case c.Op == diff.OpRemoved:
					removed = append(removed, nsFree(changeKey(c)))
				case c.Op == diff.OpAdded:
					added = append(added, nsFree(changeKey(c)))
				case c.Op == diff.OpChanged && movedFrom(fromObjs, c) != "" && nsFree(movedFrom(fromObjs, c)) == nsFree(changeKey(c)):
					// Moved from one app namespace to the other: the same
					// object to the layout, patched where more than its
					// namespace changed.
					if slices.ContainsFunc(c.Fields, func(f diff.Field) bool { return f.Path != "metadata.namespace" }) {
						changed = append(changed, nsFree(changeKey(c)))
					}
				case c.Op == diff.OpChanged && movedFrom(fromObjs, c) != "":
					// Matched by group, kind and name across namespaces:
					// two objects to Kustomize.
					removed = append(removed, nsFree(movedFrom(fromObjs, c)))
					added = append(added, nsFree(changeKey(c)))
				default:
					changed = append(changed, nsFree(changeKey(c)))
				}
			}
			if a.name == "builtin" && (len(removed) == 0 || len(added) == 0 || len(changed) == 0) {
				t.Fatalf("diff %s -> %s: removed %v, added %v, changed %v; the test needs some of each", from.Target, to.Target, removed, added, changed)
			}
			keys := func(ids []id) []string {
				var out []string
				for _, k := range keys(ids) {
					out = append(out, nsFree(k))
				}
				return sorted(out)
			}
			if got, want := keys(of.added), sorted(removed); !slices.Equal(got, want) {
				t.Errorf("overlays/%s adds\n  %v\ndiff reports removed\n  %v", from.Target, got, want)
			}
			if got, want := keys(ot.added), sorted(added); !slices.Equal(got, want) {
				t.Errorf("overlays/%s adds\n  %v\ndiff reports added\n  %v", to.Target, got, want)
			}
			// An object whose fields in one target are all in the other
			// needs no patch in the first; together they patch each one.
			for _, o := range []overlay{of, ot} {
				for _, p := range keys(o.patched) {
					if !slices.Contains(changed, p) {
						t.Errorf("an overlay patches %s, which diff does not report changed", p)
					}
				}
			}
			if got, want := sorted(append(keys(of.patched), keys(ot.patched)...)), sorted(changed); !slices.Equal(got, want) {
				t.Errorf("the overlays patch\n  %v\ndiff reports changed\n  %v", got, want)
			}
		})
	}
}

// movedFrom is the from-side key of a change diff matched across
// namespaces, or "" for a change in place.
func movedFrom(from map[id]map[string]any, c diff.Change) string {
	for i := range from {
		if key(i) == changeKey(c) {
			return ""
		}
	}
	for i := range from {
		g, _, _ := strings.Cut(i.apiVersion, "/")
		if !strings.Contains(i.apiVersion, "/") {
			g = ""
		}
		if g == c.Group && i.kind == c.Kind && i.name == c.Name {
			return key(i)
		}
	}
	return ""
}

// TestKustomizeFiles checks what the layout directory holds: synctl's
// header on every file, nothing Kustomize would trip over (every manifest
// and patch is listed by its directory's kustomization, every listed file
// exists), a README, one record; and that it is deterministic.
func TestKustomizeFiles(t *testing.T) {
	for _, a := range apps(t) {
		t.Run(a.name, func(t *testing.T) {
			k, _ := kustomize(t, a, target.Overrides{}, kubeTargets()...)
			again, _ := kustomize(t, a, target.Overrides{}, kubeTargets()...)
			if !slices.EqualFunc(k.Files, again.Files, func(x, y render.File) bool { return x.Path == y.Path && bytes.Equal(x.Data, y.Data) }) {
				t.Error("two layouts of the same model differ")
			}
			assertHeaders(t, k)
			listed := map[string]bool{}
			have := map[string]bool{}
			for _, f := range k.Files {
				have[f.Path] = true
			}
			for _, f := range k.Files {
				if path.Base(f.Path) != layout.KustomizationFile {
					continue
				}
				var kz struct {
					Resources []string
					Patches   []struct{ Path string }
				}
				if err := yaml.Unmarshal(f.Data, &kz); err != nil {
					t.Fatal(err)
				}
				dir := path.Dir(f.Path)
				refs := kz.Resources
				for _, p := range kz.Patches {
					refs = append(refs, p.Path)
				}
				for _, r := range refs {
					if r == "../../"+layout.BaseDir || r == "../../../"+layout.BaseDir {
						continue
					}
					p := path.Join(dir, r)
					if have[path.Join(p, layout.KustomizationFile)] {
						continue // a kustomization of its own: the base in a namespace
					}
					if !have[p] {
						t.Errorf("%s lists %s, which the layout lacks", f.Path, r)
					}
					listed[p] = true
				}
			}
			for _, f := range k.Files {
				switch {
				case f.Path == render.ReadmeFileName || f.Path == render.RecordPath || path.Base(f.Path) == layout.KustomizationFile:
				case !listed[f.Path]:
					t.Errorf("%s is in no kustomization", f.Path)
				case path.Ext(f.Path) != ".yaml":
					t.Errorf("%s: a manifest without .yaml", f.Path)
				}
			}
		})
	}
}

// TestKustomizeOneTarget: with one target, the base holds everything and
// the overlay only refers to it.
func TestKustomizeOneTarget(t *testing.T) {
	a := apps(t)[0]
	gke := kubeTargets()[1]
	k, bundles := kustomize(t, a, target.Overrides{}, gke)
	if o := overlayOf(t, k, gke.Name()); len(o.added)+len(o.patched) > 0 {
		t.Errorf("one target's overlay adds %v and patches %v; want nothing", o.added, o.patched)
	}
	var base []byte
	for _, f := range k.Files {
		if strings.HasPrefix(f.Path, layout.BaseDir+"/") && path.Base(f.Path) != layout.KustomizationFile {
			base = append(append(base, "\n---\n"...), f.Data...)
		}
	}
	sameObjects(t, "base", bundleObjects(t, bundles[0]), parseObjects(t, "base", base))
}

// TestKustomizeRewrite writes a layout over an earlier one of more
// targets: the overlay it no longer has is removed, as stale bundle files
// are, and a file synctl did not write is not overwritten.
func TestKustomizeRewrite(t *testing.T) {
	a := apps(t)[0]
	kube := kubeTargets()
	dir := filepath.Join(t.TempDir(), "k8s")
	k, _ := kustomize(t, a, target.Overrides{}, kube...)
	write(t, dir, render.Placement{Bundle: k})
	one, _ := kustomize(t, a, target.Overrides{}, kube[1])
	rep := write(t, dir, render.Placement{Bundle: one})
	gone := path.Join(layout.OverlaysDir, kube[0].Name(), layout.KustomizationFile)
	if !slices.Contains(rep.Removed, gone) {
		t.Errorf("rewriting for %s alone removed %v; want %s among them", kube[1].Name(), rep.Removed, gone)
	}
	if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(gone))); !os.IsNotExist(err) {
		t.Errorf("%s is still there: %v", gone, err)
	}
	rec, err := render.ReadRecord(dir)
	if err != nil || rec == nil || rec.Layout != render.LayoutKustomize || rec.App != k.App {
		t.Errorf("record: %+v, %v", rec, err)
	}
	mine := filepath.Join(dir, layout.BaseDir, layout.KustomizationFile)
	if err := os.WriteFile(mine, []byte("resources: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := render.Write(t.Context(), dir, []render.Placement{{Bundle: one}}, render.WriteOptions{}); err == nil || !strings.Contains(err.Error(), "refusing to overwrite") {
		t.Errorf("writing over a hand-written kustomization: %v", err)
	}
}

// TestKustomizeGolden keeps the built-in app's layout for minikube and gke
// under testdata/layout/kustomize, for review.
func TestKustomizeGolden(t *testing.T) {
	k, _ := kustomize(t, apps(t)[0], target.Overrides{}, kubeTargets()...)
	assertGoldens(t, "../../testdata/layout/kustomize", k.Files)
}

func TestKustomizeRefuses(t *testing.T) {
	a := apps(t)[0]
	docker, err := target.Lookup("docker")
	if err != nil {
		t.Fatal(err)
	}
	gke := kubeTargets()[1]
	tests := []struct {
		name    string
		bundles []*render.Bundle
		want    string
	}{
		{"none", nil, "the kustomize layout needs at least one Kubernetes target"},
		{"compose", []*render.Bundle{a.render(t, gke, target.Overrides{}), a.render(t, docker, target.Overrides{})},
			"target docker renders no Kubernetes manifests; the kustomize layout takes Kubernetes targets only"},
		{"twice", []*render.Bundle{a.render(t, gke, target.Overrides{}), a.render(t, gke, target.Overrides{})},
			"target gke is given twice; each target has one overlay"},
		{"two apps", []*render.Bundle{a.render(t, gke, target.Overrides{}), apps(t)[1].render(t, kubeTargets()[0], target.Overrides{})},
			"target gke renders app synergychat, target minikube app shop; a layout holds one app"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := layout.Kustomize(tc.bundles, "synctl render")
			if err == nil || err.Error() != tc.want {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
	if err := layout.CheckTargets(layout.FormatKustomize, []target.Target{gke, docker}); err == nil ||
		err.Error() != "--format kustomize arranges Kubernetes manifests, and docker renders none; choose among minikube, gke, ingress, e.g. --target minikube,gke,ingress" {
		t.Errorf("CheckTargets: %v", err)
	}
}

// TestKustomizePerTargetNamespaces: targets that put the app in namespaces
// of their own still share a base, which holds the app's objects without a
// namespace; each overlay sets its target's (Kustomize's namespace:), and
// builds to exactly the target's objects.
func TestKustomizePerTargetNamespaces(t *testing.T) {
	kc := kubectl(t)
	data, err := os.ReadFile("../../testdata/apps/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	spec := strings.Replace(string(data), "    minikube:\n      namespace: shop\n", "    minikube:\n      namespace: shop-dev\n", 1)
	spec = strings.Replace(spec, "    gke:\n", "    gke:\n      namespace: shop-prod\n", 1)
	if !strings.Contains(spec, "shop-dev") || !strings.Contains(spec, "shop-prod") {
		t.Fatal("testdata/apps/shop.yaml changed: the test cannot give each target a namespace")
	}
	p, err := target.Load("shop.yaml", []byte(spec), target.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	a := app{name: "shop", plan: p, spec: "shop.yaml"}
	kube := kubeTargets()
	k, bundles := kustomize(t, a, target.Overrides{}, kube...)
	var base []string
	for _, f := range k.Files {
		if strings.HasPrefix(f.Path, layout.BaseDir+"/") && f.Kind == render.KindManifest {
			base = append(base, f.Path)
			if bytes.Contains(f.Data, []byte("namespace: shop")) {
				t.Errorf("%s names a target's namespace:\n%s", f.Path, f.Data)
			}
		}
	}
	if len(base) < 5 {
		t.Errorf("the base holds %v: the targets share the app's objects whatever their namespaces", base)
	}
	dir := filepath.Join(t.TempDir(), "k8s")
	write(t, dir, render.Placement{Bundle: k})
	for _, b := range bundles {
		got := parseObjects(t, "overlay "+b.Target, build(t, kc, filepath.Join(dir, layout.OverlaysDir, b.Target)))
		sameObjects(t, "overlays/"+b.Target, bundleObjects(t, b), got)
	}
	readme, _ := os.ReadFile(filepath.Join(dir, render.ReadmeFileName))
	if !bytes.Contains(readme, []byte("The targets put the app in namespaces of their own (`shop-dev` for minikube, `shop-prod` for gke, `shop` for ingress)")) {
		t.Errorf("the README does not say how the namespaces are set:\n%s", readme)
	}
	for ns, tg := range map[string]string{"shop-dev": "minikube", "shop-prod": "gke", "shop": "ingress"} {
		kf, err := os.ReadFile(filepath.Join(dir, layout.OverlaysDir, tg, "app", layout.KustomizationFile))
		if err != nil || !bytes.Contains(kf, []byte("\nnamespace: "+ns+"\n")) {
			t.Errorf("overlays/%s/app sets no namespace %s: %v\n%s", tg, ns, err, kf)
		}
	}
}
