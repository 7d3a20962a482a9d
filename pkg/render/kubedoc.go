package render

import (
	"bytes"
	"encoding"
	"encoding/json"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// docOf returns the document that json.Marshal(v), read back with a
// json.Decoder using UseNumber, would give, with integers as int (what
// yamlValue makes of json.Numbers) and a struct's fields as an orderedMap
// in the order appendYAML writes keys (plainDoc makes it the maps JSON
// would give). It walks only the values present, where
// encoding/json first builds an encoder for every type reachable from v's
// type: for a Deployment that is the whole PodSpec, about 2-3 ms of every
// synctl process that renders a Kubernetes target.
//
// It follows encoding/json's rules for field names, embedding, omitempty,
// omitzero and the Marshaler and TextMarshaler interfaces, and reports false
// for anything it does not mirror exactly (floats, byte slices, ",string"
// fields, non-string map keys, clashing field names, invalid UTF-8); the
// caller then takes the JSON round trip.
func docOf(v reflect.Value) (any, bool) {
	if !v.IsValid() {
		return nil, true
	}
	t := v.Type()
	m := marshalersOf(t)
	if m&ptrMarshaler != 0 && v.CanAddr() {
		return marshaled(v.Addr().Interface().(json.Marshaler))
	}
	if m&isMarshaler != 0 {
		if t.Kind() == reflect.Pointer && v.IsNil() || t.Kind() == reflect.Interface && v.IsNil() {
			return nil, true
		}
		return marshaled(v.Interface().(json.Marshaler))
	}
	if m&ptrTextMarshaler != 0 && v.CanAddr() {
		return marshaledText(v.Addr().Interface().(encoding.TextMarshaler))
	}
	if m&isTextMarshaler != 0 {
		if t.Kind() == reflect.Pointer && v.IsNil() || t.Kind() == reflect.Interface && v.IsNil() {
			return nil, true
		}
		return marshaledText(v.Interface().(encoding.TextMarshaler))
	}
	switch t.Kind() {
	case reflect.Bool:
		return v.Bool(), true
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(v.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := v.Uint()
		if u > math.MaxInt64 {
			return nil, false
		}
		return int(u), true
	case reflect.String:
		s := v.String()
		return s, utf8.ValidString(s)
	case reflect.Interface, reflect.Pointer:
		if v.IsNil() {
			return nil, true
		}
		return docOf(v.Elem())
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, false
		}
		if v.IsNil() {
			return nil, true
		}
		return mapDoc(v, docOf)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			return nil, false // base64 for slices; not worth mirroring
		}
		if t.Kind() == reflect.Slice && v.IsNil() {
			return nil, true
		}
		return seqDoc(v, docOf)
	case reflect.Struct:
		fields, ok := structFields(t)
		if !ok {
			return nil, false
		}
		m := make(orderedMap, 0, len(fields))
	fieldLoop:
		for _, f := range fields {
			fv := v
			for _, i := range f.index {
				if fv.Kind() == reflect.Pointer {
					if fv.IsNil() {
						continue fieldLoop // a nil embedded pointer has no fields
					}
					fv = fv.Elem()
				}
				fv = fv.Field(i)
			}
			if f.omitEmpty && isEmptyValue(fv) || f.omitZero && isZero(fv) {
				continue
			}
			e, ok := docOf(fv)
			if !ok {
				return nil, false
			}
			m = append(m, mapItem{f.name, e})
		}
		return m, true
	}
	return nil, false // floats, complex numbers, channels, functions
}

// mapDoc is the document of map v (string keys), each value's made by
// elem.
func mapDoc(v reflect.Value, elem func(reflect.Value) (any, bool)) (any, bool) {
	m := make(map[string]any, v.Len())
	for it := v.MapRange(); it.Next(); {
		k := it.Key().String()
		if !utf8.ValidString(k) {
			return nil, false
		}
		e, ok := elem(it.Value())
		if !ok {
			return nil, false
		}
		m[k] = e
	}
	return m, true
}

// seqDoc is the document of slice or array v, each item's made by elem.
func seqDoc(v reflect.Value, elem func(reflect.Value) (any, bool)) (any, bool) {
	l := make([]any, v.Len())
	for i := range l {
		e, ok := elem(v.Index(i))
		if !ok {
			return nil, false
		}
		l[i] = e
	}
	return l, true
}

// The marshaling interfaces a type has, as encoding/json looks for them:
// on the type, or (for an addressable value) on a pointer to it.
const (
	isMarshaler = 1 << iota
	ptrMarshaler
	isTextMarshaler
	ptrTextMarshaler
)

// marshalerCache maps a type to its marshalersOf bits: Implements walks
// method sets, and docOf asks for every value.
var marshalerCache sync.Map

func marshalersOf(t reflect.Type) int {
	if m, ok := marshalerCache.Load(t); ok {
		return m.(int)
	}
	m := 0
	notPtr := t.Kind() != reflect.Pointer
	if notPtr && reflect.PointerTo(t).Implements(marshalerType) {
		m |= ptrMarshaler
	}
	if t.Implements(marshalerType) {
		m |= isMarshaler
	}
	if notPtr && reflect.PointerTo(t).Implements(textMarshalerType) {
		m |= ptrTextMarshaler
	}
	if t.Implements(textMarshalerType) {
		m |= isTextMarshaler
	}
	marshalerCache.Store(t, m)
	return m
}

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	isZeroerType      = reflect.TypeFor[interface{ IsZero() bool }]()
)

func marshaled(m json.Marshaler) (any, bool) {
	// The Marshalers every manifest holds, without the JSON round trip:
	// what their MarshalJSON writes, read back.
	switch x := m.(type) {
	case resource.Quantity:
		return x.String(), true
	case *resource.Quantity:
		return x.String(), true
	case intstr.IntOrString:
		return intOrString(x)
	case *intstr.IntOrString:
		return intOrString(*x)
	case metav1.Time:
		if x.IsZero() {
			return nil, true
		}
	case *metav1.Time:
		if x.IsZero() {
			return nil, true
		}
	}
	b, err := m.MarshalJSON()
	if err != nil {
		return nil, false // the JSON round trip reports it
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, false
	}
	return yamlValue(v)
}

func intOrString(x intstr.IntOrString) (any, bool) {
	switch x.Type {
	case intstr.Int:
		return int(x.IntVal), true
	case intstr.String:
		return x.StrVal, utf8.ValidString(x.StrVal)
	}
	return nil, false // MarshalJSON's error; the JSON round trip reports it
}

func marshaledText(m encoding.TextMarshaler) (any, bool) {
	b, err := m.MarshalText()
	if err != nil || !utf8.Valid(b) {
		return nil, false
	}
	return string(b), true
}

// isEmptyValue is encoding/json's omitempty test.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64,
		reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// isZero is encoding/json's omitzero test: the type's IsZero method when it
// has one, else the zero value.
func isZero(v reflect.Value) bool {
	t := v.Type()
	switch {
	case t.Kind() == reflect.Interface && t.Implements(isZeroerType):
		return v.IsNil() || v.Elem().Kind() == reflect.Pointer && v.Elem().IsNil() ||
			v.Interface().(interface{ IsZero() bool }).IsZero()
	case t.Kind() == reflect.Pointer && t.Implements(isZeroerType):
		return v.IsNil() || v.Interface().(interface{ IsZero() bool }).IsZero()
	case t.Implements(isZeroerType):
		return v.Interface().(interface{ IsZero() bool }).IsZero()
	case reflect.PointerTo(t).Implements(isZeroerType):
		if !v.CanAddr() {
			v2 := reflect.New(t).Elem()
			v2.Set(v)
			v = v2
		}
		return v.Addr().Interface().(interface{ IsZero() bool }).IsZero()
	}
	return v.IsZero()
}

// docField is one JSON field of a struct type: its name and where it is.
type docField struct {
	name                string
	index               []int
	omitEmpty, omitZero bool
}

// fieldCache maps a struct type to its []docField, or to nil when docOf
// does not handle the type.
var fieldCache sync.Map

func structFields(t reflect.Type) ([]docField, bool) {
	if f, ok := fieldCache.Load(t); ok {
		fields := f.([]docField)
		return fields, fields != nil
	}
	fields, ok := collectFields(t, nil, map[reflect.Type]bool{})
	if ok {
		seen := map[string]bool{}
		for _, f := range fields {
			if seen[f.name] {
				ok = false // encoding/json's dominance rules decide; leave it to it
				break
			}
			seen[f.name] = true
		}
	}
	if !ok {
		fields = nil
	} else if fields == nil {
		fields = []docField{}
	}
	// In the order the emitter writes the keys: a struct's document is an
	// orderedMap, written without sorting.
	slices.SortStableFunc(fields, func(a, b docField) int { return keyCompare(a.name, b.name) })
	fieldCache.Store(t, fields)
	return fields, ok
}

// collectFields lists t's JSON fields, with the fields of embedded structs
// without a JSON name promoted, as encoding/json's typeFields does.
func collectFields(t reflect.Type, index []int, visiting map[reflect.Type]bool) ([]docField, bool) {
	if visiting[t] {
		return nil, false
	}
	visiting[t] = true
	defer delete(visiting, t)
	var fields []docField
	for i := range t.NumField() {
		sf := t.Field(i)
		if sf.Anonymous {
			et := sf.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if !sf.IsExported() && et.Kind() != reflect.Struct {
				continue
			}
		} else if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if !validTagName(name) {
			return nil, false
		}
		var omitEmpty, omitZero bool
		for o := range strings.SplitSeq(opts, ",") {
			switch o {
			case "omitempty":
				omitEmpty = true
			case "omitzero":
				omitZero = true
			case "", "inline":
			default:
				return nil, false // ",string" and options this does not know
			}
		}
		ft := sf.Type
		if ft.Name() == "" && ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		idx := append(append([]int(nil), index...), i)
		if name == "" && sf.Anonymous && ft.Kind() == reflect.Struct {
			sub, ok := collectFields(ft, idx, visiting)
			if !ok {
				return nil, false
			}
			fields = append(fields, sub...)
			continue
		}
		if name == "" {
			name = sf.Name
		}
		fields = append(fields, docField{name: name, index: idx, omitEmpty: omitEmpty, omitZero: omitZero})
	}
	return fields, true
}

// validTagName accepts the JSON names encoding/json accepts as given, and
// rejects (for the JSON round trip to handle) the rest.
func validTagName(s string) bool {
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_', c == '.', c == '/':
		default:
			return false
		}
	}
	return true
}
