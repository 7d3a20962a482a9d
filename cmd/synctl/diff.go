package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/synctl/synctl/pkg/diff"
	"github.com/synctl/synctl/pkg/importer/imported"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
)

type diffOptions struct {
	spec   specOptions
	from   string
	to     string
	format string
	color  string
}

func newDiffCmd(s streams) *cobra.Command {
	o := &diffOptions{}
	cmd := &cobra.Command{
		Use:   "diff --from TARGET|DIR|COMPOSE-FILE --to TARGET|DIR",
		Short: "Explain what changes between two targets, a target and a rendered directory, or a compose file and a target",
		Long: `Compare two deployment bundles: two targets of the app, a target and a
directory written by 'synctl render --out', or two directories. A target
compared with a directory is rendered as it would be written there (its
commands name the -f spec from that directory), so a directory just
rendered from the same spec shows no differences. A value of
--from/--to that names a target is rendered now:
  ` + target.Names() + `
anything else, or a value containing "/" (./gke for a folder named like a
target), is read as a directory, or, when it is a file, as a compose file:
the app is imported from it as 'synctl init --from' does (with
--allow-lossy; the import report goes to standard error), and the compose
file's own URLs are compared with the target's: what moving the compose app
to the target changes.

The report puts the most meaningful change first:
  Summary   one sentence per kind of change (namespaces, gateway class,
            routing, filters, policies, resources, the wiring)
  Wiring    every URL of the app's wiring, old -> new; for a directory the
            links are read from the files (the env var on the service the
            spec sets it on), the entry URL from the frontend's route (its
            HTTPRoute or Ingress host, a Gateway's address, the port compose
            publishes); a URL no file states is unknown (never counted as a
            difference)
  Removed, Added, Changed
            resources matched by identity, whatever file holds them:
            Kubernetes objects by group/kind/namespace/name, compose
            services/networks/volumes by name; every changed field with its
            path, list items by name or natural key (env[name=...])
  Files     other files by path, with a unified diff
  Key material
            certificates and keys, by presence only

--format json prints the same as one object:
  {"from", "to", "equal", "summary": [string],
   "wiring": [{"name", "from", "to", "changed"}],     from/to null when unknown
   "changes": [{"change": added|removed|changed,
                "type": kubernetes|compose|yaml|file|key,
                "group", "kind", "namespace", "name", "id", "fromPath", "toPath",
                "fields": [{"path", "change", "from", "to"}],
                "unified", "note"}]}
(full schema: go doc github.com/synctl/synctl/pkg/diff).

Colour is used only when stdout is a terminal and NO_COLOR is not set
(--color always|never overrides).

Exit status, as diff(1): 0 no differences, 1 differences, 2 trouble.`,
		Example: `  synctl diff --from minikube --to gke
  synctl diff --from compose.yaml --to minikube
  synctl diff --from gke --to deploy/gke
  synctl diff --from deploy/old --to deploy/new --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(s) },
	}
	cmd.Flags().StringVar(&o.from, "from", "", "old side: a target ("+target.Names()+") or a directory")
	cmd.Flags().StringVar(&o.to, "to", "", "new side: a target or a directory")
	for _, f := range []string{"from", "to"} {
		_ = cmd.RegisterFlagCompletionFunc(f, func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
			var names []string
			for _, t := range target.All() {
				names = append(names, t.Name())
			}
			return names, cobra.ShellCompDirectiveFilterDirs
		})
	}
	addFormatFlag(cmd, &o.format, "text", "text", "json")
	cmd.Flags().StringVar(&o.color, "color", "auto", "colour: auto (terminal and no NO_COLOR), always or never")
	addSpecFlags(cmd, &o.spec)
	return cmd
}

func (o *diffOptions) run(s streams) error {
	if o.from == "" || o.to == "" {
		return errorf("--from and --to are both required: each is a target (%s) or a directory", target.Names())
	}
	if err := checkFormat(o.format, "text", "json"); err != nil {
		return err
	}
	color, err := useColor(s.Out, o.color)
	if err != nil {
		return err
	}
	// A side is a target when it names one (and has no "/"), a directory
	// otherwise; the targets decide which flags apply.
	asTarget := func(v string) target.Target {
		if strings.ContainsRune(v, '/') {
			return nil
		}
		t, _ := target.Lookup(v)
		return t
	}
	var targets []target.Target
	for _, v := range []string{o.from, o.to} {
		if t := asTarget(v); t != nil {
			targets = append(targets, t)
		}
	}
	// A side that is a file is a compose file: the app is imported from it.
	asCompose := func(v string) bool {
		info, err := os.Stat(v)
		return asTarget(v) == nil && err == nil && info.Mode().IsRegular()
	}
	for _, v := range []string{o.from, o.to} {
		if asTarget(v) == nil && !asCompose(v) {
			if info, err := os.Stat(v); err != nil || !info.IsDir() {
				flag := "from"
				if v == o.to && v != o.from {
					flag = "to"
				}
				return errorf("--%s %q is neither a target (%s), a directory nor a compose file", flag, v, target.Names())
			}
		}
	}
	if len(targets) == 0 {
		targets = target.All()
	}
	var plan *target.Plan
	var fromCompose *imported.Result
	for _, v := range []string{o.from, o.to} {
		if asCompose(v) && fromCompose == nil {
			if fromCompose, plan, err = o.importCompose(s, v, targets); err != nil {
				return err
			}
		}
	}
	if plan == nil {
		if plan, err = o.spec.load(s, targets); err != nil {
			return err
		}
	}
	side := func(v, other string) (diff.Side, error) {
		if asCompose(v) {
			return composeSide(v, fromCompose, plan)
		}
		if t := asTarget(v); t != nil {
			// Compared with a directory, the model is rendered as it would
			// be written there: its commands name the spec from there.
			dir := ""
			if asTarget(other) == nil && !asCompose(other) {
				dir = other
			}
			b, err := plan.Render(t, o.spec.invocation(dir))
			if err != nil {
				return diff.Side{}, err
			}
			return diff.BundleSide(b), nil
		}
		// A directory's URLs are read as the app's wiring on the target its
		// record names, or on the target it is compared with.
		expect := targets[0]
		rec, err := render.ReadRecord(v)
		if err != nil {
			return diff.Side{}, err
		}
		if rec != nil {
			if rec.App != plan.Model.Name {
				return diff.Side{}, errorf("%s holds a bundle of app %s, not %s; pass that app's spec with -f (the bundle was made by: %s)", v, rec.App, plan.Model.Name, rec.Command)
			}
			if rec.Layout != "" {
				return diff.Side{}, errorf("%s holds %s, which diff does not read; compare the target's own bundle instead (synctl render --target TARGET --out DIR writes it), or read the layout's README, which lists what each target sets differently", v, rec.Describe())
			}
			if t, err := target.Lookup(rec.Target); err == nil {
				expect = t
			}
		}
		return diff.DirSide(v, plan.Wiring(expect))
	}
	from, err := side(o.from, o.to)
	if err != nil {
		return err
	}
	to, err := side(o.to, o.from)
	if err != nil {
		return err
	}
	res, err := diff.Compare(from, to)
	if err != nil {
		return err
	}
	if o.format == "json" {
		err = res.WriteJSON(s.Out)
	} else {
		err = res.WriteText(s.Out, color)
	}
	if err != nil {
		return withCode(exitUsage, fmt.Errorf("writing the report: %w", err))
	}
	if !res.Equal {
		return silentExit(exitFailure)
	}
	return nil
}

// useColor decides whether w gets ANSI colour: "always", "never", or "auto":
// only on a terminal (a character device), never with NO_COLOR set (to any
// value) or TERM=dumb.
func useColor(w io.Writer, mode string) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
	default:
		return false, errorf("unknown --color %q: choose auto, always or never", mode)
	}
	if _, set := os.LookupEnv("NO_COLOR"); set || os.Getenv("TERM") == "dumb" {
		return false, nil
	}
	f, ok := w.(*os.File)
	if !ok {
		return false, nil
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0, nil
}

// importCompose imports the app from a compose file for diff: the spec
// comes from the file, so -f is refused.
func (o *diffOptions) importCompose(s streams, file string, targets []target.Target) (*imported.Result, *target.Plan, error) {
	if o.spec.file != "" {
		return nil, nil, errorf("%s is a compose file, and the app is imported from it; drop -f %s", file, o.spec.file)
	}
	ov, err := o.spec.overrides()
	if err != nil {
		return nil, nil, err
	}
	if err := target.CheckFlags(targets, ov); err != nil {
		return nil, nil, err
	}
	res, err := importCompose(s, importOptions{files: []string{file}, allowLossy: true})
	if err != nil {
		return nil, nil, err
	}
	plan, err := target.Load("app imported from "+file, res.Spec, ov)
	if err != nil {
		return nil, nil, err
	}
	if err := res.Report.WriteText(s.Err); err != nil {
		return nil, nil, err
	}
	return res, plan, nil
}

// composeSide is the compose file as docker compose reads it; its URLs
// are read from it where the imported app's links set them.
func composeSide(file string, res *imported.Result, plan *target.Plan) (diff.Side, error) {
	// The compose file's secret values are masked in res.Compose.
	data := res.Compose
	// The spec's names of the compose services (a name that is no DNS
	// label is changed).
	compose := res.ComposeNames
	w := plan.Wiring(target.PlainCompose())
	side := diff.Side{Label: file, Files: []render.File{{Path: render.ComposeFileName, Data: data, Mode: 0o644, Kind: render.KindCompose}}}
	for _, u := range w.URLs {
		e := diff.Expected{Name: w.Key(u)}
		if !u.Entry {
			e.Service, e.Env = compose[u.Service], u.Name
		}
		side.Expect = append(side.Expect, e)
	}
	return side, nil
}
