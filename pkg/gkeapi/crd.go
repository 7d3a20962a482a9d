package gkeapi

import (
	"bytes"
	_ "embed"
)

// The CRD is generated from the types and markers in this package by
// controller-gen at the version pinned here; the go run form needs no
// tools module and is cached by the go command after its first build.
//go:generate go run sigs.k8s.io/controller-tools/cmd/controller-gen@v0.23.0 crd:crdVersions=v1 paths=. output:crd:artifacts:config=crd

// CRDFile is the generated CRD's path, relative to this package.
const CRDFile = "crd/networking.gke.io_healthcheckpolicies.yaml"

//go:embed crd/networking.gke.io_healthcheckpolicies.yaml
var crdYAML []byte

// CRD returns the HealthCheckPolicy CustomResourceDefinition (YAML) that
// controller-gen generates from this package's types: what a test API
// server installs and what `synctl validate` checks HealthCheckPolicies
// against. GKE's own CRD is not published; this one encodes the limits GKE
// documents, which pkg/validate also checks.
func CRD() []byte { return bytes.Clone(crdYAML) }
