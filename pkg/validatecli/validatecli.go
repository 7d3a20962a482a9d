// Package validatecli is `synctl validate` after its arguments are parsed:
// it runs pkg/validate and prints the report. It lives outside cmd/synctl so
// that only the synctl-validate helper links pkg/validate: compose-go's
// schema loader, the Gateway API CRD validator and CEL cost about 14 ms of
// package initialisation at every start of any program that links them.
package validatecli

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/synctl/synctl/pkg/validate"
)

// Exit statuses, as synctl's.
const (
	exitOK      = 0
	exitFailure = 1 // problems found
	exitUsage   = 2 // unreadable input or nothing to check
)

// Run checks paths as `synctl validate` does ("-" reads stdin). In text, problems go to
// stdout; documents not checked, skipped checks (identical ones collapsed)
// and the summary to stderr. In json, the whole report goes to stdout. It
// returns the exit status and, when not nil, the error to print as
// "synctl: <err>".
func Run(paths []string, skipNginx bool, format string, stdin io.Reader, stdout, stderr io.Writer) (int, error) {
	r, err := validate.Paths(paths, validate.Options{SkipNginx: skipNginx, Stdin: stdin})
	if err != nil {
		var ie *validate.InputError
		if errors.As(err, &ie) {
			return exitUsage, err
		}
		return exitFailure, err
	}
	code := exitOK
	switch {
	case len(r.Problems) > 0:
		code = exitFailure
	case len(r.Files) == 0:
		code = exitUsage
	}
	if format == "json" {
		if err := writeJSON(stdout, r); err != nil {
			return exitFailure, err
		}
		return code, nil
	}
	for _, p := range r.Problems {
		fmt.Fprintln(stdout, p)
	}
	for _, u := range r.Unchecked {
		fmt.Fprintln(stderr, u)
	}
	for _, line := range collapseSkipped(r.Skipped) {
		fmt.Fprintln(stderr, line)
	}
	if len(r.Files) == 0 && len(r.Problems) == 0 {
		return exitUsage, fmt.Errorf("no compose, nginx, Kubernetes or synctl files found in %s%s", strings.Join(paths, " "), orNot(r.Unchecked))
	}
	fmt.Fprintln(stderr, summary(r))
	return code, nil
}

func orNot(unchecked []validate.Unchecked) string {
	if len(unchecked) == 0 {
		return ""
	}
	return " (" + strings.Join(notChecked(unchecked), ", ") + ")"
}

// notChecked counts what was not checked: Helm charts apart from
// documents of kinds validate does not know.
func notChecked(unchecked []validate.Unchecked) []string {
	charts := 0
	for _, u := range unchecked {
		if u.Chart {
			charts++
		}
	}
	var out []string
	if n := len(unchecked) - charts; n > 0 {
		out = append(out, plural(n, "document")+" not checked")
	}
	if charts > 0 {
		out = append(out, plural(charts, "Helm chart")+" not checked")
	}
	return out
}

// summary is the closing line: what was checked and what was found.
func summary(r *validate.Report) string {
	s := plural(len(r.Files), "file") + " checked: "
	if len(r.Problems) == 0 {
		s += "no problems"
	} else {
		s += plural(len(r.Problems), "problem")
	}
	var extra []string
	if len(r.Skipped) > 0 {
		extra = append(extra, plural(len(r.Skipped), "check")+" skipped")
	}
	extra = append(extra, notChecked(r.Unchecked)...)
	if len(extra) > 0 {
		s += "; " + strings.Join(extra, ", ")
	}
	return s
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// collapseSkipped prints one line per kind of skipped check: the same check
// skipped for the same reason on many files is one line with a count.
func collapseSkipped(skips []validate.Skip) []string {
	type key struct{ check, reason string }
	var order []key
	files := map[key][]string{}
	for _, s := range skips {
		k := key{s.Check, s.Reason}
		if _, seen := files[k]; !seen {
			order = append(order, k)
		}
		files[k] = append(files[k], s.File)
	}
	var out []string
	for _, k := range order {
		fs := files[k]
		if len(fs) == 1 {
			out = append(out, validate.Skip{File: fs[0], Check: k.check, Reason: k.reason}.String())
			continue
		}
		out = append(out, fmt.Sprintf("skipped %s on %d files (%s and %d more): %s", k.check, len(fs), fs[0], len(fs)-1, k.reason))
	}
	return out
}

// writeJSON writes the report as one JSON object.
func writeJSON(w io.Writer, r *validate.Report) error {
	type problem struct {
		File     string `json:"file"`
		Resource string `json:"resource"`
		Field    string `json:"field"`
		Message  string `json:"message"`
	}
	type skip struct {
		File   string `json:"file"`
		Check  string `json:"check"`
		Reason string `json:"reason"`
	}
	type file struct {
		Path string `json:"path"`
		Kind string `json:"kind"`
	}
	out := struct {
		OK        bool      `json:"ok"`
		Files     []file    `json:"files"`
		Problems  []problem `json:"problems"`
		Skipped   []skip    `json:"skipped"`
		Unchecked []skip    `json:"unchecked"`
	}{OK: len(r.Problems) == 0 && len(r.Files) > 0, Files: []file{}, Problems: []problem{}, Skipped: []skip{}, Unchecked: []skip{}}
	for _, f := range r.Files {
		out.Files = append(out.Files, file{f.Path, string(f.Kind)})
	}
	for _, p := range r.Problems {
		out.Problems = append(out.Problems, problem{p.File, p.Resource, p.Field, p.Message})
	}
	for _, s := range r.Skipped {
		out.Skipped = append(out.Skipped, skip{s.File, s.Check, s.Reason})
	}
	for _, u := range r.Unchecked {
		out.Unchecked = append(out.Unchecked, skip{u.File, u.Resource, u.Reason})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

// Main is the synctl-validate helper's command line:
//
//	synctl-validate [--skip-nginx] [--format text|json] [--] PATH...
//
// A PATH of "-" reads stdin. It returns the exit status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("synctl-validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	skipNginx := fs.Bool("skip-nginx", false, "do not run nginx -t (it is listed as skipped)")
	format := fs.String("format", "text", "text or json")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: synctl-validate [--skip-nginx] [--format text|json] [--] PATH...  (run by `synctl validate`; see its --help)")
	}
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if fs.NArg() == 0 || (*format != "text" && *format != "json") {
		fs.Usage()
		return exitUsage
	}
	code, err := Run(fs.Args(), *skipNginx, *format, stdin, stdout, stderr)
	if err != nil {
		fmt.Fprintf(stderr, "synctl: %v\n", err)
	}
	return code
}
