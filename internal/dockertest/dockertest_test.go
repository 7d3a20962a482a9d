package dockertest

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// TestRequireWithoutEngine runs Require in a child process pointed at a
// socket nobody serves: it must skip with the how-to, and fail under
// CI=true, where a skipped engine test would pass CI without testing.
func TestRequireWithoutEngine(t *testing.T) {
	if os.Getenv("DOCKERTEST_CHILD") == "1" {
		Require(t)
		t.Log("Require returned")
		return
	}
	sock := "unix://" + filepath.Join(t.TempDir(), "nobody.sock")
	for _, ci := range []string{"", "true"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestRequireWithoutEngine$", "-test.v")
		cmd.Env = append(os.Environ(), "DOCKERTEST_CHILD=1", "DOCKER_HOST="+sock, "CI="+ci)
		out, err := cmd.CombinedOutput()
		s := string(out)
		if !strings.Contains(s, "bash .ci/docker-tools.sh && bash .ci/dockerd.sh start") || !strings.Contains(s, "export DOCKER_HOST=") {
			t.Errorf("CI=%q: no how-to in the output:\n%s", ci, s)
		}
		if strings.Contains(s, "Require returned") {
			t.Errorf("CI=%q: Require returned without an engine:\n%s", ci, s)
		}
		switch ci {
		case "true":
			if err == nil || !strings.Contains(s, "--- FAIL") {
				t.Errorf("CI=true: want a failure, got %v:\n%s", err, s)
			}
		default:
			if err != nil || !strings.Contains(s, "--- SKIP") {
				t.Errorf("CI unset: want a skip, got %v:\n%s", err, s)
			}
		}
	}
}

func TestServiceRole(t *testing.T) {
	for _, tt := range []struct{ name, image, want string }{
		{"web", "bootdotdev/synergychat-web:latest", "web"},
		{"backend", "bootdotdev/synergychat-api:latest", "api"},
		{"worker", "registry.example:5000/synergychat-crawler:1.2@sha256:abc", "crawler"},
		{"worker", "registry.example:5000/crawler", "crawler"},
		{"nginx", "nginx:alpine", "nginx"},
		{"proxy", "docker.io/library/nginx:1.27", "nginx"},
		{"db", "postgres:16", ""},
	} {
		svc := types.ServiceConfig{Name: tt.name}
		svc.Image = tt.image
		if got := serviceRole(svc); got != tt.want {
			t.Errorf("serviceRole(%s, %s) = %q, want %q", tt.name, tt.image, got, tt.want)
		}
	}
}

func TestNginxUser(t *testing.T) {
	dir := t.TempDir()
	for conf, want := range map[string]string{
		"# user root;\nuser nginx;\nworker_processes auto;\n": "nginx",
		"user www-data www-data;\n":                           "www-data",
		"events {}\n":                                         "nobody",
	} {
		p := filepath.Join(dir, "nginx.conf")
		if err := os.WriteFile(p, []byte(conf), 0o644); err != nil {
			t.Fatal(err)
		}
		svc := types.ServiceConfig{Name: "nginx"}
		svc.Volumes = []types.ServiceVolumeConfig{{Type: types.VolumeTypeBind, Source: p, Target: "/etc/nginx/nginx.conf"}}
		if got := nginxUser(t, svc); got != want {
			t.Errorf("nginxUser(%q) = %q, want %q", conf, got, want)
		}
	}
}

// TestTreeHash: the image cache key changes with any byte, mode or link
// target in the build context, and only then.
func TestTreeHash(t *testing.T) {
	tree := map[string]fileSpec{
		"Dockerfile":     {data: []byte("FROM scratch\n"), mode: 0o644},
		"bin/standin":    {data: []byte{1, 2, 3}, mode: 0o755},
		"var/log/a.log":  {link: "/dev/stdout"},
		"var/lib/nginx/": {mode: 0o755 | os.ModeDir},
	}
	hash := func(mod func(map[string]fileSpec)) string {
		tr := map[string]fileSpec{}
		for k, v := range tree {
			tr[k] = v
		}
		mod(tr)
		dir := t.TempDir()
		if err := writeTree(dir, tr); err != nil {
			t.Fatal(err)
		}
		h, err := treeHash(dir)
		if err != nil {
			t.Fatal(err)
		}
		return h
	}
	base := hash(func(map[string]fileSpec) {})
	if again := hash(func(map[string]fileSpec) {}); again != base {
		t.Fatal("the same tree hashed differently")
	}
	for name, mod := range map[string]func(map[string]fileSpec){
		"content": func(tr map[string]fileSpec) { tr["bin/standin"] = fileSpec{data: []byte{1, 2, 4}, mode: 0o755} },
		"mode":    func(tr map[string]fileSpec) { tr["bin/standin"] = fileSpec{data: []byte{1, 2, 3}, mode: 0o644} },
		"link":    func(tr map[string]fileSpec) { tr["var/log/a.log"] = fileSpec{link: "/dev/stderr"} },
		"name":    func(tr map[string]fileSpec) { tr["bin/other"] = tr["bin/standin"]; delete(tr, "bin/standin") },
	} {
		if hash(mod) == base {
			t.Errorf("changing the %s left the hash unchanged", name)
		}
	}
}
