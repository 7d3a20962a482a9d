// Command synctl-validate is the helper synctl runs for the commands that
// need compose-go's loader: `synctl validate` (see its --help) and the
// compose import of `synctl init --from` and `synctl diff --from`. It is a
// separate program so that those packages, and their start-up cost, stay
// out of every other synctl command. Install it next to synctl:
// go install github.com/synctl/synctl/cmd/...
//
//	synctl-validate [--skip-nginx] [--format text|json] [--] PATH...
//	synctl-validate import --from FILE... [--env-file F] [--profile P] [--project-directory D] [--allow-lossy]
package main

import (
	"os"

	"github.com/synctl/synctl/pkg/importcli"
	"github.com/synctl/synctl/pkg/startgc"
	"github.com/synctl/synctl/pkg/validatecli"
)

func main() {
	startgc.DeferFirst()
	if len(os.Args) > 1 && os.Args[1] == importcli.Command {
		os.Exit(importcli.Main(os.Args[2:], os.Stdout, os.Stderr))
	}
	os.Exit(validatecli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
