package topology

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed synergychat.yaml
var defaultSpec []byte

// DefaultSpecName names the built-in spec in error messages.
const DefaultSpecName = "synergychat.yaml (built in)"

// DefaultSpec returns the built-in SynergyChat spec, with its comments:
// what `synctl init` writes.
func DefaultSpec() []byte { return bytes.Clone(defaultSpec) }

// Default returns the built-in SynergyChat model.
func Default() (*Model, error) { return Decode(DefaultSpecName, defaultSpec) }

// Load reads and decodes the spec file at path, applying ov.
func Load(path string, ov Overrides) (*Model, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("app spec %s does not exist; start one with: synctl init > %s", path, path)
	}
	if err != nil {
		return nil, fmt.Errorf("reading app spec: %w", err)
	}
	return DecodeWith(path, data, ov)
}

// Problem is one thing wrong with a spec, at a field path such as
// "spec.services[2].port".
type Problem struct {
	// Source, when set, is where the value came from instead of the file
	// ("command line").
	Source string
	Path   string
	// Line and Column locate the value in the file; 0 when unknown.
	Line, Column int
	Message      string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// SpecError lists every problem found in one spec file.
type SpecError struct {
	File     string
	Problems []Problem
}

// Error prints one line per problem, as compilers do:
// "app.yaml:12:7: spec.services[2].port: 70000 is out of range 1-65535".
func (e *SpecError) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		loc := e.File
		if p.Source != "" {
			loc = p.Source
		} else if p.Line > 0 {
			loc = fmt.Sprintf("%s:%d:%d", e.File, p.Line, p.Column)
		}
		lines[i] = loc + ": " + p.String()
	}
	return strings.Join(lines, "\n")
}

// Decode strictly decodes one App spec document named name (a file name,
// for messages) into a validated Model. Every problem is reported at once.
func Decode(name string, data []byte) (*Model, error) {
	return DecodeWith(name, data, Overrides{})
}

// DecodeWith is Decode with command-line overrides applied before validation.
func DecodeWith(name string, data []byte, ov Overrides) (*Model, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &SpecError{File: name, Problems: []Problem{{Message: "the file is empty; start from `synctl init > app.yaml`"}}}
		}
		return nil, &SpecError{File: name, Problems: []Problem{{Message: yamlMessage(err)}}}
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &SpecError{File: name, Problems: []Problem{{Line: extra.Line, Column: extra.Column,
			Message: "a second YAML document: an app spec is one document; remove the '---' and what follows"}}}
	} else if !errors.Is(err, io.EOF) {
		return nil, &SpecError{File: name, Problems: []Problem{{Message: yamlMessage(err)}}}
	}
	c := checker{pos: map[string][2]int{}}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	c.check(root, reflect.TypeOf(App{}), "")
	if len(c.problems) > 0 {
		return nil, &SpecError{File: name, Problems: c.problems}
	}
	var app App
	if err := root.Decode(&app); err != nil {
		return nil, &SpecError{File: name, Problems: []Problem{{Message: yamlMessage(err)}}}
	}
	fromFlags, problems := ov.apply(&app)
	if len(problems) > 0 {
		return nil, &SpecError{File: "command line", Problems: problems}
	}
	m, problems := app.model()
	if len(problems) > 0 {
		for i := range problems {
			if flag, ok := fromFlags[problems[i].Path]; ok {
				problems[i].Source, problems[i].Path = "command line", flag
				continue
			}
			if p, ok := c.lookup(problems[i].Path); ok {
				problems[i].Line, problems[i].Column = p[0], p[1]
			}
		}
		return nil, &SpecError{File: name, Problems: slices.CompactFunc(problems, func(a, b Problem) bool { return a == b })}
	}
	return m, nil
}

func yamlMessage(err error) string {
	return "not valid YAML: " + strings.TrimPrefix(err.Error(), "yaml: ")
}

// checker walks the YAML tree alongside the spec's Go types before decoding,
// so that an unknown field or a value of the wrong kind is reported with its
// path, line and column (yaml.v3 alone gives neither the path nor a column),
// and records where each path is so later validation can point at it too.
type checker struct {
	pos      map[string][2]int
	problems []Problem
}

func (c *checker) lookup(path string) ([2]int, bool) {
	// A problem about a missing field points at its parent.
	for path != "" {
		if p, ok := c.pos[path]; ok {
			return p, true
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return [2]int{}, false
}

func (c *checker) add(n *yaml.Node, path, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: path, Line: n.Line, Column: n.Column, Message: fmt.Sprintf(format, args...)})
}

func (c *checker) check(n *yaml.Node, t reflect.Type, path string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	c.pos[path] = [2]int{n.Line, n.Column}
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return // an empty value means "use the default"
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			c.add(n, path, "expected a mapping of fields, got %s", describe(n))
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			f, ok := fields[k.Value]
			if !ok {
				c.add(k, join(path, k.Value), "unknown field %q%s", k.Value, suggest(k.Value, fields))
				continue
			}
			c.check(v, f.Type, join(path, k.Value))
		}
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			c.add(n, path, "expected a list, got %s", describe(n))
			return
		}
		for i, e := range n.Content {
			c.check(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i))
		}
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			c.add(n, path, "expected a mapping, got %s", describe(n))
			return
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			c.check(v, t.Elem(), join(path, k.Value))
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			c.add(n, path, "expected a string, got %s", describe(n))
		}
	case reflect.Int:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!int" {
			c.add(n, path, "expected a whole number, got %s", describe(n))
		} else if _, err := strconv.ParseInt(n.Value, 0, 32); err != nil {
			c.add(n, path, "%s is not a whole number in range", n.Value)
		}
	case reflect.Bool:
		if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
			c.add(n, path, "expected true or false, got %s", describe(n))
		}
	}
}

func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	}
	switch n.Tag {
	case "!!str":
		return strconv.Quote(n.Value)
	case "!!int", "!!float", "!!bool":
		return n.Value
	}
	return n.Tag + " " + strconv.Quote(n.Value)
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

func yamlFields(t reflect.Type) map[string]reflect.StructField {
	fields := map[string]reflect.StructField{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			fields[name] = f
		}
	}
	return fields
}

// suggest names the closest allowed field, or lists them all.
func suggest(got string, fields map[string]reflect.StructField) string {
	names := make([]string, 0, len(fields))
	for name := range fields {
		names = append(names, name)
	}
	slices.Sort(names)
	best, bestDist := "", 3
	for _, name := range names {
		if d := editDistance(strings.ToLower(got), strings.ToLower(name)); d < bestDist {
			best, bestDist = name, d
		}
	}
	if best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return "; allowed: " + strings.Join(names, ", ")
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
