// Package bundletest renders apps for tests of the packages that consume
// bundles (diff, validate, e2e): the built-in SynergyChat, and the specs
// under testdata/apps. Tests render through it, never through pkg/render
// directly, so that a change of the render API is absorbed here.
package bundletest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/topology"
)

// Model returns the built-in app.
func Model(t testing.TB) *topology.Model {
	t.Helper()
	m, err := topology.Default()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Render returns target's bundle of the built-in app.
func Render(t testing.TB, target topology.Target) []render.File {
	t.Helper()
	files, err := render.Render(Model(t), target)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// Write renders target's bundle of the built-in app into a fresh directory,
// as `synctl render --out` does, and returns the directory.
func Write(t testing.TB, target topology.Target) string {
	t.Helper()
	dir := t.TempDir()
	if err := render.WriteBundle(dir, Render(t, target), render.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// App is one app the bundle tests cover: the built-in SynergyChat, or a
// spec file under testdata/apps.
type App struct {
	// Name is "synergychat" for the built-in app, else the spec's file name
	// without .yaml ("shop"); it is meant for subtest names.
	Name string
	// Path is the spec file; empty for the built-in app.
	Path string
}

// Apps lists the built-in app and every spec in the repository's
// testdata/apps/*.yaml, so that an app added there is covered by every test
// that ranges over Apps.
func Apps(t testing.TB) []App {
	t.Helper()
	specs, err := filepath.Glob(filepath.Join(RepoRoot(t), "testdata", "apps", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(specs) == 0 {
		t.Fatalf("no app specs in %s/testdata/apps: the multi-app tests would cover only the built-in app", RepoRoot(t))
	}
	apps := []App{{Name: "synergychat"}}
	for _, p := range specs {
		apps = append(apps, App{Name: strings.TrimSuffix(filepath.Base(p), ".yaml"), Path: p})
	}
	return apps
}

// Model decodes the app's spec with ov applied, as `synctl render -f PATH`
// with the matching flags (--namespace, --image, ...) does.
func (a App) Model(t testing.TB, ov topology.Overrides) *topology.Model {
	t.Helper()
	var m *topology.Model
	var err error
	if a.Path == "" {
		m, err = topology.DecodeWith(topology.DefaultSpecName, topology.DefaultSpec(), ov)
	} else {
		m, err = topology.Load(a.Path, ov)
	}
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// RenderModel returns target's bundle of m.
func RenderModel(t testing.TB, m *topology.Model, target topology.Target) []render.File {
	t.Helper()
	files, err := render.Render(m, target)
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// WriteModel writes target's bundle of m into a fresh directory, as
// `synctl render --out DIR` does, and returns the directory.
func WriteModel(t testing.TB, m *topology.Model, target topology.Target) string {
	t.Helper()
	dir := t.TempDir()
	if err := render.WriteBundle(dir, RenderModel(t, m, target), render.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// StreamModel is what `synctl render --target target` (no --out) prints
// for m: a Kubernetes target's manifests as one stream, in apply order.
func StreamModel(t testing.TB, m *topology.Model, target topology.Target) []byte {
	t.Helper()
	if !target.IsKubernetes() {
		t.Fatalf("bundletest.StreamModel: %s is not a Kubernetes target", target)
	}
	return render.Stream(target, RenderModel(t, m, target))
}

// RepoRoot is the root of the synctl checkout the test runs in: the nearest
// directory above the working directory whose go.mod declares synctl's
// module (nested tool modules have go.mod files of their own).
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for d := dir; ; d = filepath.Dir(d) {
		if data, err := os.ReadFile(filepath.Join(d, "go.mod")); err == nil && modulePath(data) == module {
			return d
		}
		if filepath.Dir(d) == d {
			t.Fatalf("no go.mod of module %s above %s", module, dir)
		}
	}
}

const module = "github.com/synctl/synctl"

func modulePath(gomod []byte) string {
	for line := range strings.Lines(string(gomod)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}
