package standin_test

import (
	"bufio"
	"context"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/synctl/synctl/internal/standin"
	"github.com/synctl/synctl/pkg/topology"
)

// tcpStandin runs voting's service name as a process would (MainApp) with
// its storage under a temp directory, and returns the port it greets on.
func tcpStandin(t *testing.T, name string) (m *topology.Model, port int) {
	t.Helper()
	spec := filepath.Join("..", "..", "testdata", "apps", "voting.yaml")
	m = loadApp(t, "voting.yaml")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port = ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	// The model's port is fixed; the test gives the stand-in a spec whose
	// port is a free one, and storage under the test's temp directory.
	svc, _ := m.Service(name)
	data, err := os.ReadFile(spec)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.Replace(string(data), "port: "+strconv.Itoa(svc.Port)+"\n", "port: "+strconv.Itoa(port)+"\n", 1)
	if svc.Storage != nil {
		text = strings.Replace(text, "mountPath: "+svc.Storage.MountPath, "mountPath: "+t.TempDir(), 1)
	}
	path := filepath.Join(t.TempDir(), "voting.yaml")
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	m2, err := topology.Decode(path, []byte(text))
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = standin.MainApp(path, name, func(string) string { return "" }) }()
	waitGreeting(t, port)
	return m2, port
}

func waitGreeting(t *testing.T, port int) string {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.Dial("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err == nil {
			line, err := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if err == nil {
				return line
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("nothing greets on port %d: %v", port, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestTCPStandinGreetsAndCountsStarts(t *testing.T) {
	_, port := tcpStandin(t, "db")
	if got, want := waitGreeting(t, port), "db tcp starts=1\n"; got != want {
		t.Errorf("greeting %q, want %q", got, want)
	}
}

func TestHealthyDialsOwnPort(t *testing.T) {
	m, port := tcpStandin(t, "redis")
	if err := standin.Healthy(m, "redis", func(string) string { return "" }); err != nil {
		t.Errorf("Healthy with redis up: %v", err)
	}
	if err := standin.Healthy(m, "db", func(string) string { return "" }); err == nil {
		t.Error("Healthy for db, which is not running, passed")
	}
	_ = port
}

func TestViaDialsTCPLinkByItsForm(t *testing.T) {
	_, port := tcpStandin(t, "redis")
	m := loadApp(t, "voting.yaml")
	check := func(env map[string]string, wantCode int, wantBody string) {
		t.Helper()
		h, _ := app(t, m, "vote", env)
		rec := httptest.NewRecorder()
		req := httptest.NewRequest("POST", "/", strings.NewReader("vote=a"))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		h.ServeHTTP(rec, req)
		if rec.Code != wantCode || !strings.Contains(rec.Body.String(), wantBody) {
			t.Errorf("POST / with %v: %d %q, want %d with %q", env, rec.Code, rec.Body.String(), wantCode, wantBody)
		}
	}
	check(map[string]string{"REDIS_HOST": "127.0.0.1", "REDIS_PORT": strconv.Itoa(port)}, 200, "Cats")
	// The wrong port: the error names the address as a URL, for verify.
	check(map[string]string{"REDIS_HOST": "127.0.0.1", "REDIS_PORT": "1"}, 502, "tcp://127.0.0.1:1")
	check(map[string]string{"REDIS_HOST": "127.0.0.1"}, 502, "REDIS_PORT is not set")
}

func TestJobUsesEachLinkOnce(t *testing.T) {
	m := loadApp(t, "voting.yaml")
	seed, _ := m.Service("seed")
	vote, _ := app(t, m, "vote", map[string]string{})
	srv := httptest.NewServer(vote)
	defer srv.Close()
	var logged []string
	logf := func(f string, a ...any) { logged = append(logged, f) }
	ctx := context.Background()
	if err := standin.RunJob(ctx, m, seed, envMap{"VOTE_URL": srv.URL}.get, logf); err != nil {
		t.Errorf("job with vote up: %v", err)
	}
	if err := standin.RunJob(ctx, m, seed, envMap{"VOTE_URL": "http://127.0.0.1:1"}.get, logf); err == nil {
		t.Error("job with vote down exited 0")
	}
}

type envMap map[string]string

func (e envMap) get(k string) string { return e[k] }

// TestHealthCommandPaths: a bare probe command is looked up on PATH, a path
// is where it says; an HTTP probe needs no file.
func TestHealthCommandPaths(t *testing.T) {
	svc := &topology.Service{
		Name:      "db",
		Readiness: &topology.Probe{Command: []string{"pg_isready", "-U", "postgres"}},
		Liveness:  &topology.Probe{Command: []string{"/healthchecks/check.sh"}},
	}
	if got, want := standin.HealthCommandPaths(svc), []string{"usr/local/bin/pg_isready", "healthchecks/check.sh"}; !slices.Equal(got, want) {
		t.Errorf("HealthCommandPaths = %q, want %q", got, want)
	}
	web := &topology.Service{Name: "web", Readiness: &topology.Probe{Path: "/healthz"}}
	if got := standin.HealthCommandPaths(web); len(got) != 0 {
		t.Errorf("an HTTP probe: HealthCommandPaths = %q, want none", got)
	}
}
