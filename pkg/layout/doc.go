// Package layout arranges the rendered bundles of Kubernetes targets the
// way people keep manifests in a repository: as a Kustomize base with one
// overlay per target (Kustomize), or as one Helm chart per target (Helm).
//
// Both start from the bundles `synctl render` makes for those targets and
// work on the typed objects the bundles hold (render.File.Objects, each
// seen through render.Document), never on their YAML parsed back: any kind
// the render builds goes through, matched by identity (apiVersion, kind,
// namespace, name) as `synctl diff` matches them. Neither
// changes what gets applied: building an overlay with Kustomize, or a chart
// with Helm and its default values, gives back every object of the target's
// plain render, field for field. The tests hold both to that with the real
// tools.
//
// Every file carries synctl's generated-file header, and each layout is a
// render.Bundle, so render.Write writes it all-or-nothing with a record, and
// `render --check` compares it like any bundle.
package layout
