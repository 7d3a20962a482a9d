package docker

import (
	"bufio"
	"context"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/synctl/synctl/internal/bundletest"
	"github.com/synctl/synctl/internal/dockertest"
	"github.com/synctl/synctl/pkg/target"
)

// votingUp renders the voting app (testdata/apps/voting.yaml) for target
// and brings it up by its README, with a stand-in image for each of its
// services: redis and db greet on their TCP ports, the worker uses its
// links, seed runs once.
func votingUp(t *testing.T, e *dockertest.Engine, tg string) *stack {
	t.Helper()
	spec := filepath.Join(bundletest.RepoRoot(t), "testdata", "apps", "voting.yaml")
	app := bundletest.App{Name: "voting", Path: spec}
	p := app.Plan(t, target.Overrides{})
	b := app.Render(t, tg, target.Overrides{})
	return composeUpApp(t, e, tg, bundletest.Write(t, b), b.Wiring, p.Model, spec)
}

// TestVotingComesUp brings the voting app up on each docker target and
// requires verify to pass on both frontends (vote at the entry URL, result
// at its own URL, each with its check through its redis or db link), the
// seed job to exit 0 and the worker to reach redis and db.
func TestVotingComesUp(t *testing.T) {
	e := dockertest.Require(t)
	for _, tg := range []string{"docker", "docker-network", "nginx"} {
		t.Run(tg, func(t *testing.T) {
			s := votingUp(t, e, tg)
			d := s.mustVerify(t, s.wiring.EntryURL, "voting "+tg)
			t.Logf("TIMING voting %s: verify passed %v after the bring-up returned", tg, d)
			rep := s.runVerify(t, s.wiring.EntryURL)
			for _, hop := range []string{"result", "vote:vote", "result:socket"} {
				if h := rep.Hop(hop); h == nil {
					t.Errorf("verify walked no hop %q: the second frontend or a check through a TCP link is missing:\n%s", hop, reportText(rep))
				}
			}
			s.waitExited(t, "seed", 30*time.Second)
			s.waitLogs(t, "worker", []string{"REDIS_ADDR: redis tcp starts=", "DB_HOST: db tcp starts="}, 20*time.Second)
		})
	}
}

// TestVotingDBRestartKeepsData restarts db with `docker compose restart db`
// and requires its data to be kept: db's stand-in counts its starts in its
// data directory (the named volume) and says the count in its greeting, so
// the second start must say 2. verify must pass again afterwards, result's
// check through DATABASE_URL included. The docker target publishes db's
// port, so the test reads the greeting itself.
func TestVotingDBRestartKeepsData(t *testing.T) {
	e := dockertest.Require(t)
	s := votingUp(t, e, "docker")
	s.mustVerify(t, s.wiring.EntryURL, "voting docker")
	db, _ := s.model.Service("db")
	addr := "127.0.0.1:" + strconv.Itoa(db.HostPort)
	if got := greeting(t, addr, 10*time.Second); !strings.HasSuffix(got, " starts=1") {
		t.Fatalf("db's first greeting %q, want starts=1", got)
	}
	id := s.container(t, "db")
	start := time.Now()
	s.compose(t, "restart", "db")
	t.Logf("TIMING voting docker: docker compose restart db took %v", time.Since(start).Round(time.Millisecond))
	if got := s.container(t, "db"); got != id {
		t.Fatalf("db's container was replaced (%s -> %s), not restarted", id, got)
	}
	if got := greeting(t, addr, 20*time.Second); !strings.HasSuffix(got, " starts=2") {
		t.Fatalf("db's greeting after the restart %q, want starts=2: the data directory was not kept", got)
	}
	s.waitHealthy(t, "db", 30*time.Second)
	d := s.mustVerify(t, s.wiring.EntryURL, "voting docker after restarting db")
	t.Logf("TIMING voting docker: db healthy and verify passed %v after the restart", time.Since(start).Round(time.Millisecond))
	_ = d
}

// greeting reads the first line a TCP stand-in writes at addr, retrying
// within for the service to listen.
func greeting(t *testing.T, addr string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		c, err := loopbackDial(ctx, "tcp", addr)
		cancel()
		if err == nil {
			_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
			line, rerr := bufio.NewReader(c).ReadString('\n')
			c.Close()
			if rerr == nil {
				return strings.TrimSpace(line)
			}
			err = rerr
		}
		if time.Now().After(deadline) {
			t.Fatalf("no greeting at %s within %v: %v", addr, within, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitExited waits for the compose service's container to exit and
// requires exit code 0.
func (s *stack) waitExited(t *testing.T, service string, within time.Duration) {
	t.Helper()
	id := s.container(t, service)
	deadline := time.Now().Add(within)
	for s.inspect(t, id, "{{.State.Status}}") != "exited" {
		if time.Now().After(deadline) {
			s.dumpLogs(t)
			t.Fatalf("%s did not exit within %v (state %s)", service, within, s.inspect(t, id, "{{json .State}}"))
		}
		time.Sleep(200 * time.Millisecond)
	}
	if code := s.inspect(t, id, "{{.State.ExitCode}}"); code != "0" {
		s.dumpLogs(t)
		t.Fatalf("%s exited %s, want 0", service, code)
	}
}

// waitHealthy waits for the service's healthcheck to report healthy.
func (s *stack) waitHealthy(t *testing.T, service string, within time.Duration) {
	t.Helper()
	id := s.container(t, service)
	deadline := time.Now().Add(within)
	for s.inspect(t, id, "{{.State.Health.Status}}") != "healthy" {
		if time.Now().After(deadline) {
			t.Fatalf("%s not healthy within %v: %s", service, within, s.inspect(t, id, "{{json .State.Health}}"))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// waitLogs waits until the service's logs hold every one of want.
func (s *stack) waitLogs(t *testing.T, service string, want []string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		// The stand-ins log to stderr, which `docker logs` replays there.
		out, err := exec.Command("docker", "logs", s.container(t, service)).CombinedOutput()
		if err != nil {
			t.Fatalf("docker logs %s: %v\n%s", service, err, out)
		}
		logs := string(out)
		var missing []string
		for _, w := range want {
			if !strings.Contains(logs, w) {
				missing = append(missing, w)
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s's logs lack %q within %v:\n%s", service, missing, within, logs)
		}
		time.Sleep(500 * time.Millisecond)
	}
}
