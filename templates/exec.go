package templates

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strings"
	"text/template/parse"
)

// A Template is one parsed file and the templates it defines, executed by
// synctl's own walk over text/template's parse tree.
//
// Why not text/template's Execute: it looks methods up by name at run time
// (reflect's MethodByName), and a program that can do that keeps every
// exported method of every type it converts to an interface. For synctl
// that is every Kubernetes type's protobuf, String and DeepCopy methods:
// 7 MB of the binary's 21 MB of code, loaded and verified at every start of
// every command. This walk has the templates' syntax (text/template/parse
// reads the files) and, for the subset below, text/template's output to the
// byte (TestSameAsTextTemplate renders every app's files both ways):
//
//   - {{.}}, {{.Field.Field}}, {{$}}, {{$.Field}}: exported struct fields
//     (through pointers and interfaces) and string-keyed map entries; a
//     missing key is an error (text/template's missingkey=error). Methods
//     are not called: naming one is an error.
//   - {{if}} / {{else}} / {{else if}}, {{range}} (slices, arrays, maps in
//     key order; its {{else}}), {{with}}, {{template "name" pipeline}},
//     {{define}}, and text/template's trimming ({{- and -}}).
//   - Functions: the FuncMap's, and the built-ins and, or, not, len, slice,
//     eq and ne, called with arguments (no pipelines into them, no
//     variables declared in actions).
type Template struct {
	name  string
	trees map[string]*parse.Tree
	funcs map[string]reflect.Value
}

// FuncMap names the functions a template may call, as text/template's
// FuncMap does: each a func returning one value, or a value and an error.
type FuncMap map[string]any

// builtins are the functions every template may call; parse checks names
// against them.
var builtins = FuncMap{
	"and":   and,
	"or":    or,
	"not":   not,
	"len":   length,
	"slice": slice,
	"eq":    eq,
	"ne":    ne,
}

// Parse returns the named template (e.g. "nginx.conf.tmpl") with funcs.
func Parse(name string, funcs FuncMap) (*Template, error) {
	text, err := files.ReadFile(name)
	if err != nil {
		return nil, err
	}
	return parseText(name, string(text), funcs)
}

func parseText(name, text string, funcs FuncMap) (*Template, error) {
	trees, err := parse.Parse(name, text, "", "", funcs, builtins)
	if err != nil {
		return nil, err
	}
	t := &Template{name: name, trees: trees, funcs: map[string]reflect.Value{}}
	for _, m := range []FuncMap{builtins, funcs} {
		for k, f := range m {
			v := reflect.ValueOf(f)
			if v.Kind() != reflect.Func {
				return nil, fmt.Errorf("template: %s: function %q is a %s, not a func", name, k, v.Kind())
			}
			t.funcs[k] = v
		}
	}
	return t, nil
}

// Execute writes the template applied to data to w.
func (t *Template) Execute(w io.Writer, data any) error {
	tree := t.trees[t.name]
	if tree == nil || tree.Root == nil {
		return fmt.Errorf("template: %s: no such template", t.name)
	}
	s := &state{t: t, w: w, tree: tree}
	dot := reflect.ValueOf(data)
	s.top = dot
	return s.walk(dot, tree.Root)
}

// state is one execution: the tree being walked (for error positions) and
// $, the data Execute was given.
type state struct {
	t     *Template
	w     io.Writer
	tree  *parse.Tree
	top   reflect.Value
	depth int
}

// maxDepth bounds {{template}} recursion, as text/template does.
const maxDepth = 100000

func (s *state) errorf(n parse.Node, format string, args ...any) error {
	loc, _ := s.tree.ErrorContext(n)
	return fmt.Errorf("template: %s: %s", loc, fmt.Sprintf(format, args...))
}

func (s *state) walk(dot reflect.Value, n parse.Node) error {
	switch n := n.(type) {
	case *parse.ListNode:
		for _, c := range n.Nodes {
			if err := s.walk(dot, c); err != nil {
				return err
			}
		}
		return nil
	case *parse.TextNode:
		_, err := s.w.Write(n.Text)
		return err
	case *parse.CommentNode:
		return nil
	case *parse.ActionNode:
		if len(n.Pipe.Decl) > 0 {
			return s.errorf(n, "variable declarations are not supported")
		}
		v, err := s.pipe(dot, n.Pipe)
		if err != nil {
			return err
		}
		return s.print(n, v)
	case *parse.IfNode:
		return s.branch(dot, &n.BranchNode, false)
	case *parse.WithNode:
		return s.branch(dot, &n.BranchNode, true)
	case *parse.RangeNode:
		return s.rangeOver(dot, n)
	case *parse.TemplateNode:
		next := s.t.trees[n.Name]
		if next == nil {
			return s.errorf(n, "no such template %q", n.Name)
		}
		newDot := reflect.Value{}
		if n.Pipe != nil {
			v, err := s.pipe(dot, n.Pipe)
			if err != nil {
				return err
			}
			newDot = v
		}
		if s.depth >= maxDepth {
			return s.errorf(n, "exceeded maximum template depth (%d)", maxDepth)
		}
		inner := *s
		inner.tree, inner.depth = next, s.depth+1
		return inner.walk(newDot, next.Root)
	}
	return s.errorf(n, "%s is not supported", n)
}

// branch runs if and with: the list when the pipeline's value is true
// (with: and dot becomes that value), else the else list.
func (s *state) branch(dot reflect.Value, b *parse.BranchNode, with bool) error {
	if len(b.Pipe.Decl) > 0 {
		return s.errorf(b, "variable declarations are not supported")
	}
	v, err := s.pipe(dot, b.Pipe)
	if err != nil {
		return err
	}
	ok, err := truth(v)
	if err != nil {
		return s.errorf(b, "%v", err)
	}
	if ok {
		if with {
			dot = v
		}
		return s.walk(dot, b.List)
	}
	if b.ElseList != nil {
		return s.walk(dot, b.ElseList)
	}
	return nil
}

func (s *state) rangeOver(dot reflect.Value, r *parse.RangeNode) error {
	if len(r.Pipe.Decl) > 0 {
		return s.errorf(r, "variable declarations are not supported")
	}
	v, err := s.pipe(dot, r.Pipe)
	if err != nil {
		return err
	}
	v = indirect(v)
	ran := false
	switch v.Kind() {
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			ran = true
			if err := s.walk(v.Index(i), r.List); err != nil {
				return err
			}
		}
	case reflect.Map:
		keys := v.MapKeys()
		if len(keys) > 0 && keys[0].Kind() != reflect.String {
			return s.errorf(r, "range over a map with %s keys is not supported", keys[0].Kind())
		}
		slices.SortFunc(keys, func(a, b reflect.Value) int { return strings.Compare(a.String(), b.String()) })
		for _, k := range keys {
			ran = true
			if err := s.walk(v.MapIndex(k), r.List); err != nil {
				return err
			}
		}
	default:
		if !v.IsValid() {
			return s.errorf(r, "range can't iterate over <nil>")
		}
		return s.errorf(r, "range can't iterate over %s", v.Type())
	}
	if !ran && r.ElseList != nil {
		return s.walk(dot, r.ElseList)
	}
	return nil
}

// pipe evaluates a pipeline of one command (text/template's `a | b` is not
// supported).
func (s *state) pipe(dot reflect.Value, p *parse.PipeNode) (reflect.Value, error) {
	if len(p.Cmds) != 1 {
		return reflect.Value{}, s.errorf(p, "pipelines of %d commands are not supported", len(p.Cmds))
	}
	v, err := s.command(dot, p.Cmds[0])
	// An empty interface gives what it holds (nil: no value), as in
	// text/template.
	if err == nil && v.Kind() == reflect.Interface && v.Type().NumMethod() == 0 {
		v = reflect.ValueOf(v.Interface())
	}
	return v, err
}

func (s *state) command(dot reflect.Value, c *parse.CommandNode) (reflect.Value, error) {
	if id, ok := c.Args[0].(*parse.IdentifierNode); ok {
		return s.call(dot, c, id.Ident, c.Args[1:])
	}
	if len(c.Args) > 1 {
		return reflect.Value{}, s.errorf(c, "can't give arguments to %s", c.Args[0])
	}
	return s.arg(dot, c.Args[0])
}

// arg evaluates one operand: dot, a field chain, a variable's chain, a
// constant or a parenthesized pipeline.
func (s *state) arg(dot reflect.Value, n parse.Node) (reflect.Value, error) {
	switch n := n.(type) {
	case *parse.DotNode:
		return dot, nil
	case *parse.FieldNode:
		return s.fields(n, dot, n.Ident)
	case *parse.VariableNode:
		if n.Ident[0] != "$" {
			return reflect.Value{}, s.errorf(n, "variable %s is not supported (only $)", n.Ident[0])
		}
		return s.fields(n, s.top, n.Ident[1:])
	case *parse.ChainNode:
		v, err := s.arg(dot, n.Node)
		if err != nil {
			return v, err
		}
		return s.fields(n, v, n.Field)
	case *parse.PipeNode:
		return s.pipe(dot, n)
	case *parse.StringNode:
		return reflect.ValueOf(n.Text), nil
	case *parse.BoolNode:
		return reflect.ValueOf(n.True), nil
	case *parse.NumberNode:
		if n.IsInt {
			return reflect.ValueOf(int(n.Int64)), nil
		}
		return reflect.Value{}, s.errorf(n, "number %s is not supported (integers only)", n.Text)
	case *parse.NilNode:
		return reflect.Value{}, s.errorf(n, "nil is not a command")
	case *parse.IdentifierNode:
		return s.call(dot, n, n.Ident, nil)
	}
	return reflect.Value{}, s.errorf(n, "%s is not supported", n)
}

// fields follows names from v: struct fields and map keys.
func (s *state) fields(n parse.Node, v reflect.Value, names []string) (reflect.Value, error) {
	for _, name := range names {
		v = indirect(v)
		switch v.Kind() {
		case reflect.Struct:
			f, ok := v.Type().FieldByName(name)
			if !ok || !f.IsExported() {
				// Not looked up as a method: that lookup is what this
				// package exists to avoid (see Template).
				return reflect.Value{}, s.errorf(n, "can't evaluate field %s in type %s (templates here read exported fields only, never methods)", name, v.Type())
			}
			fv, err := v.FieldByIndexErr(f.Index)
			if err != nil {
				return reflect.Value{}, s.errorf(n, "%v", err)
			}
			v = fv
		case reflect.Map:
			if v.Type().Key().Kind() != reflect.String {
				return reflect.Value{}, s.errorf(n, "can't index a map with %s keys by %s", v.Type().Key(), name)
			}
			e := v.MapIndex(reflect.ValueOf(name).Convert(v.Type().Key()))
			if !e.IsValid() {
				return reflect.Value{}, s.errorf(n, "map has no entry for key %q", name)
			}
			v = e
		case reflect.Invalid:
			return reflect.Value{}, s.errorf(n, "nil data; no entry for key %q", name)
		default:
			return reflect.Value{}, s.errorf(n, "can't evaluate field %s in type %s", name, v.Type())
		}
	}
	return v, nil
}

// call calls the function named name with args evaluated at dot.
func (s *state) call(dot reflect.Value, n parse.Node, name string, args []parse.Node) (reflect.Value, error) {
	fn, ok := s.t.funcs[name]
	if !ok {
		return reflect.Value{}, s.errorf(n, "function %q not defined", name)
	}
	ft := fn.Type()
	if ft.IsVariadic() {
		if len(args) < ft.NumIn()-1 {
			return reflect.Value{}, s.errorf(n, "wrong number of args for %s: want at least %d got %d", name, ft.NumIn()-1, len(args))
		}
	} else if len(args) != ft.NumIn() {
		return reflect.Value{}, s.errorf(n, "wrong number of args for %s: want %d got %d", name, ft.NumIn(), len(args))
	}
	in := make([]reflect.Value, len(args))
	for i, a := range args {
		v, err := s.arg(dot, a)
		if err != nil {
			return v, err
		}
		want := ft.In(min(i, ft.NumIn()-1))
		if ft.IsVariadic() && i >= ft.NumIn()-1 {
			want = want.Elem()
		}
		if v, err = convert(v, want); err != nil {
			return v, s.errorf(n, "argument %d of %s: %v", i+1, name, err)
		}
		in[i] = v
	}
	out := fn.Call(in)
	if len(out) == 2 && !out[1].IsNil() {
		return reflect.Value{}, s.errorf(n, "error calling %s: %v", name, out[1].Interface())
	}
	return out[0], nil
}

var (
	reflectValueType = reflect.TypeFor[reflect.Value]()
	stringType       = reflect.TypeFor[string]()
)

// convert makes v an argument of type want, as text/template passes them:
// as they are when assignable, unwrapped from an interface, or wrapped as a
// reflect.Value for the built-ins that take any value.
func convert(v reflect.Value, want reflect.Type) (reflect.Value, error) {
	if want == reflectValueType {
		return reflect.ValueOf(v), nil
	}
	if !v.IsValid() {
		switch want.Kind() {
		case reflect.Interface, reflect.Pointer, reflect.Slice, reflect.Map, reflect.Func:
			return reflect.Zero(want), nil
		}
		return v, fmt.Errorf("nil is not a %s", want)
	}
	if v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	if v.Type().AssignableTo(want) {
		return v, nil
	}
	return v, fmt.Errorf("%s is not a %s", v.Type(), want)
}

// indirect follows pointers and interfaces to the value they hold; nil
// gives the invalid Value.
func indirect(v reflect.Value) reflect.Value {
	for v.IsValid() && (v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface) {
		if v.IsNil() {
			return reflect.Value{}
		}
		v = v.Elem()
	}
	return v
}

// truth is text/template's: the zero value, an empty collection and nil
// are false; a struct is always true.
func truth(v reflect.Value) (bool, error) {
	if !v.IsValid() {
		return false, nil
	}
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() > 0, nil
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Complex64, reflect.Complex128:
		return v.Complex() != 0, nil
	case reflect.Chan, reflect.Func, reflect.Pointer, reflect.Interface:
		return !v.IsNil(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() != 0, nil
	case reflect.Float32, reflect.Float64:
		return v.Float() != 0, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() != 0, nil
	case reflect.Struct:
		return true, nil
	}
	return false, fmt.Errorf("can't tell whether a %s is true", v.Type())
}

// print writes v as text/template prints it: the value the pointer holds
// (unless the pointer's type prints itself), "<no value>" for nothing.
func (s *state) print(n parse.Node, v reflect.Value) error {
	if !v.IsValid() {
		_, err := io.WriteString(s.w, "<no value>")
		return err
	}
	if v.Kind() == reflect.Interface && !v.IsNil() {
		v = v.Elem()
	}
	if v.Kind() == reflect.Pointer {
		if _, ok := v.Interface().(fmt.Stringer); !ok {
			if _, ok := v.Interface().(error); !ok {
				v = indirect(v)
			}
		}
	}
	if !v.IsValid() {
		_, err := io.WriteString(s.w, "<nil>")
		return err
	}
	switch v.Kind() {
	case reflect.Chan, reflect.Func:
		return s.errorf(n, "can't print %s of type %s", n, v.Type())
	}
	if v.Type() == stringType {
		_, err := io.WriteString(s.w, v.String())
		return err
	}
	_, err := fmt.Fprint(s.w, v.Interface())
	return err
}

// The built-ins. Like text/template's, and and or return the first false
// (true) argument or the last; each argument is evaluated before the call.

func and(arg0 reflect.Value, args ...reflect.Value) (reflect.Value, error) {
	v := arg0
	for _, a := range append([]reflect.Value{arg0}, args...) {
		v = a
		if ok, err := truth(a); err != nil || !ok {
			return a, err
		}
	}
	return v, nil
}

func or(arg0 reflect.Value, args ...reflect.Value) (reflect.Value, error) {
	v := arg0
	for _, a := range append([]reflect.Value{arg0}, args...) {
		v = a
		if ok, err := truth(a); err != nil || ok {
			return a, err
		}
	}
	return v, nil
}

func not(arg reflect.Value) (bool, error) {
	ok, err := truth(arg)
	return !ok, err
}

func length(item reflect.Value) (int, error) {
	item = indirect(item)
	switch item.Kind() {
	case reflect.Array, reflect.Chan, reflect.Map, reflect.Slice, reflect.String:
		return item.Len(), nil
	case reflect.Invalid:
		return 0, errors.New("len of nil")
	}
	return 0, fmt.Errorf("len of type %s", item.Type())
}

// slice is s[i], s[i:j] or s[i:j:k] of a string, slice or array.
func slice(item reflect.Value, indexes ...reflect.Value) (reflect.Value, error) {
	item = indirect(item)
	if !item.IsValid() {
		return reflect.Value{}, errors.New("slice of untyped nil")
	}
	if len(indexes) > 3 {
		return reflect.Value{}, fmt.Errorf("too many slice indexes: %d", len(indexes))
	}
	var cap int
	switch item.Kind() {
	case reflect.String:
		if len(indexes) == 3 {
			return reflect.Value{}, errors.New("cannot 3-index slice a string")
		}
		cap = item.Len()
	case reflect.Array, reflect.Slice:
		cap = item.Cap()
	default:
		return reflect.Value{}, fmt.Errorf("can't slice item of type %s", item.Type())
	}
	idx := [3]int{0, item.Len()}
	for i, index := range indexes {
		index = indirect(index)
		if !index.CanInt() {
			return reflect.Value{}, fmt.Errorf("cannot index slice/array with type %s", index.Type())
		}
		x := int(index.Int())
		if x < 0 || x > cap {
			return reflect.Value{}, fmt.Errorf("index out of range: %d", x)
		}
		idx[i] = x
	}
	if idx[0] > idx[1] {
		return reflect.Value{}, fmt.Errorf("invalid slice index: %d > %d", idx[0], idx[1])
	}
	if len(indexes) < 3 {
		return item.Slice(idx[0], idx[1]), nil
	}
	if idx[1] > idx[2] {
		return reflect.Value{}, fmt.Errorf("invalid slice index: %d > %d", idx[1], idx[2])
	}
	return item.Slice3(idx[0], idx[1], idx[2]), nil
}

// eq and ne compare two basic values of one kind (strings, integers,
// booleans); text/template's eq also takes several to compare against.
func eq(a, b reflect.Value) (bool, error) {
	a, b = indirect(a), indirect(b)
	if !a.IsValid() || !b.IsValid() {
		return !a.IsValid() && !b.IsValid(), nil
	}
	switch {
	case a.Kind() == reflect.String && b.Kind() == reflect.String:
		return a.String() == b.String(), nil
	case a.CanInt() && b.CanInt():
		return a.Int() == b.Int(), nil
	case a.Kind() == reflect.Bool && b.Kind() == reflect.Bool:
		return a.Bool() == b.Bool(), nil
	}
	return false, fmt.Errorf("incompatible types for comparison: %s and %s", a.Type(), b.Type())
}

func ne(a, b reflect.Value) (bool, error) {
	e, err := eq(a, b)
	return !e, err
}
