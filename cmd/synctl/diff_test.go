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
