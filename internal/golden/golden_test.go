package golden

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryTestBinaryTakesUpdate: `go test ./... -update`, as the README
// gives it, passes -update to every test binary of the module, and one
// that does not define the flag fails the whole command. So every package
// with tests must link this package, which defines it.
func TestEveryTestBinaryTakesUpdate(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("go is not on $PATH, which go test puts there")
	}
	const self = "github.com/synctl/synctl/internal/golden"
	cmd := exec.Command(goCmd, "list", "-test", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "./...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, err.(*exec.ExitError).Stderr)
	}
	binaries := 0
	for line := range strings.Lines(string(out)) {
		pkg, deps, _ := strings.Cut(strings.TrimSpace(line), " ")
		if !strings.HasSuffix(pkg, ".test") {
			continue
		}
		binaries++
		// A dependency built for one test binary reads "path [pkg.test]".
		if !strings.Contains(" "+deps+" ", " "+self+" ") && !strings.Contains(" "+deps, " "+self+" [") {
			t.Errorf("%s does not define -update: add a _test.go file with `import _ %q` to %s",
				pkg, self, strings.TrimPrefix(strings.TrimSuffix(pkg, ".test"), "github.com/synctl/synctl/"))
		}
	}
	if binaries == 0 {
		t.Fatalf("go list found no test binary:\n%s", out)
	}
	touchSources(t, "../..")
}

// touchSources stats every Go file and lists every directory under root, so
// that go test's cache, which sees only what the test process itself
// reads, not what go list read, runs this test again when one changes.
func touchSources(t *testing.T, root string) {
	t.Helper()
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		if d.IsDir() && p != root && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(p, ".go") {
			os.Stat(p)
		}
		return nil
	})
}
