package main

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synctl/synctl/internal/standin"
	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/topology"
)

// verifySpec is an app whose docker target the test runs on loopback: the
// host ports are those of listeners the test holds (%d), and the frontend
// exposes its api's URL.
const verifySpec = `apiVersion: synctl.dev/v1alpha1
kind: App
metadata: {name: cli}
spec:
  entryURLName: CLI_URL
  services:
    - name: front
      role: frontend
      image: example.test/front:1
      port: 3000
      hostPort: %d
      links:
        - {env: BACK_URL, service: back, resolvedBy: browser, exposedAt: {path: /cfg.js, text: "back = '{url}'"}}
    - name: back
      role: api
      image: example.test/back:1
      port: 3001
      hostPort: %d
      healthPath: /ready
      links:
        - {env: STORE_URL, service: store}
      checks:
        - {name: items, path: /items, json: true}
        - {name: save, method: POST, path: /items, body: '{"n":1}', status: 201, via: STORE_URL}
    - name: store
      role: internal
      image: example.test/store:1
      port: 3002
      hostPort: %d
      healthPath: /ping
  targets:
    docker: {host: 127.0.0.1}
`

// upDocker writes the spec and runs its docker target's stand-ins on the
// host ports, with the env the docker bundle gives each container; down
// names services to leave stopped. host.docker.internal is this machine,
// as Docker's host-gateway makes it.
func upDocker(t *testing.T, down ...string) (spec string, w topology.Wiring) {
	t.Helper()
	lns := make([]net.Listener, 3)
	ports := make([]any, 3)
	for i := range lns {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns[i] = ln
		ports[i] = ln.Addr().(*net.TCPAddr).Port
	}
	spec = filepath.Join(t.TempDir(), "app.yaml")
	if err := os.WriteFile(spec, []byte(fmt.Sprintf(verifySpec, ports[0], ports[1], ports[2])), 0o644); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(spec)
	plan, err := target.Load(spec, data, target.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	docker, err := target.Lookup("docker")
	if err != nil {
		t.Fatal(err)
	}
	w = plan.Wiring(docker)
	hostGateway := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, _ := net.SplitHostPort(addr)
		if host == "host.docker.internal" {
			addr = net.JoinHostPort("127.0.0.1", port)
		}
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}}
	for i, svc := range plan.Model.Services {
		if strings.Contains(" "+strings.Join(down, " ")+" ", " "+svc.Name+" ") {
			lns[i].Close()
			continue
		}
		h, _, err := standin.App(standin.AppConfig{Model: plan.Model, Service: svc.Name, Client: hostGateway,
			Getenv: func(k string) string { return w.Link(svc.Name, k) }})
		if err != nil {
			t.Fatal(err)
		}
		srv := &http.Server{Handler: h}
		go srv.Serve(lns[i])
		t.Cleanup(func() { srv.Close() })
	}
	return spec, w
}

func TestVerifyCmd(t *testing.T) {
	spec, w := upDocker(t)
	entry := w.EntryURL
	back, _ := w.Route("back")
	missing := filepath.Join(filepath.Dir(spec), "missing.yaml")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string // lines that must appear on stdout
		wantErr  string   // exact stderr
	}{
		{name: "wired", args: []string{"verify", "-f", spec, "--target", "docker"}, wantCode: 0, wantOut: []string{
			"ok    page        GET " + entry + ": 200 OK (text/html; charset=utf-8)",
			"ok    back:save   POST " + back + "/items: 201 Created, CORS allows " + entry + " (back used STORE_URL)",
			"CLI_URL " + entry + " is wired: the page, 1 browser URL, 2 public services and 2 checks answer as a browser needs them",
		}},
		{name: "forwarded", args: []string{"verify", "-f", spec, "--target", "docker", "--forward", "front=" + strings.TrimPrefix(entry, "http://"), "--forward", "back=" + strings.TrimPrefix(back, "http://")}, wantCode: 0, wantOut: []string{
			"CLI_URL " + entry + " is wired: the page, 1 browser URL, 2 public services and 2 checks answer as a browser needs them",
			"note: the public services were reached through --forward, not through their routes: the Gateway, Ingress or proxy routes were not checked",
		}},
		{name: "bad usage: forward without address", args: []string{"verify", "-f", spec, "--target", "docker", "--forward", "front"}, wantCode: 2,
			wantErr: "synctl: --forward \"front\": want SERVICE=HOST:PORT, e.g. --forward api=127.0.0.1:8082\n"},
		{name: "bad usage: forward twice", args: []string{"verify", "-f", spec, "--target", "docker", "--forward", "front=127.0.0.1:1", "--forward", "front=127.0.0.1:2"}, wantCode: 2,
			wantErr: "synctl: --forward front given twice (127.0.0.1:1 and 127.0.0.1:2): give one address per service\n"},
		{name: "bad usage: forward misses a public service", args: []string{"verify", "-f", spec, "--target", "docker", "--forward", "front=127.0.0.1:1"}, wantCode: 2,
			wantErr: "synctl: --forward: public service back has no address; give SERVICE=HOST:PORT for every public service (front, back)\n"},
		{name: "entry URL given", args: []string{"verify", "-f", spec, "--target", "docker", strings.Replace(entry, "127.0.0.1", "localhost", 1)}, wantCode: 0},
		{name: "bad usage: no target", args: []string{"verify", "-f", spec}, wantCode: 2,
			wantErr: "synctl: --target is required: choose one of " + target.Names() + "\n"},
		{name: "bad usage: two urls", args: []string{"verify", "--target", "docker", "http://a", "http://b"}, wantCode: 2,
			wantErr: "synctl: verify takes at most one ENTRY_URL, got 2 arguments\nRun 'synctl verify --help' for usage\n"},
		{name: "bad usage: relative url", args: []string{"verify", "-f", spec, "--target", "docker", "localhost:8080"}, wantCode: 2,
			wantErr: "synctl: CLI_URL \"localhost:8080\": must be an absolute http or https URL, e.g. http://localhost:8080 or https://203.0.113.10/\n"},
		{name: "bad usage: timeout", args: []string{"verify", "--target", "docker", "--timeout", "0s"}, wantCode: 2,
			wantErr: "synctl: --timeout 0s: must be positive, e.g. 10s\n"},
		{name: "bad usage: placeholder address", args: []string{"verify", "--target", "gke"}, wantCode: 2,
			wantErr: "synctl: the CHAT_URL of target gke is http://<CLUSTER_PUBLIC_IP>/, a placeholder: give the deployment's address as ENTRY_URL (synctl verify --target gke http://203.0.113.10/) or with --address 203.0.113.10\n"},
		{name: "bad usage: flag the target does not take", args: []string{"verify", "--target", "docker", "--namespace", "x"}, wantCode: 2,
			wantErr: "synctl: --namespace applies only to minikube, gke, ingress, not to docker; drop the flag or choose one of those targets\n"},
		{name: "bad usage: missing spec", args: []string{"verify", "-f", missing, "--target", "docker"}, wantCode: 2,
			wantErr: "synctl: app spec " + missing + " does not exist; start one with: synctl init > " + missing + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(t, tt.args...)
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out, errs)
			}
			lines := strings.Split(out, "\n")
			for _, want := range tt.wantOut {
				found := false
				for _, l := range lines {
					found = found || l == want
				}
				if !found {
					t.Errorf("stdout lacks the line %q:\n%s", want, out)
				}
			}
			if tt.wantCode != 2 && errs != "" {
				t.Errorf("stderr %q, want none", errs)
			}
			if tt.wantErr != "" && errs != tt.wantErr {
				t.Errorf("stderr %q, want %q", errs, tt.wantErr)
			}
		})
	}
}

// TestVerifyCmdFails: a stopped internal service fails the check that goes
// through it, with exit 1 and the link named.
func TestVerifyCmdFails(t *testing.T) {
	spec, w := upDocker(t, "store")
	entry := w.EntryURL
	code, out, errs := runCLI(t, "verify", "-f", spec, "--target", "docker", "--timeout", "3s")
	if code != 1 || errs != "" {
		t.Fatalf("exit %d, stderr %q; want 1 and none:\n%s", code, errs, out)
	}
	for _, want := range []string{
		"FAIL  back:save   POST ",
		"      at fault: STORE_URL on back (http://host.docker.internal:",
		"CLI_URL " + entry + " is not wired: hop back:save failed (link-unreachable)",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}

// TestVerifyHelpListsHops: --help teaches the hops without naming any app.
func TestVerifyHelpListsHops(t *testing.T) {
	code, out, _ := runCLI(t, "verify", "--help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"page ", "LINK ", "SERVICE ", "SERVICE:CHECK ", "exposedAt", "healthPath", "checks", "via", "ENTRY_URL", "--address", "Exit status: 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	m, err := topology.Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range m.Services {
		for _, l := range s.Links {
			if strings.Contains(out, l.Env) {
				t.Errorf("help names the built-in app's %s", l.Env)
			}
		}
	}
}
