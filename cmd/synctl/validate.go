package main

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/spf13/cobra"
)

type validateOptions struct {
	skipNginx bool
	format    string
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
PVCs, autoscaler targets, URLs in the environment (services reach what they
name; browser-resolved ones are reachable from the user's machine),
health-check paths, and NetworkPolicies (each link, DNS lookup and routed
Service allowed on its port; no selector that selects no pod).
A PATH of - reads one file from stdin, such as what 'synctl render' prints
(synctl render --target gke | synctl validate -); problems name it <stdin>.
Kubernetes objects are cross-checked with the others in the same directory.
A directory with a kustomization is built first, as 'kubectl kustomize'
builds it (an overlay with its base and patches), and what it builds is
checked as one deployment. A Helm chart is listed as not checked: validate
what 'helm template' renders from it instead.

Each problem is printed as 'file: resource: field: message'. Checks that
cannot run here are listed on stderr as skipped.
Exit status: 0 no problems, 1 problems found, 2 unreadable input or usage error.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runValidate(s, o, args)
		},
	}
	cmd.Flags().BoolVar(&o.skipNginx, "skip-nginx", false, "do not run nginx -t (it is listed as skipped)")
	addFormatFlag(cmd, &o.format, "text", "text", "json")
	return cmd
}

// validateHelper is the program that runs the checks. They link compose-go's
// schema loader, the Gateway API CRD validator and CEL, whose package
// initialisation alone takes about 14 ms; in their own binary, that cost is
// paid by `synctl validate` only and not by every render, diff and wiring.
const validateHelper = "synctl-validate"

// runValidate runs the helper with the parsed arguments on synctl's own
// streams; its output and exit status are synctl's.
func runValidate(s streams, o *validateOptions, paths []string) error {
	helper, err := findValidateHelper()
	if err != nil {
		return err
	}
	var args []string
	if err := checkFormat(o.format, "text", "json"); err != nil {
		return err
	}
	if o.skipNginx {
		args = append(args, "--skip-nginx")
	}
	args = append(args, "--format", o.format)
	args = append(append(args, "--"), paths...)
	cmd := exec.Command(helper, args...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = s.In, s.Out, s.Err
	err = cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() > 0 {
		return silentExit(ee.ExitCode()) // the helper printed why
	}
	if err != nil {
		return fmt.Errorf("running %s: %w", helper, err)
	}
	return nil
}

// findValidateHelper looks for the helper in $SYNCTL_VALIDATE, next to the
// synctl executable, then on $PATH.
func findValidateHelper() (string, error) {
	if p := os.Getenv("SYNCTL_VALIDATE"); p != "" {
		return p, nil
	}
	exe, err := os.Executable()
	if err == nil {
		p := filepath.Join(filepath.Dir(exe), validateHelper)
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
			return p, nil
		}
	}
	if p, err := exec.LookPath(validateHelper); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("synctl validate runs %s, which is neither next to %s nor on $PATH; install both from a checkout of synctl with `go install ./cmd/...`",
		validateHelper, exe)
}
