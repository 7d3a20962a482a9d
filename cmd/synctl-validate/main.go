// Command synctl-validate is the helper `synctl validate` runs; see
// `synctl validate --help`. It is a separate program so that the packages
// validation needs, and their start-up cost, stay out of every other synctl
// command. Install it next to synctl: go install github.com/synctl/synctl/cmd/...
//
//	synctl-validate [--skip-nginx] [--] PATH...
package main

import (
	"os"

	"github.com/synctl/synctl/pkg/startgc"
	"github.com/synctl/synctl/pkg/validatecli"
)

func main() {
	startgc.DeferFirst()
	os.Exit(validatecli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
