package topology

import (
	"net"
	"strconv"
)

// URLRules are how one target resolves each kind of URL. Each target
// supplies its own; Wire applies them to every link of the app.
type URLRules interface {
	// EntryURL is how the browser loads a frontend; the first frontend's
	// is the app's entry point.
	EntryURL(frontend *Service) string
	// BrowserURL is how the browser reaches a public (api) service. Where
	// one proxy fronts every public service on the entry point's origin,
	// it is a path relative to the entry URL.
	BrowserURL(to *Service) string
	// Internal is where one service's own process reaches a port of
	// another inside the deployment. The link's form spells it.
	Internal(from, to *Service, port Port) Endpoint
	// SecretRef spells, inside an env var's value of service s, the value
	// of a secret s receives: the target expands it when the container
	// starts, so that the value is never written in the bundle.
	SecretRef(s *Service, secret string) string
}

// Endpoint is where a port answers as one target reaches it.
type Endpoint struct {
	Host string
	Port int
}

// Spell writes the address e in the link's form: the one place that turns
// a target's endpoint into the text a service reads. ref is the target's
// reference to the link's password secret.
func (l *Link) Spell(e Endpoint, ref string) string {
	switch l.Form {
	case FormHost:
		return e.Host
	case FormHostPort:
		return net.JoinHostPort(e.Host, strconv.Itoa(e.Port))
	}
	u := l.Scheme + "://"
	if l.User != "" {
		u += l.User
		if l.Password != "" {
			u += ":" + ref
		}
		u += "@"
	}
	return u + HostURL(l.Scheme, e.Host, e.Port)[len(l.Scheme)+3:] + l.Path
}

// Wiring is every URL of one target, computed in one place by Wire.
// Renderers, diff and the READMEs take URLs, their names and their hops
// from here and never derive one themselves.
type Wiring struct {
	// EntryURL is how the browser reaches the first frontend; "" for an
	// app with none.
	EntryURL string
	// URLs lists each frontend's URL first, then every link in service
	// order.
	URLs []WiredURL
	// Routes lists every service the browser reaches, in spec order, with
	// the URL at which it does (a frontend's own URL for a frontend).
	Routes []Route

	// Indexes built by Wire, so that Link and Key stay O(1) for apps of
	// hundreds of services.
	links map[linkKey]string
	names map[string]int
}

type linkKey struct{ service, env string }

// Route is where the browser reaches a public service.
type Route struct{ Service, URL string }

// WiredURL is one URL of the wiring: a hop from whoever resolves it to the
// service it reaches.
type WiredURL struct {
	// Name is a frontend's URL name (the spec's entryURLName for the
	// first) or the env var the link sets.
	Name string
	// URL is the value, in the link's form (a URL, host:port or a host).
	URL string
	// Service is the service the env var is set on; empty for a frontend's URL.
	Service string
	// To is the service the URL reaches.
	To string
	// ResolvedBy says who uses the URL: the browser or the service itself.
	ResolvedBy Resolver
	// Entry marks a frontend's URL; the first is the app's entry point.
	Entry bool
	// Form is how the value is spelled; Port the port of To it reaches
	// (its name) and PortEnv, for form host, the env var that receives
	// Endpoint's port.
	Form     LinkForm
	Port     string
	PortEnv  string
	Endpoint Endpoint
}

// Wire computes the wiring of m under a target's URL rules.
func Wire(m *Model, r URLRules) Wiring {
	w := Wiring{links: map[linkKey]string{}, names: map[string]int{}}
	entry := map[string]string{}
	for _, fe := range m.Frontends() {
		u := r.EntryURL(fe)
		entry[fe.Name] = u
		if w.EntryURL == "" {
			w.EntryURL = u
		}
		w.URLs = append(w.URLs, WiredURL{Name: fe.URLName, URL: u, To: fe.Name, ResolvedBy: ResolvedByBrowser, Entry: true, Form: FormURL, Port: fe.Ports[0].Name})
	}
	for i := range m.Services {
		s := &m.Services[i]
		switch {
		case !s.Routed():
		case s.Role == RoleFrontend:
			w.Routes = append(w.Routes, Route{s.Name, entry[s.Name]})
		default:
			w.Routes = append(w.Routes, Route{s.Name, r.BrowserURL(s)})
		}
		for j := range s.Links {
			l := &s.Links[j]
			to, _ := m.Service(l.To)
			wu := WiredURL{Name: l.Env, Service: s.Name, To: to.Name, ResolvedBy: l.ResolvedBy, Form: l.Form, Port: l.Port, PortEnv: l.PortEnv}
			switch {
			case l.ResolvedBy == ResolvedByService:
				port, _ := to.PortNamed(l.Port)
				wu.Endpoint = r.Internal(s, to, port)
				var ref string
				if l.Password != "" {
					ref = r.SecretRef(s, l.Password)
				}
				wu.URL = l.Spell(wu.Endpoint, ref)
			case to.Role == RoleFrontend:
				wu.URL = entry[to.Name]
			default:
				wu.URL = r.BrowserURL(to)
			}
			w.URLs = append(w.URLs, wu)
		}
	}
	for _, u := range w.URLs {
		w.names[u.Name]++
		w.links[linkKey{u.Service, u.Name}] = u.URL
		if u.PortEnv != "" {
			w.links[linkKey{u.Service, u.PortEnv}] = strconv.Itoa(u.Endpoint.Port)
		}
	}
	return w
}

// Link returns the value service's env var env is set to by a link (its
// URL, or for form host its host or port), or "".
func (w Wiring) Link(service, env string) string { return w.links[linkKey{service, env}] }

// Key is a unique name for u in w: its Name, or "service.NAME" where more
// than one service sets an env var of that name.
func (w Wiring) Key(u WiredURL) string {
	if w.names[u.Name] > 1 && u.Service != "" {
		return u.Service + "." + u.Name
	}
	return u.Name
}

// Route returns the URL at which the browser reaches a public service.
func (w Wiring) Route(service string) (string, bool) {
	for _, r := range w.Routes {
		if r.Service == service {
			return r.URL, true
		}
	}
	return "", false
}

// HostURL joins scheme, host and port, leaving out the scheme's default port.
func HostURL(scheme, host string, port int) string {
	if (scheme == "http" && port == 80) || (scheme == "https" && port == 443) {
		return scheme + "://" + host
	}
	return scheme + "://" + host + ":" + strconv.Itoa(port)
}
