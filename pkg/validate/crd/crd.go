// Package crd validates Gateway API objects offline against the
// CustomResourceDefinitions shipped in the sigs.k8s.io/gateway-api module,
// and GKE HealthCheckPolicy objects against the CRD synctl generates from
// pkg/gkeapi's types: the OpenAPI schema (types, enums, patterns, limits,
// defaults) and the CEL rules (x-kubernetes-validations), evaluated with the
// same code the Kubernetes API server uses (k8s.io/apiextensions-apiserver).
//
// The HealthCheckPolicy CRD is embedded in pkg/gkeapi (GKE publishes none),
// so it is always available; it is the schema the project's test API
// servers install too, which keeps offline and server verdicts equal.
//
// The CRDs are read, not copied: synctl keeps no copy of another project's
// files. They come from the module's own config/crd/standard directory in the
// Go module cache, at the version synctl was built with (go.mod's), or from
// the directory named by $SYNCTL_GATEWAY_API_CRDS. Where neither is there,
// Available says why and callers report the check as skipped. Files are
// parsed, and schemas and CEL programs compiled, on first use, never at
// package init, so linking this package does not slow down other commands.
package crd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"k8s.io/apiextensions-apiserver/pkg/apis/apiextensions"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	structuralschema "k8s.io/apiextensions-apiserver/pkg/apiserver/schema"
	"k8s.io/apiextensions-apiserver/pkg/apiserver/schema/cel"
	structuraldefaulting "k8s.io/apiextensions-apiserver/pkg/apiserver/schema/defaulting"
	apiservervalidation "k8s.io/apiextensions-apiserver/pkg/apiserver/validation"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	celconfig "k8s.io/apiserver/pkg/apis/cel"
	"sigs.k8s.io/yaml"

	"github.com/synctl/synctl/pkg/gkeapi"
)

// EnvDir names an environment variable that, when set, is the directory of
// Gateway API CRD files to validate against (for example the files of a
// Gateway API release), instead of the module cache.
const EnvDir = "SYNCTL_GATEWAY_API_CRDS"

const module = "sigs.k8s.io/gateway-api"

// ErrUnavailable means the CRD files could not be found: the schema and CEL
// checks cannot run here.
var ErrUnavailable = errors.New("Gateway API CRDs not found")

// source is where the CRD files are read from.
type source struct {
	dir, version string
}

var located = sync.OnceValues(locate)

// locate finds the CRD directory: $SYNCTL_GATEWAY_API_CRDS, else the module
// at synctl's build version in the module cache, else (from a checkout of
// synctl, as in its tests) what `go list -m` reports for the module.
func locate() (source, error) {
	if dir := os.Getenv(EnvDir); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return source{}, fmt.Errorf("%w: $%s: %v", ErrUnavailable, EnvDir, err)
		}
		return source{dir: dir, version: "$" + EnvDir}, nil
	}
	version := buildVersion()
	if version != "" {
		for _, cache := range moduleCaches() {
			dir := filepath.Join(cache, module+"@"+version, "config", "crd", "standard")
			if _, err := os.Stat(dir); err == nil {
				return source{dir: dir, version: module + " " + version}, nil
			}
		}
	}
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}\t{{.Version}}", module).Output()
	if dir, v, ok := strings.Cut(strings.TrimSpace(string(out)), "\t"); err == nil && ok && dir != "" {
		return source{dir: filepath.Join(dir, "config", "crd", "standard"), version: module + " " + v}, nil
	}
	want := module
	if version != "" {
		want += "@" + version
	}
	return source{}, fmt.Errorf("%w: %s is not in the Go module cache; fetch it with `go mod download %s`, or set $%s to a directory of its CRD files", ErrUnavailable, want, want, EnvDir)
}

// buildVersion is the gateway-api version this binary was built with.
func buildVersion() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range bi.Deps {
		if d.Path == module {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return ""
}

// moduleCaches lists where the Go module cache may be, as the go command
// decides it: $GOMODCACHE, else the first $GOPATH entry's pkg/mod, else
// $HOME/go/pkg/mod.
func moduleCaches() []string {
	if c := os.Getenv("GOMODCACHE"); c != "" {
		return []string{c}
	}
	if gp := os.Getenv("GOPATH"); gp != "" {
		return []string{filepath.Join(filepath.SplitList(gp)[0], "pkg", "mod")}
	}
	if home, err := os.UserHomeDir(); err == nil {
		return []string{filepath.Join(home, "go", "pkg", "mod")}
	}
	return nil
}

// Available reports whether the Gateway API CRDs can be read, or why not.
// The embedded HealthCheckPolicy CRD needs nothing and is not part of it.
func Available() error {
	_, err := catalog()
	return err
}

// Error is one schema or CEL violation.
type Error struct {
	// Field is the JSON path of the offending field, e.g. "spec.rules[0].filters[0]".
	Field string
	// Message says what is wrong, in the API server's words.
	Message string
}

// Version is the module and version the CRDs come from.
func Version() string {
	src, _ := located()
	return src.version
}

// compiled is one served version of one CRD, ready to validate objects.
type compiled struct {
	schema    apiservervalidation.SchemaValidator
	structure *structuralschema.Structural
	cel       *cel.Validator
}

type key struct{ apiVersion, kind string }

// entry compiles its schema on first use.
type entry struct {
	props *apiextensionsv1.JSONSchemaProps
	once  func() (*compiled, error)
}

var catalog = sync.OnceValues(loadCatalog)

// loadCatalog parses the CRDs (without compiling their schemas).
func loadCatalog() (map[key]*entry, error) {
	src, err := located()
	if err != nil {
		return nil, err
	}
	return loadDir(src.dir)
}

// loadDir parses every CustomResourceDefinition in dir's YAML files.
func loadDir(dir string) (map[key]*entry, error) {
	out := map[key]*entry{}
	names, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		if err := addCRD(out, data); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no CustomResourceDefinition in %s", ErrUnavailable, dir)
	}
	return out, nil
}

// addCRD adds the served versions of the CRD in data (a YAML document; not
// a CRD: nothing) to out, schemas uncompiled.
func addCRD(out map[key]*entry, data []byte) error {
	var crd apiextensionsv1.CustomResourceDefinition
	if err := yaml.Unmarshal(data, &crd); err != nil {
		return err
	}
	if crd.Kind != "CustomResourceDefinition" {
		return nil
	}
	for _, v := range crd.Spec.Versions {
		if !v.Served || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
			continue
		}
		e := &entry{props: v.Schema.OpenAPIV3Schema}
		e.once = sync.OnceValues(func() (*compiled, error) { return compile(e.props) })
		out[key{crd.Spec.Group + "/" + v.Name, crd.Spec.Names.Kind}] = e
	}
	return nil
}

// GKEVersion names the source of the HealthCheckPolicy schema in messages.
const GKEVersion = "synctl's networking.gke.io CRD (pkg/gkeapi)"

// embedded holds the CRDs compiled into synctl: HealthCheckPolicy.
var embedded = sync.OnceValues(func() (map[key]*entry, error) {
	out := map[key]*entry{}
	if err := addCRD(out, gkeapi.CRD()); err != nil {
		return nil, fmt.Errorf("embedded %s: %w", gkeapi.CRDFile, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("embedded %s holds no served CustomResourceDefinition version", gkeapi.CRDFile)
	}
	return out, nil
})

// lookup finds the CRD of k: the embedded ones first, which need nothing
// from the machine, then the Gateway API's.
func lookup(k key) (*entry, error) {
	emb, err := embedded()
	if err != nil {
		return nil, err
	}
	if e, ok := emb[k]; ok {
		return e, nil
	}
	c, err := catalog()
	if err != nil {
		return nil, err
	}
	if e, ok := c[k]; ok {
		return e, nil
	}
	return nil, fmt.Errorf("no CustomResourceDefinition for %s %s in %s", k.apiVersion, k.kind, Version())
}

// VersionOf names where the schema for apiVersion/kind comes from, for
// messages: GKEVersion for the embedded CRDs, else Version().
func VersionOf(apiVersion, kind string) string {
	if emb, err := embedded(); err == nil && emb[key{apiVersion, kind}] != nil {
		return GKEVersion
	}
	return Version()
}

func compile(props *apiextensionsv1.JSONSchemaProps) (*compiled, error) {
	var internal apiextensions.JSONSchemaProps
	if err := apiextensionsv1.Convert_v1_JSONSchemaProps_To_apiextensions_JSONSchemaProps(props, &internal, nil); err != nil {
		return nil, err
	}
	structural, err := structuralschema.NewStructural(&internal)
	if err != nil {
		return nil, err
	}
	validator, _, err := apiservervalidation.NewSchemaValidator(&internal)
	if err != nil {
		return nil, err
	}
	return &compiled{
		schema:    validator,
		structure: structural,
		cel:       cel.NewValidator(structural, true, celconfig.PerCallLimit),
	}, nil
}

// Known reports whether apiVersion/kind has a CRD.
func Known(apiVersion, kind string) bool {
	_, err := lookup(key{apiVersion, kind})
	return err == nil
}

// Kinds lists the apiVersion/kind pairs that have a CRD, sorted.
func Kinds() []string {
	var out []string
	emb, _ := embedded()
	c, _ := catalog()
	for _, m := range []map[key]*entry{emb, c} {
		for k := range m {
			out = append(out, k.apiVersion+" "+k.kind)
		}
	}
	sort.Strings(out)
	return out
}

// Validate checks obj, a decoded JSON object, against the CRD of its
// apiVersion and kind as the API server would on create: defaults are
// applied first (to a copy), then the OpenAPI schema, then the CEL rules.
// It returns an error only when the CRDs are not available (ErrUnavailable),
// the kind has no CRD, or the CRD itself cannot be compiled. A
// HealthCheckPolicy is checked against the embedded CRD, which is always
// available.
func Validate(obj map[string]any) ([]Error, error) {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	e, err := lookup(key{apiVersion, kind})
	if err != nil {
		return nil, err
	}
	v, err := e.once()
	if err != nil {
		return nil, fmt.Errorf("compile CRD schema for %s %s: %w", apiVersion, kind, err)
	}
	defaulted := runtime.DeepCopyJSON(normalizeNumbers(obj).(map[string]any))
	structuraldefaulting.Default(defaulted, v.structure)

	errs := apiservervalidation.ValidateCustomResource(nil, defaulted, v.schema)
	if v.cel != nil {
		celErrs, _ := v.cel.Validate(context.Background(), nil, v.structure, defaulted, nil, celconfig.RuntimeCELCostBudget)
		errs = append(errs, celErrs...)
	}
	return toErrors(errs), nil
}

func toErrors(list field.ErrorList) []Error {
	out := make([]Error, 0, len(list))
	seen := map[Error]bool{}
	for _, fe := range list {
		msg := fe.ErrorBody()
		e := Error{Field: fe.Field, Message: msg}
		if seen[e] {
			continue
		}
		seen[e] = true
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Field != out[j].Field {
			return out[i].Field < out[j].Field
		}
		return out[i].Message < out[j].Message
	})
	return out
}

// normalizeNumbers turns whole float64 values (as encoding/json and
// sigs.k8s.io/yaml decode them) into int64, as the API server's decoder does;
// the CEL rules compare integers and reject float64.
func normalizeNumbers(v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(v))
		for k, x := range v {
			out[k] = normalizeNumbers(x)
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = normalizeNumbers(x)
		}
		return out
	case float64:
		if v == float64(int64(v)) {
			return int64(v)
		}
		return v
	case int:
		return int64(v)
	default:
		return v
	}
}
