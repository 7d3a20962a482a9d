package target

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/topology"
)

// nginx is compose behind nginx: one TLS entry point that proxies each public
// api under a path prefix (stripped) and everything else to the frontend;
// nothing but nginx publishes a port.
type nginx struct{}

type nginxSpec struct {
	// Image is the nginx image (default nginx:alpine).
	Image string `yaml:"image"`
	// ServerName is the TLS host name: the certificate's and server_name
	// (default localhost).
	ServerName string `yaml:"serverName"`
	HTTPPort   int    `yaml:"httpPort"`  // default 80
	HTTPSPort  int    `yaml:"httpsPort"` // default 443
	// Network is the user-defined network (default <app>-nginx).
	Network string `yaml:"network"`
	// Paths maps each public api to its URL prefix, ending in "/" and
	// stripped before proxying (default /<service>/).
	Paths map[string]string `yaml:"paths"`
	// Hosts maps each frontend after the first to the hostname nginx
	// serves it at (default <service>.<serverName>).
	Hosts map[string]string `yaml:"hosts"`
}

// Where the bundle keeps nginx's files, and where the container sees them.
const (
	nginxConfPath   = "nginx.conf"
	certPath        = "certs/tls.crt"
	keyPath         = "certs/tls.key"
	nginxConfMount  = "/etc/nginx/nginx.conf"
	nginxCertsMount = "/etc/nginx/certs"
	proxyName       = "nginx"
)

func (nginx) Name() string { return "nginx" }
func (nginx) Description() string {
	return "Compose behind nginx: one TLS entry point, each public api under a path prefix, the rest to the frontend"
}
func (nginx) Spec() any           { return &nginxSpec{} }
func (nginx) Flags() []Flag       { return nil }
func (nginx) Stdout() render.Kind { return "" }

func (t nginx) Configure(sec *topology.Section, _ Overrides) Config {
	var s nginxSpec
	sec.Decode(&s)
	s.Image = cmp.Or(s.Image, "nginx:alpine")
	s.ServerName = cmp.Or(s.ServerName, "localhost")
	s.HTTPPort = cmp.Or(s.HTTPPort, 80)
	s.HTTPSPort = cmp.Or(s.HTTPSPort, 443)
	sec.Image("image", s.Image)
	sec.Hostname("serverName", s.ServerName)
	sec.Port("httpPort", s.HTTPPort)
	sec.Port("httpsPort", s.HTTPSPort)
	if s.HTTPPort == s.HTTPSPort {
		sec.Errorf("httpsPort", "%d is also httpPort; HTTP and HTTPS need different host ports", s.HTTPSPort)
	}
	if s.Network != "" {
		sec.Label("network", s.Network, 63)
	}
	sec.ServiceKeys("paths", s.Paths, onlyPrefixed(sec.Model, false))
	// The proxy is a compose service beside the app's, named proxyName:
	// refused rather than renamed, so that the name users see in
	// `docker compose ps`, the diagrams and the README stays nginx.
	sec.ReservedName(proxyName, "the nginx target's proxy")
	m := sec.Model
	sec.ServiceKeys("hosts", s.Hosts, func(svc *topology.Service) string {
		if svc.Role != topology.RoleFrontend || svc == m.Frontend() {
			return "is not a frontend after the first; the first is served at serverName, apis under paths"
		}
		return ""
	})
	if m == nil {
		return &nginxConfig{nginxSpec: s}
	}
	s.Network = cmp.Or(s.Network, m.Name+"-"+t.Name())
	s.Paths = apiPrefixes(sec, s.Paths, slash{trailing: true, why: "nginx replaces the whole prefix with '/'"}, false)
	// A frontend is a whole site: its pages use absolute paths (/static/,
	// /socket.io/) that a path prefix would break, so every frontend
	// after the first gets a hostname of its own. Browsers resolve every
	// *.localhost name to the machine itself.
	hosts := map[string]string{}
	for _, fe := range m.Frontends()[min(1, len(m.Frontends())):] {
		hosts[fe.Name] = cmp.Or(s.Hosts[fe.Name], fe.Name+"."+s.ServerName)
		sec.Hostname("hosts."+fe.Name, hosts[fe.Name])
	}
	sec.Distinct("hosts", hosts)
	s.Hosts = hosts
	return &nginxConfig{nginxSpec: s}
}

type nginxConfig struct{ nginxSpec }

// EntryURL is nginx's HTTPS address, at the frontend's own hostname for
// a frontend after the first; port 80 only redirects there.
func (c *nginxConfig) EntryURL(fe *topology.Service) string {
	return topology.HostURL("https", cmp.Or(c.Hosts[fe.Name], c.ServerName), c.HTTPSPort)
}

// BrowserURL is the api's path prefix, relative to the entry URL: the
// browser reuses the scheme, host and port it loaded the page from.
func (c *nginxConfig) BrowserURL(to *topology.Service) string { return c.Paths[to.Name] }

// Internal uses the callee's name on the shared network.
func (c *nginxConfig) Internal(_, to *topology.Service, p topology.Port) topology.Endpoint {
	return topology.Endpoint{Host: to.Name, Port: p.Number}
}

// SecretRef is compose's interpolation of the bundle's .env file.
func (c *nginxConfig) SecretRef(_ *topology.Service, secret string) string {
	return render.ComposeSecretRef(secret)
}

func (c *nginxConfig) Files(b *Build) ([]render.File, error) {
	files, _, err := composeFiles(b, render.ComposeOptions{
		Project: project(b),
		Network: c.Network,
		Publish: publishNothing,
		Proxy: &render.ComposeProxy{
			Name:  proxyName,
			Image: c.Image,
			Ports: [][2]int{{c.HTTPPort, 80}, {c.HTTPSPort, 443}},
			Mounts: [][2]string{
				{"./" + nginxConfPath, nginxConfMount},
				{"./certs", nginxCertsMount},
			},
		},
	}, false)
	if err != nil {
		return nil, err
	}
	conf, err := render.NginxConf(b.Model, render.NginxOptions{
		Path:       nginxConfPath,
		Image:      c.Image,
		ServerName: c.ServerName,
		Hosts:      c.Hosts,
		HTTPSPort:  c.HTTPSPort,
		Prefixes:   c.Paths,
		CertFile:   nginxCertsMount + "/" + strings.TrimPrefix(certPath, "certs/"),
		KeyFile:    nginxCertsMount + "/" + strings.TrimPrefix(keyPath, "certs/"),
	}, b.Command())
	if err != nil {
		return nil, err
	}
	cert, key, err := render.SelfSignedCert(c.ServerName, slices.Sorted(maps.Values(c.Hosts))...)
	if err != nil {
		return nil, err
	}
	return append(files, conf,
		render.File{Path: certPath, Data: cert, Mode: 0o644, Kind: render.KindKey},
		render.File{Path: keyPath, Data: key, Mode: 0o600, Kind: render.KindKey},
	), nil
}

func (c *nginxConfig) Readme(b *Build) render.Readme {
	steps := composeSteps(b, false)
	steps = append(steps[:1:1], append([]render.Step{{
		Text: fmt.Sprintf("The certificate in `certs/` is self-signed for %s; your browser will warn once. "+
			"`%s` is private (mode 0600): keep `certs/` out of version control. synctl keeps the pair when you render again, "+
			"and makes a new one where it is missing (`render --check` does not compare it).", c.ServerName, keyPath),
	}}, steps[1:]...)...)
	var relative []string
	for _, u := range b.Wiring.URLs {
		if !u.Entry && u.ResolvedBy == topology.ResolvedByBrowser {
			relative = append(relative, fmt.Sprintf("%s (`%s`)", u.Name, u.URL))
		}
	}
	notes := composeNotes(b)
	if len(relative) > 0 {
		notes = append(notes, strings.Join(relative, ", ")+" is relative: the browser reuses the scheme, host and port it loaded the page from, so there is no CORS and nothing but nginx is published.")
	}
	notes = append(notes,
		"The key is ECDSA P-256 made in-process (no openssl step), and TLS keeps nginx's default cipher list: a list of only ECDHE-RSA suites (as hand-written setups often have) cannot serve an ECDSA certificate.",
		"nginx looks each service up through Docker's DNS (127.0.0.11) when a request needs it, caching the answer for 5 s, instead of once at start: a service recreated with a new address (`docker compose up -d --force-recreate`) is reached again within seconds, without restarting nginx, and nginx starts while a service is still down.",
		"No `pid` directive and no `http2` line: the image's compiled-in defaults apply, and the file also loads in older nginx builds.",
	)
	return render.Readme{BringUp: steps, Verify: b.Verify("--insecure"), Notes: notes}
}

func (c *nginxConfig) Front() (string, string) {
	return proxyName, fmt.Sprintf("TLS :%d, :%d redirects", c.HTTPSPort, c.HTTPPort)
}
