package diff_test

import (
	"io"
	"testing"

	"github.com/synctl/synctl/pkg/diff"
	"github.com/synctl/synctl/pkg/topology"
)

// BenchmarkDiffMinikubeToGKE is the whole of `synctl diff --from minikube
// --to gke` after decoding: render both sides, compare, write the report.
func BenchmarkDiffMinikubeToGKE(b *testing.B) {
	m, err := topology.Default()
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		from, err := diff.TargetSide(m, topology.Minikube)
		if err != nil {
			b.Fatal(err)
		}
		to, err := diff.TargetSide(m, topology.GKE)
		if err != nil {
			b.Fatal(err)
		}
		r, err := diff.Compare(from, to)
		if err != nil {
			b.Fatal(err)
		}
		if err := r.WriteText(io.Discard, false); err != nil {
			b.Fatal(err)
		}
	}
}
