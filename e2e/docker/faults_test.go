package docker

import (
	"bytes"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/synctl/synctl/internal/bundletest"
	"github.com/synctl/synctl/internal/dockertest"
	"github.com/synctl/synctl/internal/standin"
	"github.com/synctl/synctl/pkg/topology"
	"github.com/synctl/synctl/pkg/verify"
)

// client talks to the published ports the way the browser does, on loopback.
// Its timeout is verify's default, longer than the stand-in api's 5 s limit
// on its own call to the crawler, so the api's answer arrives first.
var client = &http.Client{
	Timeout: verify.DefaultTimeout,
	Transport: &http.Transport{
		DialContext:     loopbackDial,
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, // the bundle's self-signed certificate
	},
}

// apiBase is where the browser reaches the api: API_URL resolved against
// CHAT_URL.
func (s *stack) apiBase(t *testing.T) string {
	t.Helper()
	api := s.wiring.Link("web", "API_URL")
	if strings.HasPrefix(api, "/") {
		return strings.TrimSuffix(s.wiring.EntryURL, "/") + strings.TrimSuffix(api, "/")
	}
	return strings.TrimSuffix(api, "/")
}

// background GETs url every interval until the returned stop is called, and
// then logs how many answers of each status it got.
func (s *stack) background(t *testing.T, url string, interval time.Duration) (stop func()) {
	t.Helper()
	done := make(chan struct{})
	counts := make(chan map[string]int, 1)
	go func() {
		seen := map[string]int{}
		defer func() { counts <- seen }()
		for {
			select {
			case <-done:
				return
			case <-time.After(interval):
			}
			resp, err := client.Get(url)
			if err != nil {
				seen["error"]++
				continue
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			seen[resp.Status]++
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			t.Logf("background GET %s every %v: %v", url, interval, <-counts)
		})
	}
}

func (s *stack) post(t *testing.T, text string) (int, error) {
	t.Helper()
	body, _ := json.Marshal(standin.Message{AuthorUsername: "e2e-docker", Text: text})
	resp, err := client.Post(s.apiBase(t)+"/messages", "application/json", bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, nil
}

func (s *stack) messages(t *testing.T) []standin.Message {
	t.Helper()
	resp, err := client.Get(s.apiBase(t) + "/messages")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var msgs []standin.Message
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET messages: %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&msgs); err != nil {
		t.Fatal(err)
	}
	return msgs
}

// TestNginxFollowsRecreatedAPI: `docker compose up -d --force-recreate api`
// gives the api a new container with a new address. The browser's path
// through nginx must work again within 15 s without restarting nginx, so
// nginx must resolve the api's name again rather than keep the address it
// found at start.
func TestNginxFollowsRecreatedAPI(t *testing.T) {
	e := dockertest.Require(t)
	s := composeUp(t, e, "nginx")
	s.mustVerify(t, s.wiring.EntryURL, "nginx before the recreate")

	nginx := s.container(t, "nginx")
	nginxStarted := s.inspect(t, nginx, "{{.State.StartedAt}}")
	oldAPI := s.container(t, "api")
	ipFormat := "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}"
	oldIP := s.inspect(t, oldAPI, ipFormat)
	network := s.inspect(t, oldAPI, "{{range $name, $_ := .NetworkSettings.Networks}}{{$name}}{{end}}")

	// The engine hands a freed address to the next container that asks, so
	// a bare recreate gets the api its old address back and hides the
	// fault. What moves the api in real life is another container taking
	// the address meanwhile: stop the api, let a stranger (a crawler
	// stand-in listening on another port, not named api) take the address,
	// then recreate the api. A stale nginx then reaches the stranger.
	// Keep traffic flowing through nginx meanwhile, as on a site in use, so
	// that nginx holds a fresh answer for the api's old address when the
	// api moves, and the measured recovery includes waiting that answer out.
	stopTraffic := s.background(t, s.apiBase(t)+"/messages", 100*time.Millisecond)
	defer stopTraffic()
	s.compose(t, "stop", "api")
	stranger := s.project + "-stranger"
	t.Cleanup(func() { _, _ = e.Run(t, dockertest.Cmd{Args: []string{"docker", "rm", "-f", stranger}}) })
	e.Must(t, dockertest.Cmd{Args: []string{"docker", "run", "-d", "--name", stranger, "--network", network,
		"-e", "CRAWLER_PORT=9999", "-e", "CRAWLER_KEYWORDS=x", s.image(t, "crawler")}})
	t.Logf("a stranger took %s on %s", s.inspect(t, stranger, ipFormat), network)

	s.compose(t, "up", "-d", "--force-recreate", "api")
	recreated := time.Now()
	newAPI := s.container(t, "api")
	newIP := s.inspect(t, newAPI, ipFormat)
	if newAPI == oldAPI {
		t.Fatal("the api container was not recreated")
	}
	if newIP == oldIP {
		t.Fatalf("the recreated api kept its address %s; the test needs a new one to mean anything", oldIP)
	}
	t.Logf("api recreated: %s (%s) -> %s (%s)", oldAPI[:12], oldIP, newAPI[:12], newIP)

	rep, d := s.waitVerified(t, s.wiring.EntryURL, 15*time.Second)
	stopTraffic()
	if !rep.OK() {
		t.Errorf("15 s after the api was recreated (%s -> %s) the browser's path through nginx still fails:\n%s", oldIP, newIP, reportText(rep))
	} else {
		t.Logf("TIMING nginx: the browser's path recovered %v after the api was recreated", d.Round(time.Millisecond))
	}
	t.Logf("from the end of the recreate to the end of the wait: %v", time.Since(recreated).Round(time.Millisecond))
	if got := s.inspect(t, nginx, "{{.State.StartedAt}}"); got != nginxStarted || s.container(t, "nginx") != nginx {
		t.Errorf("nginx was restarted or replaced (started %s, now %s); the point is that it need not be", nginxStarted, got)
	}
}

// TestAPICrashIsRestartedAndKeepsMessages: the api exits(1) on a message
// containing "darn", as the real one does. The restart policy must bring the
// same container back, and the messages posted before the crash must still
// be there (the api keeps them in API_DB_FILEPATH on its volume).
func TestAPICrashIsRestartedAndKeepsMessages(t *testing.T) {
	e := dockertest.Require(t)
	s := composeUp(t, e, "nginx")
	s.mustVerify(t, s.wiring.EntryURL, "nginx before the crash")

	api := s.container(t, "api")
	if policy := s.inspect(t, api, "{{.HostConfig.RestartPolicy.Name}}"); policy != "unless-stopped" {
		t.Fatalf("api restart policy %q, want unless-stopped", policy)
	}
	kept := fmt.Sprintf("written before the crash %d", time.Now().UnixNano())
	if code, err := s.post(t, kept); err != nil || code != http.StatusCreated {
		t.Fatalf("posting a message: %d %v", code, err)
	}
	restarts := s.inspect(t, api, "{{.RestartCount}}")

	code, err := s.post(t, "oh darn")
	crashed := time.Now()
	t.Logf("posting \"oh darn\": status %d, error %v", code, err)
	if code == http.StatusCreated {
		t.Fatal("the api stored \"oh darn\"; the real api exits on it")
	}
	// Same container, restarted by the engine: RestartCount goes up.
	deadline := time.Now().Add(20 * time.Second)
	for {
		n := s.inspect(t, api, "{{.RestartCount}}")
		if n != restarts && s.inspect(t, api, "{{.State.Running}}") == "true" {
			t.Logf("api restarted by its restart policy (RestartCount %s -> %s) %v after the crash", restarts, n, time.Since(crashed).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the api was not restarted within 20 s (RestartCount %s, state %s)", n, s.inspect(t, api, "{{json .State}}"))
		}
		time.Sleep(100 * time.Millisecond)
	}
	if got := s.container(t, "api"); got != api {
		t.Fatalf("the api container was replaced (%s -> %s), not restarted", api, got)
	}
	rep, d := s.waitVerified(t, s.wiring.EntryURL, 15*time.Second)
	if !rep.OK() {
		t.Fatalf("after the api restarted, the browser's path still fails:\n%s", reportText(rep))
	}
	t.Logf("TIMING nginx: the browser's path worked again %v after the api came back (%v after the crash)", d.Round(time.Millisecond), time.Since(crashed).Round(time.Millisecond))
	var found bool
	for _, m := range s.messages(t) {
		found = found || m.Text == kept
		if strings.Contains(m.Text, "darn") {
			t.Errorf("the message that crashed the api was stored: %+v", m)
		}
	}
	if !found {
		t.Errorf("the message %q posted before the crash is gone after the restart", kept)
	}
}

// TestCrawlerDown: with the crawler stopped the page and the messages still
// work, the /stats command fails, and verify blames CRAWLER_BASE_URL (the
// crawler) rather than anything the browser uses. Starting the crawler
// again heals the path.
func TestCrawlerDown(t *testing.T) {
	e := dockertest.Require(t)
	for _, target := range []string{"docker", "nginx"} {
		t.Run(string(target), func(t *testing.T) {
			s := composeUp(t, e, target)
			s.mustVerify(t, s.wiring.EntryURL, string(target)+" before the crawler stops")
			s.compose(t, "stop", "crawler")

			// With the default per-request timeout, as `synctl verify` runs:
			// on a user network the stopped crawler's name is forwarded to
			// the host's DNS, which a host without outbound DNS never
			// answers, so the api's call fails only when its own 5 s client
			// timeout runs out.
			start := time.Now()
			rep := s.runVerifyTimeout(t, s.wiring.EntryURL, verify.DefaultTimeout)
			t.Logf("verify with the crawler stopped (%v):\n%s", time.Since(start).Round(time.Millisecond), reportText(rep))
			f := rep.Failed()
			if f == nil {
				t.Fatal("verify passed with the crawler stopped")
			}
			if f.Name != "api:stats" || f.Cause != verify.CauseLinkUnreachable {
				t.Fatalf("verify failed at %s (%s); want %s (%s)", f.Name, f.Cause, "api:stats", verify.CauseLinkUnreachable)
			}
			if !strings.Contains(f.Wiring, "CRAWLER_BASE_URL") || !strings.Contains(f.Wiring, s.wiring.Link("api", "CRAWLER_BASE_URL")) {
				t.Errorf("the failing hop blames %q; want CRAWLER_BASE_URL (%s)", f.Wiring, s.wiring.Link("api", "CRAWLER_BASE_URL"))
			}
			for _, h := range rep.Hops {
				if h.Name != "api:stats" && h.Status != verify.Pass {
					t.Errorf("hop %s: %s; only the /stats hop needs the crawler", h.Name, h.Status)
				}
			}
			code, err := s.post(t, "/stats")
			if err != nil || code != http.StatusBadRequest {
				t.Errorf("POST /stats with the crawler down: %d %v, want 400 (Error handling slash command)", code, err)
			}

			s.compose(t, "start", "crawler")
			s.mustVerify(t, s.wiring.EntryURL, string(target)+" after the crawler is started again")
		})
	}
}

// TestSecondUpReplacesOnlyChangedServices: rendering a changed spec over the
// bundle and running the README's `docker compose up -d` again must replace
// the changed service's container and leave the others running untouched.
func TestSecondUpReplacesOnlyChangedServices(t *testing.T) {
	e := dockertest.Require(t)
	const target = "docker-network"
	spec := filepath.Join(t.TempDir(), "app.yaml")
	orig := topology.DefaultSpec()
	const from, to = "CRAWLER_KEYWORDS: love,hate,joy,sadness,anger,disgust,fear,surprise", "CRAWLER_KEYWORDS: love,joy"
	if !bytes.Contains(orig, []byte(from)) {
		t.Fatalf("the built-in spec has no %q line to change", from)
	}
	if err := os.WriteFile(spec, orig, 0o644); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	b := bundletest.WriteSpec(t, spec, target, dir)
	s := composeUpDir(t, e, target, dir, b.Wiring)
	s.mustVerify(t, s.wiring.EntryURL, "first up")
	before := s.containerIDs(t)
	started := map[string]string{}
	for svc, id := range before {
		started[svc] = s.inspect(t, id, "{{.State.StartedAt}}")
	}

	if err := os.WriteFile(spec, bytes.Replace(orig, []byte(from), []byte(to), 1), 0o644); err != nil {
		t.Fatal(err)
	}
	bundletest.WriteSpec(t, spec, target, dir)
	start := time.Now()
	s.e.Must(t, dockertest.Cmd{Dir: dir, Env: s.env(), Args: []string{"sh", "-eu", "-c", bringUpSection(t, dir)}})
	t.Logf("TIMING %s: the second up took %v", target, time.Since(start).Round(time.Millisecond))
	after := s.containerIDs(t)

	for _, svc := range []string{"web", "api", "crawler"} {
		changed := before[svc] != after[svc]
		if want := svc == "crawler"; changed != want {
			t.Errorf("service %s: container replaced = %v, want %v (%s -> %s)", svc, changed, want, before[svc], after[svc])
		}
		if !changed && s.inspect(t, after[svc], "{{.State.StartedAt}}") != started[svc] {
			t.Errorf("service %s: same container but restarted; the second up should leave it alone", svc)
		}
	}
	env := s.inspect(t, s.container(t, "crawler"), "{{json .Config.Env}}")
	if !strings.Contains(env, strconv.Quote(strings.ReplaceAll(to, ": ", "="))) {
		t.Errorf("the new crawler's environment %s lacks %s", env, to)
	}
	s.mustVerify(t, s.wiring.EntryURL, "after the second up")
}
