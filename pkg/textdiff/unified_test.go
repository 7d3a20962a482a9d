package textdiff

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

func TestUnified(t *testing.T) {
	tests := []struct {
		name, old, new, want string
	}{
		{name: "equal", old: "a\nb\n", new: "a\nb\n", want: ""},
		{name: "one line changed", old: "a\nb\nc\n", new: "a\nB\nc\n",
			want: "--- x\n+++ y\n@@ -1,3 +1,3 @@\n a\n-b\n+B\n c\n"},
		{name: "from empty", old: "", new: "a\nb\n",
			want: "--- x\n+++ y\n@@ -0,0 +1,2 @@\n+a\n+b\n"},
		{name: "to empty", old: "a\n", new: "",
			want: "--- x\n+++ y\n@@ -1 +0,0 @@\n-a\n"},
		{name: "missing final newline", old: "a\nb\n", new: "a\nb",
			want: "--- x\n+++ y\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file\n"},
		{name: "two hunks",
			old:  "1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n",
			new:  "1\nTWO\n3\n4\n5\n6\n7\n8\n9\n10\nELEVEN\n12\n",
			want: "--- x\n+++ y\n@@ -1,5 +1,5 @@\n 1\n-2\n+TWO\n 3\n 4\n 5\n@@ -8,5 +8,5 @@\n 8\n 9\n 10\n-11\n+ELEVEN\n 12\n"},
		{name: "close changes share a hunk",
			old:  "1\n2\n3\n4\n5\n6\n7\n8\n",
			new:  "1\nTWO\n3\n4\n5\n6\nSEVEN\n8\n",
			want: "--- x\n+++ y\n@@ -1,8 +1,8 @@\n 1\n-2\n+TWO\n 3\n 4\n 5\n 6\n-7\n+SEVEN\n 8\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Unified("x", "y", tt.old, tt.new, 3); got != tt.want {
				t.Errorf("Unified() =\n%s\nwant\n%s", got, tt.want)
			}
		})
	}
}

// TestUnifiedAppliesWithPatch checks on generated inputs that the output is a
// patch that patch(1) applies to old to give new.
func TestUnifiedAppliesWithPatch(t *testing.T) {
	patchBin, err := exec.LookPath("patch")
	if err != nil {
		t.Skip("patch(1) not installed")
	}
	words := []string{"a", "b", "c", "d", "e"}
	gen := func(seed, n int) string {
		var b strings.Builder
		for i := range n {
			b.WriteString(words[(seed*7+i*i*3+i*seed)%len(words)])
			b.WriteByte('\n')
		}
		return b.String()
	}
	for seed := range 20 {
		old, new := gen(seed, 10+seed), gen(seed+1, 12)
		dir := t.TempDir()
		file := filepath.Join(dir, "f")
		if err := os.WriteFile(file, []byte(old), 0o644); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(patchBin, "-s", file)
		cmd.Stdin = strings.NewReader(Unified("a/f", "b/f", old, new, 3))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("seed %d: patch: %v\n%s", seed, err, out)
		}
		got, _ := os.ReadFile(file)
		if string(got) != new {
			t.Errorf("seed %d: patched file =\n%s\nwant\n%s", seed, got, new)
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
		Unified("a", "b", old.String(), new.String(), 3)
	}
}
