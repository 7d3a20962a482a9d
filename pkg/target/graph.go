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
	for _, s := range m.Services {
		kind := render.NodeService
		if !s.Role.Public() {
			kind = render.NodeInternal
		}
		g.Nodes = append(g.Nodes, render.GraphNode{ID: render.GraphID("svc " + s.Name), Lines: []string{s.Name, fmt.Sprintf("%s, port %d", s.Role, s.Port)}, Kind: kind})
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
		byPath := false
		for _, r := range w.Routes {
			byPath = byPath || strings.HasPrefix(r.URL, "/")
		}
		for _, r := range w.Routes {
			s, _ := m.Service(r.Service)
			match := r.URL
			switch {
			case s.Role == topology.RoleFrontend && byPath:
				match = "/ (everything else)"
			case !strings.HasPrefix(r.URL, "/"):
				if u, err := url.Parse(r.URL); err == nil && u.Host != "" {
					match = "host " + u.Host
				}
			}
			g.Edges = append(g.Edges, render.GraphEdge{From: frontID, To: svc(r.Service), Lines: []string{match, fmt.Sprintf("to port %d", s.Port)}})
		}
	}
	// What services call inside the deployment.
	for _, u := range w.URLs {
		if u.ResolvedBy == topology.ResolvedByService {
			g.Edges = append(g.Edges, render.GraphEdge{From: svc(u.Service), To: svc(u.To), Lines: []string{w.Key(u), u.URL}, Inside: true})
		}
	}
	return g
}
