// Package bundletest renders apps for the tests of the packages that consume
// bundles (diff, validate, e2e, e2e/docker, e2e/kube): the one place those
// tests call the renderer, so a change of the render API touches one file.
package bundletest

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
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
