package verify

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/synctl/synctl/pkg/target/platform"
	"github.com/synctl/synctl/pkg/topology"
)

// hostGateway is the name Docker gives the host inside a container, where
// the container is given it as an extra host: a service link that loops
// back through the host's published ports uses it.
const hostGateway = platform.HostGateway

func fail(h Hop, c Cause, wiring, why, fix string) Hop {
	h.Status = Fail
	h.Cause = c
	h.Wiring = wiring
	h.Why = why
	h.Fix = fix
	return h
}

// fixes joins alternative fixes, the first the most likely.
func fixes(fs ...string) string {
	var out []string
	for _, f := range fs {
		if f != "" {
			out = append(out, f)
		}
	}
	return strings.Join(out, "; or ")
}

// netFailure diagnoses a request to u that got no HTTP answer.
func (wk *walker) netFailure(h Hop, err error, u *url.URL, wiring, fix string) Hop {
	h.Detail += ": " + shortErr(err)
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return fail(h, CauseTLS, wiring,
			fmt.Sprintf("the certificate of %s is not trusted: %v", u.Host, shortErr(err)),
			"for a self-signed certificate (such as the one a bundle makes) pass --insecure or trust that certificate; otherwise serve a certificate valid for "+u.Hostname())
	case errors.As(err, &dnsErr):
		return fail(h, CauseNoSuchHost, wiring,
			fmt.Sprintf("the name %q does not resolve on this machine", u.Hostname()),
			fmt.Sprintf("add %s to /etc/hosts, pointing at the gateway, tunnel or proxy that serves it (127.0.0.1 for a local cluster's tunnel), or use an address that resolves", u.Hostname()))
	case isRefused(err):
		return fail(h, CauseNothingListening, wiring,
			fmt.Sprintf("connection refused: nothing listens at %s", hostPort(u)), fix)
	case isTimeout(err):
		return fail(h, CauseTimeout, wiring,
			fmt.Sprintf("no answer from %s in time: the address is wrong, the service hangs, or a firewall drops the traffic", hostPort(u)), fix)
	}
	return fail(h, CauseNetwork, wiring, shortErr(err), fix)
}

// routeNetFix is the fix when nothing answers on a service's route.
func (wk *walker) routeNetFix(r *reach, u *url.URL) string {
	svc := r.svc
	var own string
	switch port := portOf(u); {
	case !isLoopback(u.Hostname()):
		own = fmt.Sprintf("start %s and the proxy or gateway in front of it at %s", svc.Name, hostPort(u))
	case port == strconv.Itoa(svc.HostPort):
		own = fmt.Sprintf("start %s with its port published on this machine (compose: ports \"%d:%d\")", svc.Name, svc.HostPort, svc.Port)
	default:
		if other := wk.hostPortOwner(port); other != nil && other != svc {
			own = fmt.Sprintf("port %s on this machine is %s's, not %s's: %s publishes %d", port, other.Name, svc.Name, svc.Name, svc.HostPort)
		} else {
			own = fmt.Sprintf("%s points at %s on the user's own machine, where nothing publishes %s (its host port is %d)", routeName(r), u.Host, svc.Name, svc.HostPort)
		}
	}
	return fixes(r.modelFix(), own)
}

// hostPortOwner returns the service that publishes port on the host.
func (wk *walker) hostPortOwner(port string) *topology.Service {
	for i := range wk.m.Services {
		if strconv.Itoa(wk.m.Services[i].HostPort) == port {
			return &wk.m.Services[i]
		}
	}
	return nil
}

// statusFailure diagnoses a status no hop-specific rule covered.
func (wk *walker) statusFailure(h Hop, resp *response, r *reach, want int) Hop {
	svc := r.svc
	switch resp.status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		why := fmt.Sprintf("the proxy or load balancer in front of %s answered %s: the %s upstream is down or failing its health check", svc.Name, resp.statusText, svc.Name)
		if gatewayAnswer(resp) {
			why = fmt.Sprintf("the load balancer has no healthy %s backend (\"no healthy upstream\"): %s is down or failing its health check", svc.Name, svc.Name)
		}
		return fail(h, CauseUpstreamDown, r.wiring(), why,
			fmt.Sprintf("start %s and check that the proxy forwards to it on port %d; make the load balancer's health check ask %s's health path (GKE: a HealthCheckPolicy with requestPath %s)",
				svc.Name, svc.Port, svc.Name, svc.HealthPath))
	}
	return fail(h, CauseBadStatus, r.wiring(),
		fmt.Sprintf("%s answered %s, not %d (%s)", resp.url, resp.statusText, want, snippet(resp.body)),
		fmt.Sprintf("check %s's logs", svc.Name))
}

// routeStatusFailure diagnoses a wrong status on a service's route: for
// path (its health path, or a check's path) it wanted status want.
func (wk *walker) routeStatusFailure(h Hop, resp *response, r *reach, path string, want int) Hop {
	if resp.status != http.StatusNotFound || want == http.StatusNotFound {
		return wk.statusFailure(h, resp, r, want)
	}
	svc := r.svc
	asked := resp.url.Path
	if h.Kind == KindCheck {
		// The route hop got the health path through, so the route itself
		// works: the service behind it lacks this path.
		return fail(h, CauseNotRouted, r.wiring(),
			fmt.Sprintf("%s answers %s's health path but 404 for %s: the route leads to another service, or %s is not the version the spec's checks describe", r.base, svc.Name, asked, svc.Name),
			fixes(r.modelFix(), fmt.Sprintf("point %s at %s", routeName(r), svc.Name)))
	}
	if prefix := strings.TrimSuffix(r.base.Path, "/"); prefix != "" && svc.Role != topology.RoleFrontend {
		return fail(h, CausePrefixNotStripped, r.wiring(),
			fmt.Sprintf("%s answers 404 for %s: the route forwards the path with its %s prefix, but %s serves %s at %s", resp.url.Host, asked, prefix, svc.Name, path, path),
			fmt.Sprintf("strip the prefix in the route to %s, so that %s reaches it as %s: nginx `location %s/ { proxy_pass http://UPSTREAM/; }` (the trailing / strips it); Gateway API: a URLRewrite filter with ReplacePrefixMatch \"/\"",
				svc.Name, asked, path, prefix))
	}
	if !wk.crossOrigin(resp.url) {
		return fail(h, CauseNotRouted, r.wiring(),
			fmt.Sprintf("%s answers 404: on the page's own origin nothing routes %s to %s", resp.url, path, svc.Name),
			fixes(r.modelFix(), fmt.Sprintf("set %s to %s's own address, or route it to %s through the proxy that serves the page", routeName(r), svc.Name, svc.Name)))
	}
	return fail(h, CauseNotRouted, r.wiring(),
		fmt.Sprintf("%s answers 404: the server there is not %s (it has no %s)", resp.url, svc.Name, path),
		fixes(r.modelFix(), fmt.Sprintf("point %s at %s, not at another service", routeName(r), svc.Name)))
}

// mixedContent fails a hop when an https page would call plain http, which
// browsers block (loopback addresses count as secure and are allowed).
func (wk *walker) mixedContent(h Hop, r *reach, u *url.URL) (Hop, bool) {
	if wk.page.Scheme != "https" || u.Scheme != "http" || isLoopback(u.Hostname()) {
		return h, false
	}
	return fail(h, CauseMixedContent, r.wiring(),
		fmt.Sprintf("the page is served over https but %s leads to %s over http: browsers block this mixed content", routeName(r), r.svc.Name),
		fixes(r.modelFix(), fmt.Sprintf("serve %s over https too, or route it through the proxy that serves the page", r.svc.Name))), true
}

// corsFailure fails a hop whose cross-origin answer the browser would hide;
// otherwise it returns the hop with what CORS allowed added to its detail.
func (wk *walker) corsFailure(h Hop, r *reach, u *url.URL, hdr http.Header) (Hop, bool) {
	if !wk.crossOrigin(u) {
		return h, false
	}
	acao := hdr.Get("Access-Control-Allow-Origin")
	if acao == "*" || acao == wk.pageOrigin() {
		h.Detail += ", CORS allows " + wk.pageOrigin()
		return h, false
	}
	return fail(h, CauseCORS, r.wiring(),
		fmt.Sprintf("%s is on another origin (%s) than the page (%s) and its answer has Access-Control-Allow-Origin %q, so the browser hides it", r.svc.Name, origin(u), wk.pageOrigin(), acao),
		wk.corsFix(r)), true
}

func (wk *walker) corsFix(r *reach) string {
	return fixes(r.modelFix(), fmt.Sprintf("check that %s leads to %s and that %s allows the page's origin (Access-Control-Allow-Origin: * or %s), or serve the page and %s from one origin through a proxy",
		routeName(r), r.svc.Name, r.svc.Name, wk.pageOrigin(), r.svc.Name))
}

// viaLink is the service link a check's answer depends on.
type viaLink struct {
	svc   *topology.Service // the service that uses the link
	env   string
	to    *topology.Service
	model string
	// host is the host:port the model's value leads to, whatever the
	// link's form: what a URL the service names as called is compared to.
	host string
}

func (wk *walker) via(svc *topology.Service, c topology.Check) *viaLink {
	if c.Via == "" {
		return nil
	}
	for _, l := range svc.Links {
		if l.Env == c.Via {
			to, _ := wk.m.Service(l.To)
			v := &viaLink{svc: svc, env: l.Env, to: to, model: wk.w.Link(svc.Name, l.Env)}
			v.host = mustHost(v.model)
			for _, u := range wk.w.URLs {
				if u.Service == svc.Name && u.Name == l.Env && u.Form != topology.FormURL {
					// host or host:port: the service dials the endpoint
					// (the port beside a host comes from its PortEnv).
					v.host = net.JoinHostPort(u.Endpoint.Host, strconv.Itoa(u.Endpoint.Port))
					if u.PortEnv != "" {
						v.model = fmt.Sprintf("%s, %s=%d", v.model, u.PortEnv, u.Endpoint.Port)
					}
				}
			}
			return v
		}
	}
	return nil
}

// hang diagnoses a check that got no answer in time while the service's
// own route answers: the service is most likely still waiting on the link.
func (v *viaLink) hang(h Hop, timeout time.Duration) Hop {
	return fail(h, CauseLinkUnreachable, fmt.Sprintf("%s on %s (%s)", v.env, v.svc.Name, v.model),
		fmt.Sprintf("%s answers its health check but not this check within %s: it answers this check through %s, and is most likely still waiting on %s, whose name does not resolve or whose address does not answer", v.svc.Name, timeout, v.env, v.model),
		fmt.Sprintf("start %s and check that %s on %s (%s) is how %s reaches it in this deployment; or give verify a --timeout longer than %s's own wait for %s", v.to.Name, v.env, v.svc.Name, v.model, v.svc.Name, v.svc.Name, v.to.Name))
}

// failure diagnoses a check the service answers through the link: what
// went wrong is what, and the service's own words (answer, the part of its
// answer that matters) say why.
func (v *viaLink) failure(h Hop, answer []byte, what string) Hop {
	text := bodyText(answer)
	called := calledURL(text)
	wiring := fmt.Sprintf("%s on %s (%s)", v.env, v.svc.Name, v.model)
	var host string
	if called != nil {
		host = called.Hostname()
		if called.Host != v.host {
			wiring = fmt.Sprintf("%s on %s (%s in the model; %s called %s)", v.env, v.svc.Name, v.model, v.svc.Name, called)
		}
	}
	why := fmt.Sprintf("%s: %s answers this check through %s, and answered %s", what, v.svc.Name, v.env, snippet(answer))
	setModel := fmt.Sprintf("set %s on %s to %s, how %s reaches %s in this deployment", v.env, v.svc.Name, v.model, v.svc.Name, v.to.Name)
	if called == nil || called.Host == v.host {
		setModel = ""
	}
	lower := strings.ToLower(text)
	switch {
	case host != "" && isLoopback(host):
		return fail(h, CauseLinkUnreachable, wiring,
			why+fmt.Sprintf(" — %s inside %s's container is %s itself, not the host or %s", host, v.svc.Name, v.svc.Name, v.to.Name),
			fmt.Sprintf("set %s on %s to %s, how %s reaches %s in this deployment", v.env, v.svc.Name, v.model, v.svc.Name, v.to.Name))
	case strings.Contains(lower, "no such host") || strings.Contains(lower, "server misbehaving") || strings.Contains(lower, "could not resolve"):
		if host == hostGateway {
			return fail(h, CauseLinkUnreachable, wiring,
				why+fmt.Sprintf(" — on Linux %s resolves only when the container is given it as an extra host", hostGateway),
				fixes(fmt.Sprintf("add `extra_hosts: [\"%s:%s\"]` to %s (docker run: --add-host %s:%s)", hostGateway, platform.HostGatewayTarget, v.svc.Name, hostGateway, platform.HostGatewayTarget), setModel))
		}
		return fail(h, CauseLinkUnreachable, wiring,
			why+fmt.Sprintf(" — the name %q does not resolve inside %s's container: %s and %s share no network with name resolution (Docker's default bridge has none), or %s runs under another name", host, v.svc.Name, v.svc.Name, v.to.Name, v.to.Name),
			fixes(setModel, fmt.Sprintf("put %s and %s on one user-defined network (compose: the same `networks:` entry)", v.svc.Name, v.to.Name)))
	case strings.Contains(lower, "connection refused"):
		start := fmt.Sprintf("start %s (it listens on port %d)", v.to.Name, v.to.Port)
		if host == hostGateway {
			start += fmt.Sprintf(" and publish its port on the host, where %s looks (compose: ports \"%d:%d\")", v.svc.Name, v.to.HostPort, v.to.Port)
		}
		return fail(h, CauseLinkUnreachable, wiring,
			why+fmt.Sprintf(" — nothing listens there: %s is down, or its port is not published where %s looks", v.to.Name, v.svc.Name),
			fixes(setModel, start))
	case strings.Contains(lower, "timeout") || strings.Contains(lower, "deadline exceeded"):
		return fail(h, CauseLinkUnreachable, wiring,
			why+fmt.Sprintf(" — %s got no answer in time: the address is wrong or %s hangs", v.svc.Name, v.to.Name),
			fixes(setModel, fmt.Sprintf("check that %s is up (%s)", v.to.Name, v.upCheck())))
	}
	return fail(h, CauseLinkFailed, wiring, why,
		fmt.Sprintf("check that %s on %s is %s (how %s reaches %s in this deployment): unset or wrong, %s cannot use %s; and that %s is up (%s)",
			v.env, v.svc.Name, v.model, v.svc.Name, v.to.Name, v.svc.Name, v.to.Name, v.to.Name, v.upCheck()))
}

// upCheck says how to see that the linked service is up: its health path
// answers, or, for a TCP service, its port accepts connections.
func (v *viaLink) upCheck() string {
	if v.to.HealthPath == "" {
		return fmt.Sprintf("it accepts connections on port %d", v.to.Port)
	}
	return fmt.Sprintf("GET %s answers 200", v.to.HealthPath)
}

// mustHost is raw's host:port, or "" when raw is no URL.
func mustHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Host
}

// bodyText is the text of an answer: the strings of a JSON answer joined,
// so that escaped quotes do not hide a URL, or the raw body.
func bodyText(b []byte) string {
	var v any
	if json.Unmarshal(b, &v) != nil {
		return string(b)
	}
	var parts []string
	var walk func(any)
	walk = func(v any) {
		switch t := v.(type) {
		case string:
			parts = append(parts, t)
		case []any:
			for _, e := range t {
				walk(e)
			}
		case map[string]any:
			// In key order, so that the URL a diagnosis quotes is always
			// the same one.
			for _, k := range slices.Sorted(maps.Keys(t)) {
				walk(t[k])
			}
		}
	}
	walk(v)
	return strings.Join(parts, "\n")
}

// urlInText finds the URLs an answer quotes; tcp:// is how the stand-ins
// name an address dialled for a TCP link. It and spaces are compiled on
// first use: only a failed check needs them, and every command would
// otherwise compile them at start-up.
var urlInText = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`(?:https?|tcp)://[^\s"'\\<>]+`) })

// calledURL is the first URL an error text quotes: the address the service
// tried to reach.
func calledURL(text string) *url.URL {
	for _, m := range urlInText().FindAllString(text, -1) {
		m = strings.TrimRight(m, ".,;:)]}")
		if u, err := url.Parse(m); err == nil && u.Host != "" {
			return u
		}
	}
	return nil
}

// capture finds the value that text's URL marker stands for in body. Runs
// of spaces in text match any whitespace, so that a frontend that formats
// its config differently still counts.
func capture(text string, body []byte) (string, bool) {
	pre, post, _ := strings.Cut(text, topology.URLMarker)
	value := `([^\r\n]*?)`
	if post == "" {
		value = `(\S*)`
	}
	re, err := regexp.Compile(spaced(pre) + value + spaced(post))
	if err != nil {
		return "", false
	}
	m := re.FindSubmatch(body)
	if m == nil {
		return "", false
	}
	return string(m[1]), true
}

var spaces = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`\s+`) })

func spaced(s string) string {
	parts := spaces().Split(s, -1)
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	return strings.Join(parts, `\s*`)
}

func quoteText(s string) string { return "`" + s + "`" }

// origin is u's origin with the scheme's default port made explicit, for
// comparing origins.
func origin(u *url.URL) string {
	return u.Scheme + "://" + net.JoinHostPort(u.Hostname(), portOf(u))
}

func (wk *walker) crossOrigin(u *url.URL) bool { return origin(wk.page) != origin(u) }

// pageOrigin is the Origin header the browser sends (default ports elided).
func (wk *walker) pageOrigin() string { return wk.page.Scheme + "://" + wk.page.Host }

// originHeader is what the browser adds to a request for u.
func (wk *walker) originHeader(u *url.URL) http.Header {
	h := http.Header{}
	if wk.crossOrigin(u) {
		h.Set("Origin", wk.pageOrigin())
	}
	return h
}

// isLoopback reports whether host is the user's own machine. Browsers treat
// it as secure and resolve every *.localhost name to it.
func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// portOf is u's port, or its scheme's default.
func portOf(u *url.URL) string {
	if p := u.Port(); p != "" {
		return p
	}
	if u.Scheme == "https" {
		return "443"
	}
	return "80"
}

func hostPort(u *url.URL) string { return net.JoinHostPort(u.Hostname(), portOf(u)) }

func isRefused(err error) bool { return errors.Is(err, syscall.ECONNREFUSED) }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// shortErr drops the "Get URL:" prefix the detail line already shows.
func shortErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 160 {
		s = s[:160] + "..."
	}
	return fmt.Sprintf("%q", s)
}
