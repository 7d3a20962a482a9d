package target

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNotIgnored: a global ignore file with target/ (Rust's and Maven's
// have it) must not make git drop this package's files, new ones
// included; the repository's .gitignore re-includes the directory.
func TestNotIgnored(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("git is not installed")
		}
		t.Skip("git is not installed (apt-get install -y git)")
	}
	top, err := exec.Command(git, "rev-parse", "--show-toplevel").Output()
	if err != nil {
		t.Skip("not in a git checkout")
	}
	global := filepath.Join(t.TempDir(), "ignore")
	if err := os.WriteFile(global, []byte("target/\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"pkg/target/registry.go", "pkg/target/newtarget.go", "pkg/target/testdata/new.golden"} {
		cmd := exec.Command(git, "-c", "core.excludesFile="+global, "check-ignore", "--no-index", "-v", p)
		cmd.Dir = strings.TrimSpace(string(top))
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_NOSYSTEM=1")
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		switch {
		case err == nil:
			t.Errorf("%s is ignored under a global ignore of target/: %s", p, out)
		case errors.As(err, &ee) && ee.ExitCode() == 1:
			// not ignored
		default:
			t.Fatalf("git check-ignore %s: %v\n%s", p, err, out)
		}
	}
}
