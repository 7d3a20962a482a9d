package layout_test

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/synctl/synctl/internal/bundletest"
	"github.com/synctl/synctl/internal/golden"
	"github.com/synctl/synctl/pkg/layout"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/textdiff"
	"github.com/synctl/synctl/pkg/topology"
)

const regen = "go test ./pkg/layout -update"

// app is an app under test and the spec path its layouts record.
type app struct {
	name string
	plan *target.Plan
	spec string
}

// apps are the built-in app and the two test apps with other names, roles
// and links.
func apps(t testing.TB) []app {
	t.Helper()
	out := []app{{name: "builtin", plan: bundletest.Plan(t)}}
	for _, name := range []string{"shop", "transit", "voting"} {
		spec := "../../testdata/apps/" + name + ".yaml"
		out = append(out, app{name: name, plan: bundletest.Load(t, spec, target.Overrides{}), spec: spec})
	}
	return out
}

// kubeTargets are the targets the layouts take, in registry order.
func kubeTargets() []target.Target {
	var out []target.Target
	for _, t := range target.All() {
		if layout.Kubernetes(t) {
			out = append(out, t)
		}
	}
	return out
}

// render renders tg's bundle of the app, with command-line values ov.
func (a app) render(t testing.TB, tg target.Target, ov target.Overrides) *render.Bundle {
	t.Helper()
	p := a.plan
	if !reflect.DeepEqual(ov, target.Overrides{}) {
		var err error
		if a.spec == "" {
			p, err = target.Load(topology.DefaultSpecName, topology.DefaultSpec(), ov)
		} else {
			p = bundletest.Load(t, a.spec, ov)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	return bundletest.Render(t, p, tg.Name(), a.spec, ov)
}

// write writes layout bundles as `synctl render --out dir` does.
func write(t testing.TB, dir string, placements ...render.Placement) *render.WriteReport {
	t.Helper()
	rep, err := render.Write(context.Background(), dir, placements, render.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// id is an object's identity, as Kustomize and Helm see it.
type id struct{ apiVersion, kind, namespace, name string }

func (i id) String() string {
	if i.namespace != "" {
		return i.kind + " " + i.namespace + "/" + i.name
	}
	return i.kind + " " + i.name
}

// parseObjects reads a YAML stream of Kubernetes objects, as kubectl reads
// them, by identity. Comment-only documents are skipped.
func parseObjects(t testing.TB, label string, data []byte) map[id]map[string]any {
	t.Helper()
	out := map[id]map[string]any{}
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		raw, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(raw, &doc); err != nil {
			t.Fatalf("%s: %v\n%s", label, err, raw)
		}
		if doc == nil {
			continue
		}
		meta, _ := doc["metadata"].(map[string]any)
		s := func(v any) string { x, _ := v.(string); return x }
		k := id{s(doc["apiVersion"]), s(doc["kind"]), s(meta["namespace"]), s(meta["name"])}
		if _, dup := out[k]; dup {
			t.Fatalf("%s: %s twice", label, k)
		}
		out[k] = doc
	}
}

// bundleObjects are the objects of a bundle's manifests.
func bundleObjects(t testing.TB, b *render.Bundle) map[id]map[string]any {
	t.Helper()
	var stream []byte
	for _, f := range b.Files {
		if f.Kind == render.KindManifest {
			stream = append(append(stream, "\n---\n"...), f.Data...)
		}
	}
	return parseObjects(t, b.Target+" bundle", stream)
}

// sameObjects fails t unless got holds exactly want's objects, field for
// field, showing the difference of each object that differs.
func sameObjects(t testing.TB, label string, want, got map[id]map[string]any) {
	t.Helper()
	keys := func(m map[id]map[string]any) []id {
		var out []id
		for k := range m {
			out = append(out, k)
		}
		slices.SortFunc(out, func(a, b id) int { return strings.Compare(a.String(), b.String()) })
		return out
	}
	for _, k := range keys(want) {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: %s is missing", label, k)
			continue
		}
		if !reflect.DeepEqual(want[k], g) {
			w, _ := yaml.Marshal(want[k])
			gy, _ := yaml.Marshal(g)
			t.Errorf("%s: %s differs from the plain render:\n%s", label, k, textdiff.Unified("render", label, string(w), string(gy), 3))
		}
	}
	for _, k := range keys(got) {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: %s is not in the plain render", label, k)
		}
	}
}

// assertGoldens compares files with the goldens under dir, and fails on a
// golden the files no longer have (removed under -update).
func assertGoldens(t *testing.T, dir string, files []render.File) {
	t.Helper()
	want := map[string]bool{}
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		want[p] = true
		golden.Assert(t, p, f.Data, regen)
	}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || want[p] {
			return err
		}
		if *golden.Update {
			return os.Remove(p)
		}
		t.Errorf("%s is a golden file the layout no longer writes; run: %s", p, regen)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// assertHeaders fails on a file without synctl's generated-file header.
func assertHeaders(t testing.TB, b *render.Bundle) {
	t.Helper()
	for _, f := range b.Files {
		if !render.IsGenerated(f.Data) {
			t.Errorf("%s lacks synctl's header:\n%s", f.Path, firstLine(f.Data))
		}
	}
}

func firstLine(data []byte) string {
	l, _, _ := bytes.Cut(data, []byte("\n"))
	return string(l)
}
