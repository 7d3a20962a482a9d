package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runDiff(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(append([]string{"diff"}, args...), streams{In: strings.NewReader(""), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

func TestDiffExitCodes(t *testing.T) {
	t.Setenv("NO_COLOR", "")
	tests := []struct {
		name       string
		args       []string
		code       int
		stdoutHas  string
		wantStderr string
	}{
		{"same target", []string{"--from", "gke", "--to", "gke"}, 0, "No differences between gke and gke.\n", ""},
		{"different targets", []string{"--from", "minikube", "--to", "gke"}, 1, "API_URL became relative: http://synergychatapi.internal -> /api", ""},
		{"json", []string{"--from", "docker", "--to", "docker-network", "--format", "json"}, 1, `"equal": false`, ""},
		{"unknown side", []string{"--from", "gcp", "--to", "gke"}, 2, "",
			"synctl: --from \"gcp\" is neither a target (docker, docker-network, nginx, minikube, gke, ingress), a directory nor a compose file\n"},
		{"missing flag", []string{"--from", "gke"}, 2, "",
			"synctl: --from and --to are both required: each is a target (docker, docker-network, nginx, minikube, gke, ingress) or a directory\n"},
		{"bad format", []string{"--from", "gke", "--to", "gke", "--format", "yaml"}, 2, "",
			"synctl: --format \"yaml\" is not supported: choose text or json\n"},
		{"bad color", []string{"--from", "gke", "--to", "gke", "--color", "sometimes"}, 2, "",
			"synctl: unknown --color \"sometimes\": choose auto, always or never\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runDiff(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit code = %d, want %d (stderr %q)", code, tt.code, errOut)
			}
			if !strings.Contains(out, tt.stdoutHas) {
				t.Errorf("stdout does not contain %q:\n%s", tt.stdoutHas, out)
			}
			if errOut != tt.wantStderr {
				t.Errorf("stderr = %q, want %q", errOut, tt.wantStderr)
			}
		})
	}
}

// TestDiffDirectory compares a target with its own rendered directory, then
// with a hand-edited copy: the edit, and only it, is reported.
func TestDiffDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "gke")
	var out, errb bytes.Buffer
	if code := run([]string{"render", "--target", "gke", "--out", dir}, streams{Out: &out, Err: &errb}); code != 0 {
		t.Fatalf("render: exit %d: %s", code, errb.String())
	}
	if code, stdout, stderr := runDiff(t, "--from", "gke", "--to", dir); code != 0 {
		t.Fatalf("diff against own render: exit %d\n%s%s", code, stdout, stderr)
	}
	cm := filepath.Join(dir, "api-configmap.yaml")
	data, err := os.ReadFile(cm)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(data), "http://crawler-service", "http://crawler-service:9090", 1)
	if edited == string(data) {
		t.Fatalf("%s has no CRAWLER_BASE_URL to edit:\n%s", cm, data)
	}
	if err := os.WriteFile(cm, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := runDiff(t, "--from", "gke", "--to", dir, "--format", "json", "--color", "always")
	if code != 1 {
		t.Fatalf("exit code = %d, want 1\n%s", code, stdout)
	}
	var res struct {
		Wiring []struct {
			Name    string
			From    *string
			To      *string
			Changed bool
		}
		Changes []struct {
			Change, ID string
			Fields     []struct{ Path, Change, From, To string }
		}
	}
	if err := json.Unmarshal([]byte(stdout), &res); err != nil {
		t.Fatalf("%v\n%s", err, stdout)
	}
	if len(res.Changes) != 1 || len(res.Changes[0].Fields) != 1 {
		t.Fatalf("want exactly one changed field, got %s", stdout)
	}
	f := res.Changes[0].Fields[0]
	if res.Changes[0].ID != "ConfigMap synergychat/synergychat-api-configmap" || f.Path != "data.CRAWLER_BASE_URL" ||
		f.From != "http://crawler-service" || f.To != "http://crawler-service:9090" {
		t.Errorf("change = %+v", res.Changes[0])
	}
	for _, w := range res.Wiring {
		switch w.Name {
		case "CHAT_URL":
			if w.To != nil || w.Changed {
				t.Errorf("CHAT_URL of a directory should be unknown and unchanged: %+v", w)
			}
		case "CRAWLER_BASE_URL":
			if !w.Changed {
				t.Errorf("CRAWLER_BASE_URL not reported as changed")
			}
		}
	}
}

// runCLIIn runs synctl with stdin as its standard input.
func runCLIIn(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, streams{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	return code, out.String(), errb.String()
}

// readmeBlock is the first code block after heading in the repository's
// README, one command a line, comments and blank lines dropped.
func readmeBlock(t *testing.T, heading string) []string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(data), "\n"+heading+"\n")
	if !ok {
		t.Fatalf("README.md has no %q", heading)
	}
	_, block, _ := strings.Cut(after, "```sh\n")
	block, _, _ = strings.Cut(block, "```")
	var lines []string
	for _, l := range strings.Split(block, "\n") {
		if i := strings.Index(l, " #"); i >= 0 {
			l = l[:i]
		}
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines
}

// TestReadmeOwnAppFlow runs the README's "Your own app" commands in
// process, as a new user would, with the spec edited into another app: each
// succeeds, and the diff of a directory just rendered from the spec says
// there are no differences.
func TestReadmeOwnAppFlow(t *testing.T) {
	lines := readmeBlock(t, "## Your own app")
	t.Chdir(t.TempDir())
	diffed := false
	for _, line := range lines {
		words := strings.Fields(line)
		stdin := ""
		switch {
		case line == "$EDITOR app.yaml":
			data, err := os.ReadFile("app.yaml")
			if err != nil {
				t.Fatal(err)
			}
			edited := strings.Replace(string(data), "\n  name: synergychat\n", "\n  name: chatdemo\n", 1)
			if edited == string(data) {
				t.Fatalf("the spec synctl init writes has no app name to edit:\n%s", data)
			}
			os.WriteFile("app.yaml", []byte(edited), 0o644)
			continue
		case len(words) > 3 && words[0] == "cat" && words[2] == "|":
			data, err := os.ReadFile(words[1])
			if err != nil {
				t.Fatal(err)
			}
			stdin, words = string(data), words[3:]
		}
		if words[0] != "synctl" {
			t.Fatalf("README line %q: not a synctl command", line)
		}
		var redirect string
		if n := len(words); n > 2 && words[n-2] == ">" {
			redirect, words = words[n-1], words[:n-2]
		}
		code, out, errs := runCLIIn(t, stdin, words[1:]...)
		if code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", line, code, out, errs)
		}
		if redirect != "" {
			os.WriteFile(redirect, []byte(out), 0o644)
		}
		if words[1] == "diff" {
			diffed = true
			if !strings.HasPrefix(out, "No differences between ") {
				t.Errorf("%s:\n%s", line, out)
			}
		}
	}
	if !diffed {
		t.Errorf("the README's own-app flow never compares a rendered directory with the spec: %q", lines)
	}
}

// TestDiffOwnDirectories: every target of an app of one's own, rendered
// with -f (relative, absolute, or standard input), compares equal with its
// directory, and the directory's entry URL is read from its routes wherever
// a file states it.
func TestDiffOwnDirectories(t *testing.T) {
	shop, err := os.ReadFile("../../testdata/apps/shop.yaml")
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	t.Chdir(base)
	os.WriteFile("app.yaml", shop, 0o644)
	abs := filepath.Join(base, "app.yaml")
	for _, spec := range []string{"app.yaml", abs} {
		out := "deploy"
		if spec == abs {
			out = filepath.Join(base, "abs", "deploy")
		}
		if code, _, errs := runCLI(t, "render", "-f", spec, "--target", "all", "--out", out); code != 0 {
			t.Fatal(errs)
		}
		for _, tg := range []string{"docker", "docker-network", "nginx", "minikube", "gke", "ingress"} {
			dir := filepath.Join(out, tg)
			code, stdout, errs := runCLI(t, "diff", "-f", spec, "--from", tg, "--to", dir, "--format", "json")
			if code != 0 {
				t.Errorf("-f %s: diff --from %s --to %s: exit %d\n%s%s", spec, tg, dir, code, stdout, errs)
				continue
			}
			var res struct {
				Wiring []struct {
					Name     string
					From, To *string
				}
			}
			if err := json.Unmarshal([]byte(stdout), &res); err != nil {
				t.Fatal(err)
			}
			entry := res.Wiring[0]
			// The gke Gateway of this app takes a plain IP, which no file
			// states (it is only in the URLs, relative to it).
			if tg != "gke" && (entry.To == nil || *entry.To != *entry.From) {
				t.Errorf("%s: the entry URL %s of %s is %v, want %s read from its routes", tg, entry.Name, dir, entry.To, *entry.From)
			}
		}
	}
	// A spec read from standard input: the bundle says so, its commands
	// read the spec from a file on standard input (a bare "-f -" would wait
	// on the terminal), and it compares equal with the same spec read from
	// stdin again.
	if code, _, errs := runCLIIn(t, string(shop), "render", "-f", "-", "--target", "minikube", "--out", "stdin"); code != 0 {
		t.Fatal(errs)
	}
	readme, _ := os.ReadFile("stdin/README.md")
	if !bytes.Contains(readme, []byte("The spec was read from standard input, so the commands read it from there again: `SPEC.yaml` stands for it.")) ||
		!bytes.Contains(readme, []byte("\nsynctl render -f - --target minikube --out . < SPEC.yaml\n")) ||
		!bytes.Contains(readme, []byte("\nsynctl verify -f - --target minikube < SPEC.yaml\n")) {
		t.Errorf("README of a bundle rendered from stdin:\n%s", readme)
	}
	if code, stdout, errs := runCLIIn(t, string(shop), "diff", "-f", "-", "--from", "minikube", "--to", "stdin"); code != 0 {
		t.Errorf("diff -f - against a bundle rendered from stdin: exit %d\n%s%s", code, stdout, errs)
	}
}

func TestSpecFrom(t *testing.T) {
	for _, c := range []struct{ spec, dir, want string }{
		{"/work/app/app.yaml", "/work/app/deploy/gke", "../../app.yaml"},
		{"/work/app/app.yaml", "/tmp/out/gke", "/work/app/app.yaml"},
		{"/app.yaml", "/srv/deploy", "/app.yaml"},
		{"/srv/app.yaml", "/srv", "app.yaml"},
	} {
		if got := specFrom(c.spec, c.dir); got != c.want {
			t.Errorf("specFrom(%s, %s) = %s, want %s", c.spec, c.dir, got, c.want)
		}
	}
}
