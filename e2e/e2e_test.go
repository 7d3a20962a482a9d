package e2e

import (
	"context"
	"crypto/x509"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/synctl/synctl/internal/bundletest"
	"github.com/synctl/synctl/internal/standin"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/topology"
	"github.com/synctl/synctl/pkg/verify"
)

// standinEnv makes the test binary act as one SynergyChat service: the
// containers exec this same binary instead of the images.
const standinEnv = "SYNCTL_E2E_STANDIN"

func TestMain(m *testing.M) {
	if role := os.Getenv(standinEnv); role != "" {
		err := standin.Main(role, os.Getenv)
		fmt.Fprintf(os.Stderr, "stand-in %s: %v\n", role, err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// needRoot skips without root and fails when root lacks the tools CI installs.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("e2e: needs root to create network namespaces and run nginx; CI runs it as root")
	}
	for _, tool := range []string{"ip", "nginx"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("e2e: %s not found: install iproute2 and nginx-light (apt-get install -y iproute2 nginx-light)", tool)
		}
	}
}

// bundle renders target of the default model into a temp dir.
func bundle(t *testing.T, target topology.Target) (dir string, w topology.Wiring) {
	t.Helper()
	return bundletest.Write(t, target), topology.Wire(bundletest.Model(t), target)
}

// loadProject loads dir/compose.yaml with compose-go, as `docker compose` would.
func loadProject(t *testing.T, dir string) *types.Project {
	t.Helper()
	details := types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "compose.yaml")}},
		Environment: types.Mapping{},
	}
	p, err := loader.LoadWithContext(context.Background(), details)
	if err != nil {
		t.Fatalf("loading %s/compose.yaml: %v", dir, err)
	}
	return p
}

// role maps an image to the stand-in that plays it, or "" for nginx.
func role(t *testing.T, svc types.ServiceConfig) string {
	for _, r := range []string{standin.RoleWeb, standin.RoleAPI, standin.RoleCrawler} {
		if strings.Contains(svc.Image, "synergychat-"+r) {
			return r
		}
	}
	if strings.HasPrefix(svc.Image, "nginx") {
		return ""
	}
	t.Fatalf("service %s: image %q is neither a SynergyChat service nor nginx", svc.Name, svc.Image)
	return ""
}

// startOrder sorts services so each comes after what it depends_on.
func startOrder(t *testing.T, p *types.Project) []string {
	var order []string
	seen := map[string]int{} // 1 visiting, 2 done
	var visit func(string)
	visit = func(n string) {
		switch seen[n] {
		case 1:
			t.Fatalf("depends_on cycle through %s", n)
		case 2:
			return
		}
		seen[n] = 1
		svc, ok := p.Services[n]
		if !ok {
			t.Fatalf("depends_on names %q, which is not a service", n)
		}
		for _, d := range slices.Sorted(mapsKeys(svc.DependsOn)) {
			visit(d)
		}
		seen[n] = 2
		order = append(order, n)
	}
	for _, n := range slices.Sorted(mapsKeys(p.Services)) {
		visit(n)
	}
	return order
}

func mapsKeys[M ~map[string]V, V any](m M) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// up brings the project up on a fresh emulated docker host: networks,
// containers with Docker's name resolution and extra_hosts, processes in
// depends_on order, then published ports.
func up(t *testing.T, dir string, p *types.Project) *dockerHost {
	t.Helper()
	h := newDockerHost(t)
	names := slices.Sorted(mapsKeys(p.Services))
	ctrs := map[string]*container{}
	for _, n := range names {
		svc := p.Services[n]
		var nets []*bridge
		switch {
		case svc.NetworkMode == "bridge":
			nets = []*bridge{h.network("bridge", false)}
		case svc.NetworkMode != "":
			t.Fatalf("service %s: network_mode %q is not emulated (only bridge)", n, svc.NetworkMode)
		default:
			for _, nn := range slices.Sorted(mapsKeys(svc.Networks)) {
				if _, ok := p.Networks[nn]; !ok {
					t.Fatalf("service %s: network %q is not declared", n, nn)
				}
				nets = append(nets, h.network(nn, true))
			}
		}
		aliases := []string{n}
		if svc.ContainerName != "" {
			aliases = append(aliases, svc.ContainerName)
		}
		for _, sn := range svc.Networks {
			if sn != nil {
				aliases = append(aliases, sn.Aliases...)
			}
		}
		ctrs[n] = h.addContainer(n, aliases, nets)
	}
	for _, n := range names {
		writeEtc(t, h, p.Services[n], ctrs[n], ctrs)
		h.serveDNS(ctrs[n], ctrs)
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range startOrder(t, p) {
		svc, c := p.Services[n], ctrs[n]
		env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
		envMap := volumePaths(t, svc)
		for _, k := range slices.Sorted(mapsKeys(envMap)) {
			env = append(env, k+"="+envMap[k])
		}
		var pr *proc
		var ports []string
		if r := role(t, svc); r != "" {
			_, port, err := standin.Handler(r, func(k string) string { return envMap[k] })
			if err != nil {
				t.Fatalf("service %s: %v", n, err)
			}
			pr = h.start(c, append(env, standinEnv+"="+r), exe)
			ports = []string{port}
		} else {
			pr = startNginx(t, h, dir, svc, c, env)
			for _, pc := range svc.Ports {
				ports = append(ports, fmt.Sprint(pc.Target))
			}
		}
		for _, port := range ports {
			if err := h.waitListening(pr, c, port); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, n := range names {
		for _, pc := range p.Services[n].Ports {
			h.publish(pc.HostIP, pc.Published, ctrs[n].primary, pc.Target)
		}
	}
	return h
}

// volumePaths returns the service's environment with every value that lies
// under a named volume's mount path moved into a directory of the test's
// own: the emulated containers share the host's filesystem, so the api's
// API_DB_FILEPATH=/persist/db.json gets a fresh, writable /persist this way.
func volumePaths(t *testing.T, svc types.ServiceConfig) map[string]string {
	env := map[string]string{}
	for k, v := range svc.Environment {
		if v != nil {
			env[k] = *v
		}
	}
	for _, v := range svc.Volumes {
		if v.Type != types.VolumeTypeVolume {
			continue
		}
		dir := t.TempDir()
		for k, val := range env {
			if rest, ok := strings.CutPrefix(val, v.Target); ok && (rest == "" || strings.HasPrefix(rest, "/")) {
				env[k] = dir + rest
			}
		}
	}
	return env
}

// writeEtc gives the container the /etc Docker would: hosts with the names
// its user-defined networks resolve and its extra_hosts, and no DNS at all
// (nsswitch consults files only), so an unknown name fails at once.
func writeEtc(t *testing.T, h *dockerHost, svc types.ServiceConfig, c *container, all map[string]*container) {
	var b strings.Builder
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	fmt.Fprintf(&b, "%s\t%s\n", c.primary, c.ns)
	for _, netName := range c.nets {
		if netName == "bridge" {
			continue // the default bridge resolves no container names
		}
		for _, peerName := range slices.Sorted(mapsKeys(all)) {
			peer := all[peerName]
			if ip, ok := peer.ips[netName]; ok {
				fmt.Fprintf(&b, "%s\t%s\n", ip, strings.Join(peer.names, " "))
			}
		}
	}
	for _, host := range slices.Sorted(mapsKeys(svc.ExtraHosts)) {
		for _, v := range svc.ExtraHosts[host] {
			if v == "host-gateway" {
				v = h.nets[0].gateway().String() // Docker's host-gateway: the default bridge's gateway
			}
			fmt.Fprintf(&b, "%s\t%s\n", v, host)
		}
	}
	h.etc(c, "hosts", []byte(b.String()))
	h.etc(c, "nsswitch.conf", []byte("passwd: files\ngroup: files\nshadow: files\nhosts: files\n"))
	h.etc(c, "resolv.conf", []byte("# no DNS: names resolve through /etc/hosts only\n"))
}

// startNginx runs the real nginx in the container with the files the compose
// file bind-mounts under /etc/nginx, as the nginx:alpine image (user nginx).
func startNginx(t *testing.T, h *dockerHost, dir string, svc types.ServiceConfig, c *container, env []string) *proc {
	t.Helper()
	etcNginx := filepath.Join("/etc/netns", c.ns, "nginx")
	if err := os.MkdirAll(etcNginx, 0o755); err != nil {
		t.Fatal(err)
	}
	mime, err := os.ReadFile("/etc/nginx/mime.types")
	if err != nil {
		t.Fatalf("nginx's mime.types (from nginx-light): %v", err)
	}
	if err := os.WriteFile(filepath.Join(etcNginx, "mime.types"), mime, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, v := range svc.Volumes {
		rel, ok := strings.CutPrefix(v.Target, "/etc/nginx/")
		if v.Type != types.VolumeTypeBind || !ok {
			t.Fatalf("service %s: volume %s:%s is not emulated (only binds under /etc/nginx)", svc.Name, v.Source, v.Target)
		}
		src := v.Source
		if !filepath.IsAbs(src) {
			src = filepath.Join(dir, src)
		}
		if out, err := exec.Command("cp", "-a", src, filepath.Join(etcNginx, rel)).CombinedOutput(); err != nil {
			t.Fatalf("service %s: volume %s: %v\n%s", svc.Name, v.Source, err, out)
		}
	}
	passwd, _ := os.ReadFile("/etc/passwd")
	group, _ := os.ReadFile("/etc/group")
	h.etc(c, "passwd", append(passwd, "nginx:x:101:101:nginx:/nonexistent:/usr/sbin/nologin\n"...))
	h.etc(c, "group", append(group, "nginx:x:101:\n"...))
	run := t.TempDir()
	for _, d := range []string{"log", "lib"} {
		if err := os.MkdirAll(filepath.Join(run, d), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Chown(filepath.Join(run, d), 101, 101); err != nil {
			t.Fatal(err)
		}
	}
	// ip netns exec gives a private mount namespace: the image's log and
	// temp directories are this test's own.
	script := `mount --bind "$1/log" /var/log/nginx && mount --bind "$1/lib" /var/lib/nginx && exec nginx -g "daemon off; pid $1/nginx.pid;"`
	return h.start(c, env, "sh", "-c", script, "sh", run)
}

// trust returns a pool holding the bundle's self-signed certificate.
func trust(t *testing.T, dir string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(filepath.Join(dir, render.CertPath))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s: no certificate", render.CertPath)
	}
	return pool
}

func runVerify(t *testing.T, h *dockerHost, chatURL string, roots *x509.CertPool) *verify.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep, err := verify.Run(ctx, chatURL, verify.Options{Timeout: 5 * time.Second, RootCAs: roots, DialContext: h.dial})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	_ = rep.Write(&out)
	t.Logf("synctl verify %s\n%s", chatURL, out.String())
	return rep
}

// TestRenderedSetupsPassVerify brings up each docker-family bundle as
// rendered and requires every hop of synctl verify to pass.
func TestRenderedSetupsPassVerify(t *testing.T) {
	needRoot(t)
	for _, target := range []topology.Target{topology.Docker, topology.DockerNetwork, topology.Nginx} {
		t.Run(string(target), func(t *testing.T) {
			t.Parallel()
			dir, w := bundle(t, target)
			h := up(t, dir, loadProject(t, dir))
			var roots *x509.CertPool
			urls := []string{w.CHATURL}
			if target == topology.Nginx {
				roots = trust(t, dir)
				urls = append(urls, "http://localhost") // port 80 redirects to https
			}
			for _, u := range urls {
				if rep := runVerify(t, h, u, roots); !rep.OK() {
					t.Errorf("synctl verify %s failed on the %s setup as rendered", u, target)
				}
			}
		})
	}
}

// TestBrokenWiringFailsVerify breaks each rendered setup the way people do
// and requires verify to fail at the right hop with the right diagnosis.
func TestBrokenWiringFailsVerify(t *testing.T) {
	needRoot(t)
	tests := []struct {
		name    string
		target  topology.Target
		breakIt func(t *testing.T, dir string, p *types.Project)
		hop     string
		cause   verify.Cause
		text    string // in the failing hop's diagnosis
	}{
		{
			name:   "nginx prefix not stripped",
			target: topology.Nginx,
			breakIt: func(t *testing.T, dir string, p *types.Project) {
				editFile(t, filepath.Join(dir, render.NginxConfPath),
					regexp.MustCompile(`(location /api/ \{[^}]*)\n\s*rewrite [^;]*;`), "$1")
			},
			hop: verify.HopMessages, cause: verify.CausePrefixNotStripped, text: "proxy_pass http://api:8080/;",
		},
		{
			name:   "API_URL at the user's localhost behind nginx",
			target: topology.Nginx,
			breakIt: func(t *testing.T, dir string, p *types.Project) {
				setEnv(t, p, "web", "API_URL", "http://localhost:8081")
			},
			hop: verify.HopMessages, cause: verify.CauseNothingListening, text: "nothing listens at localhost:8081",
		},
		{
			name:   "CRAWLER_BASE_URL at localhost inside the api container",
			target: topology.DockerNetwork,
			breakIt: func(t *testing.T, dir string, p *types.Project) {
				setEnv(t, p, "api", "CRAWLER_BASE_URL", "http://localhost:8080")
			},
			hop: verify.HopStats, cause: verify.CauseCrawlerUnreachable, text: "localhost inside the api's container is the api container itself",
		},
		{
			name:   "crawler on another network",
			target: topology.DockerNetwork,
			breakIt: func(t *testing.T, dir string, p *types.Project) {
				p.Networks["crawlers"] = types.NetworkConfig{Name: "crawlers", Driver: "bridge"}
				svc := p.Services["crawler"]
				svc.Networks = map[string]*types.ServiceNetworkConfig{"crawlers": nil}
				p.Services["crawler"] = svc
			},
			hop: verify.HopStats, cause: verify.CauseCrawlerUnreachable, text: `the name "crawler" does not resolve inside the api's container`,
		},
		{
			name:   "extra_hosts missing on the default bridge",
			target: topology.Docker,
			breakIt: func(t *testing.T, dir string, p *types.Project) {
				svc := p.Services["api"]
				if len(svc.ExtraHosts) == 0 {
					t.Fatal("the rendered api has no extra_hosts to remove")
				}
				svc.ExtraHosts = nil
				p.Services["api"] = svc
			},
			hop: verify.HopStats, cause: verify.CauseCrawlerUnreachable, text: "host.docker.internal:host-gateway",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir, w := bundle(t, tt.target)
			p := loadProject(t, dir)
			tt.breakIt(t, dir, p)
			h := up(t, dir, p)
			var roots *x509.CertPool
			if tt.target == topology.Nginx {
				roots = trust(t, dir)
			}
			rep := runVerify(t, h, w.CHATURL, roots)
			f := rep.Failed()
			if f == nil {
				t.Fatalf("verify passed; want hop %s to fail (%s)", tt.hop, tt.cause)
			}
			if f.Name != tt.hop || f.Cause != tt.cause {
				t.Fatalf("verify failed at %s (%s); want %s (%s)", f.Name, f.Cause, tt.hop, tt.cause)
			}
			if all := f.Wiring + f.Why + f.Fix; !strings.Contains(all, tt.text) {
				t.Errorf("diagnosis lacks %q:\n%s\n%s\n%s", tt.text, f.Wiring, f.Why, f.Fix)
			}
		})
	}
}

func editFile(t *testing.T, path string, re *regexp.Regexp, repl string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !re.Match(b) {
		t.Fatalf("%s: nothing matches %s", path, re)
	}
	if err := os.WriteFile(path, re.ReplaceAll(b, []byte(repl)), 0o644); err != nil {
		t.Fatal(err)
	}
}

func setEnv(t *testing.T, p *types.Project, service, key, value string) {
	t.Helper()
	svc, ok := p.Services[service]
	if !ok {
		t.Fatalf("no service %q", service)
	}
	if _, ok := svc.Environment[key]; !ok {
		t.Fatalf("service %s sets no %s to change", service, key)
	}
	svc.Environment[key] = &value
}
