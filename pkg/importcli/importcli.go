// Package importcli is the compose import as the synctl-validate helper
// runs it for `synctl init --from` and `synctl diff --from compose.yaml`:
// it loads the compose files with compose-go, converts them with
// pkg/importer and writes the result (package imported) as JSON on
// standard output. It lives outside cmd/synctl for the reason
// pkg/validatecli does: compose-go's loader links a JSON Schema library
// whose package initialisation takes about 13 ms, which every synctl
// command would otherwise pay at start.
package importcli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/synctl/synctl/pkg/importer"
)

// Command is the helper's first argument that selects the import.
const Command = "import"

// Exit statuses, as synctl's.
const (
	exitOK      = 0
	exitFailure = 1 // the result could not be written
	exitUsage   = 2 // the compose project does not load or is refused
)

// Main runs one import: flags as synctl init's (--from, --env-file,
// --profile, --project-directory, --allow-lossy). An error goes to
// stderr as "synctl: <error>", as synctl itself would print it.
func Main(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("synctl-validate "+Command, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o importer.Options
	fs.Func("from", "compose file (repeatable)", func(v string) error { o.Files = append(o.Files, v); return nil })
	fs.Func("env-file", "env file for interpolation (repeatable)", func(v string) error { o.EnvFiles = append(o.EnvFiles, v); return nil })
	fs.Func("profile", "compose profile (repeatable)", func(v string) error { o.Profiles = append(o.Profiles, v); return nil })
	fs.StringVar(&o.ProjectDirectory, "project-directory", "", "the compose project directory")
	fs.BoolVar(&o.AllowLossy, "allow-lossy", false, "import without the refused fields")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: synctl-validate "+Command+" --from FILE... [--env-file F] [--profile P] [--project-directory D] [--allow-lossy]  (run by `synctl init --from`; see its --help)")
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() > 0 || len(o.Files) == 0 {
		fs.Usage()
		return exitUsage
	}
	res, err := importer.Import(context.Background(), o)
	if err != nil {
		fmt.Fprintf(stderr, "synctl: %v\n", err)
		return exitUsage
	}
	out, err := res.Imported()
	if err == nil {
		err = json.NewEncoder(stdout).Encode(out)
	}
	if err != nil {
		fmt.Fprintf(stderr, "synctl: writing the import: %v\n", err)
		return exitFailure
	}
	return exitOK
}
