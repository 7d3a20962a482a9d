// Package imported is what a compose import hands to synctl: the spec, the
// report of every field that did not map one-to-one, and the compose
// project as compose-go read it. pkg/importer produces it inside the
// synctl-validate helper, which links compose-go's loader; synctl reads it
// from the helper's output, so that every other command starts without
// that loader's package initialisation (jsonschema compiles its
// metaschemas in init, about 13 ms).
package imported

import (
	"cmp"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
)

// Kind says how a compose field was carried into the spec when it was not
// carried one-to-one.
type Kind string

const (
	// Translated: the field maps to the spec, with a change the line names.
	Translated Kind = "translated"
	// Inferred: the spec says something compose only implies (a link, a
	// role, a protocol, a secret), and the line gives the evidence.
	Inferred Kind = "inferred"
	// Dropped: the spec has no place for the field; the app runs without it.
	Dropped Kind = "dropped"
	// Refused: the app would not work without the field, and no target can
	// give it. The import fails unless --allow-lossy makes it a drop.
	Refused Kind = "refused"
)

// Kinds lists every kind, in the order the summary prints them.
var Kinds = []Kind{Translated, Inferred, Dropped, Refused}

// Line is one compose field that did not map one-to-one.
type Line struct {
	// File and Line locate the field in the compose file that set it; Line
	// is 0 when the value came from elsewhere (an env file, the shell).
	File string `json:"file"`
	Line int    `json:"line"`
	// Service is the compose service's name; "" for a project-level field.
	Service string `json:"service,omitempty"`
	// Field is the compose field's path in the service (or the project),
	// such as environment.BACKEND_URL or ports[1].
	Field string `json:"field"`
	Kind  Kind   `json:"kind"`
	// Why says what happened to the value and what the user can do.
	Why string `json:"why"`
	// Lossy marks a refusal that --allow-lossy turned into a drop.
	Lossy bool `json:"lossy,omitempty"`
}

// Report is everything the import did not carry one-to-one.
type Report struct {
	// Files are the compose files loaded, in order.
	Files []string `json:"files"`
	// Services are the compose services imported, in spec order.
	Services []string `json:"services"`
	Lines    []Line   `json:"lines"`
}

// Add appends a line.
func (r *Report) Add(l Line) { r.Lines = append(r.Lines, l) }

// Sort orders the lines by file, line, service and field, so that the
// report reads like the compose file and never depends on map order.
func (r *Report) Sort() {
	slices.SortStableFunc(r.Lines, func(a, b Line) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Service, b.Service), cmp.Compare(a.Field, b.Field), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Why, b.Why))
	})
}

// Count returns how many lines are of kind k.
func (r *Report) Count(k Kind) int {
	n := 0
	for _, l := range r.Lines {
		if l.Kind == k {
			n++
		}
	}
	return n
}

// Refusals are the lines that stop the import.
func (r *Report) Refusals() []Line {
	var out []Line
	for _, l := range r.Lines {
		if l.Kind == Refused {
			out = append(out, l)
		}
	}
	return out
}

// Where is the line's location, file:line.
func (l Line) Where() string {
	if l.Line == 0 {
		return l.File
	}
	return fmt.Sprintf("%s:%d", l.File, l.Line)
}

func (l Line) String() string {
	subject := l.Field
	if l.Service != "" {
		subject = "services." + l.Service + "." + l.Field
	}
	return fmt.Sprintf("%s: %s: %s: %s", l.Where(), subject, l.Kind, l.Why)
}

// WriteText writes the report for a person: one line per field, then a
// count of each kind.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, l := range r.Lines {
		b.WriteString(l.String())
		b.WriteByte('\n')
	}
	var counts []string
	for _, k := range Kinds {
		counts = append(counts, fmt.Sprintf("%d %s", r.Count(k), k))
	}
	fmt.Fprintf(&b, "imported %d services from %s: %s\n", len(r.Services), strings.Join(r.Files, ", "), strings.Join(counts, ", "))
	_, err := io.WriteString(w, b.String())
	return err
}

// JSON is the report as indented JSON.
func (r *Report) JSON() ([]byte, error) {
	out := *r
	if out.Lines == nil {
		out.Lines = []Line{}
	}
	b, err := json.MarshalIndent(out, "", "  ")
	return append(b, '\n'), err
}

// Result is one import, as the helper writes it (JSON) and synctl reads it.
type Result struct {
	// Spec is the app spec, YAML.
	Spec []byte `json:"spec"`
	// Report lists what did not map one-to-one.
	Report *Report `json:"report"`
	// Compose is the project as compose-go loaded it (interpolated,
	// merged, normalised), YAML, with the secret values the import took
	// out masked.
	Compose []byte `json:"compose"`
	// ComposeNames maps each spec service to the compose service it came
	// from (a compose name that is no DNS label is changed in the spec).
	ComposeNames map[string]string `json:"composeNames"`
}
