package render_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strconv"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/synctl/synctl/internal/benchapp"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
)

// TestDocumentsReadBack decodes every document Manifests writes, for every
// app and target, with yaml.v3 and compares it with its object: the
// object's JSON (numbers as integers) less status and the nulls and empty
// blocks Manifests leaves out.
func TestDocumentsReadBack(t *testing.T) {
	specs := map[string][]byte{"bench": benchapp.Spec(40)}
	for _, app := range []string{"shop", "transit"} {
		b, err := os.ReadFile("../../testdata/apps/" + app + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		specs[app] = b
	}
	var plans []*target.Plan
	def, err := target.Default()
	if err != nil {
		t.Fatal(err)
	}
	plans = append(plans, def)
	for name, spec := range specs {
		p, err := target.Load(name+".yaml", spec, target.Overrides{})
		if err != nil {
			t.Fatal(err)
		}
		plans = append(plans, p)
	}
	docs := 0
	var where string
	render.SetDocumentHook(func(obj any, doc []byte) {
		docs++
		var got any
		if err := yaml.Unmarshal(doc, &got); err != nil {
			t.Errorf("%s: yaml.v3 cannot read\n%s: %v", where, doc, err)
			return
		}
		if want := objectDoc(t, obj); !reflect.DeepEqual(got, want) {
			t.Errorf("%s: yaml.v3 reads\n%s\nas %#v\nwant %#v", where, doc, got, want)
		}
	})
	defer render.SetDocumentHook(nil)
	for _, p := range plans {
		for _, tg := range target.All() {
			where = p.Model.Name + " " + tg.Name()
			if _, err := p.Render(tg, target.Invocation{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if docs == 0 {
		t.Fatal("no documents written")
	}
}

// objectDoc is obj as JSON, decoded with integers as int, without what
// Manifests prunes.
func objectDoc(t *testing.T, obj any) any {
	t.Helper()
	j, err := json.Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var doc map[string]any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	delete(doc, "status")
	return pruned(t, doc)
}

// noiseWhenEmpty are the keys Manifests drops when their value is an empty
// mapping.
var noiseWhenEmpty = map[string]bool{"resources": true, "strategy": true, "metadata": true, "spec": true}

func pruned(t *testing.T, v any) any {
	switch v := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range v {
			e = pruned(t, e)
			if e == nil {
				continue
			}
			if m, ok := e.(map[string]any); ok && len(m) == 0 && noiseWhenEmpty[k] {
				continue
			}
			out[k] = e
		}
		return out
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = pruned(t, e)
		}
		return out
	case json.Number:
		n, err := strconv.Atoi(string(v))
		if err != nil {
			t.Fatalf("number %s is not an integer", v)
		}
		return n
	}
	return v
}
