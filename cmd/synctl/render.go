package main

import (
	"fmt"
	"path/filepath"
	"sync"

	"github.com/spf13/cobra"

	"github.com/synctl/synctl/pkg/diff"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/topology"
)

type renderOptions struct {
	spec   specOptions
	target string
	out    string
	force  bool
	check  bool
}

func newRenderCmd(s streams) *cobra.Command {
	o := &renderOptions{}
	cmd := &cobra.Command{
		Use:   "render --target TARGET [--out DIR]",
		Short: "Write one target's deployment files",
		Long: `Render the app for one target (or all of them) and write the bundle.

With --out DIR, the bundle is written to DIR (for --target all, to DIR/<target>/):
  docker, docker-network  compose.yaml, docker-run.sh, README.md
  nginx                   compose.yaml, nginx.conf, certs/tls.crt, certs/tls.key, README.md
  minikube, gke           one manifest per object (apply with kubectl apply -f DIR), README.md
Writing is all-or-nothing: on any error DIR is left exactly as it was. Files in
DIR that synctl did not write are never overwritten unless --force. An existing
certificate and key are kept, not rotated.

Without --out:
  minikube, gke           print one multi-document stream for kubectl apply -f -
  docker, docker-network  print compose.yaml for docker compose -f - up -d
  nginx                   is an error: nginx.conf and the certificate need a directory

With --check, nothing is written: the command exits 1 and prints the
difference when DIR differs from what it would write, 0 when it is up to date
(a CI step that catches hand edits and a stale render).`,
		Example: `  synctl render --target gke | kubectl apply -f -
  synctl render --target nginx --out deploy/nginx
  synctl render --target all --out deploy
  synctl render -f app.yaml --target minikube --image api=registry.example/api:1.2 --out deploy/minikube
  synctl render --target all --out deploy --check`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(s) },
	}
	cmd.Flags().StringVarP(&o.target, "target", "t", "", "`TARGET`: "+topology.TargetNames()+", or all")
	cmd.Flags().StringVarP(&o.out, "out", "o", "", "`DIR` to write the bundle into (created if missing)")
	cmd.Flags().BoolVar(&o.force, "force", false, "overwrite files in --out that synctl did not write")
	cmd.Flags().BoolVar(&o.check, "check", false, "write nothing; exit 1 and show the difference if --out is not up to date")
	addSpecFlags(cmd, &o.spec)
	return cmd
}

func (o *renderOptions) run(s streams) error {
	targets, err := targetList(o.target, true)
	if err != nil {
		return err
	}
	m, err := o.spec.load()
	if err != nil {
		return err
	}
	all := len(targets) > 1
	if o.out == "" {
		if all {
			return errorf("--target all writes one directory per target: pass --out DIR")
		}
		if o.check {
			return errorf("--check compares against a directory: pass --out DIR")
		}
		return o.print(s, m, targets[0])
	}
	// Targets render independently from the read-only model: side by side,
	// then joined in target order (the first failing target's error wins, as
	// it would one after the other).
	bundles := make([][]render.File, len(targets))
	errs := make([]error, len(targets))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Go(func() { bundles[i], errs[i] = render.Render(m, t) })
	}
	wg.Wait()
	var files []render.File
	for i, t := range targets {
		if errs[i] != nil {
			return errs[i]
		}
		fs := bundles[i]
		if all {
			for i := range fs {
				fs[i].Path = string(t) + "/" + fs[i].Path
			}
		}
		files = append(files, fs...)
	}
	if o.check {
		return o.runCheck(s, files)
	}
	if err := render.WriteBundle(o.out, files, render.WriteOptions{Force: o.force}); err != nil {
		return err
	}
	for _, t := range targets {
		dir := o.out
		if all {
			dir = filepath.Join(o.out, string(t))
		}
		fmt.Fprintf(s.Err, "wrote %s bundle to %s\n", t, dir)
	}
	return nil
}

func (o *renderOptions) print(s streams, m *topology.Model, t topology.Target) error {
	if t == topology.Nginx {
		return errorf("target nginx writes nginx.conf and a certificate beside compose.yaml: pass --out DIR")
	}
	files, err := render.Render(m, t)
	if err != nil {
		return err
	}
	if t.IsKubernetes() {
		_, err = s.Out.Write(render.Stream(t, files))
		return err
	}
	for _, f := range files {
		if f.Path == "compose.yaml" {
			_, err = s.Out.Write(f.Data)
			return err
		}
	}
	return fmt.Errorf("internal error: target %s rendered no compose.yaml", t)
}

// runCheck compares --out with what would be written: exit 1 and the
// difference when they differ. Key material synctl keeps is not compared.
func (o *renderOptions) runCheck(s streams, files []render.File) error {
	res, err := diff.Check(o.out, files)
	if err != nil {
		return err
	}
	color, err := useColor(s.Out, "auto")
	if err != nil {
		return err
	}
	if err := res.WriteText(s.Out, color); err != nil {
		return err
	}
	if !res.Equal {
		return silentExit(exitFailure)
	}
	fmt.Fprintf(s.Err, "%s is up to date\n", o.out)
	return nil
}

// errorf is a usage or input error: exit code 2.
func errorf(format string, args ...any) error { return fmt.Errorf(format, args...) }
