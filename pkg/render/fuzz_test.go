package render_test

import (
	"os"
	"testing"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/topology"
	"github.com/synctl/synctl/pkg/validate"
)

// FuzzRender: any spec that loads renders for every target without error or
// panic, and every bundle it renders validates clean (nginx -t aside, which
// is too slow to run per input; TestRenderedBundlesValidate in pkg/validate
// runs it on the real bundles).
func FuzzRender(f *testing.F) {
	f.Add(topology.DefaultSpec())
	for _, p := range []string{"../../testdata/apps/shop.yaml"} {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := topology.Decode("fuzz.yaml", data)
		if err != nil {
			return
		}
		dir := t.TempDir()
		for _, tg := range topology.Targets() {
			files, err := render.Render(m, tg)
			if err != nil {
				t.Fatalf("%s: a spec that loads must render: %v", tg, err)
			}
			if err := render.WriteBundle(dir+"/"+string(tg), files, render.WriteOptions{}); err != nil {
				t.Fatal(err)
			}
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
