package crd

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

func decode(t *testing.T, doc string) map[string]any {
	t.Helper()
	var obj map[string]any
	if err := yaml.Unmarshal([]byte(doc), &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		doc  string
		want []Error
	}{
		{
			name: "valid route with prefix rewrite",
			doc: `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api, namespace: synergychat}
spec:
  parentRefs: [{name: app-gateway, namespace: gateway-infra}]
  rules:
  - matches: [{path: {type: PathPrefix, value: /api}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}
    backendRefs: [{name: api-service, port: 80}]
`,
		},
		{
			name: "rewrite prefix with an exact match (CEL rule)",
			doc: `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: api}
spec:
  rules:
  - matches: [{path: {type: Exact, value: /api}}]
    filters:
    - type: URLRewrite
      urlRewrite: {path: {type: ReplacePrefixMatch, replacePrefixMatch: /}}
    backendRefs: [{name: api-service, port: 80}]
`,
			want: []Error{{Field: "spec.rules[0]", Message: "Invalid value: When using URLRewrite filter with path.replacePrefixMatch, exactly one PathPrefix match must be specified"}},
		},
		{
			name: "service backend without port (CEL rule)",
			doc: `apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: web}
spec:
  rules:
  - backendRefs: [{name: web-service}]
`,
			want: []Error{{Field: "spec.rules[0].backendRefs[0]", Message: "Invalid value: Must have port for Service reference"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Validate(decode(t, tt.doc))
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("got %d errors %q, want %q", len(got), got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("error %d = %q, want %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestUnknownKind(t *testing.T) {
	_, err := Validate(map[string]any{"apiVersion": "gateway.networking.k8s.io/v1", "kind": "FooRoute"})
	want := "no CustomResourceDefinition for gateway.networking.k8s.io/v1 FooRoute in " + Version()
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v, want %q", err, want)
	}
}

// The CRDs come from the gateway-api version go.mod requires.
func TestCRDsMatchGoMod(t *testing.T) {
	gomod, err := os.ReadFile("../../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^\s*sigs\.k8s\.io/gateway-api (\S+)`).FindSubmatch(gomod)
	if m == nil {
		t.Fatal("go.mod does not require sigs.k8s.io/gateway-api")
	}
	if err := Available(); err != nil {
		t.Fatal(err)
	}
	if want := "sigs.k8s.io/gateway-api " + string(m[1]); Version() != want {
		t.Fatalf("CRDs are from %q, go.mod requires %q", Version(), want)
	}
}

func TestLoadDir(t *testing.T) {
	empty := t.TempDir()
	if _, err := loadDir(empty); !errors.Is(err, ErrUnavailable) || err.Error() != "the Gateway API CRDs were not found: no CustomResourceDefinition in "+empty {
		t.Errorf("empty dir: %v", err)
	}
	c, err := loadDir(moduleCRDs(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []key{{"gateway.networking.k8s.io/v1", "HTTPRoute"}, {"gateway.networking.k8s.io/v1", "Gateway"}, {"gateway.networking.k8s.io/v1", "GatewayClass"}} {
		if c[k] == nil {
			t.Errorf("no CRD for %v", k)
		}
	}
}

// moduleCRDs is the gateway-api module's standard CRD directory, at
// go.mod's version.
func moduleCRDs(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "sigs.k8s.io/gateway-api").Output()
	if err != nil {
		t.Fatalf("go list -m sigs.k8s.io/gateway-api: %v", err)
	}
	return filepath.Join(strings.TrimSpace(string(out)), "config", "crd", "standard")
}

// TestSchemasCurrent: the embedded schemas are what `go generate` makes of
// the module at go.mod's version, so a release binary validates exactly as
// the CRDs a cluster installs would.
func TestSchemasCurrent(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "sigs.k8s.io/gateway-api").Output()
	if err != nil {
		t.Fatal(err)
	}
	want, err := Extract(moduleCRDs(t), "sigs.k8s.io/gateway-api "+strings.TrimSpace(string(out)))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(want, embeddedSchemas) {
		t.Errorf("%s is stale; regenerate it with: go generate ./pkg/validate/crd", SchemasFile)
	}
}

// TestEmbeddedWithoutModuleCache: validation needs neither Go nor a module
// cache: with HOME, GOPATH and GOMODCACHE pointing nowhere, a broken route
// is still found.
func TestEmbeddedWithoutModuleCache(t *testing.T) {
	nowhere := t.TempDir()
	t.Setenv("HOME", nowhere)
	t.Setenv("GOPATH", nowhere)
	t.Setenv("GOMODCACHE", nowhere)
	t.Setenv("PATH", nowhere)
	src, err := locate()
	if err != nil || src.dir != "" {
		t.Fatalf("locate() = %+v, %v; want the embedded schemas", src, err)
	}
	errs, err := Validate(map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "HTTPRoute",
		"metadata": map[string]any{"name": "r"},
		"spec": map[string]any{"rules": []any{map[string]any{
			"matches": []any{map[string]any{"path": map[string]any{"type": "Exact", "value": "/api"}}},
			"filters": []any{map[string]any{"type": "URLRewrite", "urlRewrite": map[string]any{"path": map[string]any{"type": "ReplacePrefixMatch", "replacePrefixMatch": "/"}}}},
		}}},
	})
	if err != nil || len(errs) == 0 {
		t.Errorf("errs %v, err %v; want the URLRewrite rule broken", errs, err)
	}
}
