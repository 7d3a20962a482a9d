package target

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/topology"
)

// Graph draws t's topology of the app: the browser, the proxy or gateway in
// front where there is one, and each service, every hop labelled with the
// URL it uses (and the name the spec gives that URL).
func (p *Plan) Graph(t Target) *render.Graph {
	cfg := p.configs[t.Name()]
	return graphOf(p.Model, topology.Wire(p.Model, cfg), t, cfg)
}

func graphOf(m *topology.Model, w topology.Wiring, t Target, cfg Config) *render.Graph {
	g := &render.Graph{Title: fmt.Sprintf("%s on %s", m.Name, t.Name())}
	browser := render.GraphID("browser")
	g.Nodes = append(g.Nodes, render.GraphNode{ID: browser, Lines: []string{"browser"}, Kind: render.NodeBrowser})
	front, detail := cfg.Front()
	frontID := ""
	if front != "" {
		frontID = render.GraphID("front")
		g.Nodes = append(g.Nodes, render.GraphNode{ID: frontID, Lines: []string{front, detail}, Kind: render.NodeFront})
	}
	for i := range m.Services {
		s := &m.Services[i]
		kind := render.NodeService
		if !s.Routed() {
			kind = render.NodeInternal
		}
		g.Nodes = append(g.Nodes, render.GraphNode{ID: render.GraphID("svc " + s.Name), Lines: []string{s.Name, nodeDetail(s)}, Kind: kind})
	}
	svc := func(name string) string { return render.GraphID("svc " + name) }
	// What the browser calls: the entry URL and every URL a service hands
	// it, to the proxy in front or straight to the service.
	for _, u := range w.URLs {
		if u.ResolvedBy != topology.ResolvedByBrowser {
			continue
		}
		to := svc(u.To)
		if frontID != "" {
			to = frontID
		}
		lines := []string{w.Key(u), u.URL}
		if !u.Entry {
			lines[0] += " (from " + u.Service + ")"
		}
		g.Edges = append(g.Edges, render.GraphEdge{From: browser, To: to, Lines: lines})
	}
	// What the proxy forwards where: by path prefix (relative routes) or by
	// hostname.
	if frontID != "" {
		// One host for every route means routing by path; relative
		// routes are paths on the entry URL's host.
		hosts := map[string]bool{}
		for _, r := range w.Routes {
			if u, err := url.Parse(r.URL); err == nil && u.Host != "" {
				hosts[u.Host] = true
			}
		}
		byPath := len(hosts) <= 1
		for _, r := range w.Routes {
			s, _ := m.Service(r.Service)
			match := r.URL
			u, err := url.Parse(r.URL)
			switch {
			case s == m.Frontend() && byPath:
				match = "/ (everything else)"
			case err != nil:
			case byPath && u.Host != "":
				match = u.Path
			case u.Host != "":
				match = "host " + u.Host
			}
			g.Edges = append(g.Edges, render.GraphEdge{From: frontID, To: svc(r.Service), Lines: []string{match, fmt.Sprintf("to port %d", s.Port)}})
		}
	}
	// What services call inside the deployment, each hop labelled with its
	// env var, and with its form where it is not a URL.
	for _, u := range w.URLs {
		if u.ResolvedBy != topology.ResolvedByService {
			continue
		}
		lines := []string{w.Key(u), u.URL}
		switch u.Form {
		case topology.FormHostPort:
			lines[0] += " (host:port)"
		case topology.FormHost:
			lines[0] += fmt.Sprintf(" (host; %s=%d)", u.PortEnv, u.Endpoint.Port)
			if u.PortEnv == "" {
				lines[0] = w.Key(u) + " (host)"
			}
		}
		g.Edges = append(g.Edges, render.GraphEdge{From: svc(u.Service), To: svc(u.To), Lines: lines, Inside: true})
	}
	return g
}

// nodeDetail is a service's second line: its role and ports, or what
// kind of process it is when it listens on none.
func nodeDetail(s *topology.Service) string {
	switch {
	case s.Job:
		return s.Role.String() + " job, runs once"
	case s.Worker():
		return s.Role.String() + " worker, no port"
	case len(s.Ports) == 1 && s.Ports[0].Protocol == topology.ProtocolHTTP:
		return fmt.Sprintf("%s, port %d", s.Role, s.Port)
	}
	var ports []string
	for _, p := range s.Ports {
		ports = append(ports, fmt.Sprintf("%d %s", p.Number, p.Protocol))
	}
	return fmt.Sprintf("%s, port %s", s.Role, strings.Join(ports, ", "))
}
