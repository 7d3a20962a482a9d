package target_test

import (
	"bytes"
	"strconv"
	"sync"
	"testing"

	"github.com/synctl/synctl/internal/benchapp"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
)

// BenchmarkRender renders the built-in app for each target.
func BenchmarkRender(b *testing.B) {
	p, err := target.Default()
	if err != nil {
		b.Fatal(err)
	}
	for _, t := range target.All() {
		b.Run(t.Name(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Render(t, target.Invocation{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func load(tb testing.TB, n int) *target.Plan {
	tb.Helper()
	p, err := target.Load("bench.yaml", benchapp.Spec(n), target.Overrides{})
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// BenchmarkLoadGenerated decodes, validates and configures every target for
// generated apps; ns/service should stay flat as the app grows.
func BenchmarkLoadGenerated(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			spec := benchapp.Spec(n)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := target.Load("bench.yaml", spec, target.Overrides{}); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/service")
		})
	}
}

// BenchmarkWireGenerated computes every target's wiring of a generated app.
func BenchmarkWireGenerated(b *testing.B) {
	for _, n := range []int{10, 100, 1000} {
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			p := load(b, n)
			b.ReportAllocs()
			for b.Loop() {
				for _, t := range target.All() {
					p.Wiring(t)
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
			p := load(b, n)
			b.ReportAllocs()
			for b.Loop() {
				for _, t := range target.All() {
					if _, err := p.Render(t, target.Invocation{}); err != nil {
						b.Fatal(err)
					}
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/service")
		})
	}
}

// BenchmarkRender1000 renders a generated app of 1000 services for each
// target alone, so that no target's cost hides behind another's. A change
// that raises allocs/op by more than 10% says why in its commit.
func BenchmarkRender1000(b *testing.B) {
	p := load(b, 1000)
	for _, t := range target.All() {
		b.Run(t.Name(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Render(t, target.Invocation{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// Rendering every target of one plan at once is safe: synctl render
// --target all does it. Run with -race to check.
func TestRenderConcurrent(t *testing.T) {
	p := load(t, 20)
	want := map[string]*render.Bundle{}
	for _, tg := range target.All() {
		b, err := p.Render(tg, target.Invocation{})
		if err != nil {
			t.Fatal(err)
		}
		want[tg.Name()] = b
	}
	var wg sync.WaitGroup
	for range 2 {
		for _, tg := range target.All() {
			wg.Go(func() {
				got, err := p.Render(tg, target.Invocation{})
				if err != nil {
					t.Error(err)
					return
				}
				w := want[tg.Name()]
				if len(got.Files) != len(w.Files) {
					t.Errorf("%s: %d files, want %d", tg.Name(), len(got.Files), len(w.Files))
					return
				}
				for i := range got.Files {
					if got.Files[i].Path != w.Files[i].Path || (got.Files[i].Kind != render.KindKey && !bytes.Equal(got.Files[i].Data, w.Files[i].Data)) {
						t.Errorf("%s: %s differs when rendered concurrently", tg.Name(), got.Files[i].Path)
					}
				}
			})
		}
	}
	wg.Wait()
}
