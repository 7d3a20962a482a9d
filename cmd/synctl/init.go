package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/topology"
)

type initOptions struct {
	out   string
	force bool
	// The compose import (--from and the flags that go with it).
	from       []string
	envFiles   []string
	profiles   []string
	projectDir string
	report     string
	allowLossy bool
}

func newInitCmd(s streams) *cobra.Command {
	o := &initOptions{}
	cmd := &cobra.Command{
		Use:   "init [-o app.yaml] [--from compose.yaml ...]",
		Short: "Write an app spec to start from: the built-in one, or one imported from a compose file",
		Long: `Write the app spec synctl renders by default, so you can edit it and render
your own app with -f. Rendering the unedited spec gives exactly the default output.

With --from, import a compose project instead: compose-go loads it as docker
compose does (interpolation, .env, env_file, extends, include, profiles, several
files), and each service becomes a spec service. Env values that name another
service (a URL, host:port, a host with its port beside it, a localhost URL the
browser opens) become links; literal passwords, secrets, tokens and keys become
spec secrets, their values not copied. A report on standard error (JSON with
--report) names every compose field that did not map one-to-one, with its file
and line: translated, inferred, dropped or refused. Refused fields (network_mode:
host, privileged, ...) stop the import with exit 2 unless --allow-lossy.

The spec (apiVersion synctl.dev/v1alpha1, kind App):
` + specFieldsDoc + `  spec.targets             per-target settings:
` + targetSpecs() + `Unknown or misspelt fields are errors, reported with line and column.`,
		Example: `  synctl init > app.yaml
  synctl init -o app.yaml
  synctl init --from compose.yaml -o app.yaml --report import.json
  synctl init --from compose.yaml --from compose.override.yaml --profile seed
  synctl render -f app.yaml --target minikube --out deploy/minikube`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(s) },
	}
	cmd.Flags().StringVarP(&o.out, "out", "o", "", "file to write (default: standard output)")
	cmd.Flags().BoolVar(&o.force, "force", false, "overwrite --out if it exists")
	cmd.Flags().StringArrayVar(&o.from, "from", nil, "compose file to import (repeat to merge several, as docker compose -f)")
	cmd.Flags().StringArrayVar(&o.envFiles, "env-file", nil, "with --from: env file for interpolation instead of the project's .env (repeatable)")
	cmd.Flags().StringArrayVar(&o.profiles, "profile", nil, "with --from: compose profile to activate (repeatable)")
	cmd.Flags().StringVar(&o.projectDir, "project-directory", "", "with --from: the compose project directory (default: the first file's)")
	cmd.Flags().StringVar(&o.report, "report", "", "with --from: also write the import report as JSON to this file")
	cmd.Flags().BoolVar(&o.allowLossy, "allow-lossy", false, "with --from: import without the fields the report refuses, reporting them as dropped")
	return cmd
}

// targetSpecs lists each target's spec fields, from the target's own type.
func targetSpecs() string {
	var b strings.Builder
	for _, t := range target.All() {
		fmt.Fprintf(&b, "    %-21s%s\n", t.Name(), topology.Fields(t.Spec()))
	}
	return b.String()
}

func (o *initOptions) run(s streams) error {
	if len(o.from) == 0 {
		for _, f := range []struct {
			flag string
			set  bool
		}{{"--env-file", len(o.envFiles) > 0}, {"--profile", len(o.profiles) > 0}, {"--project-directory", o.projectDir != ""},
			{"--report", o.report != ""}, {"--allow-lossy", o.allowLossy}} {
			if f.set {
				return fmt.Errorf("%s applies to a compose import; add --from compose.yaml", f.flag)
			}
		}
		return o.write(s, topology.DefaultSpec())
	}
	res, err := importCompose(s, importOptions{
		files: o.from, envFiles: o.envFiles, profiles: o.profiles, projectDir: o.projectDir, allowLossy: o.allowLossy,
	})
	if err != nil {
		return err
	}
	// The full target check: every target section, as render loads it.
	if _, err := target.Load("imported spec", res.Spec, target.Overrides{}); err != nil {
		return fmt.Errorf("the imported spec does not load: %w", err)
	}
	var js []byte
	if o.report != "" {
		if js, err = res.Report.JSON(); err != nil {
			return err
		}
	}
	if err := o.write(s, res.Spec); err != nil {
		return err
	}
	if o.report != "" {
		if err := os.WriteFile(o.report, js, 0o644); err != nil {
			return withCode(exitFailure, fmt.Errorf("writing the report: %w", err))
		}
	}
	return res.Report.WriteText(s.Err)
}

// write writes spec to --out, or to standard output.
func (o *initOptions) write(s streams, spec []byte) error {
	if o.out == "" {
		_, err := s.Out.Write(spec)
		return err
	}
	flags := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if o.force {
		flags = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(o.out, flags, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; pass --force to overwrite it, or choose another file", o.out)
	}
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", o.out, err)
	}
	if _, err := f.Write(spec); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", o.out, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", o.out, err)
	}
	fmt.Fprintf(s.Err, "wrote %s; render it with: synctl render -f %s --target TARGET\n", o.out, o.out)
	return nil
}
