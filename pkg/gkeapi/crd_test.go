package gkeapi

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// TestCRDUpToDate runs this package's go:generate command into a temporary
// directory and compares the result with the committed CRD, so that a type
// or marker changed without `go generate ./pkg/gkeapi` fails here. The
// first run builds controller-gen (about a minute); the go command caches
// it, and later runs take seconds.
func TestCRDUpToDate(t *testing.T) {
	src, err := os.ReadFile("crd.go")
	if err != nil {
		t.Fatal(err)
	}
	var args []string
	for line := range strings.Lines(string(src)) {
		if rest, ok := strings.CutPrefix(line, "//go:generate "); ok {
			args = strings.Fields(rest)
		}
	}
	const out = "output:crd:artifacts:config=crd"
	if len(args) < 2 || args[0] != "go" || args[len(args)-1] != out {
		t.Fatalf("crd.go: want a //go:generate go ... %s line, got %q", out, args)
	}
	// Read every source file controller-gen reads, so that go test's result
	// cache is keyed on them: a cached pass must not outlive a marker edit.
	sources, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range sources {
		if _, err := os.ReadFile(f); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	args[len(args)-1] = "output:crd:artifacts:config=" + dir
	cmd := exec.Command(args[0], args[1:]...)
	if msg, err := cmd.CombinedOutput(); err != nil {
		// Offline without a warm module cache, controller-gen cannot be
		// built; CI has the module proxy, so there it is a failure.
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, msg)
		}
		t.Skipf("cannot run controller-gen (%v); the staleness check needs the Go module proxy or a warm cache:\n%s", err, msg)
	}
	got, err := os.ReadFile(filepath.Join(dir, filepath.Base(CRDFile)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, crdYAML) {
		t.Errorf("%s is stale: the types or markers changed since it was generated; run `go generate ./pkg/gkeapi` and commit the result", CRDFile)
	}
}

// TestCRD checks that the embedded CRD is the one the renderer's objects
// need: HealthCheckPolicy in GroupVersion, namespaced, with a schema.
func TestCRD(t *testing.T) {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.UnmarshalStrict(CRD(), &crd); err != nil {
		t.Fatalf("%s does not decode as a CustomResourceDefinition: %v", CRDFile, err)
	}
	if crd.Spec.Names.Kind != "HealthCheckPolicy" || crd.Spec.Scope != apiextensionsv1.NamespaceScoped {
		t.Errorf("CRD is for %s, scope %s; want HealthCheckPolicy, Namespaced", crd.Spec.Names.Kind, crd.Spec.Scope)
	}
	if len(crd.Spec.Versions) != 1 || crd.Spec.Group+"/"+crd.Spec.Versions[0].Name != GroupVersion {
		t.Fatalf("CRD serves %s %v; want exactly %s", crd.Spec.Group, crd.Spec.Versions, GroupVersion)
	}
	v := crd.Spec.Versions[0]
	if !v.Served || !v.Storage || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
		t.Errorf("version %s: served %v, storage %v, schema %v; want all", v.Name, v.Served, v.Storage, v.Schema != nil)
	}
}
