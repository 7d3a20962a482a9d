package diff_test

import (
	"bytes"
	"github.com/synctl/synctl/internal/golden"
	"path/filepath"
	"testing"

	"github.com/synctl/synctl/pkg/diff"
	"github.com/synctl/synctl/pkg/topology"
)

// goldenDir holds the expected reports, shared with the CLI's tests.
const goldenDir = "../../testdata/diff"

// TestGolden compares the report of each step of the seed's progression,
// and one step back, in text and json, with the files in testdata/diff.
func TestGolden(t *testing.T) {
	m, err := topology.Default()
	if err != nil {
		t.Fatal(err)
	}
	pairs := [][2]topology.Target{
		{topology.Docker, topology.DockerNetwork},
		{topology.DockerNetwork, topology.Nginx},
		{topology.Nginx, topology.Minikube},
		{topology.Minikube, topology.GKE},
		{topology.GKE, topology.Minikube},
	}
	for _, p := range pairs {
		name := string(p[0]) + "_to_" + string(p[1])
		t.Run(name, func(t *testing.T) {
			from, err := diff.TargetSide(m, p[0])
			if err != nil {
				t.Fatal(err)
			}
			to, err := diff.TargetSide(m, p[1])
			if err != nil {
				t.Fatal(err)
			}
			res, err := diff.Compare(from, to)
			if err != nil {
				t.Fatal(err)
			}
			if res.Equal {
				t.Errorf("Equal = true for %s -> %s", p[0], p[1])
			}
			var text, js bytes.Buffer
			if err := res.WriteText(&text, false); err != nil {
				t.Fatal(err)
			}
			if err := res.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join(goldenDir, name+".txt"), text.Bytes(), "go test ./pkg/diff -update")
			golden.Assert(t, filepath.Join(goldenDir, name+".json"), js.Bytes(), "go test ./pkg/diff -update")
		})
	}
}

func BenchmarkCompareMinikubeToGKE(b *testing.B) {
	m, err := topology.Default()
	if err != nil {
		b.Fatal(err)
	}
	from, _ := diff.TargetSide(m, topology.Minikube)
	to, _ := diff.TargetSide(m, topology.GKE)
	for b.Loop() {
		if _, err := diff.Compare(from, to); err != nil {
			b.Fatal(err)
		}
	}
}
