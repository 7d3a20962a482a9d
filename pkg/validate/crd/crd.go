// Package crd validates Gateway API objects offline against the
// CustomResourceDefinitions shipped in the sigs.k8s.io/gateway-api module:
// the OpenAPI schema (types, enums, patterns, limits, defaults) and the CEL
// rules (x-kubernetes-validations), evaluated with the same code the
// Kubernetes API server uses (k8s.io/apiextensions-apiserver).
//
// The CRD files under crds/ are copied unchanged from the module by gen.sh
// (go generate); crds/VERSION records which release they came from. Schemas
// and CEL programs are compiled on first use, never at package init, so
// linking this package does not slow down commands that never validate.
package crd

//go:generate ./gen.sh

import (
	"context"
	"embed"
	"fmt"
	"io/fs"
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
)

//go:embed crds/*.yaml crds/VERSION
var crdFiles embed.FS

// Error is one schema or CEL violation.
type Error struct {
	// Field is the JSON path of the offending field, e.g. "spec.rules[0].filters[0]".
	Field string
	// Message says what is wrong, in the API server's words.
	Message string
}

// Version is the module and version the embedded CRDs come from.
func Version() string {
	b, _ := crdFiles.ReadFile("crds/VERSION")
	return strings.TrimSpace(string(b))
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

// loadCatalog parses the embedded CRDs (without compiling their schemas).
func loadCatalog() (map[key]*entry, error) {
	out := map[key]*entry{}
	names, err := fs.Glob(crdFiles, "crds/*.yaml")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		data, err := crdFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(data, &crd); err != nil {
			return nil, fmt.Errorf("embedded %s: %w", name, err)
		}
		for _, v := range crd.Spec.Versions {
			if !v.Served || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			e := &entry{props: v.Schema.OpenAPIV3Schema}
			e.once = sync.OnceValues(func() (*compiled, error) { return compile(e.props) })
			out[key{crd.Spec.Group + "/" + v.Name, crd.Spec.Names.Kind}] = e
		}
	}
	return out, nil
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

// Known reports whether apiVersion/kind has an embedded CRD.
func Known(apiVersion, kind string) bool {
	c, err := catalog()
	if err != nil {
		return false
	}
	_, ok := c[key{apiVersion, kind}]
	return ok
}

// Kinds lists the apiVersion/kind pairs that have an embedded CRD, sorted.
func Kinds() []string {
	c, _ := catalog()
	var out []string
	for k := range c {
		out = append(out, k.apiVersion+" "+k.kind)
	}
	sort.Strings(out)
	return out
}

// Validate checks obj, a decoded JSON object, against the CRD of its
// apiVersion and kind as the API server would on create: defaults are
// applied first (to a copy), then the OpenAPI schema, then the CEL rules.
// It returns an error only when the kind has no embedded CRD or the CRD
// itself cannot be compiled.
func Validate(obj map[string]any) ([]Error, error) {
	apiVersion, _ := obj["apiVersion"].(string)
	kind, _ := obj["kind"].(string)
	c, err := catalog()
	if err != nil {
		return nil, err
	}
	e, ok := c[key{apiVersion, kind}]
	if !ok {
		return nil, fmt.Errorf("no CustomResourceDefinition for %s %s in %s", apiVersion, kind, Version())
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
