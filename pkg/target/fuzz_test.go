package target_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/topology"
	"github.com/synctl/synctl/pkg/validate"
)

// FuzzRender: any spec that loads renders for every target without error or
// panic, and every bundle it renders validates clean (nginx -t aside, which
// is too slow to run per input; TestRenderedBundlesValidate in pkg/validate
// runs it on the real bundles).
func FuzzRender(f *testing.F) {
	f.Add(topology.DefaultSpec())
	for _, app := range []string{"shop", "transit", "voting"} {
		if b, err := os.ReadFile("../../testdata/apps/" + app + ".yaml"); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := target.Load("fuzz.yaml", data, target.Overrides{})
		if err != nil {
			return
		}
		// The bundles' records name the spec they came from (validate reads
		// its outbound ports there), so it is a file beside them, not the
		// built-in app.
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "fuzz.yaml"), data, 0o644); err != nil {
			t.Fatal(err)
		}
		var placements []render.Placement
		for _, tg := range target.All() {
			b, err := p.Render(tg, target.Invocation{Spec: "../../fuzz.yaml"})
			if err != nil {
				t.Fatalf("%s: a spec that loads must render: %v", tg.Name(), err)
			}
			placements = append(placements, render.Placement{Dir: tg.Name(), Bundle: b})
		}
		if _, err := render.Write(context.Background(), filepath.Join(dir, "out"), placements, render.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
		rep, err := validate.Paths([]string{dir}, validate.Options{SkipNginx: true})
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range rep.Problems {
			t.Errorf("rendered output does not validate: %s", p)
		}
	})
}
