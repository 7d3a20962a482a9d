package verify

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"

	"github.com/synctl/synctl/pkg/topology"
)

// forwarder sends each request for a public service's route to the address
// the service is forwarded to (Options.Forward), instead of through the
// route: the route's path prefix is removed, as the gateway or proxy would
// remove it, and the Host header the browser would send is kept. Requests
// for any other URL fail: only the forwarded services can be reached.
type forwarder struct {
	next  http.RoundTripper
	bases []forwardBase // longest path first
}

type forwardBase struct {
	service            string
	scheme, host, path string
	addr               string
}

// newForwarder maps every public service's route, resolved against the
// entry URL, to its forwarded address. Every public service needs one.
func newForwarder(m *topology.Model, w topology.Wiring, entry *url.URL, forward map[string]string, next http.RoundTripper) (*forwarder, error) {
	f := &forwarder{next: next}
	routed := map[string]bool{}
	for _, r := range w.Routes {
		routed[r.Service] = true
		addr, ok := forward[r.Service]
		if !ok {
			return nil, fmt.Errorf("--forward: public service %s has no address; give SERVICE=HOST:PORT for every public service (%s)", r.Service, strings.Join(publicServices(w), ", "))
		}
		u := entry // the frontend's route is the entry URL the walk starts from
		if r.URL != w.EntryURL {
			ref, err := url.Parse(r.URL)
			if err != nil {
				return nil, fmt.Errorf("the route to %s, %q, is not a URL", r.Service, r.URL)
			}
			u = entry.ResolveReference(ref)
		}
		f.bases = append(f.bases, forwardBase{service: r.Service, scheme: u.Scheme, host: u.Host, path: strings.TrimSuffix(u.Path, "/"), addr: addr})
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for k := range forward {
			if !yield(k) {
				return
			}
		}
	}) {
		if !routed[name] {
			if _, ok := m.Service(name); !ok {
				return nil, fmt.Errorf("--forward %s=%s: the app has no service %s; public services: %s", name, forward[name], name, strings.Join(publicServices(w), ", "))
			}
			return nil, fmt.Errorf("--forward %s=%s: %s is not a public service (no route reaches it from the browser); public services: %s", name, forward[name], name, strings.Join(publicServices(w), ", "))
		}
		if _, _, err := net.SplitHostPort(forward[name]); err != nil {
			return nil, fmt.Errorf("--forward %s=%s: want HOST:PORT, e.g. 127.0.0.1:8080 (where kubectl port-forward listens)", name, forward[name])
		}
	}
	slices.SortStableFunc(f.bases, func(a, b forwardBase) int { return len(b.path) - len(a.path) })
	return f, nil
}

func publicServices(w topology.Wiring) []string {
	var names []string
	for _, r := range w.Routes {
		names = append(names, r.Service)
	}
	return names
}

func (f *forwarder) RoundTrip(req *http.Request) (*http.Response, error) {
	u := req.URL
	for _, b := range f.bases {
		if u.Scheme != b.scheme || u.Host != b.host {
			continue
		}
		p := u.Path
		if p != b.path && !strings.HasPrefix(p, b.path+"/") {
			continue
		}
		out := req.Clone(req.Context())
		out.URL.Scheme, out.URL.Host = "http", b.addr
		out.URL.Path = "/" + strings.TrimPrefix(strings.TrimPrefix(p, b.path), "/")
		out.URL.RawPath = ""
		out.Host = u.Host
		resp, err := f.next.RoundTrip(out)
		if resp != nil {
			// The browser's URL, for redirects and the page's own URL.
			resp.Request = req
		}
		return resp, err
	}
	return nil, fmt.Errorf("%s is on no public service's route, and with --forward only the forwarded services are reached", u.Redacted())
}
