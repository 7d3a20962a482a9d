package verify_test

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/synctl/synctl/pkg/topology"
	"github.com/synctl/synctl/pkg/verify"
)

// TestVerifyPasses: each app, wired as the targets wire it, passes every hop,
// with the built-in app's faithful stand-ins and with the generic one.
func TestVerifyPasses(t *testing.T) {
	for _, tt := range []struct {
		name  string
		spec  string
		setup setup
		hops  int
	}{
		{"built-in, direct, faithful", builtin, setup{layout: direct, faithful: true}, 6},
		{"built-in, proxied https, faithful", builtin, setup{layout: proxied, tls: true, faithful: true}, 6},
		{"built-in, gateway prefix without slash, faithful", builtin, setup{layout: proxied, faithful: true, prefix: map[string]string{"api": "/api"}}, 6},
		{"built-in, direct, generic", builtin, setup{layout: direct}, 6},
		{"shop, direct", shop, setup{layout: direct}, 8},
		{"shop, proxied https", shop, setup{layout: proxied, tls: true}, 8},
		{"transit, direct", transit, setup{layout: direct}, 8},
		{"transit, proxied", transit, setup{layout: proxied, prefix: map[string]string{"trips": "/t/"}}, 8},
		// Two frontends, each on its own origin, each with a check through
		// a TCP link (host + port env, a postgres URL).
		{"voting, direct", voting, setup{layout: direct}, 5},
		// No page: the api's route and its check through a host:port link.
		{"api only, direct", apiOnly, setup{layout: direct}, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			d := deploy(t, load(t, tt.spec), tt.setup)
			rep, out := d.run(t, "")
			if !rep.OK() || rep.Failed() != nil {
				t.Fatalf("want every hop to pass:\n%s", out)
			}
			if len(rep.Hops) != tt.hops {
				t.Errorf("%d hops, want %d:\n%s", len(rep.Hops), tt.hops, out)
			}
			if !strings.HasSuffix(out, " answer as a browser needs them\n") || strings.Contains(out, "note:") || strings.Contains(out, "wired: ,") {
				t.Errorf("verdict or notes wrong:\n%s", out)
			}
		})
	}
}

// TestVerifyFailures: every Cause, each at the hop that shows it.
func TestVerifyFailures(t *testing.T) {
	tiny := filepath.Join(t.TempDir(), "tiny.yaml")
	if err := os.WriteFile(tiny, []byte(tinySpec), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		spec  string
		setup setup
		entry func(t *testing.T, d *deployment) string
		opts  func(o *verify.Options)
		hop   string
		cause verify.Cause
		text  []string // in the report
	}{
		{
			name: "nothing listens at the entry URL", spec: builtin, setup: setup{layout: direct, faithful: true},
			entry: func(t *testing.T, d *deployment) string { return closedURL(t) },
			hop:   "page", cause: verify.CauseNothingListening,
			text: []string{"at fault: CHAT_URL http://127.0.0.1:", "connection refused: nothing listens at 127.0.0.1:", "skip  API_URL       not reached: hop page failed"},
		},
		{
			name: "entry host does not resolve", spec: shop, setup: setup{layout: direct},
			entry: func(t *testing.T, d *deployment) string { return "http://shop.example.test:9000" },
			opts:  func(o *verify.Options) { o.DialContext = fakeNet().Transport.(*http.Transport).DialContext },
			hop:   "page", cause: verify.CauseNoSuchHost,
			text: []string{"at fault: SHOP_URL http://shop.example.test:9000", `the name "shop.example.test" does not resolve on this machine`},
		},
		{
			name: "entry answers too late", spec: builtin, setup: setup{layout: direct, faithful: true, wrap: map[string]func(http.Handler) http.Handler{
				"web": func(http.Handler) http.Handler {
					// Hold the answer until verify gives up and hangs up.
					return http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
				}}},
			opts: func(o *verify.Options) { o.Timeout = 200 * time.Millisecond },
			hop:  "page", cause: verify.CauseTimeout,
			text: []string{"no answer from 127.0.0.1:"},
		},
		{
			name: "self-signed certificate not trusted", spec: builtin, setup: setup{layout: proxied, tls: true, faithful: true},
			opts: func(o *verify.Options) { o.RootCAs = nil },
			hop:  "page", cause: verify.CauseTLS,
			text: []string{"pass --insecure"},
		},
		{
			name: "connection dropped", spec: builtin, setup: setup{layout: direct, faithful: true, wrap: map[string]func(http.Handler) http.Handler{
				"api": func(http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						c, _, _ := w.(http.Hijacker).Hijack()
						c.Close()
					})
				}}},
			hop: "api", cause: verify.CauseNetwork,
			text: []string{"FAIL  api           GET API/healthz: EOF", "skip  api:messages  not reached: hop api failed"},
		},
		{
			name: "entry URL leads to the api", spec: builtin, setup: setup{layout: direct, faithful: true},
			entry: func(t *testing.T, d *deployment) string { return d.addr["api"] + "/healthz" },
			hop:   "page", cause: verify.CauseNotFrontend,
			text: []string{`the page is "application/json", not text/html: CHAT_URL leads to something other than web's page`},
		},
		{
			name: "entry URL answers 404", spec: transit, setup: setup{layout: direct},
			entry: func(t *testing.T, d *deployment) string { return d.addr["trips"] },
			hop:   "page", cause: verify.CauseNotFrontend,
			text: []string{"answers 404: nothing there serves portal's page", "point PORTAL_URL at portal"},
		},
		{
			name: "frontend without the exposed line", spec: builtin, setup: setup{layout: direct, faithful: true, wrap: map[string]func(http.Handler) http.Handler{
				"web": func(h http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if r.URL.Path == "/app.js" {
							io.WriteString(w, "// another app\n")
							return
						}
						h.ServeHTTP(w, r)
					})
				}}},
			hop: "API_URL", cause: verify.CauseNotExposed,
			text: []string{"has no `const apiUrl = '{url}';`, where web shows API_URL to the browser", "skip  api "},
		},
		{
			name: "exposed resource missing", spec: shop, setup: setup{layout: direct, wrap: map[string]func(http.Handler) http.Handler{
				"storefront": func(h http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if r.URL.Path == "/config.json" {
							http.NotFound(w, r)
							return
						}
						h.ServeHTTP(w, r)
					})
				}}},
			hop: "CATALOG_URL", cause: verify.CauseNotExposed,
			text: []string{"/config.json answers 404, but storefront shows CATALOG_URL to the browser there", "ok    cart "},
		},
		{
			name: "browser link empty", spec: builtin, setup: setup{layout: direct, faithful: true, env: map[string]map[string]string{"web": {"API_URL": ""}}},
			hop: "API_URL", cause: verify.CauseEmptyURL,
			text: []string{`at fault: API_URL "" on web`, "API_URL is empty on web, so the browser calls the page's own origin instead of api", `fix: set API_URL on web to "http://127.0.0.1:`},
		},
		{
			name: "browser link not a URL the browser can call", spec: transit, setup: setup{layout: direct, env: map[string]map[string]string{"portal": {"TRIPS_ENDPOINT": "ftp://trips.example/"}}},
			hop: "TRIPS_ENDPOINT", cause: verify.CauseBadURL,
			text: []string{"TRIPS_ENDPOINT resolves to ftp://trips.example/, which the browser cannot call"},
		},
		{
			name: "https page calls plain http", spec: builtin, setup: setup{layout: proxied, tls: true, faithful: true, env: map[string]map[string]string{"web": {"API_URL": "http://10.255.255.1:8081"}}},
			hop: "api", cause: verify.CauseMixedContent,
			text: []string{"browsers block this mixed content", `fix: set API_URL on web to "/api/", the model's value for this deployment; or serve api over https too`},
		},
		{
			name: "api without CORS", spec: builtin, setup: setup{layout: direct, faithful: true, wrap: map[string]func(http.Handler) http.Handler{
				"api": func(h http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { r.Header.Del("Origin"); h.ServeHTTP(w, r) })
				}}},
			hop: "api", cause: verify.CauseCORS,
			text: []string{`and its answer has Access-Control-Allow-Origin "", so the browser hides it`},
		},
		{
			name: "preflight refused", spec: tiny, setup: setup{layout: direct, wrap: map[string]func(http.Handler) http.Handler{
				"backend": func(h http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if r.Method == http.MethodOptions {
							w.WriteHeader(http.StatusMethodNotAllowed)
							return
						}
						h.ServeHTTP(w, r)
					})
				}}},
			hop: "backend:put", cause: verify.CauseCORS,
			text: []string{"the browser's CORS preflight (OPTIONS from http://127.0.0.1:", "for PUT with Content-Type application/json) got 405 Method Not Allowed"},
		},
		{
			name: "prefix not stripped", spec: transit, setup: setup{layout: proxied, noStrip: true, prefix: map[string]string{"trips": "/t/"}},
			hop: "trips", cause: verify.CausePrefixNotStripped,
			text: []string{"the route forwards the path with its /t prefix, but trips serves /status at /status", "skip  trips:departures  not reached: hop trips failed"},
		},
		{
			name: "browser link at the page's own origin", spec: builtin, setup: setup{layout: direct, faithful: true, env: map[string]map[string]string{"web": {"API_URL": "{web}"}}},
			hop: "api", cause: verify.CauseNotRouted,
			text: []string{"on the page's own origin nothing routes /healthz to api"},
		},
		{
			name: "browser link at another service", spec: shop, setup: setup{layout: direct, env: map[string]map[string]string{"storefront": {"CATALOG_URL": "{search}"}}},
			hop: "catalog", cause: verify.CauseNotRouted,
			text: []string{"the server there is not catalog (it has no /health/ready)", `fix: set CATALOG_URL on storefront to "http://127.0.0.1:`},
		},
		{
			name: "check path missing behind a working route", spec: builtin, setup: setup{layout: direct, env: map[string]map[string]string{"web": {"API_URL": "{crawler}"}}},
			hop: "api:messages", cause: verify.CauseNotRouted,
			text: []string{"answers api's health path but 404 for /messages"},
		},
		{
			name: "bad gateway in front of the api", spec: builtin, setup: setup{layout: proxied, faithful: true, upstream: map[string]http.Handler{"api": deadUpstream()}},
			hop: "api", cause: verify.CauseUpstreamDown,
			text: []string{"answered 502 Bad Gateway: the api upstream is down or failing its health check", "check that the proxy forwards to it on port 8080"},
		},
		{
			name: "no healthy upstream", spec: transit, setup: setup{layout: proxied, upstream: map[string]http.Handler{"alerts": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(http.StatusServiceUnavailable)
				io.WriteString(w, "no healthy upstream")
			})}},
			hop: "alerts", cause: verify.CauseUpstreamDown,
			text: []string{`the load balancer has no healthy alerts backend ("no healthy upstream")`, "requestPath /healthz"},
		},
		{
			name: "unexpected status", spec: tiny, setup: setup{layout: direct, wrap: map[string]func(http.Handler) http.Handler{
				"backend": func(h http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if r.Method == http.MethodPut {
							http.Error(w, "read-only", http.StatusForbidden)
							return
						}
						h.ServeHTTP(w, r)
					})
				}}},
			hop: "backend:put", cause: verify.CauseBadStatus,
			text: []string{"answered 403 Forbidden, not 204", "check backend's logs"},
		},
		{
			name: "not JSON", spec: shop, setup: setup{layout: direct, wrap: map[string]func(http.Handler) http.Handler{
				"catalog": func(h http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if r.URL.Path == "/products" {
							w.Header().Set("Access-Control-Allow-Origin", "*")
							io.WriteString(w, "<html>products</html>")
							return
						}
						h.ServeHTTP(w, r)
					})
				}}},
			hop: "catalog:products", cause: verify.CauseNotJSON,
			text: []string{"the answer to GET /products is not JSON"},
		},
		{
			name: "body mismatch", spec: tiny, setup: setup{layout: proxied, wrap: map[string]func(http.Handler) http.Handler{
				"backend": func(h http.Handler) http.Handler {
					return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
						if r.URL.Path == "/hello" {
							io.WriteString(w, "bye")
							return
						}
						h.ServeHTTP(w, r)
					})
				}}},
			hop: "backend:hello", cause: verify.CauseBodyMismatch,
			text: []string{`the answer lacks "hello": backend answered "bye"`},
		},
		{
			name: "via link at localhost", spec: builtin, setup: setup{layout: direct, faithful: true, env: map[string]map[string]string{"api": {"CRAWLER_BASE_URL": "http://localhost:8080"}}},
			hop: "api:stats", cause: verify.CauseLinkUnreachable,
			text: []string{"localhost inside api's container is api itself"},
		},
		{
			name: "via link host does not resolve", spec: transit, setup: setup{layout: direct, env: map[string]map[string]string{"trips": {"FARES_ADDR": "http://fares-old:6060"}}},
			hop: "trips:fare", cause: verify.CauseLinkUnreachable,
			text: []string{`the name "fares-old" does not resolve inside trips's container`, "at fault: FARES_ADDR on trips (http://127.0.0.1:", "trips called http://fares-old:6060/ping)"},
		},
		{
			name: "via link on the host without extra_hosts", spec: shop, setup: setup{layout: direct, env: map[string]map[string]string{"catalog": {"PRICING_BASE_URL": "http://host.docker.internal:9004"}}},
			hop: "catalog:quote", cause: verify.CauseLinkUnreachable,
			// Two services set PRICING_BASE_URL: "on catalog" tells them apart.
			text: []string{"at fault: PRICING_BASE_URL on catalog (", "host.docker.internal resolves only when the container is given it as an extra host", "extra_hosts"},
		},
		{
			name: "via link refused", spec: transit, setup: setup{layout: direct, env: map[string]map[string]string{"trips": {"FARES_ADDR": "http://unreachable:6060"}}},
			hop: "trips:fare", cause: verify.CauseLinkUnreachable,
			text: []string{"nothing listens there: fares is down", "start fares (it listens on port 6060)"},
		},
		{
			name: "via link unset", spec: builtin, setup: setup{layout: direct, faithful: true, env: map[string]map[string]string{"api": {"CRAWLER_BASE_URL": ""}}},
			hop: "api:stats", cause: verify.CauseLinkFailed,
			text: []string{`the answer lacks "Beep boop!" after the item verify sent`, "Crawler worker not configured"},
		},
	}
	covered := map[verify.Cause]bool{}
	for _, tt := range tests {
		covered[tt.cause] = true
	}
	for _, c := range declaredCauses(t) {
		if !covered[c] {
			t.Errorf("no case fails with cause %s: add one that reaches it", c)
		}
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := deploy(t, load(t, tt.spec), tt.setup)
			if tt.opts != nil {
				tt.opts(&d.opts)
			}
			entry := ""
			if tt.entry != nil {
				entry = tt.entry(t, d)
			}
			rep, raw := d.run(t, entry)
			out := d.anonymize(raw)
			f := rep.Failed()
			switch {
			case f == nil:
				t.Fatalf("verify passed; want hop %s to fail (%s):\n%s", tt.hop, tt.cause, out)
			case f.Name != tt.hop || f.Cause != tt.cause:
				t.Fatalf("failed at %s (%s), want %s (%s):\n%s", f.Name, f.Cause, tt.hop, tt.cause, out)
			}
			for _, s := range tt.text {
				if !strings.Contains(out, s) && !strings.Contains(raw, s) {
					t.Errorf("report lacks %q:\n%s", s, out)
				}
			}
			if f.Wiring == "" || f.Why == "" || f.Fix == "" {
				t.Errorf("hop %s lacks at fault, cause or fix:\n%s", f.Name, out)
			}
			if rep.OK() || !strings.Contains(out, " is not wired: hop") {
				t.Errorf("verdict:\n%s", out)
			}
		})
	}
}

// declaredCauses lists the Cause constants verify.go declares, so that a
// new cause without a case here fails the test.
func declaredCauses(t *testing.T) []verify.Cause {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "verify.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var out []verify.Cause
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "Cause" {
				continue
			}
			for _, v := range vs.Values {
				lit := v.(*ast.BasicLit)
				s, _ := strconv.Unquote(lit.Value)
				out = append(out, verify.Cause(s))
			}
		}
	}
	if len(out) < 10 {
		t.Fatalf("found only %d Cause constants in verify.go: %v", len(out), out)
	}
	return out
}

// tinySpec has what the bundled apps lack: a check without via that looks
// for text, and a PUT, which needs a CORS preflight across origins.
const tinySpec = `apiVersion: synctl.dev/v1alpha1
kind: App
metadata: {name: tiny}
spec:
  entryURLName: TINY_URL
  services:
    - name: site
      role: frontend
      image: example.test/site:1
      port: 8000
      links:
        - {env: BACKEND, service: backend, resolvedBy: browser}
    - name: backend
      role: api
      image: example.test/backend:1
      port: 8001
      healthPath: /up
      checks:
        - {name: hello, path: /hello, contains: hello}
        - {name: put, method: PUT, path: /thing, body: '{"a":1}', status: 204}
`

// deadUpstream is a reverse proxy to an address where nothing listens:
// nginx's answer when the upstream container is down.
func deadUpstream() http.Handler {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead, _ := url.Parse("http://" + ln.Addr().String())
	ln.Close()
	rp := httputil.NewSingleHostReverseProxy(dead)
	rp.ErrorLog = log.New(io.Discard, "", 0)
	return rp
}

// TestVerifyReportText pins the whole report for a passing run and for failures
// whose diagnosis matters most.
func TestVerifyReportText(t *testing.T) {
	t.Run("built-in behind a proxy", func(t *testing.T) {
		d := deploy(t, load(t, builtin), setup{layout: proxied, tls: true, faithful: true})
		_, raw := d.run(t, "")
		want := `ok    page          GET PROXY: 200 OK (text/html; charset=utf-8)
ok    API_URL       GET PROXY/app.js: "/api/" -> PROXY/api/ (same origin)
ok    web           GET PROXY/: 200 OK
ok    api           GET PROXY/api/healthz: 200 OK
ok    api:messages  GET PROXY/api/messages: 200 OK, JSON
ok    api:stats     POST PROXY/api/messages: 201 Created, has "Beep boop!" (api used CRAWLER_BASE_URL)
CHAT_URL PROXY is wired: the page, 1 browser URL, 2 public services and 2 checks answer as a browser needs them
`
		if got := d.anonymize(raw); got != want {
			t.Errorf("report:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("shop across origins", func(t *testing.T) {
		d := deploy(t, load(t, shop), setup{layout: direct})
		_, raw := d.run(t, "")
		want := `ok    page              GET STOREFRONT: 200 OK (text/html; charset=utf-8)
ok    CATALOG_URL       GET STOREFRONT/config.json: "CATALOG" -> CATALOG (cross-origin: needs CORS)
ok    CART_URL          "CART", the model's value (storefront does not expose it) -> CART (cross-origin: needs CORS)
ok    storefront        GET STOREFRONT/: 200 OK
ok    catalog           GET CATALOG/health/ready: 200 OK, CORS allows STOREFRONT
ok    catalog:products  GET CATALOG/products: 200 OK, CORS allows STOREFRONT, JSON
ok    catalog:quote     GET CATALOG/quote: 200 OK, CORS allows STOREFRONT, has "price" (catalog used PRICING_BASE_URL)
ok    cart              GET CART/livez: 200 OK, CORS allows STOREFRONT
SHOP_URL STOREFRONT is wired: the page, 2 browser URLs, 3 public services and 2 checks answer as a browser needs them
`
		if got := d.anonymize(raw); got != want {
			t.Errorf("report:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("prefix not stripped", func(t *testing.T) {
		d := deploy(t, load(t, builtin), setup{layout: proxied, noStrip: true, faithful: true})
		_, raw := d.run(t, "")
		want := `ok    page          GET PROXY: 200 OK (text/html; charset=utf-8)
ok    API_URL       GET PROXY/app.js: "/api/" -> PROXY/api/ (same origin)
ok    web           GET PROXY/: 200 OK
FAIL  api           GET PROXY/api/healthz: 404 Not Found
      at fault: API_URL "/api/" on web (PROXY/api/)
      cause: PROXYHOST answers 404 for /api/healthz: the route forwards the path with its /api prefix, but api serves /healthz at /healthz
      fix: strip the prefix in the route to api, so that /api/healthz reaches it as /healthz: nginx ` + "`location /api/ { proxy_pass http://UPSTREAM/; }`" + ` (the trailing / strips it); Gateway API: a URLRewrite filter with ReplacePrefixMatch "/"
skip  api:messages  not reached: hop api failed
skip  api:stats     not reached: hop api failed
CHAT_URL PROXY is not wired: hop api failed (prefix-not-stripped)
`
		if got := d.anonymize(raw); got != want {
			t.Errorf("report:\n%s\nwant:\n%s", got, want)
		}
	})
	t.Run("via link does not resolve", func(t *testing.T) {
		d := deploy(t, load(t, transit), setup{layout: direct, env: map[string]map[string]string{"trips": {"FARES_ADDR": "http://fares:6060"}}})
		_, raw := d.run(t, "")
		want := `FAIL  trips:fare        POST TRIPS/v2/quote: 502 Bad Gateway
      at fault: FARES_ADDR on trips (FARES in the model; trips called http://fares:6060/ping)
      cause: status 502, not 200: trips answers this check through FARES_ADDR, and answered "trips: check fare: calling FARES_ADDR: Get \"http://fares:6060/ping\": dial tcp: lookup fares: no such host" — the name "fares" does not resolve inside trips's container: trips and fares share no network with name resolution (Docker's default bridge has none), or fares runs under another name
      fix: set FARES_ADDR on trips to FARES, how trips reaches fares in this deployment; or put trips and fares on one user-defined network (compose: the same ` + "`networks:`" + ` entry)
`
		got := d.anonymize(raw)
		if !strings.Contains(got, want) {
			t.Errorf("report:\n%s\nwant it to hold:\n%s", got, want)
		}
		if !strings.HasSuffix(got, "PORTAL_URL PORTAL is not wired: hop trips:fare failed (link-unreachable)\n") {
			t.Errorf("verdict:\n%s", got)
		}
	})
	t.Run("independent hops still run", func(t *testing.T) {
		d := deploy(t, load(t, shop), setup{layout: direct,
			env: map[string]map[string]string{"catalog": {"PRICING_BASE_URL": ""}},
			wrap: map[string]func(http.Handler) http.Handler{"cart": func(http.Handler) http.Handler {
				return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusInternalServerError) })
			}}})
		rep, raw := d.run(t, "")
		var got []string
		for _, h := range rep.Hops {
			got = append(got, string(h.Status)+" "+h.Name+" "+string(h.Cause))
		}
		want := []string{"ok page ", "ok CATALOG_URL ", "ok CART_URL ", "ok storefront ", "ok catalog ", "ok catalog:products ", "FAIL catalog:quote link-failed", "FAIL cart unexpected-status"}
		if !slices.Equal(got, want) {
			t.Errorf("hops %q, want %q:\n%s", got, want, raw)
		}
		if !strings.HasSuffix(raw, "is not wired: hops catalog:quote (link-failed), cart (unexpected-status) failed\n") {
			t.Errorf("verdict:\n%s", raw)
		}
	})
}

// TestVerifyDriftIsANote: a frontend that serves another URL than the model's is
// followed, as the browser follows it, and reported; it fails only when the
// served URL does not work, and then the fix is the model's value.
func TestVerifyDriftIsANote(t *testing.T) {
	m := load(t, builtin)
	// The proxy's api route is /api/, but web hands the browser the api's
	// own address: it works, with CORS.
	d := deploy(t, m, setup{layout: proxied, faithful: true})
	d2 := deploy(t, m, setup{layout: proxied, faithful: true, env: map[string]map[string]string{"web": {"API_URL": d.addr["api"]}}})
	rep, raw := d2.run(t, "")
	if !rep.OK() {
		t.Fatalf("want a pass with a note:\n%s", raw)
	}
	h := rep.Hop("API_URL")
	want := `web serves API_URL "` + d.addr["api"] + `", but the model wires "/api/" for this deployment; verify follows the served value, as the browser does (render and deploy again if the difference is not intended)`
	if h == nil || h.Note != want {
		t.Errorf("note %q, want %q:\n%s", h.Note, want, raw)
	}
	// Served at the user's localhost where nothing listens: the route
	// fails, and the fix names the model's value first.
	dead := closedURL(t)
	d3 := deploy(t, m, setup{layout: proxied, faithful: true, env: map[string]map[string]string{"web": {"API_URL": dead}}})
	rep, raw = d3.run(t, "")
	f := rep.Failed()
	if f == nil || f.Name != "api" || f.Cause != verify.CauseNothingListening {
		t.Fatalf("want api to fail with nothing-listening:\n%s", raw)
	}
	wantFix := `set API_URL on web to "/api/", the model's value for this deployment; or API_URL on web points at ` + strings.TrimPrefix(dead, "http://") + ` on the user's own machine, where nothing publishes api (its host port is 8081)`
	if f.Fix != wantFix {
		t.Errorf("fix:\n%s\nwant:\n%s", f.Fix, wantFix)
	}
}

// TestVerifyRedirectsToHTTPS: the entry URL given on the command line wins
// over the wiring's, redirects are followed, and relative routes resolve
// against the page's final URL.
func TestVerifyRedirectsToHTTPS(t *testing.T) {
	d := deploy(t, load(t, builtin), setup{layout: proxied, tls: true, faithful: true})
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, d.proxy+r.URL.RequestURI(), http.StatusMovedPermanently)
	}))
	t.Cleanup(redirect.Close)
	rep, raw := d.run(t, redirect.URL)
	if !rep.OK() {
		t.Fatalf("want a pass:\n%s", raw)
	}
	out := strings.ReplaceAll(d.anonymize(raw), redirect.URL, "HTTP")
	for _, want := range []string{"ok    page          GET HTTP: 200 OK from PROXY/ (text/html; charset=utf-8)\n", "ok    api           GET PROXY/api/healthz: 200 OK\n", "CHAT_URL HTTP is wired"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestVerifyBadEntryURL(t *testing.T) {
	m := load(t, shop)
	w := topology.Wire(m, rules{entry: "http://<CLUSTER_PUBLIC_IP>/"})
	for _, raw := range []string{"localhost:8080", "ftp://x", "/api", "http://"} {
		_, err := verify.Run(context.Background(), m, w, raw, verify.Options{})
		want := `SHOP_URL "` + raw + `": must be an absolute http or https URL, e.g. http://localhost:8080 or https://203.0.113.10/`
		if err == nil || err.Error() != want {
			t.Errorf("Run(%q) error = %v, want %s", raw, err, want)
		}
	}
	// Without an entry URL, the wiring's: here a placeholder.
	_, err := verify.Run(context.Background(), m, w, "", verify.Options{})
	want := `SHOP_URL "http://<CLUSTER_PUBLIC_IP>/": <CLUSTER_PUBLIC_IP> is a placeholder, not an address: give the deployment's real address`
	if err == nil || err.Error() != want {
		t.Errorf("Run with a placeholder entry URL: error = %v, want %s", err, want)
	}
}

// TestVerifyNoAppLiteralsInCode: nothing verify checks is written in its code.
// Every name, path and text of the built-in app (but the role names, which
// are the model's own words) must be absent from its non-test sources.
func TestVerifyNoAppLiteralsInCode(t *testing.T) {
	m := load(t, builtin)
	lits := []string{m.Name, m.EntryURLName}
	for _, s := range m.Services {
		if s.Name != string(s.Role) {
			lits = append(lits, s.Name)
		}
		for _, l := range s.Links {
			lits = append(lits, l.Env)
			if e := l.ExposedAt; e != nil {
				lits = append(lits, e.Path, strings.Split(e.Text, topology.URLMarker)[0])
			}
		}
		for _, c := range s.Checks {
			lits = append(lits, c.Name, c.Path, c.Body, c.Contains)
		}
	}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, lit := range lits {
			if lit == "" {
				continue
			}
			re := regexp.MustCompile(`(?i)(^|[^A-Za-z0-9_])` + regexp.QuoteMeta(lit) + `($|[^A-Za-z0-9_])`)
			if loc := re.FindIndex(src); loc != nil {
				line := strings.Count(string(src[:loc[0]]), "\n") + 1
				t.Errorf("%s:%d names %q, from the built-in app's spec; take it from the model", f, line, lit)
			}
		}
	}
	if checked < 3 {
		t.Fatalf("checked %d source files; the glob found %v", checked, files)
	}
}

// TestVerifyViaHangs: a check that gets no answer in time, while the
// service answers its health check on the same route, blames the link the
// service answers that check through (it is waiting on it), not the
// browser's route.
func TestVerifyViaHangs(t *testing.T) {
	m := load(t, transit)
	release := make(chan struct{})
	d := deploy(t, m, setup{layout: direct, wrap: map[string]func(http.Handler) http.Handler{
		"trips": func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/v2/quote" && r.Method == http.MethodPost {
					select { // as trips would, waiting on a fares that never answers
					case <-release:
					case <-r.Context().Done():
					}
					return
				}
				h.ServeHTTP(w, r)
			})
		},
	}})
	// Cleanups run last first: the waiting handler is let go before the
	// servers close, which waits for it.
	t.Cleanup(func() { close(release) })
	d.opts.Timeout = 300 * time.Millisecond
	rep, out := d.run(t, "")
	f := rep.Failed()
	if f == nil || f.Name != "trips:fare" || f.Cause != verify.CauseLinkUnreachable {
		t.Fatalf("want trips:fare to fail with %s:\n%s", verify.CauseLinkUnreachable, out)
	}
	for _, want := range []string{"at fault: FARES_ADDR on trips (", "trips answers its health check but not this check within 300ms", "start fares"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

// TestVerifyTwoFrontendsAndTCPLinks: the voting app's second frontend is a
// page of its own (no Origin, no CORS), and a check through a TCP link
// blames that link, spelled in its form, when the linked service is down
// or the link leads elsewhere.
func TestVerifyTwoFrontendsAndTCPLinks(t *testing.T) {
	t.Run("result is a page of its own", func(t *testing.T) {
		noCORS := func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Origin") != "" {
					http.Error(w, "result got an Origin header: it is its own page", http.StatusBadRequest)
					return
				}
				h.ServeHTTP(w, r)
			})
		}
		d := deploy(t, load(t, voting), setup{layout: direct, wrap: map[string]func(http.Handler) http.Handler{"result": noCORS}})
		rep, out := d.run(t, "")
		if !rep.OK() {
			t.Fatalf("want every hop to pass:\n%s", out)
		}
		if h := rep.Hop("result"); h == nil || strings.Contains(h.Detail, "CORS") {
			t.Errorf("result's hop should be a page load without CORS:\n%s", out)
		}
	})
	t.Run("db down", func(t *testing.T) {
		d := deploy(t, load(t, voting), setup{layout: direct, down: map[string]bool{"db": true}})
		rep, out := d.run(t, "")
		f := rep.Hop("result:socket")
		if f == nil || f.Status != verify.Fail || f.Cause != verify.CauseLinkUnreachable || !strings.HasPrefix(f.Wiring, "DATABASE_URL on result") {
			t.Fatalf("want result:socket to fail on DATABASE_URL, link-unreachable:\n%s", out)
		}
		if h := rep.Hop("vote:vote"); h == nil || h.Status != verify.Pass {
			t.Errorf("vote's check does not use db and should pass:\n%s", out)
		}
	})
	t.Run("REDIS_PORT wrong", func(t *testing.T) {
		d := deploy(t, load(t, voting), setup{layout: direct, env: map[string]map[string]string{"vote": {"REDIS_PORT": "1"}}})
		rep, out := d.run(t, "")
		f := rep.Hop("vote:vote")
		if f == nil || f.Status != verify.Fail || !strings.Contains(f.Wiring, "REDIS_HOST on vote") || !strings.Contains(f.Wiring, "REDIS_PORT=") || !strings.Contains(f.Wiring, "vote called tcp://127.0.0.1:1") {
			t.Fatalf("want vote:vote to fail naming REDIS_HOST with its port and the address vote called:\n%s", out)
		}
	})
}
