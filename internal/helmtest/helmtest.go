// Package helmtest renders charts the way `helm template` does, with Helm's
// own chart loader and template engine. Only tests import it: synctl does
// not link Helm.
package helmtest

import (
	"maps"
	"slices"
	"testing"

	"helm.sh/helm/v3/pkg/chart/loader"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/strvals"
)

// Template renders the chart in dir as `helm template release DIR` does,
// in strict mode (a template that names a missing value fails), with
// --set and --set-json style overrides, and returns one YAML stream of
// the rendered templates in file name order.
func Template(t testing.TB, dir string, set, setJSON []string) []byte {
	t.Helper()
	ch, err := loader.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	vals := map[string]any{}
	for _, s := range set {
		if err := strvals.ParseInto(s, vals); err != nil {
			t.Fatalf("--set %s: %v", s, err)
		}
	}
	for _, s := range setJSON {
		if err := strvals.ParseJSON(s, vals); err != nil {
			t.Fatalf("--set-json %s: %v", s, err)
		}
	}
	rv, err := chartutil.ToRenderValues(ch, vals, chartutil.ReleaseOptions{Name: "release", Namespace: "default", IsInstall: true}, chartutil.DefaultCapabilities)
	if err != nil {
		t.Fatal(err)
	}
	out, err := engine.Engine{Strict: true}.Render(ch, rv)
	if err != nil {
		t.Fatalf("helm template %s: %v", dir, err)
	}
	var stream []byte
	for _, name := range slices.Sorted(maps.Keys(out)) {
		stream = append(append(stream, "\n---\n"...), out[name]...)
	}
	return stream
}
