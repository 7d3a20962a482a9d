package topology

import "strconv"

// URLRules are how one target resolves each kind of URL. Each target
// supplies its own; Wire applies them to every link of the app.
type URLRules interface {
	// EntryURL is how the browser loads the frontend: the app's entry point.
	EntryURL(frontend *Service) string
	// BrowserURL is how the browser reaches a public (api) service. Where
	// one proxy fronts every public service on the entry point's origin,
	// it is a path relative to the entry URL.
	BrowserURL(to *Service) string
	// InternalURL is how one service's own process reaches another inside
	// the deployment.
	InternalURL(from, to *Service) string
}

// Wiring is every URL of one target, computed in one place by Wire.
// Renderers, diff and the READMEs take URLs, their names and their hops
// from here and never derive one themselves.
type Wiring struct {
	// EntryURL is how the browser reaches the frontend.
	EntryURL string
	// URLs lists the entry URL first, then every link in service order.
	URLs []WiredURL
	// Routes lists every public service, in spec order, with the URL at
	// which the browser reaches it (the entry URL for the frontend).
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
	// Name is the entry URL's name (the spec's entryURLName) or the env
	// var the link sets.
	Name string
	URL  string
	// Service is the service the env var is set on; empty for the entry URL.
	Service string
	// To is the service the URL reaches.
	To string
	// ResolvedBy says who uses the URL: the browser or the service itself.
	ResolvedBy Resolver
	// Entry marks the entry URL.
	Entry bool
}

// Wire computes the wiring of m under a target's URL rules.
func Wire(m *Model, r URLRules) Wiring {
	fe := m.Frontend()
	w := Wiring{EntryURL: r.EntryURL(fe), links: map[linkKey]string{}, names: map[string]int{}}
	w.URLs = append(w.URLs, WiredURL{Name: m.EntryURLName, URL: w.EntryURL, To: fe.Name, ResolvedBy: ResolvedByBrowser, Entry: true})
	for i := range m.Services {
		s := &m.Services[i]
		switch s.Role {
		case RoleFrontend:
			w.Routes = append(w.Routes, Route{s.Name, w.EntryURL})
		case RoleAPI:
			w.Routes = append(w.Routes, Route{s.Name, r.BrowserURL(s)})
		}
		for _, l := range s.Links {
			to, _ := m.Service(l.To)
			var u string
			switch {
			case l.ResolvedBy == ResolvedByService:
				u = r.InternalURL(s, to)
			case to.Role == RoleFrontend:
				u = w.EntryURL
			default:
				u = r.BrowserURL(to)
			}
			w.URLs = append(w.URLs, WiredURL{Name: l.Env, URL: u, Service: s.Name, To: to.Name, ResolvedBy: l.ResolvedBy})
		}
	}
	for _, u := range w.URLs {
		w.names[u.Name]++
		w.links[linkKey{u.Service, u.Name}] = u.URL
	}
	return w
}

// Link returns the URL that service's env var env is set to, or "".
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
