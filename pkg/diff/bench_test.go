package diff_test

import (
	"io"
	"testing"

	"github.com/synctl/synctl/internal/bundletest"
	"github.com/synctl/synctl/pkg/diff"
	"github.com/synctl/synctl/pkg/target"
)

// BenchmarkDiffMinikubeToGKE is the whole of `synctl diff --from minikube
// --to gke` after decoding: render both sides, compare, write the report.
func BenchmarkDiffMinikubeToGKE(b *testing.B) {
	p := bundletest.Plan(b)
	b.ReportAllocs()
	for b.Loop() {
		from := diff.BundleSide(bundletest.Render(b, p, "minikube", "", target.Overrides{}))
		to := diff.BundleSide(bundletest.Render(b, p, "gke", "", target.Overrides{}))
		r, err := diff.Compare(from, to)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.WriteText(io.Discard, false); err != nil {
			b.Fatal(err)
		}
	}
}
