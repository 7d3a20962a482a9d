package validate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synctl/synctl/internal/golden"
)

// TestBrokenInputs runs every case under testdata/validate: a bundle with one
// realistic hand-wiring mistake, and want.txt holding the exact problems.
// nginx -t is turned off here so the cases read the same with and without
// root; TestNginx covers it.
func TestBrokenInputs(t *testing.T) {
	root, err := filepath.Abs("../../testdata/validate")
	if err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		n++
		t.Run(e.Name(), func(t *testing.T) {
			wantFile := filepath.Join(root, e.Name(), "want.txt")
			t.Chdir(filepath.Join(root, e.Name()))
			r, err := Paths([]string{"."}, Options{SkipNginx: true})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range r.Problems {
				got = append(got, p.String())
			}
			golden.Assert(t, wantFile, []byte(strings.Join(got, "\n")+"\n"), "go test ./pkg/validate -run TestBrokenInputs -update")
			if len(r.Problems) == 0 {
				t.Error("a broken input must report at least one problem")
			}
		})
	}
	if n < 25 {
		t.Errorf("found %d cases in testdata/validate, want at least 25", n)
	}
}
