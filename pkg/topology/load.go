package topology

import (
	"bytes"
	"cmp"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

//go:embed builtin-app.yaml
var defaultSpec []byte

// DefaultSpecName names the built-in spec in error messages. The built-in
// spec is the one place that knows the default app.
const DefaultSpecName = "built-in app spec"

// DefaultSpec returns the built-in app's spec, with its comments:
// what `synctl init` writes.
func DefaultSpec() []byte { return bytes.Clone(defaultSpec) }

// Default returns the built-in app's model.
func Default() (*Model, error) { return Decode(DefaultSpecName, defaultSpec) }

// ReadSpec reads the spec at path; "-" reads stdin. It returns the name to
// use in messages.
func ReadSpec(path string, stdin io.Reader) (name string, data []byte, err error) {
	if path == "-" {
		data, err = io.ReadAll(stdin)
		if err != nil {
			return "", nil, fmt.Errorf("reading the app spec from standard input: %w", err)
		}
		return "<stdin>", data, nil
	}
	data, err = os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return "", nil, fmt.Errorf("app spec %s does not exist; start one with: synctl init > %s", path, path)
	}
	if err != nil {
		return "", nil, fmt.Errorf("reading app spec: %w", err)
	}
	return path, data, nil
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
// for messages) into a validated Model, ignoring target sections. Every
// problem is reported at once. Commands that render use package target's
// Load, which also decodes the target sections.
func Decode(name string, data []byte) (*Model, error) {
	d, err := Parse(name, data)
	if err != nil {
		return nil, err
	}
	m := d.Model()
	if err := d.Err(); err != nil {
		return nil, err
	}
	return m, nil
}

// Document is a parsed spec on its way to a Model: the decoded App, where
// each of its fields is in the file, the problems found so far and which
// values came from the command line.
type Document struct {
	name     string
	app      App
	pos      map[string][2]int
	problems []Problem
	// flags maps a spec path to the flag that set its value.
	flags map[string]string
}

// Parse decodes data strictly into a Document: YAML syntax, one document,
// known fields of the right kinds. Those problems end the parse; the rest
// are found by Model and the target sections.
func Parse(name string, data []byte) (*Document, error) {
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
	d := &Document{name: name, pos: c.pos, flags: map[string]string{}}
	if err := root.Decode(&d.app); err != nil {
		return nil, &SpecError{File: name, Problems: []Problem{{Message: yamlMessage(err)}}}
	}
	return d, nil
}

// SetImages replaces services' images, as --image SERVICE=IMAGE does; a name
// that is no service is a problem of the command line.
func (d *Document) SetImages(images map[string]string) {
	index := map[string]int{}
	var names []string
	for i, s := range d.app.Spec.Services {
		if _, dup := index[s.Name]; !dup {
			index[s.Name] = i
			names = append(names, s.Name)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(images)) {
		i, ok := index[name]
		if !ok {
			d.problems = append(d.problems, Problem{Source: "command line", Path: "--image",
				Message: fmt.Sprintf("service %q is not in the app; choose one of %s", name, strings.Join(names, ", "))})
			continue
		}
		d.app.Spec.Services[i].Image = images[name]
		d.flags[fmt.Sprintf("spec.services[%d].image", i)] = "--image " + name + "=" + images[name]
	}
}

// Model defaults and validates the app's services and links and returns the
// model, or nil when they have problems (kept for Err). Target sections are
// not looked at.
func (d *Document) Model() *Model {
	setDefaults(&d.app)
	problems := d.app.validate()
	d.add(problems)
	if len(problems) > 0 {
		return nil
	}
	return d.app.model()
}

// add records problems, placing each at its line and column, or at the
// flag that set the value.
func (d *Document) add(problems []Problem) {
	for _, p := range problems {
		if flag, ok := d.flags[p.Path]; ok && p.Source == "" {
			p.Source, p.Path = "command line", flag
		} else if pos, ok := d.lookup(p.Path); ok && p.Source == "" {
			p.Line, p.Column = pos[0], pos[1]
		}
		if !slices.Contains(d.problems, p) {
			d.problems = append(d.problems, p)
		}
	}
}

// Err returns every problem recorded so far as a *SpecError, or nil.
// Problems from the command line come first, then the file's in order.
func (d *Document) Err() error {
	if len(d.problems) == 0 {
		return nil
	}
	problems := slices.Clone(d.problems)
	slices.SortStableFunc(problems, func(a, b Problem) int {
		return cmp.Compare(btoi(a.Source == ""), btoi(b.Source == ""))
	})
	file := d.name
	if problems[0].Source != "" && problems[len(problems)-1].Source != "" {
		file = "command line"
	}
	return &SpecError{File: file, Problems: problems}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// SectionNames lists the names under spec.targets, sorted.
func (d *Document) SectionNames() []string { return slices.Sorted(maps.Keys(d.app.Spec.Targets)) }

// UnknownSection reports a section under spec.targets that no target owns.
func (d *Document) UnknownSection(name string, known []string) {
	d.add([]Problem{{Path: "spec.targets." + name, Message: fmt.Sprintf("unknown target %q%s", name, Suggest(name, known))}})
}

// Section returns target name's part of the spec, spec.targets.<name>, for
// the target to decode and check; model is the app's model (nil when the
// services had problems).
func (d *Document) Section(name string, model *Model) *Section {
	s := &Section{doc: d, Path: "spec.targets." + name, Model: model}
	if n, ok := d.app.Spec.Targets[name]; ok {
		s.node = &n
	}
	return s
}

func (d *Document) lookup(path string) ([2]int, bool) {
	// A problem about a missing field points at its parent.
	for path != "" {
		if p, ok := d.pos[path]; ok {
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
	if t == yamlNodeType {
		return // a target's section: checked when the target decodes it
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
			if t.Elem() == yamlNodeType {
				// A section is named by its key: point at the key.
				c.pos[join(path, k.Value)] = [2]int{k.Line, k.Column}
			}
		}
	case reflect.String:
		if n.Kind != yaml.ScalarNode {
			c.add(n, path, "expected a string, got %s", describe(n))
		}
	case reflect.Int, reflect.Int64:
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

var yamlNodeType = reflect.TypeOf(yaml.Node{})

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

// yamlFields maps the yaml names of t's fields to them; the checker asks
// once per mapping of the spec (thousands for a large app), so each type's
// map is made once and shared, read-only.
func yamlFields(t reflect.Type) map[string]reflect.StructField {
	if f, ok := fieldsByType.Load(t); ok {
		return f.(map[string]reflect.StructField)
	}
	f, _ := fieldsByType.LoadOrStore(t, makeYAMLFields(t))
	return f.(map[string]reflect.StructField)
}

var fieldsByType sync.Map // reflect.Type -> map[string]reflect.StructField

func makeYAMLFields(t reflect.Type) map[string]reflect.StructField {
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
	return Suggest(got, slices.Sorted(maps.Keys(fields)))
}

// Suggest names the closest of names to got ("; did you mean ...?"), or
// lists them all ("; allowed: ...").
func Suggest(got string, names []string) string {
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
