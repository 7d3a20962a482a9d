// Package golden compares test output with files under testdata/ and
// rewrites them with `go test ./... -update`.
//
// Every test package of this module imports it (for its flag alone, a blank
// import in one _test.go file does), because `go test ./... -update` passes
// -update to every package's test binary, and a binary that does not define
// the flag fails.
package golden

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Update is set by -update: rewrite golden files instead of comparing.
var Update = flag.Bool("update", false, "rewrite golden files under testdata/ with the current output")

// Assert compares got with the file at path (relative to the test's package
// directory), or rewrites it under -update. regen is the command a developer
// runs to accept the new output, printed on a mismatch.
func Assert(t testing.TB, path string, got []byte, regen string) {
	t.Helper()
	if *Update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		// WriteFile truncates: no stale bytes survive a shorter output.
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%s: %v\nto create it, run: %s", path, err, regen)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the current output:\n%s\nif the change is intended, run: %s", path, Diff(path, want, got), regen)
	}
}

// Diff is a unified diff of want and got (line based, with 3 lines of
// context), good enough to read a golden-file mismatch.
func Diff(name string, want, got []byte) string {
	a := splitLines(string(want))
	b := splitLines(string(got))
	// Longest common subsequence table, from the end.
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	type line struct {
		op   byte
		text string
		ai   int
		bi   int
	}
	var ops []line
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, line{' ', a[i], i, j})
			i++
			j++
		case j < m && (i == n || lcs[i][j+1] >= lcs[i+1][j]):
			ops = append(ops, line{'+', b[j], i, j})
			j++
		default:
			ops = append(ops, line{'-', a[i], i, j})
			i++
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s (want)\n+++ %s (got)\n", name, name)
	const ctx = 3
	for k := 0; k < len(ops); {
		if ops[k].op == ' ' {
			k++
			continue
		}
		start := max(0, k-ctx)
		end := k
		for end < len(ops) {
			if ops[end].op != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].op == ' ' {
				run++
			}
			if run-end > 2*ctx || run == len(ops) {
				end = min(len(ops), end+ctx)
				break
			}
			end = run
		}
		fmt.Fprintf(&out, "@@ -%d +%d @@\n", ops[start].ai+1, ops[start].bi+1)
		for _, l := range ops[start:end] {
			fmt.Fprintf(&out, "%c%s\n", l.op, l.text)
		}
		k = end
	}
	return out.String()
}

func splitLines(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(strings.TrimSuffix(s, "\n"), "\n")
}
