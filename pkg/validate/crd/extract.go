package crd

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"sigs.k8s.io/yaml"
)

// SchemasFile is the file, in this package, that holds the Gateway API
// schemas synctl validates against, generated from the module's CRDs.
const SchemasFile = "gatewayapi-schemas.json"

// schemaKinds are the Gateway API kinds synctl validates (pkg/validate's
// kinds): only their CRDs go into the binary.
var schemaKinds = []string{"GatewayClass", "Gateway", "HTTPRoute", "ReferenceGrant"}

// schemas is SchemasFile's content: per served version of each kind, the
// OpenAPI schema with its CEL rules, without the prose descriptions.
type schemas struct {
	// Source is the module and version the CRDs came from.
	Source string   `json:"source"`
	CRDs   []schema `json:"crds"`
}

type schema struct {
	APIVersion string                           `json:"apiVersion"`
	Kind       string                           `json:"kind"`
	Schema     *apiextensionsv1.JSONSchemaProps `json:"schema"`
}

// Extract reads the standard-channel CRD files in dir (the module's
// config/crd/standard) and returns SchemasFile's content for source: the
// schemas of the kinds synctl validates, descriptions dropped. `go generate`
// writes it (see gen/); a test checks the file is current.
func Extract(dir, source string) ([]byte, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	out := schemas{Source: source}
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		var crd apiextensionsv1.CustomResourceDefinition
		if err := yaml.Unmarshal(data, &crd); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if crd.Kind != "CustomResourceDefinition" || !slices.Contains(schemaKinds, crd.Spec.Names.Kind) {
			continue
		}
		for _, v := range crd.Spec.Versions {
			if !v.Served || v.Schema == nil || v.Schema.OpenAPIV3Schema == nil {
				continue
			}
			dropDescriptions(v.Schema.OpenAPIV3Schema)
			out.CRDs = append(out.CRDs, schema{APIVersion: crd.Spec.Group + "/" + v.Name, Kind: crd.Spec.Names.Kind, Schema: v.Schema.OpenAPIV3Schema})
		}
	}
	slices.SortFunc(out.CRDs, func(a, b schema) int {
		return cmpStrings(a.APIVersion+" "+a.Kind, b.APIVersion+" "+b.Kind)
	})
	for _, k := range schemaKinds {
		if !slices.ContainsFunc(out.CRDs, func(s schema) bool { return s.Kind == k }) {
			return nil, fmt.Errorf("%s has no served CRD for %s", dir, k)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	if err := enc.Encode(out); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func cmpStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// dropDescriptions removes the prose from a schema: messages come from
// the validation rules, and the prose is most of the bytes.
func dropDescriptions(p *apiextensionsv1.JSONSchemaProps) {
	if p == nil {
		return
	}
	p.Description = ""
	for k, v := range p.Properties {
		dropDescriptions(&v)
		p.Properties[k] = v
	}
	if p.Items != nil {
		dropDescriptions(p.Items.Schema)
		for i := range p.Items.JSONSchemas {
			dropDescriptions(&p.Items.JSONSchemas[i])
		}
	}
	for _, list := range [][]apiextensionsv1.JSONSchemaProps{p.AllOf, p.AnyOf, p.OneOf} {
		for i := range list {
			dropDescriptions(&list[i])
		}
	}
	if p.AdditionalProperties != nil {
		dropDescriptions(p.AdditionalProperties.Schema)
	}
	if p.Not != nil {
		dropDescriptions(p.Not)
	}
}
