package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/synctl/synctl/pkg/topology"
)

// maxBody bounds how much of an answer verify reads: enough for any page,
// script or JSON answer a check looks into.
const maxBody = 1 << 20

// walker holds what the walk has learnt so far.
type walker struct {
	m      *topology.Model
	w      topology.Wiring
	entry  *url.URL
	client *http.Client
	// timeout bounds each request, for diagnoses that depend on it.
	timeout time.Duration
	hops    []Hop

	// page is the page's final URL, after redirects: what the browser
	// resolves relative URLs against and takes its Origin from.
	page *url.URL
	// reach says how the browser reaches each public service, once known.
	reach map[string]*reach
}

// reach is how the browser reaches one public service.
type reach struct {
	svc *topology.Service
	// base is the service's URL as the browser resolves it.
	base *url.URL
	// name, owner, served and model describe the wiring URL that leads
	// there: the entry URL for the frontend, else the browser link (its
	// env var, the service it is set on, the value the deployment serves
	// and the model's value). name is empty for an api no link names.
	name, owner   string
	served, model string
	// blocked names the failed hop that keeps the browser from the
	// service (a link hop, or the service's own route hop), so that the
	// hops after it are skipped with that reason.
	blocked string
}

// wiring names the URL in an "at fault" line.
func (r *reach) wiring() string {
	switch {
	case r.name == "":
		return fmt.Sprintf("the route to %s (%s)", r.svc.Name, r.base)
	case r.owner == "":
		return fmt.Sprintf("%s %s", r.name, r.base)
	}
	return fmt.Sprintf("%s %q on %s (%s)", r.name, r.served, r.owner, r.base)
}

// drifted reports whether the deployment serves another value than the
// model's.
func (r *reach) drifted() bool { return r.owner != "" && r.served != r.model }

// modelFix suggests the model's value when the deployment serves another.
func (r *reach) modelFix() string {
	if !r.drifted() {
		return ""
	}
	return fmt.Sprintf("set %s on %s to %q, the model's value for this deployment", r.name, r.owner, r.model)
}

func newWalker(m *topology.Model, w topology.Wiring, entry *url.URL, opts Options) *walker {
	c := newClient(opts)
	return &walker{m: m, w: w, entry: entry, client: c, timeout: c.Timeout, reach: map[string]*reach{}}
}

// step is one planned hop after the page.
type step struct {
	name    string
	kind    Kind
	service string
	run     func(context.Context) Hop
}

func (wk *walker) add(h Hop) { wk.hops = append(wk.hops, h) }

func (wk *walker) run(ctx context.Context) {
	if wk.m.Frontend() == nil {
		wk.runWithoutPage(ctx)
		return
	}
	page := wk.pageHop(ctx)
	wk.add(page)
	steps := wk.plan()
	for _, s := range steps {
		if page.Status == Fail {
			wk.add(Hop{Name: s.name, Kind: s.kind, Service: s.service, Status: Skip, Detail: "not reached: hop " + HopPage + " failed"})
			continue
		}
		wk.add(s.run(ctx))
	}
}

// runWithoutPage walks an app with no frontend: the browser (or any
// client) calls each public service at its route directly, so each hop's
// page is the route of the service it reaches, and no request is
// cross-origin.
func (wk *walker) runWithoutPage(ctx context.Context) {
	for _, s := range wk.plan() {
		route, _ := wk.w.Route(s.service)
		ref, err := url.Parse(route)
		switch {
		case err == nil && ref.IsAbs():
			wk.page = ref
		case err == nil && wk.entry != nil:
			wk.page = wk.entry.ResolveReference(ref)
		default:
			wk.add(fail(Hop{Name: s.name, Kind: s.kind, Service: s.service}, CauseBadURL, fmt.Sprintf("the route to %s (%s)", s.service, route),
				fmt.Sprintf("the route %q is relative to an address the wiring does not know", route),
				"give verify the deployment's address (the proxy or gateway in front of the services)"))
			continue
		}
		wk.add(s.run(ctx))
	}
}

// plan lists the hops after the page: every browser link, then every
// public service's route followed by its checks. Links come first because
// they tell how the browser reaches the services.
func (wk *walker) plan() []step {
	var steps []step
	for i := range wk.m.Services {
		owner := &wk.m.Services[i]
		for _, l := range owner.Links {
			if l.ResolvedBy != topology.ResolvedByBrowser {
				continue
			}
			name := wk.key(owner.Name, l.Env)
			steps = append(steps, step{name: name, kind: KindLink, service: owner.Name, run: func(ctx context.Context) Hop {
				return wk.linkHop(ctx, name, owner, l)
			}})
		}
	}
	for _, r := range wk.w.Routes {
		svc, ok := wk.m.Service(r.Service)
		if !ok {
			continue
		}
		steps = append(steps, step{name: svc.Name, kind: KindRoute, service: svc.Name, run: func(ctx context.Context) Hop {
			return wk.routeHop(ctx, svc, r.URL)
		}})
		for _, c := range svc.Checks {
			name := svc.Name + ":" + c.Name
			steps = append(steps, step{name: name, kind: KindCheck, service: svc.Name, run: func(ctx context.Context) Hop {
				return wk.checkHop(ctx, name, svc, c)
			}})
		}
	}
	return steps
}

// key is the wiring's unique name for service's env var env.
func (wk *walker) key(service, env string) string {
	for _, u := range wk.w.URLs {
		if u.Service == service && u.Name == env {
			return wk.w.Key(u)
		}
	}
	return env
}

// response is a fully read HTTP answer.
type response struct {
	status     int
	statusText string
	header     http.Header
	body       []byte
	url        *url.URL // final URL after redirects
}

func (wk *walker) do(ctx context.Context, method string, u *url.URL, header http.Header, body []byte) (*response, error) {
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
	resp, err := wk.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, err
	}
	return &response{status: resp.StatusCode, statusText: resp.Status, header: resp.Header, body: b, url: resp.Request.URL}, nil
}

// pageHop loads the entry URL as the browser does.
func (wk *walker) pageHop(ctx context.Context) Hop {
	fe := wk.m.Frontend()
	h := Hop{Name: HopPage, Kind: KindPage, Service: fe.Name, Detail: "GET " + wk.entry.String()}
	r := &reach{svc: fe, base: wk.entry, name: wk.m.EntryURLName}
	resp, err := wk.do(ctx, http.MethodGet, wk.entry, nil, nil)
	if err != nil {
		return wk.netFailure(h, err, wk.entry, r.wiring(), wk.entryNetFix(fe))
	}
	h.Detail += ": " + resp.statusText
	if resp.url.String() != wk.entry.String() {
		h.Detail += " from " + resp.url.String()
	}
	ct := resp.header.Get("Content-Type")
	if resp.status != http.StatusOK {
		if resp.status == http.StatusNotFound {
			return fail(h, CauseNotFrontend, r.wiring(),
				fmt.Sprintf("%s answers 404: nothing there serves %s's page", resp.url, fe.Name),
				fmt.Sprintf("point %s at %s (or at the proxy or gateway route to it)", wk.m.EntryURLName, fe.Name))
		}
		return wk.statusFailure(h, resp, r, http.StatusOK)
	}
	if !strings.HasPrefix(ct, "text/html") {
		return fail(h, CauseNotFrontend, r.wiring(),
			fmt.Sprintf("the page is %q, not text/html: %s leads to something other than %s's page", ct, wk.m.EntryURLName, fe.Name),
			fmt.Sprintf("point %s at %s (or at the proxy or gateway route to it)", wk.m.EntryURLName, fe.Name))
	}
	page := *resp.url
	page.RawQuery, page.Fragment = "", ""
	wk.page = &page
	r.base = wk.page
	wk.reach[fe.Name] = r
	h.Status = Pass
	h.Detail += " (" + ct + ")"
	return h
}

// entryNetFix is the fix when nothing answers at the entry URL.
func (wk *walker) entryNetFix(fe *topology.Service) string {
	if isLoopback(wk.entry.Hostname()) && portOf(wk.entry) == fmt.Sprint(fe.HostPort) {
		return fmt.Sprintf("start %s with its port published on this machine (compose: ports \"%d:%d\")", fe.Name, fe.HostPort, fe.Port)
	}
	return fmt.Sprintf("start the deployment: the proxy or gateway that serves %s at %s, or %s itself with its port published", wk.m.EntryURLName, hostPort(wk.entry), fe.Name)
}

// linkHop finds out what a browser link is in the deployment: the value
// the owner serves where the spec says it exposes it, else the model's.
func (wk *walker) linkHop(ctx context.Context, name string, owner *topology.Service, l topology.Link) Hop {
	h := Hop{Name: name, Kind: KindLink, Service: owner.Name}
	to, _ := wk.m.Service(l.To)
	model := wk.w.Link(owner.Name, l.Env)
	// At-fault lines say "ENV on owner", which is unique without the
	// wiring's key (the hop's name).
	r := &reach{svc: to, name: l.Env, owner: owner.Name, model: model, served: model}
	// The first link to a service decides how the browser reaches it; a
	// failed one keeps the browser from it.
	claim := func(h Hop) Hop {
		if _, ok := wk.reach[to.Name]; !ok {
			if h.Status == Fail {
				r.blocked = h.Name
			}
			wk.reach[to.Name] = r
		}
		return h
	}
	ownerBase, readable := wk.ownerBase(owner)
	switch {
	case l.ExposedAt == nil:
		h.Detail = fmt.Sprintf("%q, the model's value (%s does not expose it)", model, owner.Name)
	case !readable:
		h.Detail = fmt.Sprintf("%q, the model's value (%s is internal: the browser cannot read %s)", model, owner.Name, l.ExposedAt.Path)
	default:
		src := join(ownerBase, l.ExposedAt.Path)
		if owner.Role == topology.RoleFrontend {
			// A resource of the page is resolved against the page, as the
			// browser resolves it.
			ref, _ := url.Parse(l.ExposedAt.Path)
			src = wk.page.ResolveReference(ref)
		}
		h.Detail = "GET " + src.String()
		ownerReach := wk.ownerReach(owner, ownerBase)
		resp, err := wk.do(ctx, http.MethodGet, src, nil, nil)
		if err != nil {
			return claim(wk.netFailure(h, err, src, ownerReach.wiring(), fmt.Sprintf("the page loaded but %s did not: check the route to %s", l.ExposedAt.Path, owner.Name)))
		}
		if resp.status != http.StatusOK {
			h.Detail += ": " + resp.statusText
			if resp.status == http.StatusNotFound {
				return claim(fail(h, CauseNotExposed, ownerReach.wiring(),
					fmt.Sprintf("%s answers 404, but %s shows %s to the browser there: the URL leads to something other than %s", resp.url, owner.Name, l.Env, owner.Name),
					fmt.Sprintf("point %s at %s (or at the proxy or gateway route to it)", ownerReach.name, owner.Name)))
			}
			return claim(wk.statusFailure(h, resp, ownerReach, http.StatusOK))
		}
		served, ok := capture(l.ExposedAt.Text, resp.body)
		if !ok {
			h.Detail += ": " + resp.statusText + ", no " + l.Env
			return claim(fail(h, CauseNotExposed, ownerReach.wiring(),
				fmt.Sprintf("%s has no %s, where %s shows %s to the browser: this is not the %s the spec describes (or its exposedAt is out of date)", resp.url, quoteText(l.ExposedAt.Text), owner.Name, l.Env, owner.Name),
				fmt.Sprintf("point %s at %s, or correct links[%s].exposedAt in the spec", ownerReach.name, owner.Name, l.Env)))
		}
		r.served = served
		h.Detail += fmt.Sprintf(": %q", served)
	}
	atFault := fmt.Sprintf("%s %q on %s", l.Env, r.served, owner.Name)
	modelFix := fmt.Sprintf("set %s on %s to %q, how the browser reaches %s in this deployment", l.Env, owner.Name, model, to.Name)
	if r.served == "" {
		return claim(fail(h, CauseEmptyURL, atFault,
			fmt.Sprintf("%s is empty on %s, so the browser calls the page's own origin instead of %s", l.Env, owner.Name, to.Name), modelFix))
	}
	ref, err := url.Parse(r.served)
	if err != nil {
		return claim(fail(h, CauseBadURL, atFault, fmt.Sprintf("the browser cannot parse %s: %v", l.Env, err), modelFix))
	}
	base := wk.page.ResolveReference(ref)
	if (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return claim(fail(h, CauseBadURL, atFault, fmt.Sprintf("%s resolves to %s, which the browser cannot call", l.Env, base), modelFix))
	}
	base.RawQuery, base.Fragment = "", ""
	r.base = base
	h.Detail += " -> " + base.String()
	if wk.crossOrigin(base) {
		h.Detail += " (cross-origin: needs CORS)"
	} else {
		h.Detail += " (same origin)"
	}
	if r.drifted() {
		h.Note = fmt.Sprintf("%s serves %s %q, but the model wires %q for this deployment; verify follows the served value, as the browser does (render and deploy again if the difference is not intended)", owner.Name, l.Env, r.served, model)
	}
	h.Status = Pass
	return claim(h)
}

// ownerBase is where the browser reads a link's owner: the page for the
// frontend, the model's route for an api; internal services are unreadable.
func (wk *walker) ownerBase(owner *topology.Service) (*url.URL, bool) {
	if owner.Role == topology.RoleFrontend {
		return wk.page, true
	}
	route, ok := wk.w.Route(owner.Name)
	if !ok {
		return nil, false
	}
	ref, err := url.Parse(route)
	if err != nil {
		return nil, false
	}
	return wk.page.ResolveReference(ref), true
}

// ownerReach describes how the browser reaches a link's owner, for at-fault
// lines of the hop that reads its exposure.
func (wk *walker) ownerReach(owner *topology.Service, base *url.URL) *reach {
	if r, ok := wk.reach[owner.Name]; ok && owner.Role == topology.RoleFrontend {
		return r
	}
	route, _ := wk.w.Route(owner.Name)
	return &reach{svc: owner, base: base, name: "the route to " + owner.Name, owner: "", served: route, model: route}
}

// reachOf returns how the browser reaches svc: through its first browser
// link, or the model's route when no link names it.
func (wk *walker) reachOf(svc *topology.Service, route string) *reach {
	if r, ok := wk.reach[svc.Name]; ok {
		return r
	}
	r := &reach{svc: svc, served: route, model: route}
	if svc.Role == topology.RoleFrontend {
		// A frontend other than the first: the browser opens its own URL.
		r.name = svc.URLName
	}
	if ref, err := url.Parse(route); err == nil {
		r.base = wk.page.ResolveReference(ref)
		r.base.RawQuery, r.base.Fragment = "", ""
	}
	wk.reach[svc.Name] = r
	return r
}

// onOwnPage makes a frontend other than the first the page of the hops
// that reach it, until the returned func restores the entry page: the
// browser opens it at its own URL (RESULT_URL), so its requests come from
// its own origin (no Origin header, no CORS) and its scheme is the one
// mixed content is judged against.
func (wk *walker) onOwnPage(svc *topology.Service) (restore func()) {
	r := wk.reach[svc.Name]
	if svc.Role != topology.RoleFrontend || r == nil || r.base == nil || r.base == wk.page {
		return func() {}
	}
	page := wk.page
	own := *r.base
	wk.page = &own
	return func() { wk.page = page }
}

// routeHop asks a public service's health path through its route.
func (wk *walker) routeHop(ctx context.Context, svc *topology.Service, route string) Hop {
	h := Hop{Name: svc.Name, Kind: KindRoute, Service: svc.Name}
	r := wk.reachOf(svc, route)
	defer wk.onOwnPage(svc)()
	if r.blocked != "" {
		h.Status, h.Detail = Skip, "not reached: hop "+r.blocked+" failed"
		return h
	}
	if r.base == nil {
		return fail(h, CauseBadURL, r.wiring(), fmt.Sprintf("the model's route %q is not a URL", route), "report this to synctl's maintainers: the wiring is broken")
	}
	u := join(r.base, svc.HealthPath)
	h.Detail = "GET " + u.String()
	if f, bad := wk.mixedContent(h, r, u); bad {
		r.blocked = h.Name
		return f
	}
	resp, err := wk.do(ctx, http.MethodGet, u, wk.originHeader(u), nil)
	if err != nil {
		r.blocked = h.Name
		return wk.netFailure(h, err, u, r.wiring(), wk.routeNetFix(r, u))
	}
	h.Detail += ": " + resp.statusText
	if resp.status != http.StatusOK {
		r.blocked = h.Name
		return wk.routeStatusFailure(h, resp, r, svc.HealthPath, http.StatusOK)
	}
	h, bad := wk.corsFailure(h, r, u, resp.header)
	if bad {
		r.blocked = h.Name
		return h
	}
	h.Status = Pass
	return h
}

// checkHop sends one declared check through the service's route.
func (wk *walker) checkHop(ctx context.Context, name string, svc *topology.Service, c topology.Check) Hop {
	h := Hop{Name: name, Kind: KindCheck, Service: svc.Name}
	r := wk.reach[svc.Name]
	defer wk.onOwnPage(svc)()
	if r == nil || r.blocked != "" || r.base == nil {
		blocked := svc.Name
		if r != nil && r.blocked != "" {
			blocked = r.blocked
		}
		h.Status, h.Detail = Skip, "not reached: hop "+blocked+" failed"
		return h
	}
	u := join(r.base, c.Path)
	h.Detail = c.Method + " " + u.String()
	hdr := wk.originHeader(u)
	if c.Body != "" {
		hdr.Set("Content-Type", c.ContentType)
	}
	if wk.crossOrigin(u) && needsPreflight(c) {
		if f, bad := wk.preflight(ctx, h, r, u, c); bad {
			return f
		}
	}
	var body []byte
	if c.Body != "" {
		body = []byte(c.Body)
	}
	resp, err := wk.do(ctx, c.Method, u, hdr, body)
	via := wk.via(svc, c)
	if err != nil && via != nil && isTimeout(err) {
		// The route answered the service's health check a moment ago, so a
		// check that hangs is the service waiting on the link it answers
		// through (a name no DNS answers, an address that drops packets).
		h.Detail += ": " + shortErr(err)
		return via.hang(h, wk.timeout)
	}
	if err != nil {
		return wk.netFailure(h, err, u, r.wiring(), wk.routeNetFix(r, u))
	}
	h.Detail += ": " + resp.statusText
	if resp.status != c.Status {
		if via != nil && !gatewayAnswer(resp) && resp.status != http.StatusNotFound {
			return via.failure(h, resp.body, fmt.Sprintf("status %d, not %d", resp.status, c.Status))
		}
		return wk.routeStatusFailure(h, resp, r, c.Path, c.Status)
	}
	h, bad := wk.corsFailure(h, r, u, resp.header)
	if bad {
		return h
	}
	if c.JSON && !json.Valid(resp.body) {
		return fail(h, CauseNotJSON, r.wiring(),
			fmt.Sprintf("the answer to %s %s is not JSON (%s): the route leads somewhere other than %s", c.Method, c.Path, snippet(resp.body), svc.Name),
			fmt.Sprintf("point %s at %s", routeName(r), svc.Name))
	}
	if c.JSON {
		h.Detail += ", JSON"
	}
	if c.Contains != "" {
		part, after := answerPart(resp.body, body)
		if !bytes.Contains(part, []byte(c.Contains)) {
			why := fmt.Sprintf("the answer lacks %q", c.Contains)
			if after {
				why += " after the item verify sent (an earlier answer's may still be in the list)"
			}
			if via != nil {
				return via.failure(h, part, why)
			}
			return fail(h, CauseBodyMismatch, r.wiring(),
				fmt.Sprintf("%s: %s answered %s", why, svc.Name, snippet(part)),
				fmt.Sprintf("check that %s leads to %s and that %s is the version the spec's checks describe", routeName(r), svc.Name, svc.Name))
		}
		h.Detail += fmt.Sprintf(", has %q", c.Contains)
	}
	if via != nil {
		h.Detail += fmt.Sprintf(" (%s used %s)", svc.Name, c.Via)
	}
	h.Status = Pass
	return h
}

// routeName is how a fix refers to the wiring that leads to a service.
func routeName(r *reach) string {
	switch {
	case r.name == "":
		return "the route to " + r.svc.Name
	case r.owner == "":
		return r.name
	}
	return r.name + " on " + r.owner
}

// needsPreflight reports whether a browser sends a CORS preflight before c:
// any method but GET, HEAD and POST, or a body type forms cannot send.
func needsPreflight(c topology.Check) bool {
	switch c.Method {
	case http.MethodGet, http.MethodHead, http.MethodPost:
	default:
		return true
	}
	if c.Body == "" {
		return false
	}
	ct := strings.ToLower(strings.TrimSpace(strings.Split(c.ContentType, ";")[0]))
	return ct != "application/x-www-form-urlencoded" && ct != "multipart/form-data" && ct != "text/plain"
}

func (wk *walker) preflight(ctx context.Context, h Hop, r *reach, u *url.URL, c topology.Check) (Hop, bool) {
	hdr := http.Header{}
	hdr.Set("Origin", wk.pageOrigin())
	hdr.Set("Access-Control-Request-Method", c.Method)
	if c.Body != "" {
		hdr.Set("Access-Control-Request-Headers", "content-type")
	}
	resp, err := wk.do(ctx, http.MethodOptions, u, hdr, nil)
	if err != nil {
		return wk.netFailure(h, err, u, r.wiring(), wk.routeNetFix(r, u)), true
	}
	acao := resp.header.Get("Access-Control-Allow-Origin")
	acam := strings.ToUpper(resp.header.Get("Access-Control-Allow-Methods"))
	acah := strings.ToLower(resp.header.Get("Access-Control-Allow-Headers"))
	methodOK := c.Method == http.MethodGet || c.Method == http.MethodHead || c.Method == http.MethodPost || acam == "*" || listHas(acam, c.Method)
	headersOK := c.Body == "" || acah == "*" || listHas(acah, "content-type")
	if resp.status/100 == 2 && (acao == "*" || acao == wk.pageOrigin()) && methodOK && headersOK {
		return h, false
	}
	return fail(h, CauseCORS, r.wiring(),
		fmt.Sprintf("the browser's CORS preflight (OPTIONS from %s for %s with Content-Type %s) got %s with Access-Control-Allow-Origin %q, -Methods %q and -Headers %q, so the browser would not send the request",
			wk.pageOrigin(), c.Method, orNone(c.ContentType), resp.statusText, acao, acam, acah),
		wk.corsFix(r)), true
}

func listHas(list, item string) bool {
	for _, v := range strings.Split(list, ",") {
		if strings.EqualFold(strings.TrimSpace(v), item) {
			return true
		}
	}
	return false
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

// gatewayAnswer reports whether a 5xx answer comes from a load balancer
// with no backend rather than from the service.
func gatewayAnswer(resp *response) bool {
	return resp.status >= 500 && bytes.Contains(resp.body, []byte("no healthy upstream"))
}

// answerPart narrows a check's answer to what answers this request: when
// the request posted a JSON object and the answer is a JSON array holding
// it (a list that grows with every request, such as a chat's history),
// only the items after the last copy of it count, so that an earlier run's
// answer cannot pass the check. after reports whether it narrowed.
func answerPart(answer, sent []byte) (part []byte, after bool) {
	var obj map[string]any
	if len(sent) == 0 || json.Unmarshal(sent, &obj) != nil || obj == nil {
		return answer, false
	}
	var items []json.RawMessage
	if json.Unmarshal(answer, &items) != nil {
		return answer, false
	}
	last := -1
	for i, raw := range items {
		var item map[string]any
		if json.Unmarshal(raw, &item) == nil && holds(item, obj) {
			last = i
		}
	}
	if last < 0 {
		return answer, false
	}
	var rest []byte
	for i, raw := range items[last+1:] {
		if i > 0 {
			rest = append(rest, ',')
		}
		rest = append(rest, raw...)
	}
	return rest, true
}

// holds reports whether item has every field of obj with the same value.
func holds(item, obj map[string]any) bool {
	for k, v := range obj {
		iv, ok := item[k]
		if !ok {
			return false
		}
		a, _ := json.Marshal(iv)
		b, _ := json.Marshal(v)
		if !bytes.Equal(a, b) {
			return false
		}
	}
	return true
}

// join appends p to base's path without doubling or dropping the slash
// between them.
func join(base *url.URL, p string) *url.URL {
	u := *base
	u.Path = strings.TrimSuffix(base.Path, "/") + p
	u.RawPath, u.RawQuery, u.Fragment = "", "", ""
	return &u
}
