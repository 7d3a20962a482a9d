// Package crd validates Gateway API objects offline against the schemas of
// the sigs.k8s.io/gateway-api module's CustomResourceDefinitions, and GKE
// HealthCheckPolicy objects against the CRD synctl generates from
// pkg/gkeapi's types: the OpenAPI schema (types, enums, patterns, limits,
// defaults) and the CEL rules (x-kubernetes-validations), evaluated with the
// same code the Kubernetes API server uses (k8s.io/apiextensions-apiserver).
//
// Both are compiled into the binary, so a release binary validates on a
// machine without Go or a module cache. The Gateway API schemas are
// generated, not written: `go generate ./pkg/validate/crd` extracts them
// from the module at go.mod's version (its config/crd/standard, the kinds
// synctl validates, without the prose), and a test fails while the file is
// stale. $SYNCTL_GATEWAY_API_CRDS may name a directory of CRD files to use
// instead (another Gateway API release, say). Schemas and CEL programs are
// compiled on first use, never at package init, so linking this package
// does not slow down other commands.
package crd

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
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
// Gateway API CRD files to validate against instead of the embedded ones.
const EnvDir = "SYNCTL_GATEWAY_API_CRDS"

//go:generate go run ./gen

//go:embed gatewayapi-schemas.json
var embeddedSchemas []byte

// ErrUnavailable means the CRD files $SYNCTL_GATEWAY_API_CRDS names could not
// be read: the schema and CEL checks cannot run.
var ErrUnavailable = errors.New("the Gateway API CRDs were not found")

// source is where the Gateway API schemas come from.
type source struct {
	dir, version string
}

var located = sync.OnceValues(locate)

// locate picks the schemas: $SYNCTL_GATEWAY_API_CRDS when set, else the
// embedded ones.
func locate() (source, error) {
	if dir := os.Getenv(EnvDir); dir != "" {
		if _, err := os.Stat(dir); err != nil {
			return source{}, fmt.Errorf("%w: $%s: %v", ErrUnavailable, EnvDir, err)
		}
		return source{dir: dir, version: "$" + EnvDir}, nil
	}
	var s schemas
	if err := json.Unmarshal(embeddedSchemas, &s); err != nil {
		return source{}, fmt.Errorf("embedded %s: %w", SchemasFile, err)
	}
	return source{version: s.Source}, nil
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

// loadCatalog parses the schemas (without compiling them).
func loadCatalog() (map[key]*entry, error) {
	src, err := located()
	if err != nil {
		return nil, err
	}
	if src.dir != "" {
		return loadDir(src.dir)
	}
	var s schemas
	if err := json.Unmarshal(embeddedSchemas, &s); err != nil {
		return nil, err
	}
	out := map[key]*entry{}
	for _, c := range s.CRDs {
		e := &entry{props: c.Schema}
		e.once = sync.OnceValues(func() (*compiled, error) { return compile(e.props) })
		out[key{c.APIVersion, c.Kind}] = e
	}
	return out, nil
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
