package main

import (
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"

	"github.com/spf13/cobra"

	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/target/platform"
)

// version is set at build time with -ldflags "-X main.version=..."; without
// it, the build info says which module version or commit this is.
var version = ""

// buildVersion is version, or what the Go toolchain recorded: the module
// version for `go install ...@v1.2.3`, the VCS revision for a build in a
// checkout.
func buildVersion() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	return versionOf(bi)
}

// versionOf is the version a build info records.
func versionOf(bi *debug.BuildInfo) string {
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev == "" {
		// Go stamps the revision of a build in a git checkout unless
		// -buildvcs=false (or GOFLAGS) turned it off; `go run` never does.
		return "unknown: this build carries no version (build information was turned off: built with -buildvcs=false, by go run or outside a git checkout); " +
			"install a release with `go install github.com/synctl/synctl/cmd/...@VERSION`, or build in a checkout without -buildvcs=false"
	}
	return "devel-" + rev + modified
}

// streams are the command's standard streams; tests pass their own buffers.
type streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
}

// Exit codes shared by every command.
const (
	exitOK      = 0
	exitFailure = 1 // the command ran and found a difference or a problem
	exitUsage   = 2 // bad usage or bad input; nothing was written
	// exitInterrupted is the shell's code for a command ended by SIGINT.
	exitInterrupted = 130
)

// exitError carries an exit code other than exitUsage up to run.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// withCode wraps err so that run exits with code. A nil err stays nil.
func withCode(code int, err error) error {
	if err == nil {
		return nil
	}
	return &exitError{code: code, err: err}
}

// completeError is a flag value's error that already names the flag, what
// is allowed and what to do.
type completeError struct{ msg string }

func (e *completeError) Error() string { return e.msg }

// silentExit ends the command with code and no message (the command has
// already printed what it found, as diff(1) does).
func silentExit(code int) error { return &exitError{code: code} }

// subcommands are synctl's commands in the order help lists them, each with
// the name it is invoked by, so that run can build the one a command line
// names and leave the others unbuilt.
var subcommands = []struct {
	name  string
	build func(streams) *cobra.Command
}{
	{"init", newInitCmd},
	{"render", newRenderCmd},
	{"wiring", newWiringCmd},
	{"targets", newTargetsCmd},
	{"validate", newValidateCmd},
	{"verify", newVerifyCmd},
	{"diff", newDiffCmd},
	{"graph", newGraphCmd},
}

// newRootCmd is synctl's command tree as args needs it. A command line that
// names a subcommand gets the root and that subcommand alone, and
// `synctl --version` the root alone: building every command and its flags
// is most of the CLI's own start-up. Any other line (help, completion, a
// mistyped command, which wants suggestions) gets the whole tree, as does a
// line that cobra would resolve otherwise than the first word suggests.
func newRootCmd(s streams, args []string) *cobra.Command {
	if len(args) == 1 && (args[0] == "--version" || args[0] == "-v") {
		root := newRoot(s)
		root.CompletionOptions.DisableDefaultCmd = true
		return root
	}
	for _, arg := range args {
		if strings.HasPrefix(arg, "-") {
			continue
		}
		for _, sub := range subcommands {
			if sub.name != arg {
				continue
			}
			root := newRoot(s)
			root.CompletionOptions.DisableDefaultCmd = true
			root.AddCommand(sub.build(s))
			if c, _, err := root.Find(args); err == nil && c.Name() == sub.name {
				return root
			}
		}
		break
	}
	return newTree(s)
}

// newTree is the root with every subcommand.
func newTree(s streams) *cobra.Command {
	root := newRoot(s)
	for _, sub := range subcommands {
		root.AddCommand(sub.build(s))
	}
	return root
}

// newRoot is the root command without its subcommands.
func newRoot(s streams) *cobra.Command {
	root := &cobra.Command{
		Use:   "synctl",
		Short: "Render one application model into docker, compose+nginx and Kubernetes deployments",
		Long: `synctl turns one typed model of a multi-service web application into working
deployments. What differs between targets is how the app's URLs are wired:

  the entry URL     how the browser reaches the frontend
  browser links     URLs a service hands to the browser, which must work from
                    the user's machine
  service links     URLs a service's own process uses inside the deployment

Targets: ` + target.Names() + `.
Without -f, synctl works on its built-in example app (synctl init prints it).`,
		Example: `  synctl render --target all --out deploy      # every setup, one directory each
  synctl render --target gke | ` + platform.KubectlApply + ` -f -
  synctl wiring                                 # the URLs of every setup
  synctl diff --from minikube --to gke          # what changes between two setups
  synctl init > app.yaml                        # start a spec for your own app`,
		Version:       buildVersion(),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		// A flag value synctl parses itself says what is allowed already.
		var complete *completeError
		if errors.As(err, &complete) {
			return complete
		}
		return fmt.Errorf("%w\nRun '%s --help' for usage", err, c.CommandPath())
	})
	return root
}

// run executes the CLI with args and returns the process exit code.
func run(args []string, s streams) int {
	return execute(newRootCmd(s, args), args, s)
}

// execute runs root on args and returns the process exit code.
func execute(root *cobra.Command, args []string, s streams) int {
	root.SetArgs(args)
	err := root.Execute()
	if err == nil {
		return exitOK
	}
	code := exitUsage
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.err == nil {
			return code
		}
	}
	fmt.Fprintf(s.Err, "synctl: %v\n", err)
	return code
}
