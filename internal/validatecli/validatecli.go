// Package validatecli is `synctl validate` after its arguments are parsed:
// it runs pkg/validate and prints the report. It lives outside cmd/synctl so
// that only the synctl-validate helper links pkg/validate: compose-go's
// schema loader, the Gateway API CRD validator and CEL cost about 14 ms of
// package initialisation at every start of any program that links them.
package validatecli

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/synctl/synctl/pkg/validate"
)

// Exit statuses, as synctl's.
const (
	exitOK      = 0
	exitFailure = 1 // problems found
	exitUsage   = 2 // unreadable input or nothing to check
)

// Run checks paths as `synctl validate` does: problems on stdout, skipped
// checks and the summary on stderr. It returns the exit status and, when not
// nil, the error to print as "synctl: <err>".
func Run(paths []string, skipNginx bool, stdout, stderr io.Writer) (int, error) {
	r, err := validate.Paths(paths, validate.Options{SkipNginx: skipNginx})
	if err != nil {
		var ie *validate.InputError
		if errors.As(err, &ie) {
			return exitUsage, err
		}
		return exitFailure, err
	}
	for _, p := range r.Problems {
		fmt.Fprintln(stdout, p)
	}
	for _, sk := range r.Skipped {
		fmt.Fprintln(stderr, sk)
	}
	if len(r.Problems) > 0 {
		fmt.Fprintf(stderr, "synctl: %d problem(s) in %d file(s) checked\n", len(r.Problems), len(r.Files))
		return exitFailure, nil
	}
	if len(r.Files) == 0 {
		return exitUsage, fmt.Errorf("no compose, nginx or Kubernetes files found in %v", paths)
	}
	fmt.Fprintf(stderr, "synctl: %d file(s) checked, no problems\n", len(r.Files))
	return exitOK, nil
}

// Main is the synctl-validate helper's command line:
//
//	synctl-validate [--skip-nginx] [--] PATH...
//
// It returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("synctl-validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	skipNginx := fs.Bool("skip-nginx", false, "do not run nginx -t (it is listed as skipped)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: synctl-validate [--skip-nginx] [--] PATH...  (run by `synctl validate`; see its --help)")
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return exitUsage
	}
	code, err := Run(fs.Args(), *skipNginx, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "synctl: %v\n", err)
	}
	return code
}
