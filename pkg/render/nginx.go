package render

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/synctl/synctl/pkg/topology"
	"github.com/synctl/synctl/templates"
)

var nginxConfTemplate = sync.OnceValues(func() (*templates.Template, error) {
	return templates.Parse("nginx.conf.tmpl", nil)
})

// NginxOptions are what the nginx target decides about its proxy.
type NginxOptions struct {
	// Path is the configuration file's path in the bundle.
	Path string
	// Image is the nginx image the file is written for.
	Image      string
	ServerName string
	// Hosts maps each frontend after the first to its own server name.
	Hosts     map[string]string
	HTTPSPort int
	// Prefixes maps each public api service to its URL prefix, ending in
	// "/", which nginx strips before proxying.
	Prefixes map[string]string
	// CertFile and KeyFile are where the container sees the certificate.
	CertFile, KeyFile string
}

type nginxServer struct {
	Name     string
	Frontend nginxLocation
}

type nginxLocation struct {
	// Var names the variable that holds the service's URL: proxy_pass
	// through a variable is what makes nginx resolve the name per request.
	Path, Var, Service string
	Port               int
	// Health is the service's health path, the example in the comment.
	Health string
	// Strip replaces the Path prefix by / before proxying; Regexp is Path
	// quoted for the rewrite that does it.
	Strip  bool
	Regexp string
}

// NginxConf renders nginx.conf: every public api at its path prefix,
// stripped, and the frontend at /, each resolved through Docker's DNS per
// request rather than once at start. Every value placed in the file was
// validated by topology or the target (names, DNS names, URL paths), so
// none can end a directive or open a block.
func NginxConf(m *topology.Model, o NginxOptions, cmd string) (File, error) {
	tmpl, err := nginxConfTemplate()
	if err != nil {
		return File{}, err
	}
	data := struct {
		Header, Image, ServerName, RedirectPort, CertFile, KeyFile string
		Locations                                                  []nginxLocation
		// Servers are the frontends after the first, each at its own
		// name, with the same api locations.
		Servers []nginxServer
		// Names are every server name, for the redirect.
		Names string
		// APIs says whether any api is proxied under a path.
		APIs bool
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
	var frontend *nginxLocation
	names := []string{o.ServerName}
	for i := range m.Services {
		s := &m.Services[i]
		if !s.Routed() {
			continue
		}
		loc := nginxLocation{Path: "/", Var: strings.ReplaceAll(m.Name+"_"+s.Name, "-", "_"), Service: s.Name, Port: s.Port}
		if s == m.Frontend() {
			frontend = &loc
			continue
		}
		if host, ok := o.Hosts[s.Name]; ok {
			data.Servers = append(data.Servers, nginxServer{Name: host, Frontend: loc})
			names = append(names, host)
			continue
		}
		loc.Path, loc.Health, loc.Strip = o.Prefixes[s.Name], s.HealthPath, true
		// Paths are letters, digits, '.', '_', '~', '-' and '/' (topology
		// checks), so the quoted regexp has no ';', '{' or space to end the
		// directive.
		loc.Regexp = regexp.QuoteMeta(loc.Path)
		data.APIs = true
		data.Locations = append(data.Locations, loc)
	}
	if frontend != nil {
		data.Locations = append(data.Locations, *frontend)
	}
	data.Names = strings.Join(names, " ")
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		return File{}, err
	}
	return File{Path: o.Path, Data: b.Bytes(), Mode: 0o644, Kind: KindNginx}, nil
}
