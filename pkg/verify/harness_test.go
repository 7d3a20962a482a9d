package verify_test

import (
	"context"
	"crypto/x509"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/synctl/synctl/internal/standin"
	"github.com/synctl/synctl/pkg/topology"
	"github.com/synctl/synctl/pkg/verify"
)

// The harness runs an app's stand-ins on loopback, wired the way a target
// would wire them, and verifies the result: every service on its own
// origin (like the docker targets), or behind one proxy that serves the
// frontend at / and each api under a prefix (like nginx or a gateway).

// rules wires a test deployment: the harness decides every URL.
type rules struct {
	entry string
	// entries, when set, is each frontend's own URL (several frontends).
	entries  map[string]string
	browser  map[string]string
	internal map[string]string
}

func (r rules) EntryURL(fe *topology.Service) string {
	if u, ok := r.entries[fe.Name]; ok {
		return u
	}
	return r.entry
}
func (r rules) BrowserURL(to *topology.Service) string { return r.browser[to.Name] }
func (r rules) Internal(_, to *topology.Service, _ topology.Port) topology.Endpoint {
	u, err := url.Parse(r.internal[to.Name])
	if err != nil {
		panic(err)
	}
	port, _ := strconv.Atoi(u.Port())
	return topology.Endpoint{Host: u.Hostname(), Port: port}
}

// SecretRef is the secret's value itself: no compose or kubelet expands a
// reference here.
func (r rules) SecretRef(_ *topology.Service, secret string) string { return "test-" + secret }

type layout int

const (
	direct  layout = iota // every public service on its own origin
	proxied               // one origin: the frontend at /, each api under a prefix
)

// setup describes one test deployment.
type setup struct {
	layout layout
	tls    bool
	// prefix is an api's route behind the proxy; default /<service>/.
	prefix map[string]string
	// noStrip passes the prefix on to the api, as `proxy_pass http://up;`
	// (no trailing slash) does.
	noStrip bool
	// env overrides a service's env var: service -> name -> value, where
	// "{service}" stands for that service's own address.
	env map[string]map[string]string
	// faithful runs the built-in app's own stand-ins instead of the
	// generic one.
	faithful bool
	// wrap replaces a service's handler (to break it).
	wrap map[string]func(http.Handler) http.Handler
	// upstream replaces what the proxy forwards an api's prefix to.
	upstream map[string]http.Handler
	// down leaves a TCP service's port closed.
	down map[string]bool
}

// greet writes line to every connection on ln until it is closed.
func greet(ln net.Listener, line string) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		_, _ = io.WriteString(c, line)
		c.Close()
	}
}

type deployment struct {
	m     *topology.Model
	w     topology.Wiring
	opts  verify.Options
	addr  map[string]string // each service's own http://127.0.0.1:port
	proxy string
}

func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return ln
}

// closedURL is an http URL on loopback where nothing listens.
func closedURL(t *testing.T) string {
	ln := listen(t)
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func load(t *testing.T, path string) *topology.Model {
	t.Helper()
	if path == "" {
		m, err := topology.Default()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	m, err := topology.Decode(path, data)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

var (
	builtin = ""
	shop    = filepath.Join("..", "..", "testdata", "apps", "shop.yaml")
	transit = filepath.Join("..", "..", "testdata", "apps", "transit.yaml")
	voting  = filepath.Join("..", "..", "testdata", "apps", "voting.yaml")
	// apiOnly has no frontend: an api that answers through a TCP store.
	apiOnly = filepath.Join("testdata", "api-only.yaml")
)

// fakeNet is the network the stand-ins' own calls see: loopback addresses
// work; the name "unreachable" refuses, as a stopped container's address
// does; any other name does not resolve, as on a network without the
// service. No lookup or traffic leaves the machine.
func fakeNet() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(addr)
			switch {
			case net.ParseIP(host) != nil:
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			case host == "unreachable":
				return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
			}
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
		},
	}}
}

// deploy starts the app's stand-ins as s describes, each with the env the
// wiring gives it, and returns what verify needs.
func deploy(t *testing.T, m *topology.Model, s setup) *deployment {
	t.Helper()
	d := &deployment{m: m, addr: map[string]string{}}
	lns := map[string]net.Listener{}
	r := rules{browser: map[string]string{}, internal: map[string]string{}}
	for _, svc := range m.Services {
		ln := listen(t)
		lns[svc.Name] = ln
		d.addr[svc.Name] = "http://" + ln.Addr().String()
		r.internal[svc.Name] = d.addr[svc.Name]
	}
	fe := m.Frontend()
	var proxyLn net.Listener
	switch s.layout {
	case direct:
		if fe != nil {
			r.entry = d.addr[fe.Name]
		}
		r.entries = map[string]string{}
		for _, f := range m.Frontends() {
			r.entries[f.Name] = d.addr[f.Name]
		}
		for _, svc := range m.Services {
			r.browser[svc.Name] = d.addr[svc.Name]
		}
	case proxied:
		proxyLn = listen(t)
		scheme := "http"
		if s.tls {
			scheme = "https"
		}
		d.proxy = scheme + "://" + proxyLn.Addr().String()
		r.entry = d.proxy
		for _, svc := range m.Services {
			if svc.Role == topology.RoleAPI {
				r.browser[svc.Name] = prefixOf(s, svc.Name)
			}
		}
	}
	d.w = topology.Wire(m, r)
	var addrs []string
	for name, a := range d.addr {
		addrs = append(addrs, "{"+name+"}", a)
	}
	expand := strings.NewReplacer(addrs...)
	handlers := map[string]http.Handler{}
	for i := range m.Services {
		svc := &m.Services[i]
		getenv := func(k string) string {
			if v, ok := s.env[svc.Name][k]; ok {
				return expand.Replace(v)
			}
			return d.w.Link(svc.Name, k)
		}
		if !svc.HTTP() {
			// A TCP service greets on its port as its stand-in does; a
			// worker or a job listens on none.
			ln := lns[svc.Name]
			if svc.Worker() || s.down[svc.Name] {
				ln.Close()
				continue
			}
			go greet(ln, standin.Greeting(svc.Name, svc.Ports[0].Name, 1))
			t.Cleanup(func() { ln.Close() })
			continue
		}
		var h http.Handler
		if s.faithful {
			h = faithful(t, svc.Name, getenv)
		} else {
			var err error
			h, _, err = standin.App(standin.AppConfig{Model: m, Service: svc.Name, Getenv: getenv, Client: fakeNet()})
			if err != nil {
				t.Fatal(err)
			}
		}
		if wrap := s.wrap[svc.Name]; wrap != nil {
			h = wrap(h)
		}
		handlers[svc.Name] = h
		srv := &httptest.Server{Listener: lns[svc.Name], Config: &http.Server{Handler: h}}
		srv.Start()
		t.Cleanup(srv.Close)
	}
	if proxyLn != nil {
		var routes []route
		for _, svc := range m.Services {
			if svc.Role != topology.RoleAPI {
				continue
			}
			up := handlers[svc.Name]
			if u := s.upstream[svc.Name]; u != nil {
				up = u
			}
			routes = append(routes, route{prefixOf(s, svc.Name), up})
		}
		// A client that rejects the certificate is a case under test, not noise.
		quiet := log.New(io.Discard, "", 0)
		srv := &httptest.Server{Listener: proxyLn, Config: &http.Server{Handler: proxy(routes, !s.noStrip, handlers[fe.Name]), ErrorLog: quiet}}
		if s.tls {
			srv.StartTLS()
			pool := x509.NewCertPool()
			pool.AddCert(srv.Certificate())
			d.opts.RootCAs = pool
		} else {
			srv.Start()
		}
		t.Cleanup(srv.Close)
	}
	return d
}

func prefixOf(s setup, svc string) string {
	if p, ok := s.prefix[svc]; ok {
		return p
	}
	return "/" + svc + "/"
}

type route struct {
	prefix string
	to     http.Handler
}

// proxy fronts the app on one origin like the rendered nginx.conf: paths
// under a route's prefix go to its api, the rest to the frontend. With
// strip it merges slashes and replaces the prefix with "/" as nginx's
// `proxy_pass http://upstream/;` does; without, it passes the path as is.
// A prefix without a trailing slash is matched as a gateway's path prefix
// (whole segments) and rewritten to "/".
func proxy(routes []route, strip bool, frontend http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		for strings.Contains(p, "//") {
			p = strings.ReplaceAll(p, "//", "/")
		}
		for _, rt := range routes {
			bare := strings.TrimSuffix(rt.prefix, "/")
			if p != bare && !strings.HasPrefix(p, bare+"/") {
				continue
			}
			if strip {
				r.URL.Path = "/" + strings.TrimPrefix(strings.TrimPrefix(p, bare), "/")
				r.URL.RawPath = ""
			}
			rt.to.ServeHTTP(w, r)
			return
		}
		frontend.ServeHTTP(w, r)
	})
}

// faithful returns the built-in app's own stand-in for svc.
func faithful(t *testing.T, svc string, getenv func(string) string) http.Handler {
	switch svc {
	case "web":
		return standin.Web(getenv("API_URL"))
	case "api":
		return standin.API(standin.APIConfig{
			CrawlerBaseURL: getenv("CRAWLER_BASE_URL"),
			Client:         fakeNet(),
			Exit:           func(int) { t.Error("the api stand-in exited: verify sent a word that ends the real api") },
		})
	case "crawler":
		return standin.Crawler([]string{"love"}, nil)
	}
	t.Fatalf("the built-in app has no service %q", svc)
	return nil
}

// run verifies d from its wiring's entry URL.
func (d *deployment) run(t *testing.T, entry string) (*verify.Report, string) {
	t.Helper()
	rep, err := verify.Run(context.Background(), d.m, d.w, entry, d.opts)
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	if err := rep.Write(&out); err != nil {
		t.Fatal(err)
	}
	return rep, out.String()
}

// anonymize replaces the deployment's addresses with stable names.
func (d *deployment) anonymize(s string) string {
	var pairs []string
	if d.proxy != "" {
		pairs = append(pairs, d.proxy, "PROXY", strings.TrimPrefix(strings.TrimPrefix(d.proxy, "https://"), "http://"), "PROXYHOST")
	}
	for _, svc := range d.m.Services {
		a := d.addr[svc.Name]
		pairs = append(pairs, a, strings.ToUpper(svc.Name), strings.TrimPrefix(a, "http://"), strings.ToUpper(svc.Name)+"HOST")
	}
	return strings.NewReplacer(pairs...).Replace(s)
}
