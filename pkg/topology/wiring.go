package topology

import (
	"fmt"
	"strconv"
)

// Wiring is every URL a target needs, computed in one place by Wire.
// Renderers take URLs from here and never derive one themselves.
type Wiring struct {
	Target Target
	// CHATURL is how the browser reaches the frontend: the app's entry point.
	CHATURL string
	// URLs lists CHAT_URL first, then every link in service order. For
	// SynergyChat that is CHAT_URL, API_URL, CRAWLER_BASE_URL.
	URLs []WiredURL

	// Indexes built by Wire, so that Link and Key stay O(1) for apps of
	// hundreds of services; a Wiring built by hand has none and is scanned.
	links map[linkKey]string
	names map[string]int
}

type linkKey struct{ service, env string }

// ChatURLName is the name of the entry-point URL, which has no env var.
const ChatURLName = "CHAT_URL"

// WiredURL is one URL of the wiring.
type WiredURL struct {
	// Name is CHAT_URL or the env var the link sets.
	Name string
	URL  string
	// Service is the service the env var is set on; empty for CHAT_URL.
	Service string
	// To is the service the URL reaches.
	To string
	// ResolvedBy says who uses the URL: the browser or the service itself.
	ResolvedBy Resolver
}

// Get returns the URL named name, or "".
func (w Wiring) Get(name string) string {
	for _, u := range w.URLs {
		if u.Name == name {
			return u.URL
		}
	}
	return ""
}

// Link returns the URL that service's env var env is set to, or "".
func (w Wiring) Link(service, env string) string {
	if w.links != nil {
		return w.links[linkKey{service, env}]
	}
	for _, u := range w.URLs {
		if u.Service == service && u.Name == env {
			return u.URL
		}
	}
	return ""
}

// Wire computes the wiring of m on target t.
func Wire(m *Model, t Target) Wiring {
	fe := m.Frontend()
	w := Wiring{Target: t, CHATURL: entryURL(m, t, fe), links: map[linkKey]string{}, names: map[string]int{}}
	w.URLs = append(w.URLs, WiredURL{Name: ChatURLName, URL: w.CHATURL, To: fe.Name, ResolvedBy: ResolvedByBrowser})
	byName := m.byName()
	for _, s := range m.Services {
		for _, l := range s.Links {
			to := byName[l.To]
			var u string
			if l.ResolvedBy == ResolvedByBrowser {
				u = browserURL(m, t, to)
			} else {
				u = internalURL(m, t, to)
			}
			w.URLs = append(w.URLs, WiredURL{Name: l.Env, URL: u, Service: s.Name, To: to.Name, ResolvedBy: l.ResolvedBy})
		}
	}
	for _, u := range w.URLs {
		w.names[u.Name]++
		k := linkKey{u.Service, u.Name}
		if _, dup := w.links[k]; !dup { // the first wins, as in the scan
			w.links[k] = u.URL
		}
	}
	return w
}

// entryURL is how the browser loads the frontend.
func entryURL(m *Model, t Target, fe *Service) string {
	switch t {
	case Docker:
		return hostURL("http", m.Targets.Docker.Host, fe.HostPort, 0)
	case DockerNetwork:
		return hostURL("http", m.Targets.DockerNetwork.Host, fe.HostPort, 0)
	case Nginx:
		n := m.Targets.Nginx
		return hostURL("https", n.ServerName, n.HTTPSPort, 443)
	case Minikube:
		return "http://" + m.Targets.Minikube.Hosts[fe.Name]
	case GKE:
		return "http://" + m.Targets.GKE.Address + "/"
	}
	panic(fmt.Sprintf("topology: unhandled target %q", t))
}

// browserURL is how the browser reaches a public service. Where one proxy or
// gateway fronts every public service on the entry point's origin, the URL is
// a path relative to CHAT_URL, so it follows whatever scheme, host and port
// the page was loaded from.
func browserURL(m *Model, t Target, to *Service) string {
	if to.Role == RoleFrontend {
		return entryURL(m, t, to)
	}
	switch t {
	case Docker:
		return hostURL("http", m.Targets.Docker.Host, to.HostPort, 0)
	case DockerNetwork:
		return hostURL("http", m.Targets.DockerNetwork.Host, to.HostPort, 0)
	case Nginx:
		return m.Targets.Nginx.Paths[to.Name]
	case Minikube:
		return "http://" + m.Targets.Minikube.Hosts[to.Name]
	case GKE:
		return m.Targets.GKE.Paths[to.Name]
	}
	panic(fmt.Sprintf("topology: unhandled target %q", t))
}

// internalURL is how one service's process reaches another inside the
// deployment.
func internalURL(m *Model, t Target, to *Service) string {
	switch t {
	case Docker:
		// The default bridge has no name resolution: loop back through the
		// port the target publishes on the host.
		return hostURL("http", HostGatewayName, to.HostPort, 0)
	case DockerNetwork, Nginx:
		return hostURL("http", to.Name, to.Port, 0)
	case Minikube, GKE:
		// Same namespace: the Service's short name resolves, on port 80.
		return "http://" + KubeServiceName(to.Name)
	}
	panic(fmt.Sprintf("topology: unhandled target %q", t))
}

// HostGatewayName is the name containers on the default bridge use for the
// docker host; on Linux it resolves only with an extra_hosts host-gateway entry.
const HostGatewayName = "host.docker.internal"

func hostURL(scheme, host string, port, defaultPort int) string {
	if port == defaultPort || (scheme == "http" && port == 80) {
		return scheme + "://" + host
	}
	return scheme + "://" + host + ":" + strconv.Itoa(port)
}

// KubeServiceName is the Kubernetes Service fronting a service.
func KubeServiceName(service string) string { return service + "-service" }

// Key is a unique name for u in w: its Name, or "service.NAME" where more
// than one service sets an env var of that name.
func (w Wiring) Key(u WiredURL) string {
	n := w.names[u.Name]
	if w.names == nil {
		for _, o := range w.URLs {
			if o.Name == u.Name {
				n++
			}
		}
	}
	if n > 1 && u.Service != "" {
		return u.Service + "." + u.Name
	}
	return u.Name
}
