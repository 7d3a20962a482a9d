// Package verify walks a deployed SynergyChat the way a browser does and says
// which hop of the wiring breaks and why.
//
// The browser's path (SYNERGYCHAT.md) has four hops: the page at CHAT_URL;
// app.js and the apiUrl that web prepends to it, resolved against the page as
// a browser resolves it; GET <apiUrl>/messages; and a POST of the /stats slash
// command, which only succeeds when the api reaches the crawler at
// CRAWLER_BASE_URL. A failing hop names the wiring URL at fault, the likely
// cause and the fix.
package verify

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"syscall"
	"time"
)

// Hop names, in the order Run walks them.
const (
	HopPage     = "page"
	HopAppJS    = "app.js"
	HopMessages = "messages"
	HopStats    = "stats"
)

var hopOrder = []string{HopPage, HopAppJS, HopMessages, HopStats}

// ProbeAuthor is the AuthorUsername of the message verify posts. The message
// text is exactly "/stats": never words that make the real api exit.
const ProbeAuthor = "synctl-verify"

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

// Cause classifies a failed hop, so callers and tests can tell diagnoses apart
// without matching prose.
type Cause string

// Causes of a failed hop.
const (
	CauseNothingListening   Cause = "nothing-listening"
	CauseNoSuchHost         Cause = "no-such-host"
	CauseTimeout            Cause = "timeout"
	CauseTLS                Cause = "tls"
	CauseNetwork            Cause = "network"
	CauseNotChatPage        Cause = "not-chat-page"
	CauseNoAPIURL           Cause = "no-apiurl-line"
	CauseEmptyAPIURL        Cause = "empty-api-url"
	CauseBadAPIURL          Cause = "bad-api-url"
	CauseMixedContent       Cause = "mixed-content"
	CausePrefixNotStripped  Cause = "prefix-not-stripped"
	CauseAPINotRouted       Cause = "api-not-routed"
	CauseUpstreamDown       Cause = "upstream-down"
	CauseCORS               Cause = "cors"
	CauseBadStatus          Cause = "unexpected-status"
	CauseNotJSON            Cause = "not-json"
	CauseCrawlerUnset       Cause = "crawler-unset"
	CauseCrawlerUnreachable Cause = "crawler-unreachable"
	CauseNoCrawlerReply     Cause = "no-crawler-reply"
)

// Hop is the result of one step of the browser's path.
type Hop struct {
	Name   string
	Status Status
	// Detail is the one-line account: the request and what came back.
	Detail string
	// The rest is set only on failure.
	Cause Cause
	// Wiring names the wiring URL at fault, e.g. "API_URL '/api/' (https://localhost/api/)".
	Wiring string
	// Why explains the cause; Fix says what to change.
	Why string
	Fix string
}

// Report is the walk over every hop of one deployment.
type Report struct {
	ChatURL string
	Hops    []Hop
}

// OK reports whether every hop passed.
func (r *Report) OK() bool {
	for _, h := range r.Hops {
		if h.Status != Pass {
			return false
		}
	}
	return len(r.Hops) == len(hopOrder)
}

// Failed returns the failing hop, or nil when none failed.
func (r *Report) Failed() *Hop {
	for i := range r.Hops {
		if r.Hops[i].Status == Fail {
			return &r.Hops[i]
		}
	}
	return nil
}

// Write prints one line per hop, the diagnosis under a failing hop, and a
// closing verdict line.
func (r *Report) Write(w io.Writer) error {
	var b strings.Builder
	for _, h := range r.Hops {
		fmt.Fprintf(&b, "%-5s %-9s %s\n", h.Status, h.Name, h.Detail)
		if h.Status != Fail {
			continue
		}
		if h.Wiring != "" {
			fmt.Fprintf(&b, "      at fault: %s\n", h.Wiring)
		}
		if h.Why != "" {
			fmt.Fprintf(&b, "      cause: %s\n", h.Why)
		}
		if h.Fix != "" {
			fmt.Fprintf(&b, "      fix: %s\n", h.Fix)
		}
	}
	if f := r.Failed(); f != nil {
		fmt.Fprintf(&b, "%s is not wired: hop %s failed (%s)\n", r.ChatURL, f.Name, f.Cause)
	} else if r.OK() {
		fmt.Fprintf(&b, "%s is wired: the page, app.js, the api and the crawler all answer as a browser needs\n", r.ChatURL)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Options tune how Run talks to the deployment.
type Options struct {
	// Insecure skips TLS certificate verification (for self-signed certificates).
	Insecure bool
	// RootCAs, when set, replaces the system roots (tests trust a rendered certificate).
	RootCAs *x509.CertPool
	// Timeout bounds each request; zero means DefaultTimeout.
	Timeout time.Duration
	// DialContext, when set, opens every connection (tests dial inside a
	// network namespace). Nil means a plain net.Dialer.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
}

// ParseChatURL checks that raw is an absolute http or https URL.
func ParseChatURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("CHAT_URL %q: %v", raw, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("CHAT_URL %q: must be an absolute http or https URL, e.g. http://localhost:8080", raw)
	}
	return u, nil
}

// Run walks the browser's path from chatURL. The error is non-nil only when
// chatURL is not an absolute http(s) URL; a deployment fault is a failed hop
// in the report.
func Run(ctx context.Context, chatURL string, opts Options) (*Report, error) {
	u, err := ParseChatURL(chatURL)
	if err != nil {
		return nil, err
	}
	w := newWalker(u, opts)
	w.run(ctx)
	return &Report{ChatURL: chatURL, Hops: w.hops}, nil
}

type walker struct {
	chat   *url.URL
	client *http.Client
	hops   []Hop

	page     *url.URL // the page's final URL after redirects
	pageBody []byte
	apiURL   string   // the apiUrl value from app.js
	apiBase  *url.URL // apiUrl resolved against the page
	messages *url.URL // ${apiUrl}/messages resolved against the page
}

func newWalker(chat *url.URL, opts Options) *walker {
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	dial := opts.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: timeout}).DialContext
	}
	tr := &http.Transport{
		DialContext:         dial,
		TLSClientConfig:     &tls.Config{InsecureSkipVerify: opts.Insecure, RootCAs: opts.RootCAs},
		TLSHandshakeTimeout: timeout,
		DisableKeepAlives:   true,
	}
	return &walker{chat: chat, client: &http.Client{Transport: tr, Timeout: timeout}}
}

func (w *walker) run(ctx context.Context) {
	steps := []func(context.Context) Hop{w.pageHop, w.appJSHop, w.messagesHop, w.statsHop}
	for i, step := range steps {
		h := step(ctx)
		w.hops = append(w.hops, h)
		if h.Status == Fail {
			for _, name := range hopOrder[i+1:] {
				w.hops = append(w.hops, Hop{Name: name, Status: Skip, Detail: "not reached: hop " + h.Name + " failed"})
			}
			return
		}
	}
}

// response is a fully read HTTP response.
type response struct {
	status     int
	statusText string
	header     http.Header
	body       []byte
	url        *url.URL // final URL after redirects
}

func (w *walker) do(ctx context.Context, method string, u *url.URL, header http.Header, body []byte) (*response, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	req.Header.Set("User-Agent", "synctl-verify")
	resp, err := w.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	return &response{
		status:     resp.StatusCode,
		statusText: resp.Status,
		header:     resp.Header,
		body:       b,
		url:        resp.Request.URL,
	}, nil
}

func (w *walker) pageHop(ctx context.Context) Hop {
	h := Hop{Name: HopPage}
	wiring := fmt.Sprintf("CHAT_URL %s", w.chat)
	resp, err := w.do(ctx, http.MethodGet, w.chat, nil, nil)
	h.Detail = "GET " + w.chat.String()
	if err != nil {
		return netFailure(h, err, wiring, w.chat,
			"CHAT_URL must reach the web service from your machine: start it and publish its port (docker: ports \"8080:8080\"), or start the proxy in front of it")
	}
	h.Detail += ": " + resp.statusText
	if resp.url.String() != w.chat.String() {
		h.Detail += " from " + resp.url.String()
	}
	ct := resp.header.Get("Content-Type")
	if resp.status != http.StatusOK {
		return statusFailure(h, resp, wiring, "web")
	}
	if !strings.HasPrefix(ct, "text/html") {
		return fail(h, CauseNotChatPage, wiring,
			fmt.Sprintf("the page is %q, not text/html: CHAT_URL does not serve the SynergyChat web service", ct),
			"point CHAT_URL at the web service (or the proxy route to it)")
	}
	w.page = resp.url
	w.pageBody = resp.body
	h.Status = Pass
	h.Detail += " (" + ct + ")"
	return h
}

var (
	scriptSrc = regexp.MustCompile(`(?i)<script[^>]*\ssrc\s*=\s*["']([^"']*app\.js[^"']*)["']`)
	apiURLRe  = regexp.MustCompile(`(?m)^\s*const\s+apiUrl\s*=\s*(?:'([^'\n]*)'|"([^"\n]*)")`)
)

func (w *walker) appJSHop(ctx context.Context) Hop {
	h := Hop{Name: HopAppJS}
	js, _ := url.Parse("app.js")
	if m := scriptSrc.FindSubmatch(w.pageBody); m != nil {
		if ref, err := url.Parse(string(m[1])); err == nil {
			js = ref
		}
	}
	jsURL := w.page.ResolveReference(js)
	wiring := fmt.Sprintf("CHAT_URL %s", w.chat)
	h.Detail = "GET " + jsURL.String()
	resp, err := w.do(ctx, http.MethodGet, jsURL, nil, nil)
	if err != nil {
		return netFailure(h, err, wiring, jsURL, "the page loaded but its script did not: check the route to the web service")
	}
	if resp.status != http.StatusOK {
		h.Detail += ": " + resp.statusText
		return statusFailure(h, resp, wiring, "web")
	}
	m := apiURLRe.FindSubmatch(resp.body)
	if m == nil {
		h.Detail += ": " + resp.statusText + ", no apiUrl"
		return fail(h, CauseNoAPIURL, wiring,
			"app.js has no `const apiUrl = '...';` line, which the SynergyChat web service prepends: CHAT_URL serves something else",
			"point CHAT_URL at the web service (bootdotdev/synergychat-web)")
	}
	w.apiURL = string(m[1]) + string(m[2])
	h.Detail += fmt.Sprintf(": apiUrl %q", w.apiURL)
	apiWiring := fmt.Sprintf("API_URL %q on web", w.apiURL)
	if w.apiURL == "" {
		return fail(h, CauseEmptyAPIURL, apiWiring,
			"API_URL is unset on web, so the browser calls /messages on the web server itself",
			"set API_URL on web to how the browser reaches the api: an absolute URL (docker: http://localhost:8081) or the proxy's relative route (nginx: /api/)")
	}
	// The browser builds `${apiUrl}/messages` as a string, then resolves it
	// against the page: keep that order (a trailing slash gives //messages).
	ref, err := url.Parse(w.apiURL + "/messages")
	base, err2 := url.Parse(w.apiURL)
	if err != nil || err2 != nil {
		return fail(h, CauseBadAPIURL, apiWiring, fmt.Sprintf("the browser cannot parse API_URL: %v", errors.Join(err, err2)),
			"set API_URL to an absolute http(s) URL or a path such as /api/")
	}
	w.messages = w.page.ResolveReference(ref)
	w.apiBase = w.page.ResolveReference(base)
	if s := w.messages.Scheme; s != "http" && s != "https" {
		return fail(h, CauseBadAPIURL, apiWiring, fmt.Sprintf("API_URL resolves to %s, which the browser cannot call", w.messages),
			"set API_URL to an absolute http(s) URL or a path such as /api/")
	}
	h.Detail += " -> " + w.messages.String()
	if w.crossOrigin() {
		h.Detail += " (cross-origin: needs CORS)"
	} else {
		h.Detail += " (same origin)"
	}
	h.Status = Pass
	return h
}

func origin(u *url.URL) string {
	host := u.Hostname()
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	return u.Scheme + "://" + net.JoinHostPort(host, port)
}

func (w *walker) crossOrigin() bool { return origin(w.page) != origin(w.messages) }

// pageOrigin is the Origin header the browser sends (default ports elided).
func (w *walker) pageOrigin() string { return w.page.Scheme + "://" + w.page.Host }

func isLoopback(host string) bool {
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func (w *walker) apiWiring() string {
	return fmt.Sprintf("API_URL %q on web (the browser resolves it to %s)", w.apiURL, w.apiBase)
}

// apiNetFix explains a connection failure to the api URL.
func (w *walker) apiNetFix() string {
	if isLoopback(w.apiBase.Hostname()) && (w.apiBase.Port() != w.page.Port() || w.apiBase.Hostname() != w.page.Hostname()) {
		return fmt.Sprintf("API_URL points at %s on the user's own machine, where nothing publishes the api: publish the api's port there (docker: ports \"%s:8080\"), or, when a proxy or gateway fronts the app, set API_URL to its relative api route (nginx: /api/)",
			w.apiBase.Host, portOr(w.apiBase, "8081"))
	}
	return "API_URL must be an address the browser can reach: publish the api's port, or route it through the proxy in front of web"
}

func portOr(u *url.URL, def string) string {
	if p := u.Port(); p != "" {
		return p
	}
	return def
}

func (w *walker) messagesHop(ctx context.Context) Hop {
	h := Hop{Name: HopMessages, Detail: "GET " + w.messages.String()}
	hdr := http.Header{}
	if w.crossOrigin() {
		hdr.Set("Origin", w.pageOrigin())
	}
	resp, err := w.do(ctx, http.MethodGet, w.messages, hdr, nil)
	if err != nil {
		return netFailure(h, err, w.apiWiring(), w.messages, w.apiNetFix())
	}
	h.Detail += ": " + resp.statusText
	if f, bad := w.mixedContent(h); bad {
		return f
	}
	if resp.status != http.StatusOK {
		return w.apiStatusFailure(h, resp)
	}
	if f, bad := w.corsFailure(h, resp.header); bad {
		return f
	}
	var msgs []message
	if err := json.Unmarshal(resp.body, &msgs); err != nil {
		return fail(h, CauseNotJSON, w.apiWiring(),
			fmt.Sprintf("the answer is not a JSON array of messages (%s): API_URL leads somewhere other than the api", snippet(resp.body)),
			"point API_URL at the api service (or the proxy route that strips its prefix and forwards to the api)")
	}
	h.Detail += fmt.Sprintf(", %d messages", len(msgs))
	h.Status = Pass
	return h
}

// mixedContent fails a hop when an https page would call a plain-http api
// that browsers block (loopback addresses count as secure and are allowed).
func (w *walker) mixedContent(h Hop) (Hop, bool) {
	if w.page.Scheme == "https" && w.messages.Scheme == "http" && !isLoopback(w.messages.Hostname()) {
		return fail(h, CauseMixedContent, w.apiWiring(),
			"the page is served over https but the api over http: browsers block this mixed content",
			"serve the api over https too, or use the proxy's relative api route (nginx: /api/)"), true
	}
	return h, false
}

func (w *walker) corsFailure(h Hop, hdr http.Header) (Hop, bool) {
	if !w.crossOrigin() {
		return h, false
	}
	acao := hdr.Get("Access-Control-Allow-Origin")
	if acao == "*" || acao == w.pageOrigin() {
		h.Detail += ", CORS allows " + w.pageOrigin()
		return h, false
	}
	return fail(h, CauseCORS, w.apiWiring(),
		fmt.Sprintf("the api is on another origin than the page (%s) and its answer has Access-Control-Allow-Origin %q, so the browser hides it", w.pageOrigin(), acao),
		"make sure API_URL leads straight to the SynergyChat api (it allows any origin), or serve page and api from one origin through a proxy"), true
}

// apiStatusFailure diagnoses a non-success status from the api URL.
func (w *walker) apiStatusFailure(h Hop, resp *response) Hop {
	wiring := w.apiWiring()
	switch {
	case resp.status == http.StatusNotFound && strings.Trim(w.apiBase.Path, "/") != "":
		prefix := "/" + strings.Trim(w.apiBase.Path, "/")
		return fail(h, CausePrefixNotStripped, wiring,
			fmt.Sprintf("the api answers 404 for %s: the route forwards the path with its %s prefix, but the api only serves /messages", w.messages.Path, prefix),
			fmt.Sprintf("strip the prefix in the route to the api: nginx `location %s/ { proxy_pass http://api:8080/; }` (the trailing slash strips it); Gateway API: a URLRewrite filter with ReplacePrefixMatch \"/\"", prefix))
	case resp.status == http.StatusNotFound && !w.crossOrigin():
		return fail(h, CauseAPINotRouted, wiring,
			fmt.Sprintf("%s answers 404: on the page's own origin nothing routes /messages to the api (the web server has no /messages)", resp.url),
			"set API_URL to the api's own address (docker: http://localhost:8081), or to the proxy route that forwards to the api (nginx: /api/)")
	case resp.status == http.StatusNotFound:
		return fail(h, CauseAPINotRouted, wiring,
			fmt.Sprintf("%s answers 404: the server there is not the SynergyChat api (it has no /messages)", resp.url),
			"point API_URL at the api, not at web or another service")
	}
	return statusFailure(h, resp, wiring, "api")
}

// statusFailure diagnoses a non-success status that no hop-specific rule covered.
func statusFailure(h Hop, resp *response, wiring, svc string) Hop {
	switch resp.status {
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		why := fmt.Sprintf("the proxy or load balancer in front of %s answered %s: the %s upstream is down or failing its health check", svc, resp.statusText, svc)
		if bytes.Contains(resp.body, []byte("no healthy upstream")) {
			why = fmt.Sprintf("the load balancer has no healthy %s backend (\"no healthy upstream\")", svc)
		}
		fix := fmt.Sprintf("start the %s service and check the proxy's upstream address; on GKE make the health check ask the path the %s answers (api: a HealthCheckPolicy with requestPath /healthz)", svc, svc)
		return fail(h, CauseUpstreamDown, wiring, why, fix)
	case http.StatusNotFound:
		return fail(h, CauseNotChatPage, wiring,
			fmt.Sprintf("%s answers 404: nothing there serves the SynergyChat %s", resp.url, svc),
			fmt.Sprintf("point the URL (or the route behind it) at the %s service", svc))
	}
	return fail(h, CauseBadStatus, wiring,
		fmt.Sprintf("%s answered %s (%s)", resp.url, resp.statusText, snippet(resp.body)),
		fmt.Sprintf("check the %s service's logs", svc))
}

type message struct {
	AuthorUsername string
	Text           string
}

func (w *walker) statsHop(ctx context.Context) Hop {
	h := Hop{Name: HopStats, Detail: "POST " + w.messages.String() + " /stats"}
	if w.crossOrigin() {
		if f, bad := w.preflight(ctx, h); bad {
			return f
		}
	}
	body, _ := json.Marshal(message{AuthorUsername: ProbeAuthor, Text: "/stats"})
	hdr := http.Header{"Content-Type": {"application/json"}}
	if w.crossOrigin() {
		hdr.Set("Origin", w.pageOrigin())
	}
	resp, err := w.do(ctx, http.MethodPost, w.messages, hdr, body)
	if err != nil {
		return netFailure(h, err, w.apiWiring(), w.messages, w.apiNetFix())
	}
	h.Detail += ": " + resp.statusText
	switch {
	case resp.status == http.StatusBadRequest:
		return crawlerFailure(h, resp.body)
	case resp.status != http.StatusCreated:
		return w.apiStatusFailure(h, resp)
	}
	if f, bad := w.corsFailure(h, resp.header); bad {
		return f
	}
	var msgs []message
	if err := json.Unmarshal(resp.body, &msgs); err != nil {
		return fail(h, CauseNotJSON, w.apiWiring(),
			fmt.Sprintf("the answer is not a JSON array of messages (%s)", snippet(resp.body)),
			"point API_URL at the SynergyChat api")
	}
	// Replies to this probe come after its own message; earlier runs may
	// have left older ones.
	start := -1
	for i, m := range msgs {
		if m.AuthorUsername == ProbeAuthor && m.Text == "/stats" {
			start = i
		}
	}
	crawlerWiring := "CRAWLER_BASE_URL on api"
	for _, m := range msgs[start+1:] {
		if m.AuthorUsername != "crawler-bot" {
			continue
		}
		switch {
		case strings.HasPrefix(m.Text, "Beep boop!"):
			h.Detail += ", crawler-bot: " + m.Text
			h.Status = Pass
			return h
		case strings.Contains(m.Text, "Crawler worker not configured"):
			return fail(h, CauseCrawlerUnset, crawlerWiring,
				"the api answered \"Crawler worker not configured\": CRAWLER_BASE_URL is unset on the api",
				"set CRAWLER_BASE_URL on the api to how the api reaches the crawler (docker: http://host.docker.internal:8082; docker-network and nginx: http://crawler:8080; Kubernetes: http://crawler-service)")
		}
	}
	return fail(h, CauseNoCrawlerReply, crawlerWiring,
		"the api stored the message but no crawler-bot reply followed it: API_URL does not lead to the SynergyChat api",
		"point API_URL at the SynergyChat api (bootdotdev/synergychat-api)")
}

func (w *walker) preflight(ctx context.Context, h Hop) (Hop, bool) {
	hdr := http.Header{}
	hdr.Set("Origin", w.pageOrigin())
	hdr.Set("Access-Control-Request-Method", "POST")
	hdr.Set("Access-Control-Request-Headers", "content-type")
	resp, err := w.do(ctx, http.MethodOptions, w.messages, hdr, nil)
	if err != nil {
		return netFailure(h, err, w.apiWiring(), w.messages, w.apiNetFix()), true
	}
	acao := resp.header.Get("Access-Control-Allow-Origin")
	acah := strings.ToLower(resp.header.Get("Access-Control-Allow-Headers"))
	if resp.status/100 == 2 && (acao == "*" || acao == w.pageOrigin()) && (acah == "*" || strings.Contains(acah, "content-type")) {
		return h, false
	}
	return fail(h, CauseCORS, w.apiWiring(),
		fmt.Sprintf("the browser's CORS preflight (OPTIONS from %s for a JSON POST) got %s with Access-Control-Allow-Origin %q and Access-Control-Allow-Headers %q, so the browser would not send the message", w.pageOrigin(), resp.statusText, acao, acah),
		"make sure API_URL leads straight to the SynergyChat api (it allows any origin), or serve page and api from one origin through a proxy"), true
}

// slashErr finds the crawler URL in the api's error text, e.g.
// `Get "http://crawler:8080/stats": dial tcp: lookup crawler: no such host`.
var slashErr = regexp.MustCompile(`(?i)\b(?:get)\s+"([^"]+)"`)

// crawlerFailure diagnoses a 400 from the /stats slash command.
func crawlerFailure(h Hop, body []byte) Hop {
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(body, &e)
	msg := e.Error
	if msg == "" {
		msg = snippet(body)
	}
	if !strings.Contains(msg, "slash command") {
		return fail(h, CauseBadStatus, "API_URL on web",
			fmt.Sprintf("the api rejected the message: %s", msg),
			"check the api's logs")
	}
	wiring := "CRAWLER_BASE_URL on api"
	host := ""
	if m := slashErr.FindStringSubmatch(msg); m != nil {
		wiring = fmt.Sprintf("CRAWLER_BASE_URL on api (it called %s)", m[1])
		if u, err := url.Parse(m[1]); err == nil {
			host = u.Hostname()
		}
	}
	why := "the api cannot reach the crawler: " + msg
	sameNet := "use the crawler's name on a network it shares with the api (docker-network and nginx: http://crawler:8080; Kubernetes: http://crawler-service)"
	switch {
	case isLoopback(host):
		return fail(h, CauseCrawlerUnreachable, wiring,
			why+" — localhost inside the api's container is the api container itself, not the host or the crawler",
			sameNet+", or on the default bridge the host's published port: http://host.docker.internal:8082 with extra_hosts host.docker.internal:host-gateway")
	case host == "host.docker.internal" && strings.Contains(msg, "no such host"):
		return fail(h, CauseCrawlerUnreachable, wiring,
			why+" — on Linux host.docker.internal resolves only when the container is given it as an extra host",
			"add `extra_hosts: [\"host.docker.internal:host-gateway\"]` to the api (docker run: --add-host host.docker.internal:host-gateway)")
	case strings.Contains(msg, "no such host"):
		return fail(h, CauseCrawlerUnreachable, wiring,
			fmt.Sprintf("%s — the name %q does not resolve inside the api's container: api and crawler share no user-defined network (the default bridge has no name resolution)", why, host),
			"put api and crawler on the same user-defined network (compose: the same `networks:` entry), or "+sameNet)
	case strings.Contains(msg, "connection refused"):
		return fail(h, CauseCrawlerUnreachable, wiring,
			why+" — nothing listens at that address: the crawler is down, or its port is not published where the api looks",
			"start the crawler; when the api goes through the host (host.docker.internal), publish the crawler's port there (ports \"8082:8080\")")
	}
	return fail(h, CauseCrawlerUnreachable, wiring, why,
		"check that CRAWLER_BASE_URL on the api names the crawler as the api's container sees it, and that the crawler is up")
}

// netFailure diagnoses a request that got no HTTP answer.
func netFailure(h Hop, err error, wiring string, u *url.URL, fix string) Hop {
	h.Detail += ": " + shortErr(err)
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr):
		return fail(h, CauseTLS, wiring,
			fmt.Sprintf("the certificate of %s is not trusted: %v", u.Host, err),
			"for the nginx setup's self-signed certificate pass --insecure (or trust certs/tls.crt); otherwise serve a certificate valid for "+u.Hostname())
	case errors.As(err, &dnsErr):
		return fail(h, CauseNoSuchHost, wiring,
			fmt.Sprintf("the name %q does not resolve on this machine", u.Hostname()),
			"add the name to /etc/hosts (minikube: both hostnames -> 127.0.0.1 with `minikube tunnel` running) or use an address that resolves")
	case isRefused(err):
		return fail(h, CauseNothingListening, wiring,
			fmt.Sprintf("connection refused: nothing listens at %s", hostPort(u)), fix)
	case isTimeout(err):
		return fail(h, CauseTimeout, wiring,
			fmt.Sprintf("no answer from %s in time: the address is wrong or a firewall drops the traffic", hostPort(u)), fix)
	}
	return fail(h, CauseNetwork, wiring, err.Error(), fix)
}

func hostPort(u *url.URL) string {
	return net.JoinHostPort(u.Hostname(), portOr(u, map[string]string{"http": "80", "https": "443"}[u.Scheme]))
}

func isRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func shortErr(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return err.Error()
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 120 {
		s = s[:120] + "..."
	}
	return fmt.Sprintf("%q", s)
}

func fail(h Hop, c Cause, wiring, why, fix string) Hop {
	h.Status = Fail
	h.Cause = c
	h.Wiring = wiring
	h.Why = why
	h.Fix = fix
	return h
}
