package render

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"text/template"

	"github.com/synctl/synctl/pkg/topology"
	"github.com/synctl/synctl/templates"
)

var nginxConfTemplate = sync.OnceValues(func() (*template.Template, error) {
	return templates.Parse("nginx.conf.tmpl", nil)
})

type nginxUpstream struct {
	Name, Service string
	Port          int
}

type nginxLocation struct {
	Path, Upstream, Service string
	// Health is the service's health path, the example in the comment.
	Health string
	Strip  bool
}

// renderNginxConf renders nginx.conf: every public api at its path prefix,
// stripped, and the frontend at /. Every value placed in the file was
// validated by topology (names, DNS names, URL paths), so none can end a
// directive or open a block.
func renderNginxConf(m *topology.Model, t topology.Target) ([]byte, error) {
	tmpl, err := nginxConfTemplate()
	if err != nil {
		return nil, err
	}
	n := m.Targets.Nginx
	data := struct {
		Header, Image, ServerName, RedirectPort, CertFile, KeyFile string
		Upstreams                                                  []nginxUpstream
		Locations                                                  []nginxLocation
	}{
		Header:     strings.TrimSuffix(string(header("#", Command(t))), "\n") + "\n",
		Image:      n.Image,
		ServerName: n.ServerName,
		CertFile:   nginxCertsMount + "/" + strings.TrimPrefix(CertPath, "certs/"),
		KeyFile:    nginxCertsMount + "/" + strings.TrimPrefix(KeyPath, "certs/"),
	}
	if n.HTTPSPort != 443 {
		data.RedirectPort = ":" + strconv.Itoa(n.HTTPSPort)
	}
	var frontend nginxLocation
	for _, s := range m.Services {
		if !s.Role.Public() {
			continue
		}
		up := nginxUpstream{Name: strings.ReplaceAll(m.Name+"_"+s.Name, "-", "_"), Service: s.Name, Port: s.Port}
		data.Upstreams = append(data.Upstreams, up)
		if s.Role == topology.RoleFrontend {
			frontend = nginxLocation{Path: "/", Upstream: up.Name, Service: s.Name}
			continue
		}
		p := n.Paths[s.Name]
		data.Locations = append(data.Locations, nginxLocation{
			Path: p, Upstream: up.Name, Service: s.Name, Health: s.HealthPath, Strip: true,
		})
	}
	data.Locations = append(data.Locations, frontend)
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
