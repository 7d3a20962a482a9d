package main

import (
	"bytes"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/synctl/synctl/internal/golden"
	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/textdiff"
	"github.com/synctl/synctl/pkg/topology"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

// wiringTable is the one source of the built-in app's wiring table:
// testdata/wiring/all.json, the golden output of `synctl wiring --target all
// --format json`. Its targets in order, and each target's URLs in order.
func wiringTable(t *testing.T) (targets []string, urls map[string][][2]string) {
	t.Helper()
	data, err := os.ReadFile("../../testdata/wiring/all.json")
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	urls = map[string][][2]string{}
	var key string
	depth := 0
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("testdata/wiring/all.json: %v", err)
		}
		switch v := tok.(type) {
		case json.Delim:
			if v == '{' {
				depth++
			} else {
				depth--
			}
		case string:
			switch {
			case depth == 1:
				targets = append(targets, v)
			case depth == 2 && key == "":
				key = v
			case depth == 2:
				tg := targets[len(targets)-1]
				urls[tg] = append(urls[tg], [2]string{key, v})
				key = ""
			}
		}
	}
	return targets, urls
}

// TestWiringTable: `wiring` without --target shows every target, as the
// table's source has them.
func TestWiringTable(t *testing.T) {
	code, out, errs := runCLI(t, "wiring", "--format", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	want, err := os.ReadFile("../../testdata/wiring/all.json")
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Errorf("wiring without --target is not the wiring of every target:\n%s", textdiff.Unified("testdata/wiring/all.json", "wiring --format json", string(want), out, 1))
	}
}

// TestReadmeWiringTable: the README's wiring table has the targets of the
// table's source, in order, with the same URLs (a cell's first code span;
// prose may follow it).
func TestReadmeWiringTable(t *testing.T) {
	targets, urls := wiringTable(t)
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, table, ok := strings.Cut(string(data), "`synctl wiring` prints its wiring on every target:\n\n")
	if !ok {
		t.Fatal("README.md has no wiring table after \"`synctl wiring` prints its wiring on every target:\"")
	}
	table, _, _ = strings.Cut(table, "\n\n")
	rows := strings.Split(table, "\n")
	cells := func(row string) []string {
		c := strings.Split(strings.Trim(row, "|"), "|")
		for i := range c {
			c[i] = strings.TrimSpace(c[i])
		}
		return c
	}
	code := func(cell string) string {
		_, rest, _ := strings.Cut(cell, "`")
		v, _, _ := strings.Cut(rest, "`")
		return v
	}
	head := cells(rows[0])
	var got []string
	for _, row := range rows[2:] {
		c := cells(row)
		tg := code(c[0])
		got = append(got, tg)
		want := urls[tg]
		if len(c) < len(want)+1 {
			t.Errorf("README row %s: %d cells, want the %d URLs", tg, len(c), len(want))
			continue
		}
		for i, u := range want {
			if name, _, _ := strings.Cut(head[i+1], " "); name != u[0] {
				t.Errorf("README column %d is %q, want %s", i+1, head[i+1], u[0])
			}
			if v := code(c[i+1]); v != u[1] {
				t.Errorf("README: %s %s is %q, want %q (testdata/wiring/all.json)", tg, u[0], v, u[1])
			}
		}
	}
	if strings.Join(got, " ") != strings.Join(targets, " ") {
		t.Errorf("README table lists targets %v, want %v", got, targets)
	}
}

func TestWiringGolden(t *testing.T) {
	for _, c := range []struct{ file, args string }{
		{"all.txt", "wiring --target all"},
		{"all.json", "wiring --target all --format json"},
		{"nginx.txt", "wiring --target nginx"},
		{"shop-all.txt", "wiring -f ../../testdata/apps/shop.yaml --target all"},
		{"transit-all.txt", "wiring -f ../../testdata/apps/transit.yaml"},
		{"transit-gke.txt", "wiring -f ../../testdata/apps/transit.yaml --target gke"},
	} {
		code, out, errs := runCLI(t, strings.Fields(c.args)...)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", c.args, code, errs)
		}
		golden.Assert(t, filepath.Join("../../testdata/wiring", c.file), []byte(out), "go test ./cmd/synctl -update")
	}
}

// TestInitRoundTrip: rendering `synctl init`'s output is the default render.
func TestInitRoundTrip(t *testing.T) {
	dir := t.TempDir()
	spec := filepath.Join(dir, "app.yaml")
	if code, _, errs := runCLI(t, "init", "-o", spec); code != 0 {
		t.Fatal(errs)
	}
	if code, _, errs := runCLI(t, "init", "-o", spec); code != 2 || !strings.Contains(errs, "already exists; pass --force") {
		t.Errorf("init over an existing file: exit %d, %q", code, errs)
	}
	// The same bundles, but for the command each records (-f app.yaml).
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	runCLI(t, "render", "--target", "all", "--out", a)
	runCLI(t, "render", "-f", spec, "--target", "all", "--out", b)
	n := 0
	filepath.WalkDir(a, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.Contains(p, "certs") {
			return err
		}
		rel, _ := filepath.Rel(a, p)
		x, _ := os.ReadFile(p)
		y, err := os.ReadFile(filepath.Join(b, rel))
		if err != nil {
			t.Errorf("%s: %v", rel, err)
			return nil
		}
		x = bytes.ReplaceAll(x, []byte("synctl render --target"), []byte("synctl render -f ../../app.yaml --target"))
		x = bytes.ReplaceAll(x, []byte("synctl verify --target"), []byte("synctl verify -f ../../app.yaml --target"))
		if !bytes.Equal(x, y) {
			t.Errorf("%s: render -f (init output) differs from the default render:\n%s", rel, textdiff.Unified("default", "init", string(x), string(y), 1))
		}
		n++
		return nil
	})
	if n < 40 {
		t.Errorf("compared %d files", n)
	}
}

// TestSpecFromStdin: -f - reads the spec from standard input, and the
// bundle records that it did.
func TestSpecFromStdin(t *testing.T) {
	var out, errb bytes.Buffer
	code := run([]string{"render", "-f", "-", "--target", "docker"}, streams{In: bytes.NewReader(topology.DefaultSpec()), Out: &out, Err: &errb})
	if code != 0 || !strings.HasPrefix(out.String(), "# Code generated by synctl (synctl render -f - --target docker < SPEC.yaml). DO NOT EDIT.\n") {
		t.Errorf("exit %d: %s\n%.200s", code, errb.String(), out.String())
	}
	errb.Reset()
	code = run([]string{"render", "-f", "-", "--target", "docker"}, streams{In: strings.NewReader("kind: [App"), Out: &out, Err: &errb})
	if code != 2 || errb.String() != "synctl: <stdin>: not valid YAML: line 1: did not find expected ',' or ']'\n" {
		t.Errorf("bad stdin: exit %d, %q", code, errb.String())
	}
}

func TestRenderStdout(t *testing.T) {
	code, out, _ := runCLI(t, "render", "--target", "gke")
	if code != 0 || !strings.HasPrefix(out, "# Code generated by synctl (synctl render --target gke). DO NOT EDIT.\n") || strings.Count(out, "\n---\n") != 22 {
		t.Errorf("gke stream: exit %d, %d separators", code, strings.Count(out, "\n---\n"))
	}
	code, out, _ = runCLI(t, "render", "--target", "docker-network")
	if code != 0 || !strings.Contains(out, "CRAWLER_BASE_URL: http://crawler:8080") {
		t.Errorf("docker-network compose on stdout: exit %d", code)
	}
	code, _, errs := runCLI(t, "render", "--target", "nginx")
	if code != 2 || errs != "synctl: target nginx writes files that only work side by side (compose.yaml, nginx.conf, certs/tls.crt, certs/tls.key): pass --out DIR\n" {
		t.Errorf("nginx without --out: exit %d, %q", code, errs)
	}
	code, _, errs = runCLI(t, "render", "--target", "all")
	if code != 2 || errs != "synctl: several targets write one directory each: pass --out DIR\n" {
		t.Errorf("all without --out: exit %d, %q", code, errs)
	}
}

// TestOutputSafety: synctl never overwrites a file it did not write unless
// --force, keeps an existing certificate pair, and makes keys 0600.
func TestOutputSafety(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	if code, _, errs := runCLI(t, "render", "--target", "nginx", "--out", dir); code != 0 {
		t.Fatal(errs)
	}
	key := filepath.Join(dir, "certs", "tls.key")
	fi, err := os.Stat(key)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key: %v, mode %v", err, fi.Mode())
	}
	oldKey, _ := os.ReadFile(key)
	oldCert, _ := os.ReadFile(filepath.Join(dir, "certs", "tls.crt"))
	if code, _, errs := runCLI(t, "render", "--target", "nginx", "--out", dir); code != 0 {
		t.Fatal(errs)
	}
	newKey, _ := os.ReadFile(key)
	newCert, _ := os.ReadFile(filepath.Join(dir, "certs", "tls.crt"))
	if !bytes.Equal(oldKey, newKey) || !bytes.Equal(oldCert, newCert) {
		t.Error("a second render rotated the certificate")
	}
	// Without the key, both are made anew: a pair never mixes.
	os.Remove(key)
	runCLI(t, "render", "--target", "nginx", "--out", dir)
	if c, _ := os.ReadFile(filepath.Join(dir, "certs", "tls.crt")); bytes.Equal(c, oldCert) {
		t.Error("the certificate was kept without its key")
	}

	conf := filepath.Join(dir, "nginx.conf")
	os.WriteFile(conf, []byte("# my own nginx.conf\n"), 0o644)
	code, _, errs := runCLI(t, "render", "--target", "nginx", "--out", dir)
	want := "synctl: refusing to overwrite nginx.conf in " + dir + ": synctl did not write it (no \"Code generated by synctl\" header); move it away or pass --force\n"
	if code != 2 || errs != want {
		t.Errorf("exit %d, stderr %q, want %q", code, errs, want)
	}
	if b, _ := os.ReadFile(conf); string(b) != "# my own nginx.conf\n" {
		t.Error("the user's nginx.conf was overwritten")
	}
	if code, _, errs := runCLI(t, "render", "--target", "nginx", "--out", dir, "--force"); code != 0 {
		t.Fatal(errs)
	}
	if b, _ := os.ReadFile(conf); !strings.Contains(string(b), "Code generated by synctl") {
		t.Error("--force did not overwrite")
	}
}

// TestRenderAgain: rendering into the directory of a previous render just
// updates it, for every target (the docker run script's header sits on its
// second line, after the #! line).
func TestRenderAgain(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	for i := range 2 {
		if code, _, errs := runCLI(t, "render", "--target", "all", "--out", dir); code != 0 {
			t.Fatalf("render %d: exit %d: %s", i+1, code, errs)
		}
	}
	if code, _, errs := runCLI(t, "render", "--target", "all", "--out", dir, "--check"); code != 0 {
		t.Errorf("--check after two renders: exit %d: %s", code, errs)
	}
}

func TestUnwritableOut(t *testing.T) {
	// Permissions cannot stop root, but nothing can create files in /proc.
	parent := "/proc"
	if os.Geteuid() != 0 {
		parent = t.TempDir()
		os.Chmod(parent, 0o555)
		defer os.Chmod(parent, 0o755)
	}
	code, _, errs := runCLI(t, "render", "--target", "gke", "--out", filepath.Join(parent, "deploy"))
	if code != 2 || !strings.HasPrefix(errs, "synctl: cannot write under "+parent+": ") {
		t.Errorf("exit %d, %q", code, errs)
	}
}

func TestTargetsAndVersion(t *testing.T) {
	code, out, _ := runCLI(t, "targets")
	if code != 0 || strings.Count(out, "\n") != len(target.All()) || !strings.HasPrefix(out, "docker ") {
		t.Errorf("targets: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "targets", "--format", "json")
	var list []struct {
		Name  string   `json:"name"`
		Flags []string `json:"flags"`
	}
	if err := json.Unmarshal([]byte(out), &list); code != 0 || err != nil || len(list) != len(target.All()) || list[4].Name != "gke" || strings.Join(list[4].Flags, " ") != "--namespace --address" {
		t.Errorf("targets --format json: exit %d, %v\n%s", code, err, out)
	}
	code, out, _ = runCLI(t, "--version")
	if code != 0 || !strings.HasPrefix(out, "synctl version ") {
		t.Errorf("--version: exit %d, %q", code, out)
	}
}

// TestVersionOf: without -ldflags, the version is what the toolchain
// recorded: the module version (go install ...@v1.2.3) or the commit.
func TestVersionOf(t *testing.T) {
	for _, c := range []struct {
		bi   debug.BuildInfo
		want string
	}{
		{debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}}, "v1.2.3"},
		{debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "true"}}}, "devel-0123456789ab-dirty"},
		{debug.BuildInfo{Main: debug.Module{Version: "(devel)"}, Settings: []debug.BuildSetting{{Key: "vcs.revision", Value: "0123456789abcdef0123"}, {Key: "vcs.modified", Value: "false"}}}, "devel-0123456789ab"},
		// -buildvcs=false: no revision, and nothing that calls it a development build.
		{debug.BuildInfo{Main: debug.Module{Version: "(devel)"}}, "unknown: this build carries no version (build information was turned off: built with -buildvcs=false, by go run or outside a git checkout); " +
			"install a release with `go install github.com/synctl/synctl/cmd/...@VERSION`, or build in a checkout without -buildvcs=false"},
	} {
		if got := versionOf(&c.bi); got != c.want {
			t.Errorf("versionOf(%+v) = %q, want %q", c.bi, got, c.want)
		}
	}
}

// TestGraphCmd: synctl graph prints Mermaid or DOT for one target, and
// refuses several.
func TestGraphCmd(t *testing.T) {
	code, out, _ := runCLI(t, "graph", "--target", "gke")
	if code != 0 || !strings.HasPrefix(out, "flowchart LR\n") || !strings.Contains(out, "CRAWLER_BASE_URL") {
		t.Errorf("mermaid: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "graph", "-f", "../../testdata/apps/shop.yaml", "--target", "nginx", "--format", "dot")
	if code != 0 || !strings.HasPrefix(out, "digraph \"shop on nginx\" {\n") || !strings.Contains(out, "PRICING_BASE_URL") {
		t.Errorf("dot: exit %d\n%s", code, out)
	}
	code, _, errs := runCLI(t, "graph", "--target", "gke,nginx")
	if code != 2 || errs != "synctl: graph draws one target at a time: pass --target with one of docker, docker-network, nginx, minikube, gke, ingress\n" {
		t.Errorf("two targets: exit %d %q", code, errs)
	}
}

// TestProgress: with --progress always the status line shows each phase and
// is erased at the end; with auto on a pipe, and with never, nothing shows.
func TestProgress(t *testing.T) {
	dir := t.TempDir()
	code, _, errs := runCLI(t, "render", "--target", "all", "--out", filepath.Join(dir, "a"), "--progress", "always")
	if code != 0 || !strings.Contains(errs, "\r\x1b[Krendering synergychat of 3 services: targets ") || !strings.Contains(errs, "\r\x1b[Kwriting ") || !strings.Contains(errs, "\r\x1b[Kwrote docker bundle") {
		t.Errorf("--progress always: exit %d, stderr %q", code, errs)
	}
	for _, mode := range []string{"auto", "never"} {
		code, _, errs := runCLI(t, "render", "--target", "all", "--out", filepath.Join(dir, mode), "--progress", mode)
		if code != 0 || strings.Contains(errs, "\x1b") {
			t.Errorf("--progress %s: exit %d, stderr %q", mode, code, errs)
		}
	}
	code, _, errs = runCLI(t, "render", "--target", "all", "--out", filepath.Join(dir, "x"), "--progress", "sometimes")
	if code != 2 || errs != "synctl: --progress \"sometimes\" is not supported: choose auto (on a terminal, after a second), always or never\n" {
		t.Errorf("bad --progress: exit %d %q", code, errs)
	}
}

// TestCompletion: the shell completes flag values: targets (with their
// descriptions), formats, and files for -f.
func TestCompletion(t *testing.T) {
	code, out, _ := runCLI(t, "__complete", "render", "--target", "")
	if code != 0 || !strings.Contains(out, "gke\tGKE Autopilot") || !strings.Contains(out, "all\tevery target") || !strings.HasSuffix(out, ":4\n") {
		t.Errorf("--target: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "__complete", "wiring", "--format", "")
	if code != 0 || !strings.HasPrefix(out, "table\njson\n") {
		t.Errorf("--format: exit %d\n%s", code, out)
	}
	code, out, _ = runCLI(t, "__complete", "render", "-f", "")
	if code != 0 || !strings.Contains(out, "yaml\nyml\n:8\n") {
		t.Errorf("-f: exit %d\n%s", code, out)
	}
}

// TestJSONReports: render --check and validate describe what they find as
// JSON too, like wiring, targets and diff.
func TestJSONReports(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	if code, _, errs := runCLI(t, "render", "--target", "docker,gke", "--out", dir); code != 0 {
		t.Fatal(errs)
	}
	os.Remove(filepath.Join(dir, "gke", "web-hpa.yaml"))
	code, out, _ := runCLI(t, "render", "--target", "docker,gke", "--out", dir, "--check", "--format", "json")
	var check struct {
		Equal  bool `json:"equal"`
		Checks []struct {
			Dir      string `json:"dir"`
			Equal    bool   `json:"equal"`
			Problems []struct{ Path, Problem string }
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &check); code != 1 || err != nil || check.Equal || len(check.Checks) != 2 || !check.Checks[0].Equal ||
		len(check.Checks[1].Problems) != 1 || check.Checks[1].Problems[0].Path != "web-hpa.yaml" || check.Checks[1].Problems[0].Problem != "missing" {
		t.Errorf("render --check --format json: exit %d, %v\n%s", code, err, out)
	}
	code, out, _ = runCLI(t, "validate", "--format", "json", filepath.Join(dir, "docker"))
	var report struct {
		OK       bool `json:"ok"`
		Files    []struct{ Path, Kind string }
		Problems []any `json:"problems"`
	}
	if err := json.Unmarshal([]byte(out), &report); code != 0 || err != nil || !report.OK || len(report.Files) != 2 || len(report.Problems) != 0 {
		t.Errorf("validate --format json: exit %d, %v\n%s", code, err, out)
	}
}

// TestLazyTree holds run's command tree, built for the command line it
// runs, to the whole tree: the same output, errors and exit code for a
// command each, for help and completion, and for lines that only the whole
// tree answers (a mistyped command's suggestions, a flag before the
// command, a flag's value that names a command).
func TestLazyTree(t *testing.T) {
	lines := [][]string{
		{}, {"--version"}, {"-v"}, {"--help"}, {"-h"}, {"--version", "--help"},
		{"help"}, {"help", "render"}, {"rendr"}, {"renders"}, {"--bogus", "render"},
		{"completion", "bash"}, {"__complete", "render", "--t"}, {"__complete", ""},
		{"render", "--target"}, {"render", "--target", "nope"}, {"render", "--target", "diff"},
		{"wiring", "--target", "gke"}, {"targets"}, {"graph", "--frm", "x"},
		{"diff", "--from", "docker", "--to", "minikube"}, {"init", "--help"},
		{"validate", "--help"}, {"verify", "--help"}, {"render", "--help"},
	}
	for _, sub := range subcommands {
		lines = append(lines, []string{sub.name, "--help"})
		if c := sub.build(streams{}); c.Name() != sub.name {
			t.Errorf("subcommands names %q for a command invoked as %q", sub.name, c.Name())
		}
	}
	for _, args := range lines {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			var lazyOut, lazyErr, treeOut, treeErr bytes.Buffer
			lazy := run(args, streams{In: strings.NewReader(""), Out: &lazyOut, Err: &lazyErr})
			tree := execute(newTree(streams{In: strings.NewReader(""), Out: &treeOut, Err: &treeErr}), args,
				streams{In: strings.NewReader(""), Out: &treeOut, Err: &treeErr})
			if lazy != tree || lazyOut.String() != treeOut.String() || lazyErr.String() != treeErr.String() {
				t.Errorf("synctl %q: built for the line, exit %d\n%s%s\nthe whole tree, exit %d\n%s%s",
					args, lazy, lazyOut.String(), lazyErr.String(), tree, treeOut.String(), treeErr.String())
			}
		})
	}
}
