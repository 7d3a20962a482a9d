package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/synctl/synctl/pkg/diff"
	"github.com/synctl/synctl/pkg/layout"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/target/platform"
)

type renderOptions struct {
	spec     specOptions
	targets  targetsValue
	out      string
	force    bool
	check    bool
	format   string
	progress string
}

func newRenderCmd(s streams) *cobra.Command {
	o := &renderOptions{targets: targetsValue{allowAll: true}}
	cmd := &cobra.Command{
		Use:   "render --target TARGET [--out DIR] [--format files|kustomize|helm]",
		Short: "Write one target's deployment files",
		Long: `Render the app for one target (or several, or all) and write the bundle.

With --out DIR, the bundle is written to DIR (for several targets, to
DIR/<target>/):
` + targetFiles() + `
Writing is all-or-nothing: on any error, or Ctrl-C, DIR is left exactly as it
was. Files in DIR that synctl did not write are never overwritten, and a
bundle of another target or app is never replaced, unless --force. Files an
earlier render wrote and this one no longer does are removed (and listed).
An existing certificate and key are kept, not rotated. Every bundle records
what made it in ` + render.RecordPath + ` and its README.

Without --out, a target that can prints its bundle to stdout:
` + targetStreams() + `
With --check, nothing is written: the command exits 1 and prints the
difference when DIR differs from what it would write, 0 when it is up to date
(a CI step that catches hand edits and a stale render). Key material is not
compared (it is random and belongs outside version control), and of a file's
mode only the executable bit is (all that git keeps). --format json prints
that report as JSON.

--format lays the files out for the tool that applies them; kustomize and
helm take Kubernetes targets (` + kubeTargetNames() + `) and need --out:
  files      one bundle per target, as above (the default)
  kustomize  DIR/base/ with the objects the targets share, and
             DIR/overlays/<target>/ adding the objects only that target has
             and patching in the fields it sets differently:
             ` + platform.KubectlApply + ` -k DIR/overlays/<target>
  helm       a chart per target, where its bundle would go (DIR, or
             DIR/<target>/ for several): Chart.yaml, values.yaml
             (images, replicas, resources, namespace, hostnames, gateway
             addresses and each service's env) and templates/
Built with Kustomize, each overlay gives exactly the objects of the target's
bundle, and so does each chart with its default values. Both directories
carry a README, a record and synctl's header on every file, and --check
works on them as on bundles.`,
		Example: `  synctl render --target gke | ` + platform.KubectlApply + ` -f -
  synctl render --target nginx --out deploy/nginx
  synctl render --target all --out deploy
  synctl render -f app.yaml --target minikube --image api=registry.example/api:1.2 --out deploy/minikube
  synctl render --target all --out deploy --check
  synctl render --target minikube,gke --format kustomize --out deploy/k8s
  synctl render --target gke --format helm --out charts`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(s) },
	}
	addTargetFlag(cmd, &o.targets, "`TARGET`: "+target.Names()+", a comma-separated list, or all")
	cmd.Flags().StringVarP(&o.out, "out", "o", "", "`DIR` to write the bundle into (created if missing)")
	_ = cmd.MarkFlagDirname("out")
	cmd.Flags().BoolVar(&o.force, "force", false, "overwrite files in --out that synctl did not write, or another bundle")
	cmd.Flags().BoolVar(&o.check, "check", false, "write nothing; exit 1 and show the difference if --out is not up to date")
	cmd.Flags().StringVar(&o.format, "format", formatFiles, "`FORMAT` of the output: "+strings.Join(layoutFormats, ", ")+"; or json, with --check, for its report")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions(append(layoutFormats, formatJSON), cobra.ShellCompDirectiveNoFileComp))
	cmd.Flags().StringVar(&o.progress, "progress", "auto", "when to show a status line on stderr, `WHEN`: auto (on a terminal, once the work takes a second), always or never")
	_ = cmd.RegisterFlagCompletionFunc("progress", cobra.FixedCompletions([]string{"auto", "always", "never"}, cobra.ShellCompDirectiveNoFileComp))
	addSpecFlags(cmd, &o.spec)
	return cmd
}

// The values of render's --format: how the output is laid out, or, with
// --check, how the report is printed.
const (
	formatFiles = "files"
	formatJSON  = "json"
)

var layoutFormats = []string{formatFiles, layout.FormatKustomize, layout.FormatHelm}

// kubeTargetNames lists the targets the kustomize and helm layouts take.
func kubeTargetNames() string {
	var names []string
	for _, t := range target.All() {
		if layout.Kubernetes(t) {
			names = append(names, t.Name())
		}
	}
	return strings.Join(names, ", ")
}

// checkFormat refuses a --format value or combination render does not
// take, and returns the layout to write or check.
func (o *renderOptions) checkFormat(targets []target.Target) (string, error) {
	switch o.format {
	case formatFiles:
	case layout.FormatKustomize, layout.FormatHelm:
		if err := layout.CheckTargets(o.format, targets); err != nil {
			return "", err
		}
		if o.out == "" {
			return "", errorf("--format %s writes a directory: pass --out DIR", o.format)
		}
	case formatJSON:
		if !o.check {
			return "", errorf("--format json prints the --check report as JSON: add --check, or choose a layout: %s", strings.Join(layoutFormats, ", "))
		}
		return formatFiles, nil
	default:
		return "", errorf("--format %q is not supported: choose a layout, %s, or json with --check for its report", o.format, strings.Join(layoutFormats, ", "))
	}
	return o.format, nil
}

// targetFiles lists what each target writes, for --help.
func targetFiles() string {
	var b strings.Builder
	for _, t := range target.All() {
		fmt.Fprintf(&b, "  %-16s %s\n", t.Name(), t.Description())
	}
	return b.String()
}

func targetStreams() string {
	var b strings.Builder
	for _, t := range target.All() {
		switch t.Stdout() {
		case render.KindManifest:
			fmt.Fprintf(&b, "  %-16s every manifest as one stream, for kubectl apply -f -\n", t.Name())
		case render.KindCompose:
			fmt.Fprintf(&b, "  %-16s its compose file, for docker compose -f - up -d\n", t.Name())
		default:
			fmt.Fprintf(&b, "  %-16s nothing: its files only work side by side, so --out is required\n", t.Name())
		}
	}
	return b.String()
}

func (o *renderOptions) run(s streams) error {
	// From the start, SIGINT and SIGTERM end the command through ctx, so
	// that nothing is left half written; before Write starts, nothing is.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	targets, err := o.targets.required()
	if err != nil {
		return err
	}
	format, err := o.checkFormat(targets)
	if err != nil {
		return err
	}
	if o.check && o.force {
		return errorf("--check writes nothing, so --force has nothing to force: drop one of them")
	}
	prog, err := newProgress(s, o.progress)
	if err != nil {
		return err
	}
	defer prog.finish()
	prog.set("reading the spec", 0, 0)
	plan, err := o.spec.load(s, targets)
	if err != nil {
		return err
	}
	several := len(targets) > 1
	if o.out == "" {
		if several {
			return errorf("several targets write one directory each: pass --out DIR")
		}
		if o.check {
			return errorf("--check compares against a directory: pass --out DIR")
		}
		return o.print(s, plan, targets[0])
	}
	// Targets render independently from the read-only plan: side by side,
	// then joined in target order (the first failing target's error wins,
	// as it would one after the other). As many at a time as there are
	// processors: more would only hold more half-built bundles in memory.
	placements := make([]render.Placement, len(targets))
	errs := make([]error, len(targets))
	prog.set(fmt.Sprintf("rendering %s of %d services: targets", plan.Model.Name, len(plan.Model.Services)), 0, len(targets))
	var wg sync.WaitGroup
	slots := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, t := range targets {
		dir := ""
		if several {
			dir = t.Name()
		}
		// A bundle's commands name the spec from the directory that holds
		// it: its own, or the Kustomize layout's, whose README gives them.
		inv := o.spec.invocation(filepath.Join(o.out, dir))
		if format == layout.FormatKustomize {
			inv = o.spec.invocation(o.out)
		}
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			b, err := plan.Render(t, inv)
			placements[i], errs[i] = render.Placement{Dir: dir, Bundle: b}, err
			prog.add()
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if placements, err = o.arrange(format, targets, placements); err != nil {
		return err
	}
	if o.check {
		return o.runCheck(s, placements)
	}
	files := 0
	for _, p := range placements {
		files += len(p.Bundle.Files)
	}
	prog.set(fmt.Sprintf("writing %d files to %s", files, o.out), 0, 0)
	rep, err := render.Write(ctx, o.out, placements, render.WriteOptions{Force: o.force})
	prog.finish()
	if err != nil && ctx.Err() != nil {
		// Only a Write that stopped before moving anything says so; one
		// that finished (the signal came while files were moved) did write.
		return withCode(exitInterrupted, fmt.Errorf("interrupted: %s was left as it was", o.out))
	}
	if err != nil {
		return err
	}
	for _, p := range rep.Removed {
		fmt.Fprintf(s.Err, "removed %s: an earlier render wrote it, this one does not\n", filepath.Join(o.out, p))
	}
	for _, p := range placements {
		what := p.Bundle.Target + " bundle"
		switch format {
		case layout.FormatKustomize:
			what = "kustomize layout of " + targetList(targets)
		case layout.FormatHelm:
			what = p.Bundle.Target + " helm chart"
		}
		fmt.Fprintf(s.Err, "wrote %s to %s\n", what, filepath.Join(o.out, p.Dir))
	}
	return nil
}

// arrange lays the targets' bundles out in format: one Kustomize layout in
// --out, or a chart per target in --out/<target>.
func (o *renderOptions) arrange(format string, targets []target.Target, placements []render.Placement) ([]render.Placement, error) {
	switch format {
	case layout.FormatKustomize:
		bundles := make([]*render.Bundle, len(placements))
		for i, p := range placements {
			bundles[i] = p.Bundle
		}
		cmd := layout.Command(o.spec.invocation(o.out), format, targets...)
		k, err := layout.Kustomize(bundles, cmd)
		if err != nil {
			return nil, err
		}
		return []render.Placement{{Bundle: k}}, nil
	case layout.FormatHelm:
		// Charts go where bundles would: in --out for one target, in
		// --out/<target> for several.
		charts := make([]render.Placement, len(placements))
		for i, p := range placements {
			cmd := layout.Command(o.spec.invocation(filepath.Join(o.out, p.Dir)), format, targets[i])
			ch, err := layout.Helm(p.Bundle, cmd)
			if err != nil {
				return nil, err
			}
			charts[i] = render.Placement{Dir: p.Dir, Bundle: ch}
		}
		return charts, nil
	}
	return placements, nil
}

func targetList(targets []target.Target) string {
	names := make([]string, len(targets))
	for i, t := range targets {
		names[i] = t.Name()
	}
	return strings.Join(names, ", ")
}

func (o *renderOptions) print(s streams, plan *target.Plan, t target.Target) error {
	inv := o.spec.invocation("")
	b, err := plan.Render(t, inv)
	if err != nil {
		return err
	}
	out, err := b.Stream(inv.Command(t, false))
	if err != nil {
		return errorf("%v", err)
	}
	_, err = s.Out.Write(out)
	return err
}

// runCheck compares each bundle's directory with what would be written:
// exit 1 and the difference when they differ.
func (o *renderOptions) runCheck(s streams, placements []render.Placement) error {
	color, err := useColor(s.Out, "auto")
	if err != nil {
		return err
	}
	var results []*diff.CheckResult
	equal := true
	for _, p := range placements {
		res, err := diff.Check(filepath.Join(o.out, p.Dir), p.Bundle.Files)
		if err != nil {
			return err
		}
		results = append(results, res)
		equal = equal && res.Equal
	}
	if o.format == formatJSON {
		if err := diff.WriteChecksJSON(s.Out, results); err != nil {
			return err
		}
	} else {
		for _, res := range results {
			if err := res.WriteText(s.Out, color); err != nil {
				return err
			}
		}
	}
	if !equal {
		return silentExit(exitFailure)
	}
	if o.format != formatJSON {
		fmt.Fprintf(s.Err, "%s is up to date\n", o.out)
	}
	return nil
}

// errorf is a usage or input error: exit code 2.
func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
