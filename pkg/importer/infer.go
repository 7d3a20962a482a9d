package importer

import (
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/synctl/synctl/pkg/topology"
)

// link is an env value recognised as the address of another service.
type link struct {
	env   string
	value string // as compose set it
	to    *service
	port  int // the container port it reaches
	form  topology.LinkForm
	// scheme, path and user complete a url; password is the literal
	// password it carried, secret the spec secret that now holds it.
	scheme, path, user string
	password, secret   string
	portEnv            string
	browser            bool
}

var (
	hostPortRe = regexp.MustCompile(`^([A-Za-z0-9_.-]+):([0-9]{1,5})$`)
	numberRe   = regexp.MustCompile(`^[0-9]{1,5}$`)
)

// environment sorts the environment of s into links, the variables that
// tell it its own ports, and plain values (secrets are taken out later,
// across services).
func (c *converter) environment(s *service) {
	env := s.cfg.Environment
	keys := slices.Sorted(mapsKeys(env))
	consumed := s.consumed
	for _, k := range keys {
		v := env[k]
		if !topology.IsEnvName(k) {
			c.line(s, Refused, "the spec's env names are letters, digits and '_' (not starting with a digit), and the service reads this one; no spec can set it", "environment", k)
			consumed[k] = true
			continue
		}
		if v == nil {
			c.line(s, Dropped, "no value: compose passes the shell's value, and it is unset here; set it in env", "environment", k)
			consumed[k] = true
			continue
		}
		if l := c.linkOf(s, k, *v); l != nil {
			s.links = append(s.links, l)
			consumed[k] = true
			if l.portEnv != "" {
				consumed[l.portEnv] = true
			}
		}
	}
}

// plainEnv sorts what links left of the environment of s: variables that
// tell it its own ports (every service's links have added the ports they
// reach by now), and plain values.
func (c *converter) plainEnv(s *service) {
	env := s.cfg.Environment
	for _, k := range slices.Sorted(mapsKeys(env)) {
		if s.consumed[k] {
			continue
		}
		v := *env[k]
		if k == "PORT" || strings.HasSuffix(k, "_PORT") {
			if n, err := strconv.Atoi(v); err == nil {
				if p := s.port(n); p != nil && p.env == "" {
					p.env = k
					c.line(s, Inferred, fmt.Sprintf("tells the service its own port %d: the port's env, which every target sets to the port it listens on", n), "environment", k)
					continue
				}
			}
		}
		s.env[k] = v
		if h := c.namedInText(s, v); h != nil {
			c.line(s, Dropped, fmt.Sprintf("the value names service %s in a form no link spells (%s); kept as a literal, so it will not follow %s to other targets", h.name, v, h.name), "environment", k)
		}
	}
}

// linkOf recognises the value of env var k of s as a link: a URL, host:port
// or a host alone (its port in a sibling variable) naming another service,
// or a URL of localhost at a published port, which the browser resolves.
func (c *converter) linkOf(s *service, k, v string) *link {
	if strings.Contains(v, "://") {
		return c.urlLink(s, k, v)
	}
	if m := hostPortRe.FindStringSubmatch(v); m != nil {
		to := c.hosts[strings.ToLower(m[1])]
		n, _ := strconv.Atoi(m[2])
		if to == nil || to == s || n < 1 || n > 65535 {
			return nil
		}
		l := &link{env: k, value: v, to: to, port: n, form: topology.FormHostPort}
		c.reach(l, s, "")
		return l
	}
	to := c.hosts[strings.ToLower(v)]
	if to == nil || to == s {
		return nil
	}
	sibling := ""
	for _, suffix := range []string{"HOSTNAME", "HOST", "SERVER", "ADDR", "ADDRESS"} {
		if strings.HasSuffix(k, suffix) {
			sibling = k[:len(k)-len(suffix)] + "PORT"
			break
		}
	}
	if sibling == "" {
		return nil
	}
	l := &link{env: k, value: v, to: to, form: topology.FormHost}
	if pv := s.cfg.Environment[sibling]; pv != nil && numberRe.MatchString(*pv) {
		l.port, _ = strconv.Atoi(*pv)
		l.portEnv = sibling
	} else if len(to.ports) > 0 {
		l.port = to.ports[0].number
	} else {
		c.line(s, Dropped, fmt.Sprintf("names service %s, which has no port to link to; kept as a literal (give %s a port, with expose)", to.name, to.name), "environment", k)
		return nil
	}
	c.reach(l, s, "")
	return l
}

func (c *converter) urlLink(s *service, k, v string) *link {
	u, err := url.Parse(v)
	if err != nil || !topology.IsScheme(u.Scheme) || u.Host == "" || u.Opaque != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return nil
	}
	host := strings.ToLower(u.Hostname())
	path := u.EscapedPath()
	if host == "localhost" || host == "127.0.0.1" {
		return c.browserLink(s, k, v, u)
	}
	to := c.hosts[host]
	if to == nil || to == s {
		return nil
	}
	if path != "" && (!topology.IsURLPath(path) || strings.Contains(path, "//")) {
		c.line(s, Dropped, fmt.Sprintf("a URL of service %s whose path %s a link cannot spell; kept as a literal, so it will not follow %s to other targets", to.name, path, to.name), "environment", k)
		return nil
	}
	n := 0
	switch {
	case u.Port() != "":
		n, _ = strconv.Atoi(u.Port())
	case schemePorts[u.Scheme] != 0:
		n = schemePorts[u.Scheme]
	case len(to.ports) == 1:
		n = to.ports[0].number
	default:
		c.line(s, Dropped, fmt.Sprintf("a %s URL of service %s without a port; kept as a literal: add the port to the URL", u.Scheme, to.name), "environment", k)
		return nil
	}
	l := &link{env: k, value: v, to: to, port: n, form: topology.FormURL, scheme: u.Scheme, path: path}
	if u.User != nil {
		l.user = u.User.Username()
		l.password, _ = u.User.Password()
		if !topology.IsURLUser(l.user) {
			c.line(s, Dropped, fmt.Sprintf("a URL of service %s whose user a link cannot spell; kept as a literal", to.name), "environment", k)
			return nil
		}
	}
	c.reach(l, s, u.Scheme)
	return l
}

// browserLink links to the service that publishes the URL's port.
func (c *converter) browserLink(s *service, k, v string, u *url.URL) *link {
	if u.Scheme != "http" {
		return nil
	}
	n := 80
	if u.Port() != "" {
		n, _ = strconv.Atoi(u.Port())
	}
	var to *service
	var tp *port
	for _, o := range c.svcs {
		for _, p := range o.ports {
			if p.published == n {
				to, tp = o, p
			}
		}
	}
	switch {
	case to == nil:
		return nil
	case to == s:
		c.line(s, Dropped, "the service's own published URL: the spec has no link to oneself; kept as a literal, so it is right only where the service keeps this host port", "environment", k)
		return nil
	case u.EscapedPath() != "" && u.EscapedPath() != "/":
		c.line(s, Dropped, fmt.Sprintf("the browser's URL of service %s with a path: a browser link is the service's own URL; kept as a literal", to.name), "environment", k)
		return nil
	}
	to.api = true
	tp.browser = true
	if tp.protocol == "" {
		tp.protocol, tp.why = topology.ProtocolHTTP, "the browser loads it with http://"
	}
	return &link{env: k, value: v, to: to, port: tp.number, form: topology.FormURL, scheme: "http", browser: true}
}

// reach makes sure the target of l listens on l's port, adding the port
// when compose did not list it (on a compose network every port is open).
func (c *converter) reach(l *link, from *service, scheme string) {
	p := l.to.port(l.port)
	if p == nil {
		p = &port{number: l.port, field: []string{"(service)"}}
		l.to.ports = append(l.to.ports, p)
		c.line(l.to, Inferred, fmt.Sprintf("port %d: services.%s.environment.%s reaches it there, and compose lists no such port (every port is open on a compose network)", l.port, from.name, l.env))
	}
	if p.protocol == "" && scheme != "" {
		if httpScheme(scheme) {
			p.protocol, p.why = topology.ProtocolHTTP, fmt.Sprintf("services.%s.environment.%s reaches it with %s://", from.name, l.env, scheme)
		} else {
			p.protocol, p.why = topology.ProtocolTCP, fmt.Sprintf("services.%s.environment.%s reaches it with %s://", from.name, l.env, scheme)
		}
	}
}

// namedInText finds another service named inside a value that is not a
// link: the address in a connection string no link form spells.
func (c *converter) namedInText(s *service, v string) *service {
	for h, to := range c.hosts {
		if to == s {
			continue
		}
		for _, pat := range []string{"//" + h + ":", "//" + h + "/", "@" + h + ":", "@" + h + "/"} {
			if strings.Contains(strings.ToLower(v), pat) || strings.HasSuffix(strings.ToLower(v), "//"+h) {
				return to
			}
		}
	}
	return nil
}

// namePorts names the ports of services with several, and orders
// protocols are known by now.
func (c *converter) namePorts() {
	for _, s := range c.svcs {
		if len(s.ports) < 2 {
			for _, p := range s.ports {
				p.name = ""
			}
			continue
		}
		taken := map[string]bool{}
		for _, p := range s.ports {
			p.name = portName(p, taken)
			taken[p.name] = true
		}
	}
}

// portRef is the name a link gives the port: "" for the first.
func (l *link) portRef() string {
	if l.to.ports[0].number == l.port {
		return ""
	}
	return l.to.port(l.port).name
}

func (l *link) spec() topology.LinkSpec {
	ls := topology.LinkSpec{Env: l.env, Service: l.to.spec.Name, Port: l.portRef(), Form: l.form, Path: l.path, User: l.user, Password: l.secret, PortEnv: l.portEnv}
	// http is the default scheme of an HTTP port only.
	if l.form == topology.FormURL && (l.scheme != "http" || l.to.port(l.port).protocol != topology.ProtocolHTTP) {
		ls.Scheme = l.scheme
	}
	if l.browser {
		ls.ResolvedBy = topology.ResolvedByBrowser
		ls.Scheme, ls.Port = "", ""
	}
	if ls.Form == topology.FormURL {
		ls.Form = ""
	}
	return ls
}

// dockerNetworkValue is how the docker-network target spells the link,
// with the password's literal in place of its reference: what the
// container sees there.
func (l *link) dockerNetworkValue() string {
	if l.browser {
		return topology.HostURL("http", "localhost", l.to.ports[0].published)
	}
	tl := topology.Link{Form: l.form, Scheme: l.scheme, User: l.user, Password: l.secret, Path: l.path}
	return tl.Spell(topology.Endpoint{Host: l.to.spec.Name, Port: l.port}, l.password)
}

// reportLinks writes one line per link: its evidence, and whether the
// docker-network target spells it byte for byte as compose did.
func (c *converter) reportLinks(s *service) {
	for _, l := range s.links {
		var what string
		switch {
		case l.browser:
			what = fmt.Sprintf("a link the browser resolves to %s: it publishes host port %d", l.to.name, l.to.ports[0].published)
		case l.form == topology.FormHost && l.portEnv != "":
			what = fmt.Sprintf("a link to %s (form host, its port %d in %s)", l.to.name, l.port, l.portEnv)
		default:
			what = fmt.Sprintf("a link to %s, port %d (form %s)", l.to.name, l.port, l.form)
		}
		if got := l.dockerNetworkValue(); got == l.value {
			what += "; docker-network spells it as compose did, and every other target points it at its own address"
		} else {
			what += fmt.Sprintf("; docker-network spells it %s", got)
		}
		c.line(s, Inferred, what, "environment", l.env)
	}
}

// secretSet names the app's secrets: those compose declares, and those
// found as literal values, one per distinct value.
type secretSet struct {
	byLiteral map[string]string
	declaredN map[string]string
	used      map[string]bool
	order     []string
}

func newSecretSet() *secretSet {
	return &secretSet{byLiteral: map[string]string{}, declaredN: map[string]string{}, used: map[string]bool{}}
}

func (ss *secretSet) add(suggested string) string {
	n := specName(suggested, 40)
	base := n
	for i := 2; ss.used[n]; i++ {
		n = base[:min(len(base), 37)] + "-" + strconv.Itoa(i)
	}
	ss.used[n] = true
	ss.order = append(ss.order, n)
	return n
}

// declared is the spec name of a compose secret.
func (ss *secretSet) declared(compose string) string {
	if n, ok := ss.declaredN[compose]; ok {
		return n
	}
	n := ss.add(compose)
	ss.declaredN[compose] = n
	return n
}

// literal is the secret holding value, named after suggested when new.
func (ss *secretSet) literal(value, suggested string) (string, bool) {
	if n, ok := ss.byLiteral[value]; ok {
		return n, false
	}
	n := ss.add(suggested)
	ss.byLiteral[value] = n
	return n, true
}

func (ss *secretSet) specs() []topology.SecretSpec {
	var out []topology.SecretSpec
	for _, n := range ss.order {
		out = append(out, topology.SecretSpec{Name: n})
	}
	return out
}

var secretWords = []string{"PASSWORD", "PASSWD", "SECRET", "TOKEN"}

// secretish reports whether env var k holding v looks like a password,
// secret, token or key given as a literal.
func secretish(k, v string) bool {
	words := strings.FieldsFunc(strings.ToUpper(k), func(r rune) bool { return !(r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') })
	if len(words) == 0 || v == "" {
		return false
	}
	switch words[len(words)-1] {
	case "FILE", "PATH", "DIR", "URL", "HOST", "PORT", "USER", "NAME", "ENABLED", "LENGTH", "TTL", "EXPIRY", "EXPIRES", "ALGORITHM":
		return false
	}
	switch strings.ToLower(v) {
	case "yes", "no", "true", "false", "on", "off", "0", "1":
		return false
	}
	if strings.HasPrefix(v, "/") {
		return false // a path, such as /run/secrets/NAME
	}
	for _, w := range words {
		if w == "KEY" || w == "PASS" || w == "PWD" || w == "APIKEY" {
			return true
		}
		for _, sw := range secretWords {
			if strings.Contains(w, sw) {
				return true
			}
		}
	}
	return false
}

// secretsOf takes literal secrets out of every service's env, then gives
// each link with a password its secret.
func (c *converter) secretsOf() {
	type use struct {
		s    *service
		k, v string
	}
	shared := map[string][]use{}
	var uses []use
	for _, s := range c.svcs {
		for _, k := range slices.Sorted(mapsKeys(s.env)) {
			if secretish(k, s.env[k]) {
				u := use{s, k, s.env[k]}
				uses = append(uses, u)
				shared[u.v] = append(shared[u.v], u)
			}
		}
	}
	for _, u := range uses {
		name, _ := c.secrets.literal(u.v, u.k)
		delete(u.s.env, u.k)
		u.s.spec.Secrets = append(u.s.spec.Secrets, topology.SecretUseSpec{Name: name, Env: u.k})
		why := fmt.Sprintf("a literal secret: its value is not copied into the spec but held by secret %s; supply it when you deploy (the bundle's README says how)", name)
		var others []string
		for _, o := range shared[u.v] {
			if o != u {
				others = append(others, "services."+o.s.name+".environment."+o.k)
			}
		}
		if len(others) > 0 {
			why += "; " + strings.Join(others, ", ") + " held the same value and receive the same secret"
		}
		c.line(u.s, Inferred, why, "environment", u.k)
	}
	for _, s := range c.svcs {
		for _, l := range s.links {
			if l.password == "" {
				continue
			}
			name, _ := c.secrets.literal(l.password, l.env+"-password")
			l.secret = name
			env := ""
			for _, u := range s.spec.Secrets {
				if u.Name == name && u.Env != "" {
					env = u.Env
				}
			}
			why := fmt.Sprintf("the URL's password is secret %s, not copied into the spec", name)
			if env == "" {
				env = strings.ToUpper(strings.ReplaceAll(name, "-", "_"))
				if _, taken := s.cfg.Environment[env]; taken {
					env += "_SECRET"
				}
				s.spec.Secrets = append(s.spec.Secrets, topology.SecretUseSpec{Name: name, Env: env})
				why += fmt.Sprintf("; the service receives it in a new variable %s, which the URL refers to", env)
			}
			c.line(s, Translated, why, "environment", l.env)
		}
	}
	for _, s := range c.svcs {
		c.reportLinks(s)
	}
}
