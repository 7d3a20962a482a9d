// Package templates holds the text templates synctl renders: nginx.conf, the
// docker run script and the bundle READMEs, in text/template's syntax (see
// Template for what is executed and why not by text/template itself).
// Structured formats (YAML) never come from here; they are built from typed
// structs in pkg/render.
package templates

import (
	"embed"

	"github.com/synctl/synctl/pkg/target/platform"
)

//go:embed *.tmpl
var files embed.FS

// ShellQuote quotes s as one POSIX shell word (platform.ShellQuote).
func ShellQuote(s string) string { return platform.ShellQuote(s) }
