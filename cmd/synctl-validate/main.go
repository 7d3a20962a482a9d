// Command synctl-validate is the helper `synctl validate` runs; see
// `synctl validate --help`. It is a separate program so that the packages
// validation needs, and their start-up cost, stay out of every other synctl
// command. Install it next to synctl: go install github.com/synctl/synctl/cmd/...
//
//	synctl-validate [--skip-nginx] [--] PATH...
package main

import (
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/synctl/synctl/internal/startgc"
	"github.com/synctl/synctl/internal/validatecli"
)

func main() {
	startgc.DeferFirst()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("synctl-validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	skipNginx := fs.Bool("skip-nginx", false, "do not run nginx -t (it is listed as skipped)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: synctl-validate [--skip-nginx] [--] PATH...  (run by `synctl validate`; see its --help)")
	}
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}
	code, err := validatecli.Run(fs.Args(), *skipNginx, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "synctl: %v\n", err)
	}
	return code
}
