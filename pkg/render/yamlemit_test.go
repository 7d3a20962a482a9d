package render

import (
	"fmt"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	yamlv2 "go.yaml.in/yaml/v2"
	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/synctl/synctl/internal/benchapp"
	"github.com/synctl/synctl/pkg/topology"
)

// emitBoth writes doc with appendYAML and with yaml.v2.
func emitBoth(t testing.TB, doc any) (got []byte, ok bool, want []byte) {
	t.Helper()
	want, err := yamlv2.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	got, ok = appendYAML([]byte("prefix"), doc)
	if !strings.HasPrefix(string(got), "prefix") {
		t.Fatalf("appendYAML lost what buf held: %q", got)
	}
	return got[len("prefix"):], ok, want
}

// TestEmitMatchesYAMLv2: for every object the Kubernetes builder makes, of
// four apps, appendYAML writes yaml.v2's bytes without falling back.
func TestEmitMatchesYAMLv2(t *testing.T) {
	var specs [][]byte
	for _, app := range []string{"shop", "transit"} {
		b, err := os.ReadFile("../../testdata/apps/" + app + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, b)
	}
	specs = append(specs, topology.DefaultSpec(), benchapp.Spec(30))
	for _, spec := range specs {
		m, err := topology.Decode("app.yaml", spec)
		if err != nil {
			t.Fatal(err)
		}
		k := &Kube{M: m, W: topology.Wire(m, flatRules{}), Namespace: "ns", Resources: func(*topology.Service) corev1.ResourceRequirements {
			return corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}
		}}
		objs := append(k.Namespaces("other"), k.NetworkPolicies()...)
		for i := range m.Services {
			objs = append(objs, k.Workload(&m.Services[i])...)
		}
		for _, o := range objs {
			d, _, err := document(o.Obj)
			if err != nil {
				t.Fatal(err)
			}
			// The orderedMap docOf makes, against yaml.v2 on its maps.
			got, ok := appendYAML(nil, d)
			want, err := yamlv2.Marshal(plainDoc(d))
			if err != nil {
				t.Fatal(err)
			}
			if !ok {
				t.Errorf("%s %s: appendYAML fell back", m.Name, o.File)
				continue
			}
			if string(got) != string(want) {
				t.Errorf("%s %s:\n got %s\nwant %s", m.Name, o.File, got, want)
			}
		}
	}
}

// TestEmitShapes covers the layouts and scalar styles manifests seldom
// show: nesting of every kind, empty collections, long lines, blocks.
func TestEmitShapes(t *testing.T) {
	long := strings.Repeat("word ", 30)
	for name, doc := range map[string]any{
		"nesting": map[string]any{
			"a": []any{[]any{"x", []any{}}, map[string]any{}, map[string]any{"k": []any{1, true, nil}}, []any{map[string]any{"p": "q", "r": []any{"s"}}}},
			"b": map[string]any{"c": map[string]any{"d": []any{}}, "e": map[string]any{}},
		},
		"root empty": map[string]any{},
		"styles": map[string]any{
			"plain": "a b", "num": "8080", "float": "1.5", "exp": "1e3", "hex": "0x1F", "bool": "yes", "tilde": "~",
			"empty": "", "colon": "a: b", "hash": "a #b", "lead": " a", "trail": "a ", "quote": "it's", "star": "*a",
			"dash": "- a", "dashword": "-a", "time": "2001-12-14", "base60": "1:30", "dots": "...x", "bs": `a\b"c`,
			"url": "http://crawler-service:80/x?y=z#w", "under": "1_000", "dot": ".5", "sign": "+1",
		},
		"long": map[string]any{
			"plain": long, "quoted": "'" + long, "double": "8 " + long, "deep": map[string]any{"x": []any{long, strings.Repeat("x", 90) + " y  z"}},
			"spaces": strings.Repeat("ab  ", 40),
		},
		"blocks": map[string]any{
			"clip": "line one\nline two\n", "strip": "one\ntwo", "lead": " indented\nx\n", "breakfirst": "\nx\n",
			"spacebreak": "a \nb", "empty lines": "a\n\n\nb\n", "inseq": []any{"a\nb\n", map[string]any{"k": "c\nd"}},
			"trailing": "a\nb ", "breakspace": "a\n b\n",
		},
		"keys": map[string]any{
			"a10": 1, "a9": 2, "a09": 3, "a": 4, "B": 5, "_x": 6, "x-1": 7, "x.2": 8, "x/3": 9, "a00": 11, "a1": 12,
			"app.kubernetes.io/name": 13, "9x": 15, "x9y10": 16, "x9y9": 17,
		},
		"quoted key": map[string]any{"10": 1, "a": 2},
	} {
		got, ok, want := emitBoth(t, doc)
		if !ok {
			// Only keys that need quotes fall back here.
			if name != "quoted key" {
				t.Errorf("%s: appendYAML fell back", name)
			}
			continue
		}
		if name == "quoted key" {
			t.Errorf("%s: appendYAML wrote %s", name, got)
		}
		if string(got) != string(want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

// FuzzEmitScalar holds appendYAML's quoting, folding and key order to
// yaml.v2's bytes, and checks with yaml.v3 that every string reads back
// as written, at several depths. Where yaml.v2's own bytes do not read
// back so in yaml.v3, appendYAML's must, in both.
func FuzzEmitScalar(f *testing.F) {
	for _, s := range []string{"", "a", "8080", "yes", "a: b", " x", "x\ny\n", "1:20", "2001-12-14", strings.Repeat("ab ", 40), "it's", "-", "\n", "a\n\n"} {
		f.Add(s, "key")
	}
	f.Fuzz(func(t *testing.T, s, k string) {
		doc := map[string]any{
			"v": s,
			"m": map[string]any{k: s, "list": []any{s, map[string]any{"deep": []any{s}}}},
			k:   []any{[]any{s}},
		}
		got, ok, want := emitBoth(t, doc)
		if !ok {
			return
		}
		if string(got) != string(want) {
			// The one place the emitter leaves yaml.v2's bytes: a string
			// v2 writes plain and v3 reads as another type ("0o+0": v3
			// takes an "0o" prefix with a signed octal as an integer), which
			// the emitter quotes. Then v2 must read it back too.
			var v3reads any
			if err := yaml.Unmarshal(want, &v3reads); err == nil && reflect.DeepEqual(v3reads, doc) {
				t.Fatalf("s=%q k=%q:\n got %s\nwant %s", s, k, got, want)
			}
			var v2reads map[string]any
			if err := yamlv2.Unmarshal(got, &v2reads); err != nil || !reflect.DeepEqual(v2reads["v"], doc["v"]) {
				t.Fatalf("s=%q k=%q: yaml.v2 reads %s with v: %#v (%v)", s, k, got, v2reads["v"], err)
			}
		}
		var back any
		if err := yaml.Unmarshal(got, &back); err != nil {
			t.Fatalf("s=%q k=%q: yaml.v3 cannot read %s: %v", s, k, got, err)
		}
		if !reflect.DeepEqual(back, doc) {
			t.Fatalf("s=%q k=%q: yaml.v3 reads %s as %#v", s, k, got, back)
		}
	})
}

// FuzzKeyOrder holds keyCompare to the order yaml.v2 writes keys in.
func FuzzKeyOrder(f *testing.F) {
	f.Add("a10", "a9", "a09")
	f.Add("x-1", "x.1", "x1")
	f.Add("a00", "a0b", "a0")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		keys := []string{a, b, c}
		for _, k := range keys {
			if !plainKey(k) {
				return
			}
		}
		// yaml.v2's order is not transitive for every set of keys ("a0b" <
		// "a1" < "a09" < "a0b"): there it depends on map order. Compare
		// sets it orders one way only.
		for _, x := range keys {
			for _, y := range keys {
				for _, z := range keys {
					if keyLess(x, y) && keyLess(y, z) && !keyLess(x, z) {
						return
					}
				}
			}
		}
		doc := map[string]any{a: 1, b: 2, c: 3}
		out, err := yamlv2.Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		var order []string
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			key, _, _ := strings.Cut(line, ": ")
			order = append(order, key)
		}
		got := slices.Compact(slices.SortedFunc(slices.Values(keys), keyCompare))
		if fmt.Sprint(got) != fmt.Sprint(order) {
			t.Fatalf("keyCompare orders %q, yaml.v2 %q", got, order)
		}
	})
}
