package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synctl/synctl/pkg/validatecli"
)

// execAs makes the test binary act as one of synctl's programs when it runs
// itself: "synctl-validate" (the helper `synctl validate` runs) or "synctl"
// (for tests that signal a whole process). So the suite needs no separate
// build of either binary.
const execAs = "SYNCTL_TEST_EXEC_AS"

func TestMain(m *testing.M) {
	switch os.Getenv(execAs) {
	case validateHelper:
		os.Exit(validatecli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
	case "synctl":
		os.Exit(run(os.Args[1:], streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
	}
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	os.Setenv("SYNCTL_VALIDATE", self)
	os.Setenv(execAs, validateHelper)
	os.Exit(m.Run())
}

// Without the helper, validate says how to install it and exits 2.
func TestValidateHelperMissing(t *testing.T) {
	t.Setenv("SYNCTL_VALIDATE", "")
	t.Setenv("PATH", t.TempDir())
	var out, errb bytes.Buffer
	code := run([]string{"validate", "."}, streams{In: &bytes.Buffer{}, Out: &out, Err: &errb})
	if code != exitUsage {
		t.Errorf("exit code = %d, want %d", code, exitUsage)
	}
	want := "synctl: synctl validate runs synctl-validate, which is neither next to "
	if !strings.HasPrefix(errb.String(), want) || !strings.HasSuffix(errb.String(), " nor on $PATH; install both from a checkout of synctl with `go install ./cmd/...`\n") {
		t.Errorf("stderr = %q, want %q...", errb.String(), want)
	}
}

// Where the Gateway API CRDs cannot be found, their checks are reported as
// skipped on stderr, naming each Gateway API file, never passed in silence;
// the other checks still run and decide the exit status.
func TestValidateWithoutCRDs(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gke")
	if code, _, errs := runCLI(t, "render", "--target", "gke", "--out", dir); code != 0 {
		t.Fatal(errs)
	}
	missing := filepath.Join(t.TempDir(), "no-crds")
	t.Setenv("SYNCTL_GATEWAY_API_CRDS", missing)
	code, out, errs := runCLI(t, "validate", dir)
	if code != 0 || out != "" {
		t.Errorf("exit %d, stdout %q", code, out)
	}
	want := "skipped Gateway API schema and CEL checks on 3 files (" + filepath.Join(dir, "api-httproute.yaml") + " and 2 more): the Gateway API CRDs were not found: $SYNCTL_GATEWAY_API_CRDS: stat " + missing + ": no such file or directory\n"
	if !strings.Contains(errs, want) || !strings.HasSuffix(errs, "files checked: no problems; 3 checks skipped\n") {
		t.Errorf("stderr lacks %q and the summary:\n%s", want, errs)
	}
}
