package diff

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/synctl/synctl/pkg/textdiff"

	"github.com/synctl/synctl/pkg/render"
)

// Side is one end of a comparison: the files of a bundle, rendered for a
// target or read from a directory.
type Side struct {
	// Label names the side in the report: a target name or a directory.
	Label string
	// Files are the bundle's files, paths relative to the bundle.
	Files []render.File
	// Wiring is the side's URLs when they are known (from the model for a
	// target). When nil, Compare reads the URLs of Expect from the files.
	Wiring []URL
	// Expect names the URLs to read from a directory's files.
	Expect []Expected
}

// Expected is a URL to look for in a directory: the env var Env on service
// Service (both empty for the entry URL, which no file states).
type Expected struct {
	Name, Service, Env string
}

// URL is one URL of a side's wiring.
type URL struct {
	Name  string `json:"name"`
	Value string `json:"value,omitempty"`
	// Known is false when the value could not be derived (CHAT_URL of a
	// directory, which no file states as a value).
	Known bool `json:"known"`
}

// WiringChange compares one URL of the wiring on both sides.
type WiringChange struct {
	Name string `json:"name"`
	From URL    `json:"-"`
	To   URL    `json:"-"`
	// Changed is true when both values are known and differ. An unknown
	// value is never a difference.
	Changed bool `json:"changed"`
}

// MarshalJSON writes from/to as strings, or null when unknown.
func (w WiringChange) MarshalJSON() ([]byte, error) {
	val := func(u URL) any {
		if !u.Known {
			return nil
		}
		return u.Value
	}
	return marshalOrdered(
		"name", w.Name, "from", val(w.From), "to", val(w.To), "changed", w.Changed)
}

// Change is one resource added, removed or changed.
type Change struct {
	Op string `json:"change"`
	Identity
	// ID is the identity as the text report prints it.
	ID       string `json:"id"`
	FromPath string `json:"fromPath,omitempty"`
	ToPath   string `json:"toPath,omitempty"`
	// Fields lists every changed field of a changed structured resource.
	Fields []Field `json:"fields,omitempty"`
	// Unified is the unified diff of a changed text file.
	Unified string `json:"unified,omitempty"`
	// Note explains an unusual comparison (a YAML file that did not parse).
	Note string `json:"note,omitempty"`

	order  int // sort key within the section
	rank   int
	lines  int // line count of an added or removed text file
	before any // old value, for the summary
	after  any // new value, for the summary
}

// Result is the comparison of two sides.
type Result struct {
	From    string         `json:"from"`
	To      string         `json:"to"`
	Equal   bool           `json:"equal"`
	Summary []string       `json:"summary"`
	Wiring  []WiringChange `json:"wiring"`
	Changes []Change       `json:"changes"`
}

// Compare compares two bundles: the wiring, then every resource matched by
// identity. It fails only when a side cannot be read as a bundle (two
// files defining the same object).
func Compare(from, to Side) (*Result, error) {
	keysFrom, keysTo := keyPaths(from.Files), keyPaths(to.Files)
	a, err := resources(from.Files, keysTo)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", from.Label, err)
	}
	b, err := resources(to.Files, keysFrom)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", to.Label, err)
	}
	res := &Result{From: from.Label, To: to.Label, Summary: []string{}, Changes: []Change{}}
	res.Wiring = compareWiring(wiringOf(from, a), wiringOf(to, b))

	pairs, removed, added := match(a, b)
	for _, r := range removed {
		res.Changes = append(res.Changes, single(OpRemoved, r))
	}
	for _, r := range added {
		res.Changes = append(res.Changes, single(OpAdded, r))
	}
	for _, p := range pairs {
		if c, ok := pairChange(from.Label, to.Label, p[0], p[1]); ok {
			res.Changes = append(res.Changes, c)
		}
	}
	slices.SortStableFunc(res.Changes, func(x, y Change) int {
		return cmp.Or(cmp.Compare(x.rank, y.rank), cmp.Compare(x.order, y.order))
	})
	res.Summary = summarize(res)
	res.Equal = len(res.Changes) == 0
	for _, w := range res.Wiring {
		if w.Changed {
			res.Equal = false
		}
	}
	return res, nil
}

func keyPaths(files []render.File) map[string]bool {
	m := map[string]bool{}
	for _, f := range files {
		if f.Kind == render.KindKey {
			m[f.Path] = true
		}
	}
	return m
}

// match pairs resources by identity. Kubernetes objects left over are then
// paired by group, kind and name when that is unique on both sides, so an
// object that moved to another namespace shows as changed, not as removed
// and added.
func match(a, b []resource) (pairs [][2]resource, removed, added []resource) {
	byID := map[string]int{}
	for i, r := range b {
		byID[r.id.key()] = i
	}
	usedB := make([]bool, len(b))
	var leftA []resource
	for _, r := range a {
		if j, ok := byID[r.id.key()]; ok {
			pairs = append(pairs, [2]resource{r, b[j]})
			usedB[j] = true
			continue
		}
		leftA = append(leftA, r)
	}
	loose := func(r resource) string {
		if r.id.Type != TypeKubernetes {
			return ""
		}
		return r.id.Group + "\x00" + r.id.Kind + "\x00" + r.id.Name
	}
	countA, countB := map[string]int{}, map[string]int{}
	for _, r := range leftA {
		countA[loose(r)]++
	}
	looseB := map[string]int{}
	for j, r := range b {
		if !usedB[j] {
			countB[loose(r)]++
			looseB[loose(r)] = j
		}
	}
	for _, r := range leftA {
		k := loose(r)
		if k != "" && countA[k] == 1 && countB[k] == 1 {
			j := looseB[k]
			pairs = append(pairs, [2]resource{r, b[j]})
			usedB[j] = true
			continue
		}
		removed = append(removed, r)
	}
	for j, r := range b {
		if !usedB[j] {
			added = append(added, r)
		}
	}
	return pairs, removed, added
}

// Output sections, most meaningful first.
const (
	rankRemovedNamespace = iota
	rankRemoved
	rankAddedNamespace
	rankAdded
	rankChanged
	rankRemovedFile
	rankAddedFile
	rankChangedFile
	rankKey
)

func single(op string, r resource) Change {
	c := Change{Op: op, Identity: r.id, ID: r.id.String(), order: r.order}
	if op == OpAdded {
		c.ToPath, c.after = r.path, r.value
	} else {
		c.FromPath, c.before = r.path, r.value
	}
	switch {
	case r.id.Type == TypeKey:
		c.rank = rankKey
	case r.id.Type == TypeFile:
		c.rank = rankRemovedFile
		if op == OpAdded {
			c.rank = rankAddedFile
		}
		c.lines = len(textdiff.SplitLines(string(r.data)))
	case r.id.Kind == "Namespace":
		c.rank = rankRemovedNamespace
		if op == OpAdded {
			c.rank = rankAddedNamespace
		}
	default:
		c.rank = rankRemoved
		if op == OpAdded {
			c.rank = rankAdded
		}
	}
	return c
}

// pairChange compares a matched pair; ok is false when they are the same.
func pairChange(fromLabel, toLabel string, a, b resource) (Change, bool) {
	c := Change{Op: OpChanged, Identity: b.id, ID: b.id.String(), FromPath: a.path, ToPath: b.path,
		order: b.order, rank: rankChanged, before: a.value, after: b.value}
	if a.id.Namespace != b.id.Namespace {
		c.ID = a.id.String() + " -> " + b.id.Namespace + "/" + b.id.Name
		if b.id.Namespace == "" {
			c.ID = a.id.String() + " -> " + b.id.Name
		}
	}
	switch {
	case a.id.Type == TypeKey:
		return c, false
	case a.data != nil || b.data != nil || a.id.Type == TypeFile:
		c.rank = rankChangedFile
		c.Note = cmp.Or(a.note, b.note)
		if string(a.data) == string(b.data) {
			return c, false
		}
		if !isText(a.data) || !isText(b.data) {
			c.Note = "binary files differ"
			return c, true
		}
		c.Unified = textdiff.Unified(joinLabel(fromLabel, a.path), joinLabel(toLabel, b.path), string(a.data), string(b.data), 3)
		return c, true
	}
	compareValues("", "", a.value, b.value, &c.Fields)
	return c, len(c.Fields) > 0
}

func joinLabel(label, p string) string {
	return strings.TrimSuffix(label, "/") + "/" + p
}

func compareWiring(a, b []URL) []WiringChange {
	var out []WiringChange
	index := map[string]int{}
	for _, u := range a {
		index[u.Name] = len(out)
		out = append(out, WiringChange{Name: u.Name, From: u, To: URL{Name: u.Name}})
	}
	for _, u := range b {
		i, ok := index[u.Name]
		if !ok {
			out = append(out, WiringChange{Name: u.Name, From: URL{Name: u.Name}, To: u})
			continue
		}
		out[i].To = u
	}
	for i := range out {
		w := &out[i]
		w.Changed = w.From.Known && w.To.Known && w.From.Value != w.To.Value
	}
	return out
}

// wiringOf returns a side's wiring: the model's for a target, or, for a
// directory, the value each link of the model's wiring has in its files:
// the env var on the service it is set on, in compose environment, ConfigMap
// data or a container's env. The entry URL has no variable of its own and
// stays unknown.
func wiringOf(s Side, rs []resource) []URL {
	if s.Wiring != nil {
		return s.Wiring
	}
	out := make([]URL, 0, len(s.Expect))
	for _, e := range s.Expect {
		u := URL{Name: e.Name}
		if e.Service != "" {
			for _, r := range rs {
				if !belongsTo(r, e.Service) {
					continue
				}
				if v, ok := envValue(r, e.Env); ok {
					u.Value, u.Known = v, true
					break
				}
			}
		}
		out = append(out, u)
	}
	return out
}

// belongsTo reports whether a resource is service's: its compose service, or
// a Kubernetes object labelled with the service's name (as synctl labels
// them), named after it, or running a container of that name (as people
// write them).
func belongsTo(r resource, service string) bool {
	switch r.id.Type {
	case TypeCompose:
		return r.id.Kind == "service" && r.id.Name == service
	case TypeKubernetes:
		if str(lookup(r.value, "metadata", "labels", "app.kubernetes.io/name")) == service || r.id.Name == service {
			return true
		}
		containers, _ := lookup(r.value, "spec", "template", "spec", "containers").([]any)
		for _, c := range containers {
			if str(lookup(c, "name")) == service {
				return true
			}
		}
	}
	return false
}

// envValue finds the value a resource gives to an environment variable.
func envValue(r resource, name string) (string, bool) {
	switch {
	case r.id.Type == TypeCompose && r.id.Kind == "service":
		if env, ok := lookup(r.value, "environment").(map[string]any); ok {
			if v, ok := env[name]; ok {
				return str(v), true
			}
		}
	case r.id.Type == TypeKubernetes && r.id.Kind == "ConfigMap":
		if data, ok := lookup(r.value, "data").(map[string]any); ok {
			if v, ok := data[name]; ok {
				return str(v), true
			}
		}
	case r.id.Type == TypeKubernetes:
		containers, _ := lookup(r.value, "spec", "template", "spec", "containers").([]any)
		for _, c := range containers {
			env, _ := lookup(c, "env").([]any)
			for _, e := range env {
				if str(lookup(e, "name")) == name {
					if v, ok := lookup(e, "value").(string); ok {
						return v, true
					}
				}
			}
		}
	}
	return "", false
}
