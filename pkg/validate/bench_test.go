package validate

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/topology"
)

// BenchmarkValidateBundle validates one rendered bundle per target, as
// `synctl validate DIR --skip-nginx` does (nginx -t is a separate process
// whose cost is nginx's, not synctl's).
func BenchmarkValidateBundle(b *testing.B) {
	for _, target := range topology.Targets() {
		b.Run(string(target), func(b *testing.B) {
			dir := benchBundle(b, target)
			b.ReportAllocs()
			for b.Loop() {
				r, err := Paths([]string{dir}, Options{SkipNginx: true})
				if err != nil {
					b.Fatal(err)
				}
				if len(r.Problems) > 0 {
					b.Fatal(r.Problems[0])
				}
			}
		})
	}
}

// benchBundle writes the SynergyChat bundle of target into a fresh directory.
func benchBundle(b *testing.B, target topology.Target) string {
	b.Helper()
	m, err := topology.Default()
	if err != nil {
		b.Fatal(err)
	}
	files, err := render.Render(m, target)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, f.Data, f.Mode); err != nil {
			b.Fatal(err)
		}
	}
	return dir
}
