package docker

import (
	"context"
	"fmt"
	"net"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/synctl/synctl/internal/bundletest"
	"github.com/synctl/synctl/internal/dockertest"
	"github.com/synctl/synctl/pkg/topology"
	"github.com/synctl/synctl/pkg/verify"
)

// loopbackDial opens every connection verify makes on 127.0.0.1: the
// bundles' URLs name localhost, and the published ports are all the tests
// may talk to.
func loopbackDial(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		host = "127.0.0.1" // as browsers resolve *.localhost (RFC 6761)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("e2e/docker: refusing to dial %s: the tests talk only to published ports on loopback", addr)
	}
	var d net.Dialer
	return d.DialContext(ctx, "tcp", net.JoinHostPort(host, port))
}

// runVerify walks the browser's path once, each request limited to 4 s
// so that retry loops stay short.
func (s *stack) runVerify(t *testing.T, chatURL string) *verify.Report {
	t.Helper()
	return s.runVerifyTimeout(t, chatURL, 4*time.Second)
}

// runVerifyTimeout walks the browser's path of the stack's app (the
// built-in app unless the stack says) through its wiring, starting at
// chatURL.
func (s *stack) runVerifyTimeout(t *testing.T, chatURL string, perRequest time.Duration) *verify.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*perRequest)
	defer cancel()
	m := s.model
	if m == nil {
		m = bundletest.Plan(t).Model
	}
	rep, err := verify.Run(ctx, m, s.wiring, chatURL, verify.Options{Insecure: true, Timeout: perRequest, DialContext: loopbackDial})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func reportText(rep *verify.Report) string {
	var b strings.Builder
	_ = rep.Write(&b)
	return b.String()
}

// waitVerified repeats the verify walk until every hop passes or within is
// over, and returns the last report and how long it took. Containers are
// "up" before their processes listen, so the first walks may fail.
func (s *stack) waitVerified(t *testing.T, chatURL string, within time.Duration) (*verify.Report, time.Duration) {
	t.Helper()
	start := time.Now()
	for {
		rep := s.runVerify(t, chatURL)
		if rep.OK() || time.Since(start) > within {
			return rep, time.Since(start)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// mustVerify fails the test unless the walk passes within 30 s.
func (s *stack) mustVerify(t *testing.T, chatURL, what string) time.Duration {
	t.Helper()
	rep, d := s.waitVerified(t, chatURL, 30*time.Second)
	if !rep.OK() {
		s.dumpLogs(t)
		t.Fatalf("%s: verify %s did not pass within 30 s:\n%s", what, chatURL, reportText(rep))
	}
	t.Logf("%s: verify %s passed after %v:\n%s", what, chatURL, d.Round(time.Millisecond), reportText(rep))
	return d
}

// stack is one bundle brought up on the engine.
type stack struct {
	e      *dockertest.Engine
	dir    string
	target string
	wiring topology.Wiring
	// model is the app's model; nil for the built-in app. spec is its spec
	// file, which the stand-in images carry.
	model *topology.Model
	spec  string
	// project is the compose project (COMPOSE_PROJECT_NAME) for compose
	// bring-ups, "" for docker-run.sh.
	project string
	// containers are docker-run.sh's container names.
	containers []string
}

// env is what every command of the stack runs with.
func (s *stack) env() []string {
	if s.project == "" {
		return nil
	}
	return []string{"COMPOSE_PROJECT_NAME=" + s.project}
}

// compose runs `docker compose args...` in the bundle directory.
func (s *stack) compose(t *testing.T, args ...string) string {
	t.Helper()
	return s.e.Must(t, dockertest.Cmd{Dir: s.dir, Env: s.env(), Args: append([]string{"docker", "compose"}, args...)})
}

func (s *stack) dumpLogs(t *testing.T) {
	t.Helper()
	if s.project != "" {
		_, _ = s.e.Run(t, dockertest.Cmd{Dir: s.dir, Env: s.env(), Args: []string{"docker", "compose", "logs", "--no-color", "--timestamps"}})
		return
	}
	for _, c := range s.containers {
		_, _ = s.e.Run(t, dockertest.Cmd{Args: []string{"docker", "logs", "--timestamps", c}})
	}
}

// container returns the ID of the compose service's container.
func (s *stack) container(t *testing.T, service string) string {
	t.Helper()
	id := s.e.Docker(t, "ps", "-aq", "--no-trunc",
		"--filter", "label=com.docker.compose.project="+s.project,
		"--filter", "label=com.docker.compose.service="+service)
	if id == "" || strings.Contains(id, "\n") {
		t.Fatalf("project %s: want one container of service %s, got %q", s.project, service, id)
	}
	return id
}

// containerIDs maps each compose service to its container's ID.
func (s *stack) containerIDs(t *testing.T) map[string]string {
	t.Helper()
	out := s.e.Docker(t, "ps", "-a", "--no-trunc", "--filter", "label=com.docker.compose.project="+s.project,
		"--format", `{{.Label "com.docker.compose.service"}} {{.ID}}`)
	ids := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if svc, id, ok := strings.Cut(line, " "); ok {
			ids[svc] = id
		}
	}
	return ids
}

// image is the image the compose service runs.
func (s *stack) image(t *testing.T, service string) string {
	t.Helper()
	return s.inspect(t, s.container(t, service), "{{.Config.Image}}")
}

func (s *stack) inspect(t *testing.T, id, format string) string {
	t.Helper()
	return s.e.Docker(t, "inspect", "--format", format, id)
}

// projectName is a compose project name unique to the test, so that a run
// never adopts containers or volumes another run left behind.
func projectName(t *testing.T) string {
	name := strings.ToLower(t.Name())
	name = regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(name, "-")
	if len(name) > 40 {
		name = name[len(name)-40:]
	}
	return fmt.Sprintf("synctl-e2e-%d-%s", os.Getpid(), strings.Trim(name, "-"))
}

// bringUpSection returns the shell block under the README's "Bring it up".
func bringUpSection(t *testing.T, dir string) string {
	t.Helper()
	readme, err := os.ReadFile(dir + "/README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)## Bring it up\n.*?```sh\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatalf("%s/README.md has no ```sh block under \"## Bring it up\"", dir)
	}
	return string(m[1])
}

// composeUp renders target, builds its images and runs the README's bring-up
// block in the bundle directory under a project name of the test's own. It
// takes the stack down with `docker compose down -v` when the test ends,
// failed or not, and checks that nothing of the project is left.
func composeUp(t *testing.T, e *dockertest.Engine, target string) *stack {
	t.Helper()
	b := bundletest.Default(t, target)
	return composeUpDir(t, e, target, bundletest.Write(t, b), b.Wiring)
}

func composeUpDir(t *testing.T, e *dockertest.Engine, target string, dir string, w topology.Wiring) *stack {
	t.Helper()
	return composeUpApp(t, e, target, dir, w, nil, "")
}

// composeUpApp is composeUpDir for the app of model, whose spec is at spec.
func composeUpApp(t *testing.T, e *dockertest.Engine, target, dir string, w topology.Wiring, model *topology.Model, spec string) *stack {
	t.Helper()
	s := &stack{e: e, dir: dir, target: target, wiring: w, project: projectName(t), model: model, spec: spec}
	e.BuildAppImages(t, dir, spec)
	t.Cleanup(func() { s.composeDown(t) })
	block := bringUpSection(t, dir)
	waitPortsFree(t, dir)
	start := time.Now()
	s.e.Must(t, dockertest.Cmd{Dir: dir, Env: s.env(), Args: []string{"sh", "-eu", "-c", block}})
	t.Logf("TIMING %s: README bring-up (compose, project %s) took %v", target, s.project, time.Since(start).Round(time.Millisecond))
	return s
}

func (s *stack) composeDown(t *testing.T) {
	if t.Failed() {
		s.dumpLogs(t)
	}
	start := time.Now()
	if _, err := s.e.Run(t, dockertest.Cmd{Dir: s.dir, Env: s.env(), Args: []string{"docker", "compose", "down", "-v", "--timeout", "5"}}); err != nil {
		t.Errorf("taking the stack down: %v", err)
		return
	}
	t.Logf("TIMING %s: docker compose down -v took %v", s.target, time.Since(start).Round(time.Millisecond))
	filter := "label=com.docker.compose.project=" + s.project
	for _, kind := range []string{"container", "volume", "network"} {
		args := []string{kind, "ls", "-q", "--filter", filter}
		if kind == "container" {
			args = []string{"ps", "-aq", "--filter", filter}
		}
		if left := s.e.Docker(t, args...); left != "" {
			t.Errorf("docker compose down -v left %ss of project %s: %s", kind, s.project, strings.ReplaceAll(left, "\n", " "))
		}
	}
}

var (
	runScriptLine = regexp.MustCompile("(?s)without compose:\n\n```sh\n([^\n]+)\n```")
	teardownLine  = regexp.MustCompile(`(?m)^# Remove it again with: (.+)$`)
	nameFlag      = regexp.MustCompile(`--name '([^']+)'`)
)

// scriptUp renders target and runs the README's docker-run.sh command in the
// bundle directory; at the end it runs the teardown line the script names,
// then removes the volumes the script created (the teardown line leaves them).
func scriptUp(t *testing.T, e *dockertest.Engine, target string) *stack {
	t.Helper()
	b := bundletest.Default(t, target)
	dir := bundletest.Write(t, b)
	s := &stack{e: e, dir: dir, target: target, wiring: b.Wiring}
	readme, err := os.ReadFile(dir + "/README.md")
	if err != nil {
		t.Fatal(err)
	}
	run := runScriptLine.FindSubmatch(readme)
	if run == nil {
		t.Fatalf("%s/README.md names no command without compose", dir)
	}
	script, err := os.ReadFile(dir + "/docker-run.sh")
	if err != nil {
		t.Fatal(err)
	}
	teardown := teardownLine.FindSubmatch(script)
	if teardown == nil {
		t.Fatal("docker-run.sh has no \"# Remove it again with:\" line")
	}
	for _, m := range nameFlag.FindAllSubmatch(script, -1) {
		s.containers = append(s.containers, string(m[1]))
	}
	// The script's names are fixed: a container left from an aborted run
	// would make `docker run` fail, so say how to remove it rather than
	// removing something this run did not make.
	for _, c := range s.containers {
		if _, err := e.Run(t, dockertest.Cmd{Args: []string{"docker", "container", "inspect", "--format", "{{.Name}}", c}}); err == nil {
			t.Fatalf("container %s already exists (left from an earlier run?); remove it with: %s", c, teardown[1])
		}
	}
	e.BuildImages(t, dir)
	waitPortsFree(t, dir)
	volumesBefore := strings.Fields(e.Docker(t, "volume", "ls", "-q"))
	t.Cleanup(func() {
		if t.Failed() {
			s.dumpLogs(t)
		}
		if _, err := e.Run(t, dockertest.Cmd{Dir: dir, Args: []string{"sh", "-eu", "-c", string(teardown[1])}}); err != nil {
			t.Errorf("docker-run.sh's teardown line: %v", err)
		}
		var left []string
		for _, v := range strings.Fields(e.Docker(t, "volume", "ls", "-q")) {
			if !slices.Contains(volumesBefore, v) {
				left = append(left, v)
			}
		}
		if len(left) > 0 {
			t.Logf("FINDING %s: docker-run.sh's teardown line leaves the volumes %s; removing them", target, strings.Join(left, ", "))
			e.Docker(t, append([]string{"volume", "rm"}, left...)...)
		}
	})
	start := time.Now()
	e.Must(t, dockertest.Cmd{Dir: dir, Args: []string{"sh", "-eu", "-c", string(run[1])}})
	t.Logf("TIMING %s: %s took %v", target, run[1], time.Since(start).Round(time.Millisecond))
	return s
}
