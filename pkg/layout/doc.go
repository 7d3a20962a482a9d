// Package layout arranges the rendered bundles of Kubernetes targets the
// way people keep manifests in a repository: as a Kustomize base with one
// overlay per target (Kustomize).
//
// It starts from the bundles `synctl render` writes for those targets and
// works on the Kubernetes objects in their manifests, matched by identity
// (apiVersion, kind, namespace, name) as `synctl diff` matches them. It
// does not change what gets applied: building an overlay with Kustomize
// gives back every object of the target's plain render, field for field.
// The tests hold it to that with the real tool.
//
// Every file carries synctl's generated-file header, and the layout is a
// render.Bundle, so render.Write writes it all-or-nothing with a record, and
// `render --check` compares it like any bundle.
package layout
