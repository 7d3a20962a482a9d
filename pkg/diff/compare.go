package diff

import (
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// Field is one difference inside a structured resource.
type Field struct {
	// Path locates the field: map keys joined by ".", list items by
	// [key=value] when the list is matched by a key (containers by name,
	// ports by containerPort, rules by matches), or by [index] otherwise.
	Path string
	// Op is "added", "removed" or "changed".
	Op string
	// From and To are the old and new values (From unset when added, To
	// unset when removed).
	From, To any
}

// MarshalJSON writes "from" and "to" only when they exist, so that a null
// value and a missing one stay distinct.
func (f Field) MarshalJSON() ([]byte, error) {
	m := map[string]any{"path": f.Path, "change": f.Op}
	if f.Op != OpAdded {
		m["from"] = f.From
	}
	if f.Op != OpRemoved {
		m["to"] = f.To
	}
	return json.Marshal(m)
}

// The three kinds of change, for resources and for fields.
const (
	OpAdded   = "added"
	OpRemoved = "removed"
	OpChanged = "changed"
)

// orderedLists are lists of scalars whose order carries meaning; every other
// list of scalars is compared as a multiset, so a reordering alone is not a
// difference.
var orderedLists = map[string]bool{"command": true, "args": true, "entrypoint": true}

// listKeys are the natural keys tried, in order, for lists of maps. The first
// one that every item on both sides has, with unique values, wins.
var listKeys = []string{"name", "containerPort", "port", "target", "mountPath", "type"}

// compareValues appends to out every difference between a and b below path.
func compareValues(path, field string, a, b any, out *[]Field) {
	switch x := a.(type) {
	case map[string]any:
		if y, ok := b.(map[string]any); ok {
			compareMaps(path, x, y, out)
			return
		}
	case []any:
		if y, ok := b.([]any); ok {
			compareLists(path, field, x, y, out)
			return
		}
	}
	if !equal(a, b) {
		*out = append(*out, Field{Path: path, Op: OpChanged, From: a, To: b})
	}
}

func compareMaps(path string, a, b map[string]any, out *[]Field) {
	keys := slices.Sorted(maps.Keys(a))
	for _, k := range slices.Sorted(maps.Keys(b)) {
		if _, ok := a[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		p := joinKey(path, k)
		av, inA := a[k]
		bv, inB := b[k]
		switch {
		case !inA:
			*out = append(*out, Field{Path: p, Op: OpAdded, To: bv})
		case !inB:
			*out = append(*out, Field{Path: p, Op: OpRemoved, From: av})
		default:
			compareValues(p, k, av, bv, out)
		}
	}
}

func compareLists(path, field string, a, b []any, out *[]Field) {
	if allScalars(a) && allScalars(b) {
		if orderedLists[field] {
			if !equal(a, b) {
				*out = append(*out, Field{Path: path, Op: OpChanged, From: a, To: b})
			}
			return
		}
		if !sameMultiset(a, b) {
			*out = append(*out, Field{Path: path, Op: OpChanged, From: a, To: b})
		}
		return
	}
	keyName, keyFn := listKey(field, a, b)
	if keyFn == nil {
		// No natural key: pair items by position.
		for i := 0; i < max(len(a), len(b)); i++ {
			p := path + "[" + strconv.Itoa(i) + "]"
			switch {
			case i >= len(a):
				*out = append(*out, Field{Path: p, Op: OpAdded, To: b[i]})
			case i >= len(b):
				*out = append(*out, Field{Path: p, Op: OpRemoved, From: a[i]})
			default:
				compareValues(p, field, a[i], b[i], out)
			}
		}
		return
	}
	byKey := make(map[string]any, len(a))
	for _, item := range a {
		byKey[keyFn(item)] = item
	}
	seen := make(map[string]bool, len(b))
	for _, item := range b {
		k := keyFn(item)
		seen[k] = true
		p := path + "[" + keyName + k + "]"
		old, ok := byKey[k]
		if !ok {
			*out = append(*out, Field{Path: p, Op: OpAdded, To: item})
			continue
		}
		compareValues(p, field, old, item, out)
	}
	for _, item := range a {
		if k := keyFn(item); !seen[k] {
			*out = append(*out, Field{Path: path + "[" + keyName + k + "]", Op: OpRemoved, From: item})
		}
	}
}

// listKey picks how to match the items of a list of maps. It returns the
// label printed before the key value ("name=") and the key function, or a nil
// function when the items can only be paired by position.
func listKey(field string, a, b []any) (string, func(any) string) {
	if field == "rules" {
		fn := func(v any) string { return matchesLabel(lookup(v, "matches")) }
		if uniqueKeys(a, fn) && uniqueKeys(b, fn) {
			return "matches=", fn
		}
	}
	for _, k := range listKeys {
		fn := func(v any) string { return str(lookup(v, k)) }
		if uniqueKeys(a, fn) && uniqueKeys(b, fn) {
			return k + "=", fn
		}
	}
	// Items with no key of their own (HTTPRoute matches, for example) are
	// matched by their whole value when each is distinct.
	if uniqueKeys(a, flow) && uniqueKeys(b, flow) {
		return "", flow
	}
	return "", nil
}

func uniqueKeys(items []any, fn func(any) string) bool {
	seen := make(map[string]bool, len(items))
	for _, it := range items {
		k := fn(it)
		if k == "" || seen[k] {
			return false
		}
		seen[k] = true
	}
	return true
}

// matchesLabel names an HTTPRoute rule by what it matches: "PathPrefix /api"
// for a path match, the flow form for anything else, "*" when the rule
// matches everything.
func matchesLabel(v any) string {
	list, ok := v.([]any)
	if v == nil || (ok && len(list) == 0) {
		return "*"
	}
	if !ok {
		return flow(v)
	}
	parts := make([]string, 0, len(list))
	for _, m := range list {
		mm, isMap := m.(map[string]any)
		p, hasPath := mm["path"]
		if isMap && hasPath && len(mm) == 1 {
			parts = append(parts, strings.TrimSpace(str(lookup(p, "type"))+" "+str(lookup(p, "value"))))
			continue
		}
		parts = append(parts, flow(m))
	}
	return strings.Join(parts, ", ")
}

func allScalars(list []any) bool {
	for _, v := range list {
		switch v.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

func sameMultiset(a, b []any) bool {
	if len(a) != len(b) {
		return false
	}
	count := make(map[string]int, len(a))
	for _, v := range a {
		count[flow(v)]++
	}
	for _, v := range b {
		k := flow(v)
		if count[k] == 0 {
			return false
		}
		count[k]--
	}
	return true
}

// joinKey appends a map key to a path, bracketing keys that are not plain
// identifiers (annotation keys such as "networking.gke.io/x").
func joinKey(path, key string) string {
	plain := key != ""
	for _, r := range key {
		if !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			plain = false
			break
		}
	}
	if !plain {
		key = "[" + strconv.Quote(key) + "]"
		return path + key
	}
	if path == "" {
		return key
	}
	return path + "." + key
}
