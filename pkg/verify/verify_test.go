package verify_test

import (
	"context"
	"crypto/x509"
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/synctl/synctl/internal/standin"
	"github.com/synctl/synctl/pkg/verify"
)

// closedURL returns an http URL on loopback where nothing listens.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

// fakeNet is a client for the api stand-in that answers like Docker's network
// would, without any lookup or traffic: "crawler" refuses, any other
// non-loopback name does not resolve.
func fakeNet() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			host, _, _ := net.SplitHostPort(addr)
			if host == "127.0.0.1" {
				return (&net.Dialer{}).DialContext(ctx, network, addr)
			}
			if host == "crawler" {
				return nil, &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}
			}
			return nil, &net.OpError{Op: "dial", Net: "tcp", Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
		},
	}}
}

// probeLog records what the api stand-in received, to prove verify never
// sends a word that makes the real api exit.
type probeLog struct {
	mu     sync.Mutex
	bodies []string
	exited bool
}

func (p *probeLog) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			b, _ := io.ReadAll(r.Body)
			p.mu.Lock()
			p.bodies = append(p.bodies, string(b))
			p.mu.Unlock()
			r.Body = io.NopCloser(strings.NewReader(string(b)))
		}
		h.ServeHTTP(w, r)
	})
}

func (p *probeLog) api(crawlerBaseURL string) http.Handler {
	return p.wrap(standin.API(standin.APIConfig{
		CrawlerBaseURL: crawlerBaseURL,
		Client:         fakeNet(),
		Exit:           func(int) { p.mu.Lock(); p.exited = true; p.mu.Unlock() },
	}))
}

// proxy fronts web and api on one origin like the rendered nginx.conf:
// paths under prefix go to the api, the rest to web. With strip, it merges
// slashes and replaces prefix with "/" as nginx's `proxy_pass http://api:8080/;`
// does; without, it passes the path unchanged as `proxy_pass http://api:8080;`.
func proxy(prefix string, strip bool, api, web http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		for strings.Contains(p, "//") {
			p = strings.ReplaceAll(p, "//", "/")
		}
		if !strings.HasPrefix(p, prefix) {
			web.ServeHTTP(w, r)
			return
		}
		if strip {
			r.URL.Path = "/" + strings.TrimPrefix(p, prefix)
			r.URL.RawPath = ""
		}
		api.ServeHTTP(w, r)
	})
}

func crawler() http.Handler { return standin.Crawler([]string{"love"}, nil) }

type setup struct {
	chatURL string
	opts    verify.Options
}

func TestRun(t *testing.T) {
	tests := []struct {
		name     string
		build    func(t *testing.T, p *probeLog) setup
		wantHop  string // failing hop; empty when every hop passes
		wantWhy  verify.Cause
		wantText []string // substrings of the failing hop's Why/Wiring/Fix
	}{
		{
			name: "docker: three published ports, cross-origin api",
			build: func(t *testing.T, p *probeLog) setup {
				c := serve(t, crawler())
				a := serve(t, p.api(c.URL))
				w := serve(t, standin.Web(a.URL))
				return setup{chatURL: w.URL}
			},
		},
		{
			name: "nginx: relative /api/ with the prefix stripped, https",
			build: func(t *testing.T, p *probeLog) setup {
				c := serve(t, crawler())
				s := httptest.NewTLSServer(proxy("/api/", true, p.api(c.URL), standin.Web("/api/")))
				t.Cleanup(s.Close)
				pool := x509.NewCertPool()
				pool.AddCert(s.Certificate())
				return setup{chatURL: s.URL, opts: verify.Options{RootCAs: pool}}
			},
		},
		{
			name: "gke: relative /api without a trailing slash",
			build: func(t *testing.T, p *probeLog) setup {
				c := serve(t, crawler())
				return setup{chatURL: serve(t, proxy("/api/", true, p.api(c.URL), standin.Web("/api"))).URL}
			},
		},
		{
			name: "prefix not stripped",
			build: func(t *testing.T, p *probeLog) setup {
				c := serve(t, crawler())
				return setup{chatURL: serve(t, proxy("/api/", false, p.api(c.URL), standin.Web("/api/"))).URL}
			},
			wantHop:  verify.HopMessages,
			wantWhy:  verify.CausePrefixNotStripped,
			wantText: []string{`API_URL "/api/" on web`, "/api//messages", "proxy_pass http://api:8080/;", "ReplacePrefixMatch"},
		},
		{
			name: "API_URL at the user's localhost behind a proxy",
			build: func(t *testing.T, p *probeLog) setup {
				c := serve(t, crawler())
				dead := closedURL(t)
				return setup{chatURL: serve(t, proxy("/api/", true, p.api(c.URL), standin.Web(dead))).URL}
			},
			wantHop:  verify.HopMessages,
			wantWhy:  verify.CauseNothingListening,
			wantText: []string{"connection refused: nothing listens at 127.0.0.1:", "on the user's own machine", "relative api route (nginx: /api/)"},
		},
		{
			name: "API_URL unset",
			build: func(t *testing.T, p *probeLog) setup {
				return setup{chatURL: serve(t, standin.Web("")).URL}
			},
			wantHop:  verify.HopAppJS,
			wantWhy:  verify.CauseEmptyAPIURL,
			wantText: []string{"API_URL is unset on web"},
		},
		{
			name: "API_URL is web's own origin",
			build: func(t *testing.T, p *probeLog) setup {
				var web http.Handler
				s := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { web.ServeHTTP(w, r) }))
				web = standin.Web(s.URL)
				return setup{chatURL: s.URL}
			},
			wantHop:  verify.HopMessages,
			wantWhy:  verify.CauseAPINotRouted,
			wantText: []string{"on the page's own origin nothing routes /messages to the api"},
		},
		{
			name: "relative API_URL with no proxy in front",
			build: func(t *testing.T, p *probeLog) setup {
				return setup{chatURL: serve(t, standin.Web("/api")).URL}
			},
			wantHop:  verify.HopMessages,
			wantWhy:  verify.CausePrefixNotStripped,
			wantText: []string{"with its /api prefix"},
		},
		{
			name: "API_URL points at a server without /messages",
			build: func(t *testing.T, p *probeLog) setup {
				other := serve(t, standin.Web(""))
				return setup{chatURL: serve(t, standin.Web(other.URL)).URL}
			},
			wantHop:  verify.HopMessages,
			wantWhy:  verify.CauseAPINotRouted,
			wantText: []string{"is not the SynergyChat api"},
		},
		{
			name: "crawler worker not configured",
			build: func(t *testing.T, p *probeLog) setup {
				a := serve(t, p.api(""))
				return setup{chatURL: serve(t, standin.Web(a.URL)).URL}
			},
			wantHop:  verify.HopStats,
			wantWhy:  verify.CauseCrawlerUnset,
			wantText: []string{"CRAWLER_BASE_URL is unset on the api", "http://crawler:8080"},
		},
		{
			name: "CRAWLER_BASE_URL at localhost",
			build: func(t *testing.T, p *probeLog) setup {
				a := serve(t, p.api(closedURL(t)))
				return setup{chatURL: serve(t, standin.Web(a.URL)).URL}
			},
			wantHop:  verify.HopStats,
			wantWhy:  verify.CauseCrawlerUnreachable,
			wantText: []string{"localhost inside the api's container is the api container itself", "CRAWLER_BASE_URL on api (it called http://127.0.0.1:"},
		},
		{
			name: "crawler name does not resolve (another network)",
			build: func(t *testing.T, p *probeLog) setup {
				a := serve(t, p.api("http://synergy-crawler:8080"))
				return setup{chatURL: serve(t, standin.Web(a.URL)).URL}
			},
			wantHop:  verify.HopStats,
			wantWhy:  verify.CauseCrawlerUnreachable,
			wantText: []string{`the name "synergy-crawler" does not resolve inside the api's container`, "same user-defined network"},
		},
		{
			name: "host.docker.internal without extra_hosts",
			build: func(t *testing.T, p *probeLog) setup {
				a := serve(t, p.api("http://host.docker.internal:8082"))
				return setup{chatURL: serve(t, standin.Web(a.URL)).URL}
			},
			wantHop:  verify.HopStats,
			wantWhy:  verify.CauseCrawlerUnreachable,
			wantText: []string{"host.docker.internal resolves only when", "host.docker.internal:host-gateway"},
		},
		{
			name: "crawler refuses",
			build: func(t *testing.T, p *probeLog) setup {
				a := serve(t, p.api("http://crawler:8080"))
				return setup{chatURL: serve(t, standin.Web(a.URL)).URL}
			},
			wantHop:  verify.HopStats,
			wantWhy:  verify.CauseCrawlerUnreachable,
			wantText: []string{"nothing listens at that address"},
		},
		{
			name: "bad gateway in front of the api",
			build: func(t *testing.T, p *probeLog) setup {
				dead, _ := url.Parse(closedURL(t))
				rp := httputil.NewSingleHostReverseProxy(dead)
				rp.ErrorLog = nil
				rp.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) { w.WriteHeader(http.StatusBadGateway) }
				return setup{chatURL: serve(t, proxy("/api/", true, rp, standin.Web("/api/"))).URL}
			},
			wantHop:  verify.HopMessages,
			wantWhy:  verify.CauseUpstreamDown,
			wantText: []string{"answered 502 Bad Gateway: the api upstream is down or failing its health check"},
		},
		{
			name: "no healthy upstream",
			build: func(t *testing.T, p *probeLog) setup {
				lb := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.WriteHeader(http.StatusServiceUnavailable)
					io.WriteString(w, "no healthy upstream")
				})
				return setup{chatURL: serve(t, proxy("/api/", true, lb, standin.Web("/api"))).URL}
			},
			wantHop:  verify.HopMessages,
			wantWhy:  verify.CauseUpstreamDown,
			wantText: []string{`no healthy api backend ("no healthy upstream")`, "requestPath /healthz"},
		},
		{
			name: "api without CORS on another origin",
			build: func(t *testing.T, p *probeLog) setup {
				c := serve(t, crawler())
				api := p.api(c.URL)
				nocors := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					r.Header.Del("Origin")
					api.ServeHTTP(w, r)
				})
				a := serve(t, nocors)
				return setup{chatURL: serve(t, standin.Web(a.URL)).URL}
			},
			wantHop:  verify.HopMessages,
			wantWhy:  verify.CauseCORS,
			wantText: []string{`Access-Control-Allow-Origin ""`},
		},
		{
			name: "nothing listens at CHAT_URL",
			build: func(t *testing.T, p *probeLog) setup {
				return setup{chatURL: closedURL(t)}
			},
			wantHop:  verify.HopPage,
			wantWhy:  verify.CauseNothingListening,
			wantText: []string{"CHAT_URL http://127.0.0.1:"},
		},
		{
			name: "CHAT_URL points at the api",
			build: func(t *testing.T, p *probeLog) setup {
				return setup{chatURL: serve(t, p.api("")).URL}
			},
			wantHop: verify.HopPage,
			wantWhy: verify.CauseNotChatPage,
		},
		{
			name: "untrusted self-signed certificate",
			build: func(t *testing.T, p *probeLog) setup {
				s := httptest.NewUnstartedServer(standin.Web("/api/"))
				s.Config.ErrorLog = log.New(io.Discard, "", 0) // the rejected handshake is expected
				s.StartTLS()
				t.Cleanup(s.Close)
				return setup{chatURL: s.URL}
			},
			wantHop:  verify.HopPage,
			wantWhy:  verify.CauseTLS,
			wantText: []string{"pass --insecure"},
		},
		{
			name: "page without the apiUrl line",
			build: func(t *testing.T, p *probeLog) setup {
				return setup{chatURL: serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					io.WriteString(w, "<html><script src=\"/static/app.js\"></script></html>")
				})).URL}
			},
			wantHop:  verify.HopAppJS,
			wantWhy:  verify.CauseNoAPIURL,
			wantText: []string{"no `const apiUrl = '...';` line"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := &probeLog{}
			s := tt.build(t, p)
			rep, err := verify.Run(context.Background(), s.chatURL, s.opts)
			if err != nil {
				t.Fatal(err)
			}
			var out strings.Builder
			rep.Write(&out)
			f := rep.Failed()
			switch {
			case tt.wantHop == "" && (f != nil || !rep.OK()):
				t.Fatalf("want every hop to pass, got:\n%s", out.String())
			case tt.wantHop != "" && f == nil:
				t.Fatalf("want hop %s to fail with %s, got:\n%s", tt.wantHop, tt.wantWhy, out.String())
			case tt.wantHop != "" && (f.Name != tt.wantHop || f.Cause != tt.wantWhy):
				t.Fatalf("failed at %s (%s), want %s (%s):\n%s", f.Name, f.Cause, tt.wantHop, tt.wantWhy, out.String())
			}
			for _, s := range tt.wantText {
				if !strings.Contains(out.String(), s) {
					t.Errorf("report lacks %q:\n%s", s, out.String())
				}
			}
			if len(rep.Hops) != 4 {
				t.Errorf("report has %d hops, want 4:\n%s", len(rep.Hops), out.String())
			}
			for _, b := range p.bodies {
				if b != `{"AuthorUsername":"synctl-verify","Text":"/stats"}` {
					t.Errorf("verify posted %s, want exactly the /stats probe", b)
				}
			}
			if p.exited {
				t.Error("the api stand-in exited: verify sent a word that ends the real api")
			}
		})
	}
}

func TestRunRedirectsToHTTPS(t *testing.T) {
	c := serve(t, crawler())
	p := &probeLog{}
	tlsSrv := httptest.NewTLSServer(proxy("/api/", true, p.api(c.URL), standin.Web("/api/")))
	t.Cleanup(tlsSrv.Close)
	redirect := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, tlsSrv.URL+r.URL.RequestURI(), http.StatusMovedPermanently)
	}))
	rep, err := verify.Run(context.Background(), redirect.URL, verify.Options{Insecure: true})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep.Write(&out)
	got := strings.NewReplacer(redirect.URL, "HTTP", tlsSrv.URL, "HTTPS").Replace(out.String())
	want := `ok    page      GET HTTP: 200 OK from HTTPS/ (text/html; charset=utf-8)
ok    app.js    GET HTTPS/app.js: apiUrl "/api/" -> HTTPS/api//messages (same origin)
ok    messages  GET HTTPS/api//messages: 200 OK, 0 messages
ok    stats     POST HTTPS/api//messages /stats: 201 Created, crawler-bot: Beep boop! I have found 0 matches so far from ` + c.URL + `/stats
HTTP is wired: the page, app.js, the api and the crawler all answer as a browser needs
`
	if got != want {
		t.Errorf("report:\n%s\nwant:\n%s", got, want)
	}
}

func TestReportFailureText(t *testing.T) {
	p := &probeLog{}
	c := serve(t, crawler())
	s := serve(t, proxy("/api/", false, p.api(c.URL), standin.Web("/api/")))
	rep, err := verify.Run(context.Background(), s.URL, verify.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	rep.Write(&out)
	got := strings.ReplaceAll(out.String(), s.URL, "CHAT")
	want := `ok    page      GET CHAT: 200 OK (text/html; charset=utf-8)
ok    app.js    GET CHAT/app.js: apiUrl "/api/" -> CHAT/api//messages (same origin)
FAIL  messages  GET CHAT/api//messages: 404 Not Found
      at fault: API_URL "/api/" on web (the browser resolves it to CHAT/api/)
      cause: the api answers 404 for /api//messages: the route forwards the path with its /api prefix, but the api only serves /messages
      fix: strip the prefix in the route to the api: nginx ` + "`location /api/ { proxy_pass http://api:8080/; }`" + ` (the trailing slash strips it); Gateway API: a URLRewrite filter with ReplacePrefixMatch "/"
skip  stats     not reached: hop messages failed
CHAT is not wired: hop messages failed (prefix-not-stripped)
`
	if got != want {
		t.Errorf("report:\n%s\nwant:\n%s", got, want)
	}
}

func TestRunBadURL(t *testing.T) {
	for _, raw := range []string{"localhost:8080", "ftp://x", "/api", "http://"} {
		_, err := verify.Run(context.Background(), raw, verify.Options{})
		want := `CHAT_URL "` + raw + `": must be an absolute http or https URL, e.g. http://localhost:8080`
		if err == nil || err.Error() != want {
			t.Errorf("Run(%q) error = %v, want %s", raw, err, want)
		}
	}
}

// The stand-in's answer shapes are what verify parses; keep them honest.
func TestProbeBody(t *testing.T) {
	b, _ := json.Marshal(struct{ AuthorUsername, Text string }{verify.ProbeAuthor, "/stats"})
	if string(b) != `{"AuthorUsername":"synctl-verify","Text":"/stats"}` {
		t.Fatal(string(b))
	}
}
