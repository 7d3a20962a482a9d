package render

import (
	"encoding"
	"math"
	"reflect"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// composeDocOf is docOf for compose-go's types: it walks v as
// go.yaml.in/yaml/v4 (the library compose-go marshals with) represents it
// — yaml tags, struct fields in their order, ",inline" structs and maps,
// ",omitempty" with IsZero, the Marshaler and TextMarshaler interfaces —
// into a document tree for appendYAMLv4: orderedMap for a struct,
// map[string]any for a map, []any, and string, int, bool and nil scalars.
// It reports false for anything it does not mirror exactly (floats, flow
// fields, non-string map keys, invalid UTF-8); the caller then takes
// yaml.v4. TestComposeEmitMatchesYAMLv4 holds it to yaml.v4's bytes.
func composeDocOf(v reflect.Value) (any, bool) {
	if !v.IsValid() || v.Kind() == reflect.Pointer && v.IsNil() {
		return nil, true
	}
	if v.CanInterface() {
		switch x := v.Interface().(type) {
		case time.Time, *time.Time:
			return nil, false
		case time.Duration:
			return x.String(), true
		case yamlMarshaler:
			out, err := x.MarshalYAML()
			if err != nil {
				return nil, false
			}
			if out == nil {
				return nil, true
			}
			return composeDocOf(reflect.ValueOf(out))
		case encoding.TextMarshaler:
			text, err := x.MarshalText()
			if err != nil {
				return nil, false
			}
			s := string(text)
			return s, utf8.ValidString(s)
		case nil:
			return nil, true
		}
	}
	switch v.Kind() {
	case reflect.Interface, reflect.Pointer:
		return composeDocOf(v.Elem())
	case reflect.Map:
		if v.Type().Key().Kind() != reflect.String {
			return nil, false
		}
		return mapDoc(v, composeDocOf) // a nil map too: yaml.v4 writes {}
	case reflect.Struct:
		return composeStruct(v)
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return nil, false // []byte: yaml.v4 writes it as a string or !!binary
		}
		return seqDoc(v, composeDocOf) // a nil slice too: yaml.v4 writes []
	case reflect.String:
		s := v.String()
		return s, utf8.ValidString(s)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return int(v.Int()), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		u := v.Uint()
		if u > math.MaxInt64 {
			return nil, false
		}
		return int(u), true
	case reflect.Bool:
		return v.Bool(), true
	}
	return nil, false // floats, channels, functions
}

// yamlMarshaler is yaml.v4's Marshaler, which compose-go's types implement.
type yamlMarshaler interface {
	MarshalYAML() (any, error)
}

// yamlIsZeroer is the interface yaml.v4's omitempty asks first.
type yamlIsZeroer interface{ IsZero() bool }

func composeStruct(v reflect.Value) (any, bool) {
	info, ok := yamlStructInfo(v.Type())
	if !ok {
		return nil, false
	}
	m := make(orderedMap, 0, len(info.fields))
	for _, f := range info.fields {
		fv, ok := fieldByIndex(v, f.index)
		if !ok {
			continue // an inline pointer that is nil holds no fields
		}
		if f.omitEmpty && yamlIsZero(fv) {
			continue
		}
		e, ok := composeDocOf(fv)
		if !ok {
			return nil, false
		}
		m = append(m, mapItem{f.key, e})
	}
	if info.inlineMap != nil {
		im, ok := fieldByIndex(v, info.inlineMap)
		if ok && im.Len() > 0 {
			e, ok := composeDocOf(im)
			if !ok {
				return nil, false
			}
			// The inline map's keys follow the fields, sorted as a map's.
			m = append(m, mapItem{inlineKey, e})
		}
	}
	return m, true
}

// inlineKey marks the item of an orderedMap whose value, a map, is spread
// into the mapping (a ",inline" map). No yaml key can be empty here:
// plainKey refuses "".
const inlineKey = ""

// fieldByIndex is v.FieldByIndex that reports false at a nil pointer.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return reflect.Value{}, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// yamlIsZero is yaml.v4's test for omitempty.
func yamlIsZero(v reflect.Value) bool {
	kind := v.Kind()
	if v.CanInterface() {
		if z, ok := v.Interface().(yamlIsZeroer); ok {
			if (kind == reflect.Pointer || kind == reflect.Interface) && v.IsNil() {
				return true
			}
			return z.IsZero()
		}
	}
	switch kind {
	case reflect.String:
		return v.Len() == 0
	case reflect.Interface, reflect.Pointer:
		return v.IsNil()
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return v.Uint() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Struct:
		t := v.Type()
		for i := v.NumField() - 1; i >= 0; i-- {
			if t.Field(i).PkgPath != "" {
				continue
			}
			if !yamlIsZero(v.Field(i)) {
				return false
			}
		}
		return true
	}
	return false
}

// yamlField is one field as yaml.v4 writes it.
type yamlField struct {
	key       string
	index     []int
	omitEmpty bool
}

type yamlStruct struct {
	fields    []yamlField
	inlineMap []int // nil without one
	ok        bool
}

var yamlStructs sync.Map // reflect.Type -> *yamlStruct

// yamlStructInfo lists t's fields as yaml.v4's getStructInfo does; false
// for what composeDocOf leaves to yaml.v4 (flow fields, clashing keys).
func yamlStructInfo(t reflect.Type) (*yamlStruct, bool) {
	if s, ok := yamlStructs.Load(t); ok {
		s := s.(*yamlStruct)
		return s, s.ok
	}
	s := &yamlStruct{ok: true}
	seen := map[string]bool{}
	for i := 0; i < t.NumField() && s.ok; i++ {
		f := t.Field(i)
		if f.PkgPath != "" && !f.Anonymous {
			continue
		}
		tag := f.Tag.Get("yaml")
		if tag == "" && !strings.Contains(string(f.Tag), ":") {
			tag = string(f.Tag)
		}
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		var omit, inline bool
		for o := range strings.SplitSeq(opts, ",") {
			switch o {
			case "":
			case "omitempty":
				omit = true
			case "inline":
				inline = true
			default: // flow, or what yaml.v4 refuses
				s.ok = false
			}
		}
		if inline {
			ft := f.Type
			for ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			switch {
			case f.Type.Kind() == reflect.Map && f.Type.Key().Kind() == reflect.String && s.inlineMap == nil:
				s.inlineMap = []int{i}
			case ft.Kind() == reflect.Struct:
				inner, ok := yamlStructInfo(ft)
				if !ok || inner.inlineMap != nil {
					s.ok = false
					break
				}
				for _, g := range inner.fields {
					if seen[g.key] {
						s.ok = false
					}
					seen[g.key] = true
					s.fields = append(s.fields, yamlField{g.key, append([]int{i}, g.index...), g.omitEmpty})
				}
			default:
				s.ok = false
			}
			continue
		}
		key := name
		if key == "" {
			key = strings.ToLower(f.Name)
		}
		if seen[key] {
			s.ok = false
		}
		seen[key] = true
		s.fields = append(s.fields, yamlField{key, []int{i}, omit})
	}
	yamlStructs.Store(t, s)
	return s, s.ok
}
