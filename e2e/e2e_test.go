package e2e

import (
	"bytes"
	"context"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/synctl/synctl/internal/bundletest"
	"github.com/synctl/synctl/internal/standin"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/verify"
)

// The containers exec this same test binary instead of the images: with
// standinEnv set to a built-in service's name it runs that service's
// faithful stand-in; set to genericRole, the generic stand-in for the
// service serviceEnv of the spec at specEnv.
const (
	standinEnv  = "SYNCTL_E2E_STANDIN"
	specEnv     = "SYNCTL_E2E_SPEC"
	serviceEnv  = "SYNCTL_E2E_SERVICE"
	genericRole = "app"
)

func TestMain(m *testing.M) {
	role := os.Getenv(standinEnv)
	if role == "" {
		os.Exit(m.Run())
	}
	var err error
	if role == genericRole {
		role = os.Getenv(serviceEnv)
		err = standin.MainApp(os.Getenv(specEnv), role, os.Getenv)
	} else {
		err = standin.Main(role, os.Getenv)
	}
	fmt.Fprintf(os.Stderr, "stand-in %s: %v\n", role, err)
	os.Exit(1)
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

// app is one app the tests bring up.
type app struct {
	name string
	// spec is the spec file, relative to this directory; "" is the
	// built-in app.
	spec string
	// faithful runs the built-in app's own stand-ins, which keep its
	// service contract; other apps run the generic stand-in.
	faithful bool
}

var (
	builtinApp = app{name: "built-in", faithful: true}
	shopApp    = app{name: "shop", spec: "../testdata/apps/shop.yaml"}
	transitApp = app{name: "transit", spec: "../testdata/apps/transit.yaml"}
	apps       = []app{builtinApp, shopApp, transitApp}
	// The targets whose bundles run on a docker host.
	dockerTargets = []string{"docker", "docker-network", "nginx"}
)

// rendered is one app's bundle of one target, written to dir.
type rendered struct {
	app    app
	plan   *target.Plan
	bundle *render.Bundle
	dir    string
	// spec is the spec's absolute path, for the generic stand-ins.
	spec string
}

func renderApp(t *testing.T, a app, targetName string) *rendered {
	t.Helper()
	r := &rendered{app: a}
	if a.spec == "" {
		r.plan = bundletest.Plan(t)
	} else {
		r.plan = bundletest.Load(t, a.spec, target.Overrides{})
		abs, err := filepath.Abs(a.spec)
		if err != nil {
			t.Fatal(err)
		}
		r.spec = abs
	}
	r.bundle = bundletest.Render(t, r.plan, targetName, a.spec, target.Overrides{})
	r.dir = bundletest.Write(t, r.bundle)
	return r
}

// file returns the path of the bundle's one file of kind k whose name ends
// in suffix.
func (r *rendered) file(t *testing.T, k render.Kind, suffix string) string {
	t.Helper()
	for _, f := range r.bundle.Files {
		if f.Kind == k && strings.HasSuffix(f.Path, suffix) {
			return filepath.Join(r.dir, filepath.FromSlash(f.Path))
		}
	}
	t.Fatalf("the %s bundle has no %s file ending in %q", r.bundle.Target, k, suffix)
	return ""
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
// containers with Docker's name resolution (/etc/hosts and the embedded DNS
// server) and extra_hosts, processes in depends_on order, then published
// ports. A compose service that is a service of the app runs its stand-in;
// any other must be nginx, which runs for real.
func up(t *testing.T, r *rendered, p *types.Project) *dockerHost {
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
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range startOrder(t, p) {
		svc, c := p.Services[n], ctrs[n]
		envMap := volumeEnv(t, svc)
		env := []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
		for _, k := range slices.Sorted(mapsKeys(envMap)) {
			env = append(env, k+"="+envMap[k])
		}
		getenv := func(k string) string { return envMap[k] }
		var pr *proc
		var ports []string
		_, inApp := r.plan.Model.Service(n)
		switch {
		case inApp && r.app.faithful:
			_, port, err := standin.Handler(n, getenv)
			if err != nil {
				t.Fatalf("service %s: %v", n, err)
			}
			pr = h.start(c, append(env, standinEnv+"="+n), exe)
			ports = []string{port}
		case inApp:
			_, port, err := standin.App(standin.AppConfig{Model: r.plan.Model, Service: n, Getenv: getenv})
			if err != nil {
				t.Fatalf("service %s: %v", n, err)
			}
			pr = h.start(c, append(env, standinEnv+"="+genericRole, specEnv+"="+r.spec, serviceEnv+"="+n), exe)
			ports = []string{port}
		case strings.HasPrefix(svc.Image, "nginx"):
			pr = startNginx(t, h, r.dir, svc, c, env)
			for _, pc := range svc.Ports {
				ports = append(ports, fmt.Sprint(pc.Target))
			}
		default:
			t.Fatalf("compose service %s (image %s) is neither a service of app %s nor nginx", n, svc.Image, r.plan.Model.Name)
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

// volumeEnv is the service's environment with each path under one of its
// volumes' mount points moved into a directory of the test's own: the
// emulated container shares the machine's filesystem, so the path the
// service is told is where the volume lives.
func volumeEnv(t *testing.T, svc types.ServiceConfig) map[string]string {
	env := map[string]string{}
	for k, v := range svc.Environment {
		if v != nil {
			env[k] = *v
		}
	}
	for _, v := range svc.Volumes {
		dir := t.TempDir()
		for k, val := range env {
			if val == v.Target || strings.HasPrefix(val, v.Target+"/") {
				env[k] = dir + strings.TrimPrefix(val, v.Target)
			}
		}
	}
	return env
}

// peers are the names c resolves on its user-defined networks, with their
// addresses there: what Docker's /etc/hosts and embedded DNS answer.
func peers(c *container, all map[string]*container) (lines []string, names map[string]net.IP) {
	names = map[string]net.IP{}
	for _, netName := range c.nets {
		if netName == "bridge" {
			continue // the default bridge resolves no container names
		}
		for _, peerName := range slices.Sorted(mapsKeys(all)) {
			peer := all[peerName]
			if ip, ok := peer.ips[netName]; ok {
				lines = append(lines, fmt.Sprintf("%s\t%s", ip, strings.Join(peer.names, " ")))
				for _, n := range peer.names {
					if _, dup := names[n]; !dup {
						names[n] = ip
					}
				}
			}
		}
	}
	return lines, names
}

// writeEtc gives the container the /etc Docker would: hosts with the names
// its user-defined networks resolve and its extra_hosts, and on a
// user-defined network the embedded DNS server in resolv.conf. Processes
// look names up in /etc/hosts only (nsswitch), so an unknown name fails at
// once; nginx asks the DNS server when its configuration has a resolver.
func writeEtc(t *testing.T, h *dockerHost, svc types.ServiceConfig, c *container, all map[string]*container) {
	var b strings.Builder
	b.WriteString("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
	fmt.Fprintf(&b, "%s\t%s\n", c.primary, c.ns)
	lines, names := peers(c, all)
	for _, l := range lines {
		b.WriteString(l + "\n")
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
	resolv := "# the default bridge: no DNS, names resolve through /etc/hosts only\n"
	if slices.ContainsFunc(c.nets, func(n string) bool { return n != "bridge" }) {
		resolv = "nameserver 127.0.0.11\noptions ndots:0\n"
		h.serveDNS(c, names)
	}
	h.etc(c, "resolv.conf", []byte(resolv))
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
func trust(t *testing.T, r *rendered) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(r.file(t, render.KindKey, ".crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		t.Fatalf("%s: no certificate", r.dir)
	}
	return pool
}

// httpURL is the plain-http address of a proxy that redirects to the
// https entry URL: the entry host at the port the compose file publishes
// for the proxy's port 80.
func httpURL(t *testing.T, r *rendered, p *types.Project) string {
	t.Helper()
	entry := r.bundle.Wiring.EntryURL
	host := strings.TrimPrefix(entry, "https://")
	host, _, _ = strings.Cut(host, "/")
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	for _, n := range slices.Sorted(mapsKeys(p.Services)) {
		if _, inApp := r.plan.Model.Service(n); inApp {
			continue
		}
		for _, pc := range p.Services[n].Ports {
			if pc.Target == 80 {
				if pc.Published == "80" {
					return "http://" + host
				}
				return "http://" + net.JoinHostPort(host, pc.Published)
			}
		}
	}
	t.Fatalf("no service of %s publishes a port for container port 80", r.dir)
	return ""
}

// browserDial opens the browser's connections, from the docker host itself
// (the user's machine). Like browsers (RFC 6761), it resolves localhost and
// every *.localhost name to loopback.
func (h *dockerHost) browserDial(ctx context.Context, network, addr string) (net.Conn, error) {
	if host, port, err := net.SplitHostPort(addr); err == nil && (host == "localhost" || strings.HasSuffix(host, ".localhost")) {
		addr = net.JoinHostPort("127.0.0.1", port)
	}
	return h.dial(ctx, network, addr)
}

func runVerify(t *testing.T, h *dockerHost, r *rendered, entry string, roots *x509.CertPool) *verify.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	rep, err := verify.Run(ctx, r.plan.Model, r.bundle.Wiring, entry, verify.Options{Timeout: 5 * time.Second, RootCAs: roots, DialContext: h.browserDial})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	_ = rep.Write(&out)
	t.Logf("synctl verify %s --target %s %s\n%s", r.app.spec, r.bundle.Target, entry, out.String())
	return rep
}

// TestRenderedSetupsPassVerify brings up each docker-family bundle of each
// app as rendered and requires every hop of synctl verify to pass, with
// the deployment serving exactly the model's URLs (no notes).
func TestRenderedSetupsPassVerify(t *testing.T) {
	needRoot(t)
	for _, a := range apps {
		for _, tg := range dockerTargets {
			t.Run(a.name+"/"+tg, func(t *testing.T) {
				t.Parallel()
				r := renderApp(t, a, tg)
				p := loadProject(t, r.dir)
				h := up(t, r, p)
				var roots *x509.CertPool
				entries := []string{""} // the wiring's
				if strings.HasPrefix(r.bundle.Wiring.EntryURL, "https://") {
					roots = trust(t, r)
					entries = append(entries, httpURL(t, r, p))
				}
				for _, e := range entries {
					rep := runVerify(t, h, r, e, roots)
					if !rep.OK() {
						t.Errorf("synctl verify %s failed on the %s setup of %s as rendered", e, tg, a.name)
					}
					for _, hop := range rep.Hops {
						if hop.Note != "" {
							t.Errorf("hop %s: the deployment drifts from the model: %s", hop.Name, hop.Note)
						}
					}
				}
			})
		}
	}
}

// TestBrokenWiringFailsVerify breaks rendered setups the way people do and
// requires verify to fail at the right hop with the right diagnosis.
func TestBrokenWiringFailsVerify(t *testing.T) {
	needRoot(t)
	tests := []struct {
		name    string
		app     app
		target  string
		breakIt func(t *testing.T, r *rendered, p *types.Project)
		hop     string
		cause   verify.Cause
		text    []string // in the failing hop's diagnosis
	}{
		{
			name: "nginx prefix not stripped", app: builtinApp, target: "nginx",
			breakIt: func(t *testing.T, r *rendered, p *types.Project) {
				passPrefix(t, r.file(t, render.KindNginx, ".conf"), "/api/")
			},
			hop: "api", cause: verify.CausePrefixNotStripped,
			text: []string{"answers 404 for /api/healthz: the route forwards the path with its /api prefix", "strip the prefix in the route to api"},
		},
		{
			name: "API_URL at the user's localhost behind nginx", app: builtinApp, target: "nginx",
			breakIt: func(t *testing.T, r *rendered, p *types.Project) {
				setEnv(t, p, "web", "API_URL", "http://localhost:8081")
			},
			hop: "api", cause: verify.CauseNothingListening,
			text: []string{"nothing listens at localhost:8081", `set API_URL on web to "/api/", the model's value for this deployment`},
		},
		{
			name: "CRAWLER_BASE_URL at localhost inside the api container", app: builtinApp, target: "docker-network",
			breakIt: func(t *testing.T, r *rendered, p *types.Project) {
				setEnv(t, p, "api", "CRAWLER_BASE_URL", "http://localhost:8080")
			},
			hop: "api:stats", cause: verify.CauseLinkUnreachable,
			text: []string{"localhost inside api's container is api itself", "set CRAWLER_BASE_URL on api to http://crawler:8080"},
		},
		{
			name: "crawler on another network", app: builtinApp, target: "docker-network",
			breakIt: func(t *testing.T, r *rendered, p *types.Project) {
				p.Networks["crawlers"] = types.NetworkConfig{Name: "crawlers", Driver: "bridge"}
				svc := p.Services["crawler"]
				svc.Networks = map[string]*types.ServiceNetworkConfig{"crawlers": nil}
				p.Services["crawler"] = svc
			},
			hop: "api:stats", cause: verify.CauseLinkUnreachable,
			text: []string{`the name "crawler" does not resolve inside api's container`, "put api and crawler on one user-defined network"},
		},
		{
			name: "extra_hosts missing on the default bridge", app: builtinApp, target: "docker",
			breakIt: func(t *testing.T, r *rendered, p *types.Project) {
				svc := p.Services["api"]
				if len(svc.ExtraHosts) == 0 {
					t.Fatal("the rendered api has no extra_hosts to remove")
				}
				svc.ExtraHosts = nil
				p.Services["api"] = svc
			},
			hop: "api:stats", cause: verify.CauseLinkUnreachable,
			text: []string{"host.docker.internal:host-gateway"},
		},
		{
			name: "transit: a via link names the wrong host", app: transitApp, target: "docker-network",
			breakIt: func(t *testing.T, r *rendered, p *types.Project) {
				setEnv(t, p, "trips", "FARES_ADDR", "http://fare:6060")
			},
			hop: "trips:fare", cause: verify.CauseLinkUnreachable,
			text: []string{"FARES_ADDR on trips (http://fares:6060 in the model; trips called http://fare:6060/ping)", `the name "fare" does not resolve inside trips's container`, "set FARES_ADDR on trips to http://fares:6060"},
		},
		{
			name: "shop: a via link at the wrong port behind nginx", app: shopApp, target: "nginx",
			breakIt: func(t *testing.T, r *rendered, p *types.Project) {
				setEnv(t, p, "catalog", "PRICING_BASE_URL", "http://pricing:7001")
			},
			hop: "catalog:quote", cause: verify.CauseLinkUnreachable,
			text: []string{"PRICING_BASE_URL on catalog (http://pricing:7000 in the model; catalog called http://pricing:7001/)", "nothing listens there: pricing is down", "set PRICING_BASE_URL on catalog to http://pricing:7000"},
		},
		{
			name: "shop: an api's port not published", app: shopApp, target: "docker",
			breakIt: func(t *testing.T, r *rendered, p *types.Project) {
				svc := p.Services["cart"]
				svc.Ports = nil
				p.Services["cart"] = svc
			},
			hop: "cart", cause: verify.CauseNothingListening,
			text: []string{"CART_URL \"http://localhost:9002\" on storefront", `start cart with its port published on this machine (compose: ports "9002:8001")`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := renderApp(t, tt.app, tt.target)
			p := loadProject(t, r.dir)
			tt.breakIt(t, r, p)
			h := up(t, r, p)
			var roots *x509.CertPool
			if strings.HasPrefix(r.bundle.Wiring.EntryURL, "https://") {
				roots = trust(t, r)
			}
			rep := runVerify(t, h, r, "", roots)
			f := rep.Failed()
			if f == nil {
				t.Fatalf("verify passed; want hop %s to fail (%s)", tt.hop, tt.cause)
			}
			if f.Name != tt.hop || f.Cause != tt.cause {
				t.Fatalf("verify failed at %s (%s); want %s (%s)", f.Name, f.Cause, tt.hop, tt.cause)
			}
			all := f.Wiring + "\n" + f.Why + "\n" + f.Fix
			for _, text := range tt.text {
				if !strings.Contains(all, text) {
					t.Errorf("diagnosis lacks %q:\n%s", text, all)
				}
			}
		})
	}
}

// TestNginxResolverUsesDockerDNS: an nginx.conf that re-resolves its
// upstreams at run time (a resolver at Docker's embedded DNS and a variable
// in proxy_pass) works on the emulated host, whose DNS server answers.
// When nginx.conf already has such a resolver, the rendered setups above
// cover it too.
func TestNginxResolverUsesDockerDNS(t *testing.T) {
	needRoot(t)
	r := renderApp(t, transitApp, "nginx")
	conf, err := os.ReadFile(r.file(t, render.KindNginx, ".conf"))
	if err != nil {
		t.Fatal(err)
	}
	// The rendered file resolves every service per request, through
	// Docker's DNS: that is what this test proves works.
	if !regexp.MustCompile(`(?m)^\s*resolver 127\.0\.0\.11 `).Match(conf) || !bytes.Contains(conf, []byte("proxy_pass $")) {
		t.Fatalf("nginx.conf does not resolve services at run time through 127.0.0.11:\n%s", conf)
	}
	p := loadProject(t, r.dir)
	h := up(t, r, p)
	before := dnsQueries.Load()
	rep := runVerify(t, h, r, "", trust(t, r))
	if !rep.OK() {
		t.Fatal("verify failed with nginx resolving through Docker's DNS")
	}
	if dnsQueries.Load() == before {
		t.Error("nginx asked the embedded DNS nothing: the test does not test the resolver")
	}
}

// dnsQueries counts the queries every emulated DNS server answered.
var dnsQueries atomic.Int64

// passPrefix makes nginx pass prefix on to its upstream instead of
// stripping it, whichever way the file strips it: the URI on proxy_pass
// (`proxy_pass http://up/;`) or a rewrite.
func passPrefix(t *testing.T, path, prefix string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	loc := regexp.MustCompile(`location ` + regexp.QuoteMeta(prefix) + ` \{[^}]*\}`)
	block := loc.Find(b)
	if block == nil {
		t.Fatalf("%s: no location %s", path, prefix)
	}
	edited := regexp.MustCompile(`(proxy_pass [^;\s]+?)/;`).ReplaceAll(block, []byte("$1;"))
	edited = regexp.MustCompile(`(?m)^\s*rewrite [^;]*;\n`).ReplaceAll(edited, nil)
	if string(edited) == string(block) {
		t.Fatalf("%s: location %s strips its prefix in a way this test does not know:\n%s", path, prefix, block)
	}
	if err := os.WriteFile(path, []byte(strings.Replace(string(b), string(block), string(edited), 1)), 0o644); err != nil {
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
