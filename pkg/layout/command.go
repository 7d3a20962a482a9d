package layout

import (
	"fmt"
	"slices"
	"strings"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/topology"
)

// The layouts `synctl render --format` writes besides plain bundles.
const (
	FormatKustomize = render.LayoutKustomize
	FormatHelm      = render.LayoutHelm
)

// Kubernetes reports whether t renders Kubernetes manifests, which are all
// the layouts can arrange.
func Kubernetes(t target.Target) bool { return t.Stdout() == render.KindManifest }

// CheckTargets refuses targets a layout in format cannot take, naming the
// ones it can.
func CheckTargets(format string, targets []target.Target) error {
	var bad, good []string
	for _, t := range target.All() {
		if Kubernetes(t) {
			good = append(good, t.Name())
		}
	}
	for _, t := range targets {
		if !Kubernetes(t) {
			bad = append(bad, t.Name())
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("--format %s arranges Kubernetes manifests, and %s %s none; choose among %s, e.g. --target %s",
			format, strings.Join(bad, ", "), plural(len(bad), "renders", "render"), strings.Join(good, ", "), strings.Join(good, ","))
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// Command is the synctl command that writes the layout of targets again,
// run from the layout's own directory (the Kustomize layout's, or a
// chart's): inv is the invocation with its spec path relative to that
// directory.
func Command(inv target.Invocation, format string, targets ...target.Target) string {
	return inv.Line("render", targetList(targets), "--format", format, "--out", ".")
}

// targetList stands for several targets where Invocation.Command expects
// one: it asks a target only for its name and the flags it takes, which
// for a list are the names joined as --target takes them and every flag any
// of them takes.
type targetList []target.Target

var _ target.Target = targetList(nil)

func (l targetList) Name() string {
	names := make([]string, len(l))
	for i, t := range l {
		names[i] = t.Name()
	}
	return strings.Join(names, ",")
}

func (l targetList) Flags() []target.Flag {
	var fs []target.Flag
	for _, t := range l {
		for _, f := range t.Flags() {
			if !slices.Contains(fs, f) {
				fs = append(fs, f)
			}
		}
	}
	return fs
}

func (l targetList) Description() string { return "" }
func (l targetList) Spec() any           { return nil }
func (l targetList) Stdout() render.Kind { return "" }

// Configure is never called: a list is not configured, its targets are.
func (l targetList) Configure(*topology.Section, target.Overrides) target.Config { return nil }
