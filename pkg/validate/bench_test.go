package validate

import (
	"testing"

	"github.com/synctl/synctl/internal/bundletest"
	"github.com/synctl/synctl/pkg/target"
)

// BenchmarkValidateBundle validates one rendered bundle per target, as
// `synctl validate DIR --skip-nginx` does (nginx -t is a separate process
// whose cost is nginx's, not synctl's).
func BenchmarkValidateBundle(b *testing.B) {
	for _, tg := range target.All() {
		b.Run(tg.Name(), func(b *testing.B) {
			dir := bundletest.Write(b, bundletest.Default(b, tg.Name()))
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
