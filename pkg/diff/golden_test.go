package diff_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/synctl/synctl/pkg/diff"
	"github.com/synctl/synctl/pkg/topology"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/diff")

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
			golden(t, name+".txt", text.Bytes())
			golden(t, name+".json", js.Bytes())
		})
	}
}

// golden compares got with testdata/diff/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join(goldenDir, name)
	if *update {
		if err := os.MkdirAll(goldenDir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v\nCreate it with: go test ./pkg/diff -update", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the report:\n%s\nIf the change is intended: go test ./pkg/diff -update",
			path, diff.Unified(path, "got", string(want), string(got), 3))
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

// BenchmarkUnified diffs a 2000-line file with 20 scattered edits.
func BenchmarkUnified(b *testing.B) {
	var old, new bytes.Buffer
	for i := range 2000 {
		line := "line " + string(rune('a'+i%26)) + " " + filepath.Join("x", string(rune('a'+i%7))) + "\n"
		old.WriteString(line)
		if i%100 == 50 {
			line = "edited\n"
		}
		new.WriteString(line)
	}
	for b.Loop() {
		diff.Unified("a", "b", old.String(), new.String(), 3)
	}
}
