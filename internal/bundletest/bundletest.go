// Package bundletest renders apps for the tests of the packages that consume
// bundles (diff, validate, e2e, e2e/docker, e2e/kube): the one place those
// tests call the renderer, so a change of the render API touches one file.
package bundletest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/topology"
)

// Plan returns the built-in app with every target configured.
func Plan(t testing.TB) *target.Plan {
	t.Helper()
	p, err := target.Default()
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Load returns the app of the spec file at path, with command-line values.
func Load(t testing.TB, path string, ov target.Overrides) *target.Plan {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	p, err := target.Load(path, data, ov)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Target returns the target called name.
func Target(t testing.TB, name string) target.Target {
	t.Helper()
	tg, err := target.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// Render renders the named target's bundle of p, as `synctl render` would
// for a spec at spec ("" for the built-in app) with overrides ov.
func Render(t testing.TB, p *target.Plan, name string, spec string, ov target.Overrides) *render.Bundle {
	t.Helper()
	b, err := p.Render(Target(t, name), target.Invocation{Spec: spec, Overrides: ov})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Default renders the named target's bundle of the built-in app.
func Default(t testing.TB, name string) *render.Bundle {
	t.Helper()
	return Render(t, Plan(t), name, "", target.Overrides{})
}

// Write writes b into a fresh directory, as `synctl render --out` does, and
// returns the directory.
func Write(t testing.TB, b *render.Bundle) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), b.Target)
	if _, err := render.Write(context.Background(), dir, []render.Placement{{Bundle: b}}, render.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Stream is what `synctl render --target NAME` prints without --out.
func Stream(t testing.TB, b *render.Bundle) []byte {
	t.Helper()
	out, err := b.Stream("synctl render --target " + b.Target)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// WriteSpec renders the named target's bundle of the app spec file at
// specPath into dir, as `synctl render -f specPath --target name --out dir`
// does. dir may hold an earlier render of it, which is replaced (stale
// files removed, the certificate kept).
func WriteSpec(t testing.TB, specPath, name, dir string) *render.Bundle {
	t.Helper()
	b := Render(t, Load(t, specPath, target.Overrides{}), name, specPath, target.Overrides{})
	if _, err := render.Write(context.Background(), dir, []render.Placement{{Bundle: b}}, render.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return b
}

// App is one app the bundle tests cover: the built-in app, or a spec file
// under testdata/apps.
type App struct {
	// Name is "builtin" for the built-in app, else the spec's file name
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
	apps := []App{{Name: "builtin"}}
	for _, p := range specs {
		apps = append(apps, App{Name: strings.TrimSuffix(filepath.Base(p), ".yaml"), Path: p})
	}
	return apps
}

// Plan loads the app with command-line values ov, as `synctl render -f
// PATH` with the matching flags (--namespace, --image, ...) does.
func (a App) Plan(t testing.TB, ov target.Overrides) *target.Plan {
	t.Helper()
	if a.Path == "" {
		p, err := target.Load(topology.DefaultSpecName, topology.DefaultSpec(), ov)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	return Load(t, a.Path, ov)
}

// Render renders the named target's bundle of the app with ov.
func (a App) Render(t testing.TB, name string, ov target.Overrides) *render.Bundle {
	t.Helper()
	return Render(t, a.Plan(t, ov), name, a.Path, ov)
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
