package docker

import (
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// scriptPublish is a published port of docker-run.sh: `-p HOST:CONTAINER`.
var scriptPublish = regexp.MustCompile(`(?m)^\s*-p '?(?:[0-9.]+:)?([0-9]+):[0-9]+`)

// publishedPorts are the host ports the bundle in dir publishes: its
// compose file's, or its docker-run.sh's.
func publishedPorts(t *testing.T, dir string) []string {
	t.Helper()
	var ports []string
	if data, err := os.ReadFile(filepath.Join(dir, "compose.yaml")); err == nil {
		var f struct {
			Services map[string]struct {
				Ports []struct {
					Published string `yaml:"published"`
				} `yaml:"ports"`
			} `yaml:"services"`
		}
		if err := yaml.Unmarshal(data, &f); err != nil {
			t.Fatalf("%s/compose.yaml: %v", dir, err)
		}
		for _, s := range f.Services {
			for _, p := range s.Ports {
				if p.Published != "" {
					ports = append(ports, p.Published)
				}
			}
		}
	} else if data, err := os.ReadFile(filepath.Join(dir, "docker-run.sh")); err == nil {
		for _, m := range scriptPublish.FindAllStringSubmatch(string(data), -1) {
			ports = append(ports, m[1])
		}
	}
	slices.Sort(ports)
	return slices.Compact(ports)
}

// waitPortsFree waits, for up to a minute, until every host port the
// bundle in dir publishes can be bound: the engine's proxy for the last
// stack's ports may still be going (on a loaded machine it took seconds),
// and an `up` that finds a port taken fails. A port still taken after that
// fails the test, naming what holds it.
func waitPortsFree(t *testing.T, dir string) {
	t.Helper()
	ports := publishedPorts(t, dir)
	start := time.Now()
	deadline := start.Add(time.Minute)
	for _, p := range ports {
		for {
			ln, err := net.Listen("tcp", ":"+p)
			if err == nil {
				ln.Close()
				break
			}
			if !errors.Is(err, syscall.EADDRINUSE) {
				t.Fatalf("checking that host port %s is free: %v", p, err)
			}
			if time.Now().After(deadline) {
				holder, _ := exec.Command("ss", "-Hltnp", "sport = :"+p).CombinedOutput()
				t.Fatalf("host port %s, which this bundle publishes, is still taken after a minute (%s); the docker tests need 80, 443 and 8080-8082 to themselves", p, strings.TrimSpace(string(holder)))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	if waited := time.Since(start); waited > time.Second {
		t.Logf("TIMING waited %s for host ports %v to be free", waited.Round(time.Millisecond), ports)
	}
}

// TestPublishedPorts reads the host ports from a compose file and from a
// docker-run.sh, as the bundles write them.
func TestPublishedPorts(t *testing.T) {
	if got, want := publishedPorts(t, "../../testdata/nginx"), []string{"443", "80"}; !slices.Equal(got, want) {
		t.Errorf("nginx bundle: %v, want %v", got, want)
	}
	if got, want := publishedPorts(t, "../../testdata/docker"), []string{"8080", "8081", "8082"}; !slices.Equal(got, want) {
		t.Errorf("docker bundle: %v, want %v", got, want)
	}
	script := t.TempDir()
	if err := os.WriteFile(filepath.Join(script, "docker-run.sh"), []byte("docker run -d \\\n  --name 'a' \\\n  -p 8080:8080 \\\n  -p '127.0.0.1:9000:80' \\\n  img\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := publishedPorts(t, script), []string{"8080", "9000"}; !slices.Equal(got, want) {
		t.Errorf("docker-run.sh: %v, want %v", got, want)
	}
}
