package validate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
			want, err := os.ReadFile(filepath.Join(root, e.Name(), "want.txt"))
			if err != nil {
				t.Fatal(err)
			}
			t.Chdir(filepath.Join(root, e.Name()))
			r, err := Paths([]string{"."}, Options{SkipNginx: true})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, p := range r.Problems {
				got = append(got, p.String())
			}
			if g, w := strings.Join(got, "\n"), strings.TrimSpace(string(want)); g != w {
				t.Errorf("problems:\n%s\nwant:\n%s", g, w)
			}
			if len(r.Problems) == 0 {
				t.Error("a broken input must report at least one problem")
			}
		})
	}
	if n < 25 {
		t.Errorf("found %d cases in testdata/validate, want at least 25", n)
	}
}
