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

// NginxOptions are what the nginx target decides about its proxy.
type NginxOptions struct {
	// Path is the configuration file's path in the bundle.
	Path string
	// Image is the nginx image the file is written for.
	Image      string
	ServerName string
	HTTPSPort  int
	// Prefixes maps each public api service to its URL prefix, ending in
	// "/", which nginx strips before proxying.
	Prefixes map[string]string
	// CertFile and KeyFile are where the container sees the certificate.
	CertFile, KeyFile string
}

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

// NginxConf renders nginx.conf: every public api at its path prefix,
// stripped, and the frontend at /. Every value placed in the file was
// validated by topology or the target (names, DNS names, URL paths), so
// none can end a directive or open a block.
func NginxConf(m *topology.Model, o NginxOptions, cmd string) (File, error) {
	tmpl, err := nginxConfTemplate()
	if err != nil {
		return File{}, err
	}
	data := struct {
		Header, Image, ServerName, RedirectPort, CertFile, KeyFile string
		Upstreams                                                  []nginxUpstream
		Locations                                                  []nginxLocation
	}{
		Header:     string(Header("#", cmd)),
		Image:      o.Image,
		ServerName: o.ServerName,
		CertFile:   o.CertFile,
		KeyFile:    o.KeyFile,
	}
	if o.HTTPSPort != 443 {
		data.RedirectPort = ":" + strconv.Itoa(o.HTTPSPort)
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
		data.Locations = append(data.Locations, nginxLocation{
			Path: o.Prefixes[s.Name], Upstream: up.Name, Service: s.Name, Health: s.HealthPath, Strip: true,
		})
	}
	data.Locations = append(data.Locations, frontend)
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		return File{}, err
	}
	return File{Path: o.Path, Data: b.Bytes(), Mode: 0o644, Kind: KindNginx}, nil
}
