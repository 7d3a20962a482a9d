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
	"os"
	"path/filepath"
	"testing"

	"github.com/synctl/synctl/pkg/textdiff"
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
		t.Errorf("%s differs from the current output:\n%s\nif the change is intended, run: %s", path, textdiff.Unified(path+" (want)", path+" (got)", string(want), string(got), 3), regen)
	}
}

// AssertFile is Assert for a file whose executable bit matters (a script):
// under -update it is written with mode, otherwise its mode's executable
// bit is compared too, as version control keeps it.
func AssertFile(t testing.TB, path string, got []byte, mode os.FileMode, regen string) {
	t.Helper()
	Assert(t, path, got, regen)
	if *Update {
		if err := os.Chmod(path, mode.Perm()); err != nil {
			t.Fatal(err)
		}
		return
	}
	if fi, err := os.Stat(path); err == nil && (fi.Mode()&0o111 == 0) != (mode&0o111 == 0) {
		t.Errorf("%s has mode %04o, the render %04o; run: %s", path, fi.Mode().Perm(), mode.Perm(), regen)
	}
}
