// Package verify walks a running deployment of any app the way a browser
// does and says which URL of the wiring breaks, why, and how to fix it.
//
// What it checks comes from the app's model and the target's wiring, never
// from code that knows one app. The hops, in order:
//
//   - page: GET the entry URL (redirects followed); the frontend must answer
//     200 with an HTML page.
//   - one hop per link the browser resolves, named by its env var: where
//     the spec says the service exposes it (exposedAt), verify reads the
//     value the deployment really serves from that resource and resolves
//     it against the page's URL exactly as a browser resolves a relative
//     URL; otherwise it takes the model's value.
//   - one hop per public service, named by the service: GET its route plus
//     its health path, with the page's Origin when the route is on another
//     origin (CORS must then allow the page), and never plain http from an
//     https page (mixed content).
//   - one hop per declared check of a public service ("service:check"),
//     sent through that service's route as the browser would send it.
//
// A hop that depends on a failed one is skipped with the reason; the others
// still run, so one report shows every broken route. A failing hop names
// the wiring URL at fault by its name in the model (the entry URL's name, a
// link's env var), the likely cause and the fix, in the model's own names,
// ports and URLs.
//
// A served link value that differs from the model's is reported as a note,
// not a failure: the deployment may have been rendered with other values on
// purpose. verify follows the served value, as the browser does, so when
// the difference breaks something the failing hop says so and quotes the
// model's value as the fix.
package verify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/synctl/synctl/pkg/topology"
)

// DefaultTimeout bounds each request when Options.Timeout is zero.
const DefaultTimeout = 10 * time.Second

// Status is the outcome of one hop.
type Status string

// Hop outcomes.
const (
	Pass Status = "ok"
	Fail Status = "FAIL"
	Skip Status = "skip"
)

// Kind says what a hop checks.
type Kind string

// Kinds of hops, in the order Run walks them.
const (
	KindPage  Kind = "page"
	KindLink  Kind = "link"
	KindRoute Kind = "route"
	KindCheck Kind = "check"
)

// HopPage is the name of the first hop.
const HopPage = "page"

// Cause classifies a failed hop, so that callers and tests can tell
// diagnoses apart without matching prose. The values are stable.
type Cause string

// Causes of a failed hop.
const (
	// No HTTP answer.
	CauseNothingListening Cause = "nothing-listening"
	CauseNoSuchHost       Cause = "no-such-host"
	CauseTimeout          Cause = "timeout"
	CauseTLS              Cause = "tls"
	CauseNetwork          Cause = "network"
	// The entry URL does not lead to the frontend's page.
	CauseNotFrontend Cause = "not-frontend"
	// The resource where the spec says the URL is exposed lacks it.
	CauseNotExposed Cause = "not-exposed"
	// The served URL is empty, or not one a browser can call.
	CauseEmptyURL Cause = "empty-url"
	CauseBadURL   Cause = "bad-url"
	// The browser refuses the call.
	CauseMixedContent Cause = "mixed-content"
	CauseCORS         Cause = "cors"
	// The route does not lead to the service.
	CausePrefixNotStripped Cause = "prefix-not-stripped"
	CauseNotRouted         Cause = "not-routed"
	// A proxy or load balancer has no working upstream.
	CauseUpstreamDown Cause = "upstream-down"
	// The service answered, but not as the check expects.
	CauseBadStatus    Cause = "unexpected-status"
	CauseNotJSON      Cause = "not-json"
	CauseBodyMismatch Cause = "body-mismatch"
	// A check's via link: the service could not reach the linked service,
	// or answered wrongly after using it.
	CauseLinkUnreachable Cause = "link-unreachable"
	CauseLinkFailed      Cause = "link-failed"
)

// Hop is the result of one step of the browser's path.
type Hop struct {
	// Name is what the report prints: "page", a browser link's env var,
	// a public service's name, or "service:check".
	Name string
	Kind Kind
	// Service is the service the hop reaches: the frontend for the page,
	// the link's owner for a link hop.
	Service string
	Status  Status
	// Detail is the one-line account: the request and what came back.
	Detail string
	// Note, on a passing hop, is worth knowing but is no failure (the
	// served URL differs from the model's).
	Note string
	// The rest is set only on failure.
	Cause Cause
	// Wiring names the wiring URL at fault by its name in the model and
	// its value: `NAME "value" on service (resolved URL)` for a browser
	// link, `NAME value` for the entry URL, `NAME on service (value)` for
	// a service link.
	Wiring string
	// Why explains the cause; Fix says what to change.
	Why string
	Fix string
}

// Report is the walk over every hop of one deployment.
type Report struct {
	// EntryURLName is the model's name for the entry URL (entryURLName).
	EntryURLName string
	// EntryURL is the URL the walk started from.
	EntryURL string
	Hops     []Hop
	// Forwarded is set when the services were reached through
	// Options.Forward: the routes were not walked.
	Forwarded bool
}

// OK reports whether every hop passed.
func (r *Report) OK() bool {
	for _, h := range r.Hops {
		if h.Status != Pass {
			return false
		}
	}
	return len(r.Hops) > 0
}

// Failed returns the first failing hop, or nil when none failed.
func (r *Report) Failed() *Hop {
	for i := range r.Hops {
		if r.Hops[i].Status == Fail {
			return &r.Hops[i]
		}
	}
	return nil
}

// Failures returns every failing hop, in walk order.
func (r *Report) Failures() []Hop {
	var out []Hop
	for _, h := range r.Hops {
		if h.Status == Fail {
			out = append(out, h)
		}
	}
	return out
}

// Hop returns the hop called name, or nil.
func (r *Report) Hop(name string) *Hop {
	for i := range r.Hops {
		if r.Hops[i].Name == name {
			return &r.Hops[i]
		}
	}
	return nil
}

// Options tune how Run talks to the deployment.
type Options struct {
	// Insecure skips TLS certificate verification (self-signed certificates).
	Insecure bool
	// RootCAs, when set, replaces the system roots (tests trust a bundle's
	// certificate).
	RootCAs *x509.CertPool
	// Timeout bounds each request; zero means DefaultTimeout.
	Timeout time.Duration
	// DialContext, when set, opens every connection (tests dial inside a
	// network namespace). Nil means a plain net.Dialer.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// Forward, when set, reaches each public service at an address of its
	// own (service name to HOST:PORT, such as a `kubectl port-forward` to
	// its Service) instead of through its route: a request for the
	// service's route goes there with the route's path prefix removed.
	// Every public service needs one. The routes themselves (Gateway,
	// Ingress, proxy) are then not checked; the report says so.
	Forward map[string]string
}

// ParseEntryURL checks that raw is an absolute http or https URL; name is
// the model's name for the entry URL, for the message.
func ParseEntryURL(name, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		if IsPlaceholder(u.Hostname()) {
			return nil, fmt.Errorf("%s %q: %s is a placeholder, not an address: give the deployment's real address", name, raw, u.Hostname())
		}
		return u, nil
	}
	return nil, fmt.Errorf("%s %q: must be an absolute http or https URL, e.g. http://localhost:8080 or https://203.0.113.10/", name, raw)
}

// IsPlaceholder reports whether host stands for an address the wiring does
// not know yet, such as "<CLUSTER_PUBLIC_IP>": no host name or address
// holds '<' or '>'.
func IsPlaceholder(host string) bool { return strings.ContainsAny(host, "<>") }

// Run walks the browser's path through the deployment of m wired as w,
// starting from entryURL, or from w.EntryURL when entryURL is empty (pass
// the real address where the wiring holds a placeholder). The error is
// non-nil only when the entry URL is not an absolute http(s) URL; a
// deployment fault is a failed hop in the report.
func Run(ctx context.Context, m *topology.Model, w topology.Wiring, entryURL string, opts Options) (*Report, error) {
	if entryURL == "" {
		entryURL = w.EntryURL
	}
	var u *url.URL
	if m.Frontend() != nil || entryURL != "" {
		// An app with no frontend has no page to load: verify starts from
		// its public services, and entryURL, when given, is the address
		// their relative routes (behind a proxy) resolve against.
		var err error
		if u, err = ParseEntryURL(m.EntryURLName, entryURL); err != nil {
			return nil, err
		}
	}
	wk := newWalker(m, w, u, opts)
	if len(opts.Forward) > 0 {
		f, err := newForwarder(m, w, u, opts.Forward, wk.client.Transport)
		if err != nil {
			return nil, err
		}
		wk.client.Transport = f
	}
	wk.run(ctx)
	return &Report{EntryURLName: m.EntryURLName, EntryURL: entryURL, Hops: wk.hops, Forwarded: len(opts.Forward) > 0}, nil
}

func newClient(opts Options) *http.Client {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	dial := opts.DialContext
	if dial == nil {
		dial = localhostDialer(&net.Dialer{Timeout: timeout})
	}
	tr := &http.Transport{
		DialContext:         dial,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: opts.Insecure, RootCAs: opts.RootCAs},
		TLSHandshakeTimeout: timeout,
		// Every hop opens its own connection, as a fresh browser tab
		// would, so that one hop's connection never hides another's fault.
		DisableKeepAlives: true,
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

// localhostDialer dials names under .localhost on loopback, as browsers do
// (RFC 6761 reserves them for it), whatever the system resolver says: a
// deployment that serves a second frontend at result.localhost works in the
// browser, and verify must reach it as the browser does.
func localhostDialer(d *net.Dialer) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, err := net.SplitHostPort(addr)
		if err != nil || !strings.HasSuffix(strings.TrimSuffix(strings.ToLower(host), "."), ".localhost") {
			return d.DialContext(ctx, network, addr)
		}
		c, err := d.DialContext(ctx, "tcp4", net.JoinHostPort("127.0.0.1", port))
		if err != nil {
			if c6, err6 := d.DialContext(ctx, "tcp6", net.JoinHostPort("::1", port)); err6 == nil {
				return c6, nil
			}
		}
		return c, err
	}
}
