package render

import (
	"bytes"
	"regexp"
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

// renderNginxConf renders nginx.conf: every public api at its path prefix,
// stripped, and the frontend at /, each resolved through Docker's DNS per
// request rather than once at start. Every value placed in the file was
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
		loc := nginxLocation{Path: "/", Var: strings.ReplaceAll(m.Name+"_"+s.Name, "-", "_"), Service: s.Name, Port: s.Port}
		if s.Role == topology.RoleFrontend {
			frontend = loc
			continue
		}
		loc.Path, loc.Health, loc.Strip = n.Paths[s.Name], s.HealthPath, true
		// Paths are letters, digits, '.', '_', '~', '-' and '/' (topology
		// checks), so the quoted regexp has no ';', '{' or space to end the
		// directive.
		loc.Regexp = regexp.QuoteMeta(loc.Path)
		data.Locations = append(data.Locations, loc)
	}
	data.Locations = append(data.Locations, frontend)
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}
