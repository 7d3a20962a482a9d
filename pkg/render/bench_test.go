package render_test

import (
	"bytes"
	"strconv"
	"sync"
	"testing"

	"github.com/synctl/synctl/internal/benchapp"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/topology"
)

// BenchmarkRender renders the built-in SynergyChat app for each target.
func BenchmarkRender(b *testing.B) {
	m, err := topology.Default()
	if err != nil {
		b.Fatal(err)
	}
	for _, t := range topology.Targets() {
		b.Run(string(t), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := render.Render(m, t); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRenderGenerated renders generated apps of 10, 100 and 1000
// services for every target; ns/service should stay flat as the app grows.
func BenchmarkRenderGenerated(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			m, err := topology.Decode("bench.yaml", benchapp.Spec(n))
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				for _, t := range topology.Targets() {
					if _, err := render.Render(m, t); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/service")
		})
	}
}

// Rendering every target of one model at once is safe: synctl render
// --target all does it. Run with -race to check.
func TestRenderConcurrent(t *testing.T) {
	m, err := topology.Decode("bench.yaml", benchapp.Spec(20))
	if err != nil {
		t.Fatal(err)
	}
	want := map[topology.Target][]render.File{}
	for _, tg := range topology.Targets() {
		if want[tg], err = render.Render(m, tg); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	for range 2 {
		for _, tg := range topology.Targets() {
			wg.Go(func() {
				got, err := render.Render(m, tg)
				if err != nil {
					t.Error(err)
					return
				}
				if len(got) != len(want[tg]) {
					t.Errorf("%s: %d files, want %d", tg, len(got), len(want[tg]))
					return
				}
				for i := range got {
					if got[i].Path != want[tg][i].Path || (!got[i].KeyMaterial && !bytes.Equal(got[i].Data, want[tg][i].Data)) {
						t.Errorf("%s: %s differs when rendered concurrently", tg, got[i].Path)
					}
				}
			})
		}
	}
	wg.Wait()
}
