package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/synctl/synctl/pkg/importcli"
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
		if len(os.Args) > 1 && os.Args[1] == importcli.Command {
			os.Exit(importcli.Main(os.Args[2:], os.Stdout, os.Stderr))
		}
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

// TestValidateHelperOtherVersion: a helper built from another version of
// synctl is refused before it runs, saying how to install the matching
// one; so is a program that is no Go build at all.
func TestValidateHelperOtherVersion(t *testing.T) {
	own := &debug.BuildInfo{GoVersion: "go1.26.8", Main: debug.Module{Path: "github.com/synctl/synctl", Version: "v1.2.0"},
		Deps: []*debug.Module{{Path: "sigs.k8s.io/yaml", Version: "v1.4.0"}}}
	build := func(version string, settings ...string) *debug.BuildInfo {
		bi := *own
		bi.Main.Version = version
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return &bi
	}
	other := *own
	other.Main.Path = "example.com/other"
	oldYAML := build("(devel)")
	oldYAML.Deps = []*debug.Module{{Path: "sigs.k8s.io/yaml", Version: "v1.3.0"}}
	unknownV := "unknown: this build carries no version"
	for _, c := range []struct {
		name       string
		ownVersion string
		helper     *debug.BuildInfo
		want       string
	}{
		{"same release", "v1.2.0", build("v1.2.0"), ""},
		{"other release", "v1.2.0", build("v1.1.0"), "is version v1.1.0, but synctl is version v1.2.0"},
		{"other ldflags version", "v1.2.0", build("(devel)", "-ldflags", "-s -X main.version=v1.3.0"), "is version v1.3.0, but synctl is version v1.2.0"},
		{"same ldflags version", "v1.2.0", build("(devel)", "-ldflags", "-X=main.version=v1.2.0"), ""},
		{"other revision", "devel-0123456789ab", build("(devel)", "vcs.revision", "fedcba9876543210"), "is version devel-fedcba987654, but synctl is version devel-0123456789ab"},
		{"not synctl", "v1.2.0", &other, "is a build of example.com/other, not of synctl (github.com/synctl/synctl)"},
		{"neither carries a version, same build", unknownV, build("(devel)"), ""},
		{"neither carries a version, other dependencies", unknownV, oldYAML, "was built with sigs.k8s.io/yaml@v1.3.0, synctl with sigs.k8s.io/yaml@v1.4.0: they are not one build"},
	} {
		if got := helperMismatch(own, c.ownVersion, c.helper); got != c.want {
			t.Errorf("%s: %q, want %q", c.name, got, c.want)
		}
	}

	// A helper that is no Go build is not run.
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	script := filepath.Join(dir, "synctl-validate")
	os.WriteFile(script, []byte("#!/bin/sh\ntouch "+ran+"\n"), 0o755)
	t.Setenv("SYNCTL_VALIDATE", script)
	code, _, errs := runCLI(t, "validate", ".")
	if _, err := os.Stat(ran); err == nil {
		t.Error("the helper ran")
	}
	want := "synctl: " + script + " is not a Go program synctl can read the version of (unrecognized file format); install both from the same checkout with `go install ./cmd/...` (or point $SYNCTL_VALIDATE at the matching helper)\n"
	if code != exitUsage || errs != want {
		t.Errorf("exit %d, stderr %q, want %q", code, errs, want)
	}
}
