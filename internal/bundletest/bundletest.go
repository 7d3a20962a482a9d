// Package bundletest renders the built-in SynergyChat app for tests of the
// packages that consume bundles (diff, validate, e2e, e2e/docker). Tests
// render only through it, so a change of the render API touches one file.
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

// WriteSpec renders target's bundle of the app spec file at specPath (loaded
// as `synctl render -f specPath` loads it, without overrides) into dir, as
// `synctl render -f specPath --target target --out dir` does. dir may hold
// an earlier render, which is replaced; its certificate is kept.
func WriteSpec(t testing.TB, specPath string, target topology.Target, dir string) *topology.Model {
	t.Helper()
	m, err := topology.Load(specPath, topology.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	files, err := render.Render(m, target)
	if err != nil {
		t.Fatal(err)
	}
	if err := render.WriteBundle(dir, files, render.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	return m
}
