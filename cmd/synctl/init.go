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
}

func newInitCmd(s streams) *cobra.Command {
	o := &initOptions{}
	cmd := &cobra.Command{
		Use:   "init [-o app.yaml]",
		Short: "Write the built-in app spec, with comments, as a starting point",
		Long: `Write the app spec synctl renders by default, so you can edit it and render
your own app with -f. Rendering the unedited spec gives exactly the default output.

The spec (apiVersion synctl.dev/v1alpha1, kind App):
` + specFieldsDoc + `  spec.targets             per-target settings:
` + targetSpecs() + `Unknown or misspelt fields are errors, reported with line and column.`,
		Example: `  synctl init > app.yaml
  synctl init -o app.yaml
  synctl render -f app.yaml --target minikube --out deploy/minikube`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(s) },
	}
	cmd.Flags().StringVarP(&o.out, "out", "o", "", "file to write (default: standard output)")
	cmd.Flags().BoolVar(&o.force, "force", false, "overwrite --out if it exists")
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
	spec := topology.DefaultSpec()
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
