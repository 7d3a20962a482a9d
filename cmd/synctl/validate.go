package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/synctl/synctl/pkg/validate"
)

type validateOptions struct {
	skipNginx bool
}

func newValidateCmd(s streams) *cobra.Command {
	o := &validateOptions{}
	cmd := &cobra.Command{
		Use:   "validate PATH...",
		Short: "Check compose files, nginx.conf and Kubernetes manifests, and how they are wired",
		Long: `validate checks files or directories (recursively) of deployment files,
whether synctl wrote them or you did. Files are recognised by content:

  compose      loaded in full with compose-go, as 'docker compose config' does;
               bind-mount sources must exist
  nginx.conf   'nginx -t' with real nginx in a private mount namespace, as the
               compose service that mounts it sees it (needs root and nginx)
  Kubernetes   strict decode into the typed API structs; Gateway API objects
               against their CRD schema and CEL rules; GKE HealthCheckPolicy
               against GKE's documented limits

and the cross-references between them: selectors, ports, routes, ConfigMaps,
PVCs, autoscaler targets, CRAWLER_BASE_URL, API_URL and health-check paths.
Kubernetes objects are cross-checked with the others in the same directory.

Each problem is printed as 'file: resource: field: message'. Checks that
cannot run here are listed on stderr as skipped.
Exit status: 0 no problems, 1 problems found, 2 unreadable input or usage error.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runValidate(s, o, args)
		},
	}
	cmd.Flags().BoolVar(&o.skipNginx, "skip-nginx", false, "do not run nginx -t (it is listed as skipped)")
	return cmd
}

func runValidate(s streams, o *validateOptions, paths []string) error {
	r, err := validate.Paths(paths, validate.Options{SkipNginx: o.skipNginx})
	if err != nil {
		var ie *validate.InputError
		if errors.As(err, &ie) {
			return err // exit 2
		}
		return withCode(exitFailure, err)
	}
	for _, p := range r.Problems {
		fmt.Fprintln(s.Out, p)
	}
	for _, sk := range r.Skipped {
		fmt.Fprintln(s.Err, sk)
	}
	if len(r.Problems) > 0 {
		fmt.Fprintf(s.Err, "synctl: %d problem(s) in %d file(s) checked\n", len(r.Problems), len(r.Files))
		return silentExit(exitFailure)
	}
	if len(r.Files) == 0 {
		return fmt.Errorf("no compose, nginx or Kubernetes files found in %v", paths)
	}
	fmt.Fprintf(s.Err, "synctl: %d file(s) checked, no problems\n", len(r.Files))
	return nil
}
