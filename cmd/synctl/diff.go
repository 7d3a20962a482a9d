package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/synctl/synctl/pkg/diff"
	"github.com/synctl/synctl/pkg/topology"
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
		Use:   "diff --from TARGET|DIR --to TARGET|DIR",
		Short: "Explain what changes between two targets, or between a target and a rendered directory",
		Long: `Compare two deployment bundles: two targets of the app, a target and a
directory written by 'synctl render --out', or two directories. A value of
--from/--to that names a target is rendered now:
  ` + topology.TargetNames() + `
anything else, or a value containing "/" (./gke for a folder named like a
target), is read as a directory.

The report puts the most meaningful change first:
  Summary   one sentence per kind of change (namespaces, gateway class,
            routing, filters, policies, resources, the wiring)
  Wiring    CHAT_URL, API_URL, CRAWLER_BASE_URL, old -> new; for a directory
            API_URL and CRAWLER_BASE_URL are read from the files and CHAT_URL
            is unknown (never counted as a difference)
  Removed, Added, Changed
            resources matched by identity, whatever file holds them:
            Kubernetes objects by group/kind/namespace/name, compose
            services/networks/volumes by name; every changed field with its
            path, list items by name or natural key (env[name=API_URL])
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
  synctl diff --from gke --to deploy/gke
  synctl diff --from deploy/old --to deploy/new --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(s) },
	}
	cmd.Flags().StringVar(&o.from, "from", "", "old side: a target ("+topology.TargetNames()+") or a directory")
	cmd.Flags().StringVar(&o.to, "to", "", "new side: a target or a directory")
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text or json")
	cmd.Flags().StringVar(&o.color, "color", "auto", "colour: auto (terminal and no NO_COLOR), always or never")
	addSpecFlags(cmd, &o.spec)
	return cmd
}

func (o *diffOptions) run(s streams) error {
	if o.from == "" || o.to == "" {
		return errorf("--from and --to are both required: each is a target (%s) or a directory", topology.TargetNames())
	}
	if o.format != "text" && o.format != "json" {
		return errorf("unknown --format %q: choose text or json", o.format)
	}
	color, err := useColor(s.Out, o.color)
	if err != nil {
		return err
	}
	var model *topology.Model
	side := func(flag, v string) (diff.Side, error) {
		if t, err := topology.ParseTarget(v); err == nil && !strings.ContainsRune(v, '/') {
			if model == nil {
				if model, err = o.spec.load(); err != nil {
					return diff.Side{}, err
				}
			}
			return diff.TargetSide(model, t)
		}
		if info, err := os.Stat(v); err != nil || !info.IsDir() {
			return diff.Side{}, errorf("--%s %q is neither a target (%s) nor a directory", flag, v, topology.TargetNames())
		}
		return diff.DirSide(v)
	}
	from, err := side("from", o.from)
	if err != nil {
		return err
	}
	to, err := side("to", o.to)
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
