package templates

import (
	"bytes"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"
	"text/template"
)

type item struct {
	Name  string
	Port  int
	On    bool
	Tags  []string
	Inner *item
	Any   any
}

type named string

type stringer struct{ n int }

func (s stringer) String() string { return fmt.Sprintf("stringer(%d)", s.n) }

// TestSameAsTextTemplate runs each template below, and every template file
// synctl renders from, through text/template and through Template, on the
// same data: the output must be the same to the byte, or both must fail.
func TestSameAsTextTemplate(t *testing.T) {
	data := struct {
		Title    string
		Empty    string
		N, Zero  int
		Yes, No  bool
		Items    []item
		None     []item
		Map      map[string]int
		Nested   map[string]map[string]string
		Ptr      *item
		NilPtr   *item
		Iface    any
		Named    named
		Stringer stringer
		Words    []string
	}{
		Title: "Shop & <Co>",
		N:     3,
		Yes:   true,
		Items: []item{
			{Name: "web", Port: 80, On: true, Tags: []string{"a", "b"}, Inner: &item{Name: "inner"}},
			{Name: "api", Port: 8080, Any: 7},
		},
		Map:      map[string]int{"b": 2, "a": 1, "c": 3},
		Nested:   map[string]map[string]string{"x": {"y": "z"}},
		Ptr:      &item{Name: "ptr", Port: 1},
		Iface:    item{Name: "iface"},
		Named:    "named",
		Stringer: stringer{5},
		Words:    []string{"one", "two", "three"},
	}
	funcs := FuncMap{
		"quote": ShellQuote,
		"join":  strings.Join,
		"upper": strings.ToUpper,
		"pair":  func(a, b string) string { return a + "=" + b },
		"fail":  func(s string) (string, error) { return "", fmt.Errorf("failed on %s", s) },
	}
	cases := map[string]string{
		"text":          "plain text, no actions\n",
		"dot":           "{{.Title}} {{.N}} {{.Yes}} {{.No}} {{.Zero}} {{.Empty}}|",
		"fields":        "{{range .Items}}{{.Name}}:{{.Port}} {{end}}",
		"nested":        "{{.Ptr.Name}} {{.Ptr.Port}} {{(.Ptr).Name}}",
		"nil ptr field": "{{.NilPtr.Name}}",
		"print ptr":     "{{.Ptr}}",
		"print nil ptr": "{{.NilPtr}}",
		"iface":         "{{.Iface.Name}} {{.Iface}}",
		"named":         "{{.Named}} {{.Stringer}}",
		"any int":       "{{range .Items}}[{{.Any}}]{{end}}",
		"map":           "{{.Map.a}} {{.Nested.x.y}}",
		"map missing":   "{{.Map.zz}}",
		"range map":     "{{range .Map}}{{.}},{{end}}",
		"range else":    "{{range .None}}x{{else}}none{{end}}",
		"range nil":     "{{range .NilPtr}}x{{end}}",
		"if":            "{{if .Yes}}y{{end}}{{if .No}}n{{end}}{{if .Items}}items{{end}}{{if .None}}none{{end}}{{if .Ptr}}ptr{{end}}{{if .NilPtr}}nil{{end}}",
		"if else":       "{{if .No}}a{{else if .Zero}}b{{else if .Title}}c{{else}}d{{end}}",
		"with":          "{{with .Ptr}}{{.Name}}{{end}}{{with .NilPtr}}x{{else}}no ptr{{end}}",
		"dollar":        "{{range .Items}}{{$.Title}}/{{.Name}} {{end}}{{$.N}}",
		"dollar alone":  "{{range .Words}}{{$.N}}{{end}}",
		"trim":          "a  {{- .N -}}  b\n  {{- if .Yes}}\n  yes\n  {{- end}}\n",
		"comment":       "a{{/* a comment */}}b{{- /* trimmed */ -}} c",
		"define":        `{{define "row"}}<{{.Name}}>{{end}}{{range .Items}}{{template "row" .}}{{end}}{{template "row" $.Ptr}}`,
		"define no arg": `{{define "t"}}[{{.}}]{{end}}{{template "t"}}`,
		"funcs":         `{{quote .Title}} {{join .Words ", "}} {{upper "x"}} {{pair .Title "v"}}`,
		"func error":    `{{fail .Title}}`,
		"or":            `{{or .Empty "default"}} {{or .Title "default"}} {{or .Zero .No}}`,
		"and":           `{{and .Yes .N}} {{and .Yes .Zero .N}}`,
		"not":           `{{not .Yes}} {{not .Empty}}`,
		"len":           `{{len .Items}} {{len .Title}} {{len .Map}}`,
		"slice":         `{{slice .Title 1}} {{slice .Title 1 3}} {{slice .Words 1}}`,
		"slice bad":     `{{slice .Title 40}}`,
		"eq ne":         `{{eq .N 3}} {{eq .Title "x"}} {{ne .N 3}} {{if eq .Named "named"}}y{{end}}`,
		"paren":         `{{(quote .Title)}}`,
		"bad field":     "{{.Nope}}",
		"field of int":  "{{.N.X}}",
		"range int":     "{{range .Title}}x{{end}}",
		"nested range":  "{{range .Items}}{{.Name}}({{range .Tags}}{{.}}{{end}}){{if .Inner}}{{.Inner.Name}}{{end}};{{end}}",
	}
	for name, text := range cases {
		t.Run(name, func(t *testing.T) {
			compare(t, fstest.MapFS{"t.tmpl": {Data: []byte(text)}}, "t.tmpl", funcs, data)
		})
	}
}

// compare executes the file name of fsys both ways on data.
func compare(t *testing.T, fsys fs.FS, name string, funcs FuncMap, data any) {
	t.Helper()
	text, err := fs.ReadFile(fsys, name)
	if err != nil {
		t.Fatal(err)
	}
	std, err := template.New(name).Funcs(template.FuncMap(funcs)).Option("missingkey=error").Parse(string(text))
	if err != nil {
		t.Fatalf("text/template parses %q: %v", text, err)
	}
	var want bytes.Buffer
	stdErr := std.Execute(&want, data)

	ours, err := parseText(name, string(text), funcs)
	if err != nil {
		t.Fatalf("Parse %q: %v", text, err)
	}
	var got bytes.Buffer
	ourErr := ours.Execute(&got, data)
	switch {
	case stdErr != nil && ourErr != nil:
		t.Logf("both fail: text/template: %v; ours: %v", stdErr, ourErr)
	case stdErr != nil:
		t.Errorf("%q: text/template fails (%v), ours wrote %q", text, stdErr, got.String())
	case ourErr != nil:
		t.Errorf("%q: ours fails (%v), text/template wrote %q", text, ourErr, want.String())
	case got.String() != want.String():
		t.Errorf("%q:\n got %q\nwant %q", text, got.String(), want.String())
	}
}

// TestFilesParse: every template file parses with its functions, and names
// no function or template that is missing.
func TestFilesParse(t *testing.T) {
	funcs := map[string]FuncMap{
		"nginx.conf.tmpl":    nil,
		"README.md.tmpl":     {"join": strings.Join},
		"docker-run.sh.tmpl": {"quote": ShellQuote},
	}
	entries, err := fs.Glob(files, "*.tmpl")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range entries {
		f, ok := funcs[name]
		if !ok {
			t.Errorf("%s: a template file this test does not know; add it with its functions", name)
			continue
		}
		if _, err := Parse(name, f); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
}
