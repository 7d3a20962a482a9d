// Package templates holds the text templates synctl renders with
// text/template: nginx.conf, the docker run script and the bundle READMEs.
// Structured formats (YAML) never come from here; they are built from typed
// structs in pkg/render.
package templates

import (
	"embed"
	"text/template"

	"github.com/synctl/synctl/pkg/target/platform"
)

//go:embed *.tmpl
var files embed.FS

// Parse returns the named template (e.g. "nginx.conf.tmpl") with funcs.
func Parse(name string, funcs template.FuncMap) (*template.Template, error) {
	return template.New(name).Funcs(funcs).Option("missingkey=error").ParseFS(files, name)
}

// ShellQuote quotes s as one POSIX shell word (platform.ShellQuote).
func ShellQuote(s string) string { return platform.ShellQuote(s) }
