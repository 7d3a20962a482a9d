package topology_test

import (
	"strconv"
	"testing"

	"github.com/synctl/synctl/internal/benchapp"
	"github.com/synctl/synctl/pkg/topology"
)

// BenchmarkDecodeDefault decodes and validates the built-in SynergyChat spec,
// as every synctl command without -f does.
func BenchmarkDecodeDefault(b *testing.B) {
	spec := topology.DefaultSpec()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := topology.Decode(topology.DefaultSpecName, spec); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeGenerated decodes generated apps; ns/service should stay
// flat as the app grows.
func BenchmarkDecodeGenerated(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			spec := benchapp.Spec(n)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := topology.Decode("bench.yaml", spec); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/service")
		})
	}
}
