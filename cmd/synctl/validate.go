package main

import (
	"cmp"
	"debug/buildinfo"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"

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
Service allowed on its port, and the outbound ports of the spec a bundle's
record names; no selector that selects no pod).
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

// validateHelper is the program that runs the checks and the compose
// import. They link compose-go's schema loader, the Gateway API CRD
// validator and CEL, whose package initialisation alone takes about 27 ms;
// in their own binary, that cost is paid by `synctl validate`, `init
// --from` and `diff --from compose.yaml` only, and not by every render,
// diff and wiring.
const validateHelper = "synctl-validate"

// runValidate runs the helper with the parsed arguments on synctl's own
// streams; its output and exit status are synctl's.
func runValidate(s streams, o *validateOptions, paths []string) error {
	helper, err := findValidateHelper("synctl validate runs")
	if err != nil {
		return err
	}
	if err := checkValidateHelper(helper); err != nil {
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
// synctl executable, then on $PATH. who names the commands that need it
// and the verb ("synctl validate runs").
func findValidateHelper(who string) (string, error) {
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
	return "", fmt.Errorf("%s %s, which is neither next to %s nor on $PATH; install both from a checkout of synctl with `go install ./cmd/...`",
		who, validateHelper, exe)
}

// checkValidateHelper refuses a helper built from another version of synctl
// than this one: its checks and its report would not be this synctl's. It
// reads the helper's build information from the file, without running it.
func checkValidateHelper(helper string) error {
	own, ok := debug.ReadBuildInfo()
	if !ok {
		return nil // a build without build information cannot compare
	}
	hb, err := buildinfo.ReadFile(helper)
	if err != nil {
		return fmt.Errorf("%s is not a Go program synctl can read the version of (%v); %s", helper, innermost(err), installHelper(buildVersion()))
	}
	if why := helperMismatch(own, buildVersion(), hb); why != "" {
		return fmt.Errorf("%s %s; %s", helper, why, installHelper(buildVersion()))
	}
	return nil
}

// helperMismatch says how the helper's build differs from synctl's own
// (ownVersion is what --version prints), or returns "". Two builds that
// carry a version (a release, a module version, a VCS revision) must carry
// the same; two that do not (-buildvcs=false) must at least be built by
// the same Go from the same dependencies.
func helperMismatch(own *debug.BuildInfo, ownVersion string, helper *debug.BuildInfo) string {
	if helper.Main.Path != own.Main.Path {
		return fmt.Sprintf("is a build of %s, not of synctl (%s)", orUnknown(helper.Main.Path), own.Main.Path)
	}
	hv := helperVersion(helper)
	if known(ownVersion) && known(hv) {
		if hv != ownVersion {
			return fmt.Sprintf("is version %s, but synctl is version %s", hv, ownVersion)
		}
		return ""
	}
	if helper.GoVersion != own.GoVersion {
		return fmt.Sprintf("was built by %s, synctl by %s: they are not one build", helper.GoVersion, own.GoVersion)
	}
	deps := func(bi *debug.BuildInfo) []string {
		var out []string
		for _, d := range bi.Deps {
			out = append(out, d.Path+"@"+d.Version)
		}
		slices.Sort(out)
		return out
	}
	// Each module both link must be at one version.
	hd, od := deps(helper), deps(own)
	for _, d := range hd {
		path, _, _ := strings.Cut(d, "@")
		if i := slices.IndexFunc(od, func(o string) bool { return strings.HasPrefix(o, path+"@") }); i >= 0 && od[i] != d {
			return fmt.Sprintf("was built with %s, synctl with %s: they are not one build", d, od[i])
		}
	}
	return ""
}

// helperVersion is the version the helper's build carries, as
// buildVersion computes synctl's: -X main.version=... first.
func helperVersion(bi *debug.BuildInfo) string {
	for _, s := range bi.Settings {
		if s.Key != "-ldflags" {
			continue
		}
		f := strings.Fields(s.Value)
		for i, x := range f {
			x = strings.TrimPrefix(x, "-X=")
			if x == "-X" && i+1 < len(f) {
				x = f[i+1]
			}
			if v, ok := strings.CutPrefix(strings.Trim(x, `'"`), "main.version="); ok && v != "" {
				return v
			}
		}
	}
	return versionOf(bi)
}

// known reports whether a version names a build (not "unknown: ...").
func known(v string) bool { return v != "" && !strings.HasPrefix(v, "unknown") }

func orUnknown(s string) string { return cmp.Or(s, "an unknown program") }

// installHelper says how to get the helper that matches synctl version v.
func installHelper(v string) string {
	if known(v) && !strings.HasPrefix(v, "devel") && !strings.HasPrefix(v, "v0.0.0-") {
		return "install the matching one with `go install github.com/synctl/synctl/cmd/synctl-validate@" + v + "` (or point $SYNCTL_VALIDATE at it)"
	}
	return "install both from the same checkout with `go install ./cmd/...` (or point $SYNCTL_VALIDATE at the matching helper)"
}

// innermost is the cause at the end of err's chain, without the paths the
// wrapping repeats.
func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
