package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/topology"
)

// specOptions choose the app: the built-in one or a spec file (or stdin),
// with command-line values. Shared by every command that renders.
type specOptions struct {
	file      string
	images    []string
	namespace string
	hosts     []string
	address   string
}

func addSpecFlags(cmd *cobra.Command, o *specOptions) {
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "app spec `FILE` (- reads standard input; start one with synctl init); default: the built-in app")
	f.StringArrayVar(&o.images, "image", nil, "override a service's image, `SERVICE=IMAGE` (repeatable)")
	f.StringVar(&o.namespace, "namespace", "", "`NAMESPACE` of the app's objects ("+takers(target.FlagNamespace)+")")
	f.StringArrayVar(&o.hosts, "host", nil, "a public service's hostname, `SERVICE=HOST` (repeatable; "+takers(target.FlagHost)+")")
	f.StringVar(&o.address, "address", "", "the load balancer's `[STATIC_IP_NAME=]ADDRESS`, used in the entry URL ("+takers(target.FlagAddress)+"); with a reserved static IP's name, the Gateway takes that address")
	_ = cmd.MarkFlagFilename("file", "yaml", "yml")
}

// takers lists the targets that take flag f.
func takers(f target.Flag) string {
	var names []string
	for _, t := range target.All() {
		for _, tf := range t.Flags() {
			if tf == f {
				names = append(names, t.Name())
			}
		}
	}
	return strings.Join(names, ", ")
}

func (o *specOptions) overrides() (target.Overrides, error) {
	var ov target.Overrides
	var err error
	if ov.Images, err = assignments("image", o.images, "registry.example/api:1.2"); err != nil {
		return ov, err
	}
	if ov.Hosts, err = assignments("host", o.hosts, "api.example.test"); err != nil {
		return ov, err
	}
	ov.Namespace, ov.Address = o.namespace, o.address
	return ov, nil
}

// assignments parses repeated SERVICE=VALUE flag values.
func assignments(flag string, values []string, example string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range values {
		name, val, ok := strings.Cut(v, "=")
		if !ok || name == "" || val == "" {
			return nil, fmt.Errorf("--%s %q: expected SERVICE=VALUE, e.g. --%s api=%s", flag, v, flag, example)
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("--%s: service %q is given twice; give each service once", flag, name)
		}
		out[name] = val
	}
	return out, nil
}

// load reads the spec and configures every target; targets are those the
// command works on, which must take every target-specific flag given.
func (o *specOptions) load(s streams, targets []target.Target) (*target.Plan, error) {
	ov, err := o.overrides()
	if err != nil {
		return nil, err
	}
	if err := target.CheckFlags(targets, ov); err != nil {
		return nil, err
	}
	if o.file == "" {
		return target.Load(topology.DefaultSpecName, topology.DefaultSpec(), ov)
	}
	name, data, err := topology.ReadSpec(o.file, s.In)
	if err != nil {
		return nil, err
	}
	return target.Load(name, data, ov)
}

// invocation is how a bundle written to dir (or, with dir "", printed) was
// asked for: the spec file as seen from dir, so that the command a bundle
// records works from inside it.
func (o *specOptions) invocation(dir string) target.Invocation {
	ov, _ := o.overrides()
	inv := target.Invocation{Spec: o.file, Overrides: ov}
	if o.file == "" || o.file == target.StdinSpec || dir == "" {
		return inv
	}
	inv.Spec = specFrom(o.file, dir)
	return inv
}

// specFrom is the path of spec as a command run in dir names it: relative
// to dir when the two share a directory below the root, absolute when they
// share only the root (a path climbing to / and down again says less, and
// breaks when dir moves).
func specFrom(spec, dir string) string {
	absSpec, err1 := filepath.Abs(spec)
	absDir, err2 := filepath.Abs(dir)
	if err1 != nil || err2 != nil {
		return filepath.ToSlash(spec)
	}
	if firstElem(absSpec) != firstElem(absDir) {
		return filepath.ToSlash(absSpec)
	}
	rel, err := filepath.Rel(absDir, absSpec)
	if err != nil {
		return filepath.ToSlash(absSpec)
	}
	return filepath.ToSlash(rel)
}

// firstElem is the top-level directory an absolute path lies under ("" for
// the root itself).
func firstElem(abs string) string {
	rest := strings.TrimPrefix(filepath.ToSlash(abs), "/")
	first, _, _ := strings.Cut(rest, "/")
	return first
}

// targetsValue is --target: one target, a comma-separated list, or all.
// Given twice it is an error, not "the last one wins".
type targetsValue struct {
	list     []target.Target
	set      bool
	allowAll bool
}

func (v *targetsValue) String() string {
	names := make([]string, len(v.list))
	for i, t := range v.list {
		names[i] = t.Name()
	}
	return strings.Join(names, ",")
}

func (v *targetsValue) Type() string { return "TARGET" }

func (v *targetsValue) Set(s string) error {
	if v.set {
		return &completeError{fmt.Sprintf("--target is given twice (%s, then %s); name several targets in one flag, e.g. --target %s,%s", v, s, v, s)}
	}
	v.set = true
	if s == "all" && v.allowAll {
		v.list = target.All()
		return nil
	}
	for _, name := range strings.Split(s, ",") {
		t, err := target.Lookup(name)
		if err != nil {
			return &completeError{fmt.Sprintf("%v%s", err, allHint(v.allowAll))}
		}
		for _, have := range v.list {
			if have == t {
				return &completeError{fmt.Sprintf("--target %s names %s twice", s, name)}
			}
		}
		v.list = append(v.list, t)
	}
	return nil
}

func allHint(allowAll bool) string {
	if allowAll {
		return ", or all"
	}
	return ""
}

// addTargetFlag adds --target; without allowAll only one target is allowed.
func addTargetFlag(cmd *cobra.Command, v *targetsValue, usage string) {
	cmd.Flags().VarP(v, "target", "t", usage)
	_ = cmd.RegisterFlagCompletionFunc("target", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		var out []string
		for _, t := range target.All() {
			out = append(out, t.Name()+"\t"+t.Description())
		}
		if v.allowAll {
			out = append(out, "all\tevery target")
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
}

// required returns the targets, or the error for a missing --target.
func (v *targetsValue) required() ([]target.Target, error) {
	if !v.set {
		return nil, errorf("--target is required: choose one of %s%s", target.Names(), allHint(v.allowAll))
	}
	return v.list, nil
}

// addFormatFlag adds --format with its choices, completed by the shell.
func addFormatFlag(cmd *cobra.Command, p *string, def string, choices ...string) {
	cmd.Flags().StringVar(p, "format", def, "output `FORMAT`: "+strings.Join(choices, " or "))
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(choices, cobra.ShellCompDirectiveNoFileComp))
}

// checkFormat refuses a --format value that is not one of choices.
func checkFormat(got string, choices ...string) error {
	for _, c := range choices {
		if got == c {
			return nil
		}
	}
	return errorf("--format %q is not supported: choose %s", got, strings.Join(choices, " or "))
}
