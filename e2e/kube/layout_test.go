package kube

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synctl/synctl/internal/bundletest"
	"github.com/synctl/synctl/internal/helmtest"
	"github.com/synctl/synctl/internal/kubetest"
	"github.com/synctl/synctl/pkg/layout"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
)

// TestBundleOnItsCluster gives each app's bundle of each Kubernetes target
// a fresh control plane of its own and takes it through four steps, one
// after the other, on that one cluster (a control plane takes seconds to
// start, the checks milliseconds):
//
//  1. readme: the README's kubectl commands bring the bundle up from
//     nothing (readmeCommands); the bundle must bring a Namespace for
//     every namespace it uses.
//  2. fixed-point: applied again, the bundle changes nothing (fixedPoint).
//  3. pod-security: a Pod made from every pod template is admitted under
//     the namespace's `restricted` level (podsAdmitted).
//  4. kustomize-and-helm: the app's Kustomize overlay for the target
//     (`kubectl apply --server-side -k overlays/<target>`, as the layout's
//     README says) and then the target's Helm chart (`helm template |
//     kubectl apply --server-side -f -`, with Helm's own engine and the
//     chart's default values) are applied onto those objects with the same
//     field manager, and after each the server must hold exactly the
//     objects of the plain render: as many applied, every one found, and
//     `kubectl diff` of the plain bundle against the server empty. Applying
//     onto the README's objects loses nothing: a field the plain bundle set
//     and a layout does not would be removed (the manager is the same) and
//     show in the diff, and an object a layout lacks or adds changes the
//     count.
func TestBundleOnItsCluster(t *testing.T) {
	for _, app := range bundletest.Apps(t) {
		var tgs []target.Target
		var bundles []*render.Bundle
		for _, name := range kubeTargets() {
			tgs = append(tgs, bundletest.Target(t, name))
			bundles = append(bundles, app.Render(t, name, target.Overrides{}))
		}
		inv := target.Invocation{Spec: app.Path}
		k, err := layout.Kustomize(bundles, layout.Command(inv, layout.FormatKustomize, tgs...))
		if err != nil {
			t.Fatal(err)
		}
		kdir := writeLayout(t, render.Placement{Bundle: k})
		for i, tg := range tgs {
			plainDir := bundletest.Write(t, bundles[i])
			want := bundleObjects(t, plainDir)
			chart, err := layout.Helm(bundles[i], layout.Command(inv, layout.FormatHelm, tg))
			if err != nil {
				t.Fatal(err)
			}
			chartDir := filepath.Join(writeLayout(t, render.Placement{Dir: tg.Name(), Bundle: chart}), tg.Name())

			t.Run(app.Name+"/"+tg.Name(), func(t *testing.T) {
				t.Parallel()
				c := freshCluster(t)
				requireNamespaces(t, tg.Name(), want)
				if !t.Run("readme", func(t *testing.T) { readmeCommands(t, c, plainDir) }) {
					return // the steps below start from the README's objects
				}
				t.Run("fixed-point", func(t *testing.T) { fixedPoint(t, c, plainDir, want) })
				t.Run("pod-security", func(t *testing.T) { podsAdmitted(t, c, plainDir) })
				t.Run("kustomize-and-helm", func(t *testing.T) {
					overlay := filepath.Join(kdir, layout.OverlaysDir, tg.Name())
					out := c.MustKubectl(t, "apply", "--server-side", fieldManager, "-k", overlay)
					sameAsPlain(t, c, "kubectl apply -k "+overlay, out, plainDir, want)

					// The chart goes onto the same objects, with the same
					// field manager: a field the overlay set and the chart
					// does not would be removed, an object the chart adds
					// counted, and either shows in the checks against the
					// plain bundle.
					stream := helmtest.Template(t, chartDir, nil, nil)
					out, errOut, err := c.KubectlStdin(t, stream, "apply", "--server-side", fieldManager, "-f", "-")
					if err != nil {
						t.Fatalf("helm template %s | kubectl apply --server-side -f -: %v\n%s%s", chartDir, err, out, errOut)
					}
					sameAsPlain(t, c, "helm template | kubectl apply", out, plainDir, want)
				})
			})
		}
	}
}

// writeLayout writes a layout as `synctl render --format ... --out DIR`
// does and returns DIR.
func writeLayout(t *testing.T, p render.Placement) string {
	t.Helper()
	dir := t.TempDir()
	if _, err := render.Write(context.Background(), dir, []render.Placement{p}, render.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// sameAsPlain checks that what applied (kubectl's output out) created the
// plain bundle's objects and nothing else: as many as it has, each one on
// the server, and no difference `kubectl diff` can find.
func sameAsPlain(t *testing.T, c *kubetest.Cluster, what, out, plainDir string, want []objectID) {
	t.Helper()
	// A layout carries the Secret as a reference only: it is applied from
	// the plain bundle's file, as its README says.
	keys := applySecrets(t, c, plainDir)
	if n := strings.Count(out, "serverside-applied"); n != len(want)-keys {
		t.Errorf("%s applied %d objects, the plain render has %d besides %d in %s:\n%s", what, n, len(want)-keys, keys, render.SecretsFile, out)
	}
	serverState(t, c, plainDir, want)
	diffEmpty(t, c, plainDir)
}
