package main

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/synctl/synctl/pkg/importcli"
)

// TestShipsNoTestKit: internal/ holds test kits only (stand-in services,
// engine harnesses, golden files, bundle and chart helpers, the benchmark
// app); what synctl ships is cmd/ and pkg/. A non-test file under cmd/ or
// pkg/ that imports a kit would link test support into the binaries.
func TestShipsNoTestKit(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("go is not on $PATH, which go test puts there")
	}
	const kits = "github.com/synctl/synctl/internal/"
	cmd := exec.Command(goCmd, "list", "-f", `{{.ImportPath}}{{range .Imports}} {{.}}{{end}}`, "./cmd/...", "./pkg/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, err.(*exec.ExitError).Stderr)
	}
	packages := 0
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		packages++
		for _, imp := range fields[1:] {
			if strings.HasPrefix(imp, kits) {
				t.Errorf("%s imports the test kit %s: shipped code belongs in pkg/ (move it there), and a kit may be imported by _test.go files only", fields[0], imp)
			}
		}
	}
	// The README says which is which, and names every kit.
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	const says = "`internal/` holds test kits only"
	if !strings.Contains(string(readme), says) {
		t.Errorf("README.md no longer says %q", says)
	}
	kitDirs, err := os.ReadDir("../../internal")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range kitDirs {
		if d.IsDir() && !strings.Contains(string(readme), "(`"+d.Name()+"`") && !strings.Contains(string(readme), "`"+d.Name()+"`,") && !strings.Contains(string(readme), "`"+d.Name()+"`)") {
			t.Errorf("README.md's Layout does not name the test kit internal/%s", d.Name())
		}
	}
	if packages < 10 {
		t.Fatalf("go list found %d packages under cmd/ and pkg/:\n%s", packages, out)
	}
	statGoFiles()
}

// statGoFiles stats every Go file of the module. go test caches a test's
// result by what the test process read, not what the go commands it ran
// read: after this, an edit to any Go file runs the test again.
func statGoFiles() {
	filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && p != "../.." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") {
			return filepath.SkipDir
		}
		if err == nil && strings.HasSuffix(p, ".go") {
			os.Stat(p)
		}
		return nil
	})
}

// TestStartsLight: the packages whose initialisation costs milliseconds
// at every start (compose-go's loader and its JSON Schema library, the CRD
// validator, CEL) are linked by the synctl-validate helper only. A synctl
// that links one of them again starts that much slower for every command;
// run the import or the check in the helper instead (importCompose,
// runValidate).
func TestStartsLight(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("go is not on $PATH, which go test puts there")
	}
	cmd := exec.Command(goCmd, "list", "-deps", "./cmd/synctl")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, err.(*exec.ExitError).Stderr)
	}
	heavy := []string{
		"github.com/compose-spec/compose-go/v2/loader",
		"github.com/santhosh-tekuri/jsonschema/v6",
		"github.com/google/cel-go/cel",
		"github.com/synctl/synctl/pkg/importer",
		"github.com/synctl/synctl/pkg/validate",
	}
	deps := strings.Fields(string(out))
	if len(deps) < 50 {
		t.Fatalf("go list -deps found %d packages:\n%s", len(deps), out)
	}
	for _, h := range heavy {
		if slices.Contains(deps, h) {
			t.Errorf("synctl links %s, which belongs in the synctl-validate helper only", h)
		}
	}
	// The helper's import command is the one synctl runs.
	if got := (importOptions{}).args()[0]; got != importcli.Command {
		t.Errorf("synctl runs the helper's import as %q, the helper knows it as %q", got, importcli.Command)
	}
}

// TestKeepsNoUnusedMethods: nothing in synctl looks a method up by a name
// known only at run time (reflect's Method or MethodByName, as
// text/template's Execute does for {{.Name}}). The linker cannot drop any
// exported method of a type that reaches an interface in a program that
// can: for synctl, every Kubernetes type's protobuf Marshal, Unmarshal,
// String and DeepCopy, which made the code 21 MB rather than 14 and cost
// every command about 5 ms at start (runtime.itabsinit, the function table
// check, page faults). The templates go through templates.Template, which
// reads fields only. The canary: Pod's protobuf Marshal, which synctl never
// calls.
func TestKeepsNoUnusedMethods(t *testing.T) {
	goCmd, err := exec.LookPath("go")
	if err != nil {
		t.Fatal("go is not on $PATH, which go test puts there")
	}
	bin := filepath.Join(t.TempDir(), "synctl")
	build := exec.Command(goCmd, "build", "-o", bin, "./cmd/synctl")
	build.Dir = "../.."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	out, err := exec.Command(goCmd, "tool", "nm", bin).Output()
	if err != nil {
		t.Fatalf("go tool nm: %v", err)
	}
	var canary, control bool
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		switch fields[len(fields)-1] {
		case "k8s.io/api/core/v1.(*Pod).Marshal":
			canary = true
		case "main.main":
			control = true
		}
	}
	if !control {
		t.Fatalf("go tool nm lists no main.main in %s: the symbol check proves nothing", bin)
	}
	if canary {
		t.Error("synctl links k8s.io/api/core/v1.(*Pod).Marshal, which it never calls: something reachable calls reflect's Method or MethodByName with a name known only at run time (text/template's Execute does), so the linker keeps every exported method; find it with `go build -ldflags=-dumpdep ./cmd/synctl 2>&1 | grep -i methodbyname`")
	}
	statGoFiles()
}
