// Package target holds synctl's deployment targets. Each target is a value
// defined in a file of its own (docker.go, nginx.go, gke.go, ...) that owns
// everything about it: its name and description, its section of the spec,
// the command-line flags it takes, how it resolves each kind of URL, the
// files it renders and what its README says. registry.go lists them; no
// code outside this package asks which target it is dealing with.
package target

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target/platform"
	"github.com/synctl/synctl/pkg/topology"
)

// Target is one deployment setup.
type Target interface {
	// Name is what --target and spec.targets call it.
	Name() string
	// Description is the one-line summary `synctl targets` prints. It names
	// no service of any app.
	Description() string
	// Spec returns a new, empty spec section (spec.targets.<name>): a
	// pointer to a struct with yaml tags.
	Spec() any
	// Flags are the target-specific command-line flags it takes.
	Flags() []Flag
	// Stdout is the kind of file it prints without --out ("" for none).
	Stdout() render.Kind
	// Configure reads the target's section of the spec into a Config,
	// applying command-line values, filling defaults and checking both
	// against the app; problems go to the section.
	Configure(sec *topology.Section, ov Overrides) Config
}

// Config is a target configured for one app.
type Config interface {
	// URLRules resolve the app's URLs on this target.
	topology.URLRules
	// Files renders the bundle's files, README aside.
	Files(b *Build) ([]render.File, error)
	// Readme is what the bundle's README says beyond the wiring.
	Readme(b *Build) render.Readme
	// Front names the proxy, gateway or ingress controller the browser
	// reaches first, and a detail line; "" when the browser reaches the
	// services directly (on their published ports).
	Front() (name, detail string)
}

// Build is what a Config renders from: the app, its wiring on the target,
// and how the bundle was asked for.
type Build struct {
	Model  *topology.Model
	Wiring topology.Wiring
	Target Target
	// Invocation made the bundle; its commands go into headers and READMEs.
	Invocation Invocation
}

// Command is the command that re-renders the bundle from inside its
// directory, for file headers.
func (b *Build) Command() string { return b.Invocation.Command(b.Target, true) }

// Verify are the arguments of `synctl verify` for the bundle's README.
func (b *Build) Verify(extra ...string) string {
	return b.Invocation.Line("verify", b.Target, extra...)
}

// Flag is a command-line setting a target may take beyond the spec.
type Flag string

// The target-specific flags.
const (
	FlagNamespace Flag = "namespace"
	FlagHost      Flag = "host"
	FlagAddress   Flag = "address"
)

// Overrides are values given on the command line.
type Overrides struct {
	// Images maps service names to images (--image SERVICE=IMAGE).
	Images map[string]string
	// Namespace is the app's Kubernetes namespace (--namespace).
	Namespace string
	// Hosts maps public services to hostnames (--host SERVICE=HOST).
	Hosts map[string]string
	// Address is where the load balancer answers (--address [NAME=]ADDR).
	Address string
}

// set lists the target-specific flags that carry a value.
func (o Overrides) set() []Flag {
	var fs []Flag
	if o.Namespace != "" {
		fs = append(fs, FlagNamespace)
	}
	if len(o.Hosts) > 0 {
		fs = append(fs, FlagHost)
	}
	if o.Address != "" {
		fs = append(fs, FlagAddress)
	}
	return fs
}

// CheckFlags refuses a target-specific flag that none of targets takes.
func CheckFlags(targets []Target, ov Overrides) error {
	for _, f := range ov.set() {
		var takers []string
		taken := false
		for _, t := range All() {
			if slices.Contains(t.Flags(), f) {
				takers = append(takers, t.Name())
				taken = taken || slices.Contains(targets, t)
			}
		}
		if !taken {
			names := make([]string, len(targets))
			for i, t := range targets {
				names[i] = t.Name()
			}
			return fmt.Errorf("--%s applies only to %s, not to %s; drop the flag or choose one of those targets",
				f, strings.Join(takers, ", "), strings.Join(names, ", "))
		}
	}
	return nil
}

// StdinSpec is the -f value that reads the spec from standard input.
const StdinSpec = "-"

// SpecPlaceholder stands for a spec read from standard input in the
// commands a bundle records, which read it from standard input again
// ("-f - < SPEC.yaml"): "-f -" alone would wait for a spec on the terminal.
const SpecPlaceholder = "SPEC.yaml"

// Invocation is how a bundle was asked for: the spec file as the command
// line names it, and the command-line values.
type Invocation struct {
	// Spec is the -f argument ("" for the built-in app), relative to the
	// bundle directory when the bundle is written to one.
	Spec      string
	Overrides Overrides
}

// SpecNote says where the spec the commands name came from when no file
// holds it (it was read from standard input), and "" otherwise.
func (inv Invocation) SpecNote() string {
	if inv.Spec != StdinSpec {
		return ""
	}
	return "The spec was read from standard input, so the commands read it from there again: `" + SpecPlaceholder + "` stands for it. Save the spec under that name here, or put its path in its place."
}

// Command is the synctl command that renders t's bundle again; with out, it
// writes into the current directory (the bundle's own).
func (inv Invocation) Command(t Target, out bool) string {
	if out {
		return inv.Line("render", t, "--out", ".")
	}
	return inv.Line("render", t)
}

// Line is the shell line "synctl VERB -f SPEC --target T", the flags that
// apply to t, then extra; a spec read from standard input is redirected
// from SpecPlaceholder.
func (inv Invocation) Line(verb string, t Target, extra ...string) string {
	line := strings.Join(append(inv.args(verb, t), extra...), " ")
	if inv.Spec == StdinSpec {
		line += " < " + SpecPlaceholder
	}
	return line
}

// args are "synctl VERB -f SPEC --target T" and the flags that apply to t.
func (inv Invocation) args(verb string, t Target) []string {
	args := []string{"synctl", verb}
	switch inv.Spec {
	case "":
	case StdinSpec:
		args = append(args, "-f", StdinSpec)
	default:
		args = append(args, "-f", shellWord(inv.Spec))
	}
	args = append(args, "--target", t.Name())
	o := inv.Overrides
	for _, k := range slices.Sorted(maps.Keys(o.Images)) {
		args = append(args, "--image", shellWord(k+"="+o.Images[k]))
	}
	takes := func(f Flag) bool { return slices.Contains(t.Flags(), f) }
	if o.Namespace != "" && takes(FlagNamespace) {
		args = append(args, "--namespace", shellWord(o.Namespace))
	}
	if takes(FlagHost) {
		for _, k := range slices.Sorted(maps.Keys(o.Hosts)) {
			args = append(args, "--host", shellWord(k+"="+o.Hosts[k]))
		}
	}
	if o.Address != "" && takes(FlagAddress) {
		args = append(args, "--address", shellWord(o.Address))
	}
	return args
}

// shellWord quotes s for a POSIX shell when it needs quoting.
func shellWord(s string) string { return platform.ShellWord(s) }
