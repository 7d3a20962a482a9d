// Package dockertest lets tests drive a real Docker Engine and Compose v2:
// it finds the engine DOCKER_HOST points at and the compose CLI plugin,
// skips with the commands that provide them when they are missing (fails
// under CI=true instead), runs docker commands with their output in the test
// log, and builds the images a rendered bundle names from local parts only
// (stand-in services FROM scratch, Debian's nginx), since no registry can be
// reached.
//
// The engine this is meant for is the private one .ci/dockerd.sh starts:
// tests publish fixed host ports and retag images, which is not something
// to do to a Docker Engine people use for other work.
package dockertest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// CommandTimeout bounds every docker command a test runs, so a wedged
// engine fails the test instead of hanging it until go test's own timeout.
const CommandTimeout = 3 * time.Minute

// Engine is a reachable Docker Engine with the compose v2 plugin.
type Engine struct {
	// Host is DOCKER_HOST ("" means the CLI's default socket).
	Host string
	// ServerVersion is the engine's version, e.g. 20.10.24+dfsg1.
	ServerVersion string
	// ComposeVersion is `docker compose version --short`, e.g. 2.40.3.
	ComposeVersion string
}

var (
	probeOnce sync.Once
	probed    *Engine
	probeErr  string
)

// stateDir is where .ci/dockerd.sh keeps the engine, toolsDir where
// .ci/docker-tools.sh caches compose: the same defaults as the scripts.
func stateDir() string { return cacheDir("SYNCTL_DOCKER_STATE", "docker") }
func toolsDir() string { return cacheDir("SYNCTL_TOOLS_DIR", "tools") }

func cacheDir(env, leaf string) string {
	if d := os.Getenv(env); d != "" {
		return d
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "synctl", leaf)
}

// LogSetupTimings puts the last timings the setup scripts recorded (the
// compose build, cold or cached, and the engine's start) into the test log.
func (e *Engine) LogSetupTimings(t testing.TB) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(toolsDir(), "compose-*", "timings.log"))
	for _, f := range append(matches, filepath.Join(stateDir(), "timings.log")) {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		// The latest run, and the cold build when that was an earlier one.
		var show []string
		for _, l := range lines {
			if strings.Contains(l, "cold build") {
				show = []string{l}
			}
		}
		if last := lines[len(lines)-1]; len(show) == 0 || show[0] != last {
			show = append(show, last)
		}
		for _, l := range show {
			t.Logf("TIMING setup: %s (%s)", l, f)
		}
	}
}

// HowTo says how to get what Require looks for, with the paths the scripts
// use on this machine.
func HowTo() string {
	state := stateDir()
	return "get a private Docker Engine and Compose v2 (as root, from the repository root):\n" +
		"    bash .ci/docker-tools.sh && bash .ci/dockerd.sh start\n" +
		"then export the lines it prints:\n" +
		"    export DOCKER_HOST=unix://" + filepath.Join(state, "docker.sock") + "\n" +
		"    export DOCKER_CONFIG=" + filepath.Join(state, "config") + "\n" +
		"and stop the engine afterwards with: bash .ci/dockerd.sh stop"
}

// Require returns the engine, or skips the test (fails it when CI=true)
// with HowTo when no engine answers or compose v2 is missing.
func Require(t testing.TB) *Engine {
	t.Helper()
	probeOnce.Do(func() { probed, probeErr = probe() })
	if probeErr != "" {
		msg := "dockertest: " + probeErr + "\n" + HowTo()
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + "\nCI=true: the real-engine tests must run in CI, so a missing engine fails them")
		}
		t.Skip(msg)
	}
	return probed
}

func probe() (*Engine, string) {
	if _, err := exec.LookPath("docker"); err != nil {
		return nil, "no docker CLI on PATH"
	}
	e := &Engine{Host: os.Getenv("DOCKER_HOST")}
	where := "DOCKER_HOST=" + e.Host
	if e.Host == "" {
		where = "DOCKER_HOST is unset, so the CLI's default socket"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "docker", "version", "--format", "{{.Server.Version}}").CombinedOutput()
	if err != nil {
		return nil, fmt.Sprintf("no Docker Engine answers (%s): %s", where, firstLine(out, err))
	}
	e.ServerVersion = strings.TrimSpace(string(out))
	out, err = exec.CommandContext(ctx, "docker", "compose", "version", "--short").CombinedOutput()
	if err != nil {
		return nil, fmt.Sprintf("the engine answers (%s, %s) but `docker compose` does not (DOCKER_CONFIG=%s): %s",
			where, e.ServerVersion, os.Getenv("DOCKER_CONFIG"), firstLine(out, err))
	}
	e.ComposeVersion = strings.TrimPrefix(strings.TrimSpace(string(out)), "v")
	// Compose v1 rejects the files synctl renders; only v2 is a usable plugin.
	if !strings.HasPrefix(e.ComposeVersion, "2.") {
		return nil, fmt.Sprintf("`docker compose` is version %s; the bundles need Compose v2", e.ComposeVersion)
	}
	return e, ""
}

func firstLine(out []byte, err error) string {
	s := strings.TrimSpace(string(out))
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if s == "" {
		return err.Error()
	}
	return s
}

// Cmd describes one command to run against the engine.
type Cmd struct {
	// Dir is the working directory ("" means the test's).
	Dir string
	// Env is added to the test process's environment (DOCKER_HOST and
	// DOCKER_CONFIG pass through from there).
	Env []string
	// Args is the command line, e.g. {"docker", "compose", "up", "-d"}.
	Args []string
}

// Run runs c, logs its command line, duration and output, and returns the
// combined output. A failure is returned, not reported, so that tests can
// expect one.
func (e *Engine) Run(t testing.TB, c Cmd) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), CommandTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.Args[0], c.Args[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = append(os.Environ(), c.Env...)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start).Round(time.Millisecond)
	line := strings.Join(append(append([]string{}, c.Env...), c.Args...), " ")
	if err != nil {
		err = fmt.Errorf("%s: %w\n%s", line, err, strings.TrimSpace(out.String()))
	}
	t.Logf("$ %s  (%v)\n%s", line, d, indent(out.String()))
	return out.String(), err
}

// Must runs c and fails the test when it fails.
func (e *Engine) Must(t testing.TB, c Cmd) string {
	t.Helper()
	out, err := e.Run(t, c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// Docker runs `docker args...` quietly (no log line unless it fails) and
// returns its trimmed standard output; for inspections that would flood
// the log.
func (e *Engine) Docker(t testing.TB, args ...string) string {
	t.Helper()
	out, err := e.docker(args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func (e *Engine) docker(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), CommandTimeout)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "docker", args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("docker %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return strings.TrimSpace(stdout.String()), nil
}

func indent(s string) string {
	s = strings.TrimRight(s, "\n")
	if s == "" {
		return ""
	}
	return "    " + strings.ReplaceAll(s, "\n", "\n    ")
}
