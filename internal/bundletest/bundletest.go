// Package bundletest renders the built-in SynergyChat app for tests of the
// packages that consume bundles (diff, validate, e2e).
package bundletest

import (
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
