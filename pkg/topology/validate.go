package topology

import (
	"fmt"
	"iter"
	"maps"
	"net"
	"path"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// checks gathers problems at field paths; its methods are the validation
// rules the app and every target section share.
type checks struct {
	problems []Problem
}

func (c *checks) addf(path, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// ok runs fn and reports whether it added no problem.
func (c *checks) ok(fn func()) bool {
	n := len(c.problems)
	fn()
	return len(c.problems) == n
}

// validate checks a defaulted spec and returns every problem at once.
func (a *App) validate() []Problem {
	c := &checks{}
	if a.APIVersion != APIVersion {
		c.addf("apiVersion", "%q is not supported; use %q", a.APIVersion, APIVersion)
	}
	if a.Kind != Kind {
		c.addf("kind", "%q is not supported; use %q", a.Kind, Kind)
	}
	c.label("metadata.name", a.Metadata.Name, 40, dns1123)
	if !IsEnvName(a.Spec.EntryURLName) {
		c.addf("spec.entryURLName", "%q is not a valid URL name: use letters, digits and '_', not starting with a digit (e.g. APP_URL)", a.Spec.EntryURLName)
	}

	services := a.Spec.Services
	if len(services) == 0 {
		c.addf("spec.services", "at least one service is required; see `synctl init` for an example")
		return c.problems
	}
	// Only names that are valid and unique may be suggested or linked to,
	// so that one bad name is reported once, where it was written.
	valid := map[string]int{}
	hostPorts := map[int]string{}
	urlNames := map[string]string{}
	for i, s := range services {
		p := fmt.Sprintf("spec.services[%d]", i)
		nameOK := c.ok(func() { c.label(p+".name", s.Name, 30, dns1035) })
		if j, dup := valid[s.Name]; dup {
			c.addf(p+".name", "%q is already the name of spec.services[%d]; service names must be unique", s.Name, j)
		} else if nameOK {
			valid[s.Name] = i
		}
		c.service(p, s)
		for fp, hp := range s.hostPorts(p) {
			if other, clash := hostPorts[hp]; clash {
				c.addf(fp, "%d is already published by service %q; pick a free host port", hp, other)
			} else {
				hostPorts[hp] = s.Name
			}
		}
		if s.Role == RoleFrontend {
			if prev, dup := urlNames[s.URLName]; dup {
				c.addf(p+".urlName", "%s already names the URL of frontend %q; give each frontend its own (urlName)", s.URLName, prev)
			}
			urlNames[s.URLName] = s.Name
		}
	}
	names := make([]string, 0, len(valid))
	for _, s := range services {
		if i, ok := valid[s.Name]; ok && services[i].Name == s.Name && !slices.Contains(names, s.Name) {
			names = append(names, s.Name)
		}
	}
	for i, s := range services {
		c.links(fmt.Sprintf("spec.services[%d]", i), s, services, valid, names)
	}
	c.secrets(a.Spec)
	return c.problems
}

// hostPorts lists the host ports the service publishes, by field path.
func (s ServiceSpec) hostPorts(p string) iter.Seq2[string, int] {
	return func(yield func(string, int) bool) {
		if s.Port != 0 && !yield(p+".hostPort", s.HostPort) {
			return
		}
		for j, port := range s.Ports {
			if port.HostPort != 0 && !yield(fmt.Sprintf("%s.ports[%d].hostPort", p, j), port.HostPort) {
				return
			}
		}
	}
}

// secrets checks the app's secrets: declared once, each used.
func (c *checks) secrets(spec AppSpec) {
	used := map[string]bool{}
	for _, s := range spec.Services {
		for _, u := range s.Secrets {
			used[u.Name] = true
		}
		for _, l := range s.Links {
			used[l.Password] = true
		}
	}
	seen := map[string]bool{}
	for i, sec := range spec.Secrets {
		p := fmt.Sprintf("spec.secrets[%d].name", i)
		switch {
		case !c.ok(func() { c.label(p, sec.Name, 40, dns1123) }):
		case seen[sec.Name]:
			c.addf(p, "%q is already declared; declare each secret once", sec.Name)
		case !used[sec.Name]:
			c.addf(p, "secret %q has no consumer: hand it to a service (services[].secrets) or a link (links[].password), or remove it", sec.Name)
		}
		seen[sec.Name] = true
	}
	for i, s := range spec.Services {
		for j, u := range s.Secrets {
			if u.Name != "" && !seen[u.Name] {
				c.addf(fmt.Sprintf("spec.services[%d].secrets[%d].name", i, j), "%q is not declared in spec.secrets; add {name: %s} there (its value is never written in the spec)", u.Name, u.Name)
			}
		}
		for j, l := range s.Links {
			if l.Password != "" && !seen[l.Password] {
				c.addf(fmt.Sprintf("spec.services[%d].links[%d].password", i, j), "%q is not declared in spec.secrets; add {name: %s} there", l.Password, l.Password)
			}
		}
	}
}

func (c *checks) service(p string, s ServiceSpec) {
	switch s.Role {
	case RoleFrontend, RoleAPI, RoleInternal:
	case "":
		c.addf(p+".role", "required: frontend (the page), api (called by the browser) or internal (called by other services)")
	default:
		c.addf(p+".role", "%q is not a role: use frontend, api or internal", s.Role)
	}
	if s.URLName != "" && s.Role != RoleFrontend {
		c.addf(p+".urlName", "only a frontend has a URL the browser opens; remove urlName")
	} else if s.URLName != "" && !IsEnvName(s.URLName) {
		c.addf(p+".urlName", "%q is not a valid URL name: use letters, digits and '_', not starting with a digit (e.g. RESULT_URL)", s.URLName)
	}
	c.image(p+".image", s.Image)
	c.ports(p, s)
	switch proto := s.firstProtocol(); {
	case proto == "" && s.Role.Public():
		c.addf(p+".role", "a worker (a service with no port) has no route for the browser; make it role internal, or give it a port")
	case proto == ProtocolTCP && s.Role.Public():
		c.addf(p+".role", "the browser reaches only HTTP services, and the first port speaks %s; make it role internal, or list an HTTP port first", proto)
	}
	if s.HealthPath != "" {
		switch {
		case s.Health != nil:
			c.addf(p+".healthPath", "health says how the service is checked; remove healthPath, or use health.readiness.http")
		case s.firstProtocol() != ProtocolHTTP:
			c.addf(p+".healthPath", "an HTTP health path needs an HTTP port, and the service has %s; use health.readiness.tcp or health.readiness.command", describePorts(s))
		default:
			c.urlPath(p+".healthPath", s.HealthPath)
		}
	}
	if h := s.Health; h != nil {
		if h.Readiness == nil {
			c.addf(p+".health.readiness", "required: how to tell that the service is ready (http, tcp or command)")
		} else {
			c.probe(p+".health.readiness", s, *h.Readiness)
		}
		if h.Liveness != nil && h.Liveness != h.Readiness {
			c.probe(p+".health.liveness", s, *h.Liveness)
		}
	}
	if s.Job {
		switch {
		case s.Replicas != 0:
			c.addf(p+".replicas", "a job runs once to completion, in one pod; remove replicas")
		case s.Autoscaling != nil:
			c.addf(p+".autoscaling", "a job runs once to completion; remove autoscaling")
		case s.Role != RoleInternal:
			c.addf(p+".role", "a job runs once and has no route for the browser; make it role internal")
		}
		if s.Port != 0 || len(s.Ports) > 0 {
			c.addf(p+".job", "a job runs once to completion and serves nothing; remove its ports, or make it a service (job: false)")
		}
	} else if s.Replicas < 1 || s.Replicas > 1000 {
		c.addf(p+".replicas", "%d is out of range 1-1000", s.Replicas)
	}
	if s.WorkingDir != "" && !path.IsAbs(s.WorkingDir) {
		c.addf(p+".workingDir", "%q must be an absolute directory", s.WorkingDir)
	}
	for j, d := range s.DependsOn {
		if d == s.Name {
			c.addf(fmt.Sprintf("%s.dependsOn[%d]", p, j), "a service cannot wait for itself")
		}
	}
	scratch := map[string]bool{}
	for j, d := range s.Scratch {
		sp := fmt.Sprintf("%s.scratch[%d]", p, j)
		switch {
		case !c.ok(func() { c.dir(sp, d) }):
		case scratch[d]:
			c.addf(sp, "%q is listed twice", d)
		case s.Storage != nil && s.Storage.MountPath == d:
			c.addf(sp, "%q is already the storage's mountPath", d)
		}
		scratch[d] = true
	}

	envSeen := map[string]string{}
	env := func(fp, name, what string) {
		if name == "" {
			return
		}
		if !IsEnvName(name) {
			c.addf(fp, "%q is not a valid environment variable name: use letters, digits and '_', not starting with a digit", name)
			return
		}
		if prev, dup := envSeen[name]; dup {
			c.addf(fp, "%s is already set by %s; each variable may be set once", name, prev)
			return
		}
		envSeen[name] = what
	}
	env(p+".portEnv", s.PortEnv, "portEnv")
	for j, port := range s.Ports {
		env(fmt.Sprintf("%s.ports[%d].env", p, j), port.Env, "ports")
	}
	for j, u := range s.Secrets {
		sp := fmt.Sprintf("%s.secrets[%d]", p, j)
		if u.Name == "" {
			c.addf(sp+".name", "required: the name of a secret declared in spec.secrets")
		}
		switch {
		case (u.Env == "") == (u.File == ""):
			c.addf(sp, "give exactly one of env (the variable that receives the value) and file (the path it is written to)")
		case u.Env != "":
			env(sp+".env", u.Env, "secrets")
		default:
			c.dir(sp+".file", u.File)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(s.Env)) {
		fp := p + ".env." + k
		env(fp, k, "env")
		if strings.ContainsFunc(s.Env[k], func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
			c.addf(fp, "the value contains control characters (such as a newline); environment values must be one line")
		}
	}
	for j, l := range s.Links {
		lp := fmt.Sprintf("%s.links[%d]", p, j)
		if l.Env == "" {
			c.addf(lp+".env", "required: the environment variable that receives the URL")
		}
		env(lp+".env", l.Env, "links")
		c.linkForm(lp, s, l)
		if l.PortEnv != "" {
			env(lp+".portEnv", l.PortEnv, "links")
		}
		if l.ResolvedBy != ResolvedByService && l.ResolvedBy != ResolvedByBrowser {
			c.addf(lp+".resolvedBy", "%q is not allowed: use service (the service's own process uses the URL) or browser (the service hands it to the browser)", l.ResolvedBy)
		}
		if e := l.ExposedAt; e != nil {
			if l.ResolvedBy != ResolvedByBrowser {
				c.addf(lp+".exposedAt", "only a link the browser resolves is shown to it; remove exposedAt or set resolvedBy: browser")
			}
			c.urlPath(lp+".exposedAt.path", e.Path)
			if strings.Count(e.Text, URLMarker) != 1 {
				c.addf(lp+".exposedAt.text", "%q must contain %s exactly once, where the URL appears (e.g. \"const apiUrl = '%s';\")", e.Text, URLMarker, URLMarker)
			}
		}
	}
	if st := s.Storage; st != nil {
		sp := p + ".storage"
		if st.MountPath == "" || !path.IsAbs(st.MountPath) || path.Clean(st.MountPath) != st.MountPath || st.MountPath == "/" || !IsURLPath(st.MountPath) {
			c.addf(sp+".mountPath", "%q must be a clean absolute directory other than / (letters, digits, '.', '_', '-', '/')", st.MountPath)
		}
		if st.File != "" && (strings.Contains(st.File, "/") || st.File == "." || st.File == ".." || !IsURLPath("/"+st.File)) {
			c.addf(sp+".file", "%q must be a plain file or directory name under mountPath", st.File)
		}
		env(sp+".env", st.Env, "storage.env")
		if st.Size != "" {
			c.quantity(sp+".size", st.Size)
		}
		if st.Persistent {
			// One ReadWriteOnce claim attaches to one node: a second pod
			// elsewhere would wait for it forever.
			switch {
			case s.Autoscaling != nil:
				c.addf(sp+".persistent", "a persistent volume is one ReadWriteOnce claim that only one pod can mount, but the service is autoscaled; remove autoscaling, or make the storage non-persistent (persistent: false)")
			case s.Replicas > 1:
				c.addf(sp+".persistent", "a persistent volume is one ReadWriteOnce claim that only one pod can mount, but the service has %d replicas; use replicas: 1, or make the storage non-persistent (persistent: false)", s.Replicas)
			}
		}
	}
	if r := s.Resources; r != nil {
		rp := p + ".resources"
		c.requestLimit(rp, "cpu", r.Requests.CPU, r.Limits.CPU)
		c.requestLimit(rp, "memory", r.Requests.Memory, r.Limits.Memory)
	}
	if a := s.Autoscaling; a != nil {
		ap := p + ".autoscaling"
		if a.MinReplicas < 1 {
			c.addf(ap+".minReplicas", "%d is out of range: at least 1", a.MinReplicas)
		}
		if a.MaxReplicas < a.MinReplicas || a.MaxReplicas > 1000 {
			c.addf(ap+".maxReplicas", "%d is out of range %d-1000 (at least minReplicas)", a.MaxReplicas, a.MinReplicas)
		}
		if a.TargetCPUPercent < 1 || a.TargetCPUPercent > 100 {
			c.addf(ap+".targetCPUPercent", "%d is out of range 1-100", a.TargetCPUPercent)
		}
		if s.Resources == nil || s.Resources.Requests.CPU == "" {
			c.addf(ap, "needs resources.requests.cpu: the autoscaler measures CPU use as a percentage of the request")
		}
	}
	if sec := s.Security; sec != nil {
		if *sec.RunAsUser < 1 || *sec.RunAsUser > 2147483647 {
			c.addf(p+".security.runAsUser", "%d is out of range 1-2147483647: the restricted Pod Security level forbids root (0)", *sec.RunAsUser)
		}
		if *sec.RunAsGroup < 0 || *sec.RunAsGroup > 2147483647 {
			c.addf(p+".security.runAsGroup", "%d is out of range 0-2147483647", *sec.RunAsGroup)
		}
	}
	if o := s.Outbound; o != nil {
		op := p + ".outbound"
		if len(o.Ports) == 0 {
			c.addf(op+".ports", "required: the TCP ports the service connects to outside the app, e.g. [443]")
		}
		for j, port := range o.Ports {
			if port < 1 || port > 65535 {
				c.addf(fmt.Sprintf("%s.ports[%d]", op, j), "%d is out of range 1-65535", port)
			}
		}
		for j, cidr := range o.CIDRs {
			cp := fmt.Sprintf("%s.cidrs[%d]", op, j)
			switch _, n, err := net.ParseCIDR(cidr); {
			case err != nil:
				c.addf(cp, "%q is not an address range in CIDR form (e.g. 203.0.113.0/24, 2001:db8::/32); leave cidrs out for the whole internet", cidr)
			case n.String() != cidr:
				c.addf(cp, "%q has host bits set; the range it names is %s", cidr, n)
			}
		}
	}
	if len(s.Checks) > 0 && s.Role.Public() && s.firstProtocol() != ProtocolHTTP {
		c.addf(p+".checks", "verify sends HTTP checks through the service's route, and it has no HTTP port; check it through a service that calls it (checks[].via)")
	}
	if len(s.Checks) > 0 && s.Role == RoleInternal {
		c.addf(p+".checks", "verify sends checks through the route the browser uses, and an internal service has none; check it through a public service that calls it (checks[].via)")
	}
	checkNames := map[string]bool{}
	for j, ch := range s.Checks {
		cp := fmt.Sprintf("%s.checks[%d]", p, j)
		switch {
		case ch.Name == "":
			c.addf(cp+".name", "required: a short name verify prints for this check")
		case !IsDNS1123Label(ch.Name):
			c.addf(cp+".name", "%q is not a valid check name: use lowercase letters, digits and '-'", ch.Name)
		case checkNames[ch.Name]:
			c.addf(cp+".name", "%q is already the name of another check of this service", ch.Name)
		}
		checkNames[ch.Name] = true
		if !isMethod(ch.Method) {
			c.addf(cp+".method", "%q is not an HTTP method (GET, POST, ...)", ch.Method)
		}
		if ch.Path == "" {
			c.addf(cp+".path", "required: the path to request, relative to the service's route (e.g. /healthz)")
		} else {
			c.urlPath(cp+".path", ch.Path)
		}
		if ch.Status < 100 || ch.Status > 599 {
			c.addf(cp+".status", "%d is not an HTTP status code (100-599)", ch.Status)
		}
		if ch.Via != "" && !slices.ContainsFunc(s.Links, func(l LinkSpec) bool { return l.Env == ch.Via && l.ResolvedBy == ResolvedByService }) {
			c.addf(cp+".via", "%q is not the env of a link this service resolves itself; name one of its links (links[].env with resolvedBy: service)", ch.Via)
		}
	}
}

// links checks that each link points at a valid service the resolver can
// reach. valid maps each valid, unique name to its index; names lists them
// in spec order, for suggestions.
func (c *checks) links(p string, s ServiceSpec, services []ServiceSpec, valid map[string]int, names []string) {
	for j, l := range s.Links {
		lp := fmt.Sprintf("%s.links[%d].service", p, j)
		i, ok := valid[l.Service]
		switch {
		case l.Service == "":
			c.addf(lp, "required: the name of the service the URL points at")
		case l.Service == s.Name:
			c.addf(lp, "a service cannot link to itself")
		case !ok:
			c.addf(lp, "%q is not a service of this app; choose one of %s", l.Service, strings.Join(names, ", "))
		case l.ResolvedBy == ResolvedByBrowser && services[i].Role != "" && !services[i].Role.Public():
			c.addf(lp, "%q has role internal, so the browser cannot reach it; make it role api or resolve the link inside the deployment (resolvedBy: service)", l.Service)
		case services[i].firstProtocol() == "":
			c.addf(lp, "%q has no port: a worker or a job cannot be linked to", l.Service)
		default:
			to := services[i]
			port, ok := to.port(l.Port)
			pp := fmt.Sprintf("%s.links[%d].port", p, j)
			switch {
			case !ok:
				c.addf(pp, "%q is not a port of %s (%s)", l.Port, l.Service, describePorts(to))
			case l.ResolvedBy == ResolvedByBrowser && port.Protocol != ProtocolHTTP:
				c.addf(pp, "the browser reaches only HTTP ports, and %s's %q speaks %s", l.Service, port.Name, port.Protocol)
			case l.Form == FormURL && l.Scheme == "" && port.Protocol != ProtocolHTTP:
				c.addf(fmt.Sprintf("%s.links[%d].scheme", p, j), "required for a url to %s's %s port %q: the scheme the client expects (e.g. redis, postgres, amqp)", l.Service, port.Protocol, port.Name)
			}
		}
	}
	for j, d := range s.DependsOn {
		if _, ok := valid[d]; !ok && d != s.Name {
			c.addf(fmt.Sprintf("%s.dependsOn[%d]", p, j), "%q is not a service of this app; choose one of %s", d, strings.Join(names, ", "))
		}
	}
	for j, l := range s.Links {
		if l.Password != "" && !slices.ContainsFunc(s.Secrets, func(u SecretUseSpec) bool { return u.Name == l.Password && u.Env != "" }) {
			c.addf(fmt.Sprintf("%s.links[%d].password", p, j), "the url refers to the secret by the env var through which %s receives it; add secrets: [{name: %s, env: VAR}] to the service", s.Name, l.Password)
		}
	}
}

// port returns the port a link names ("" for the first), in the spec's
// defaulted form.
func (s ServiceSpec) port(name string) (PortSpec, bool) {
	if s.Port != 0 {
		p := PortSpec{Name: string(s.Protocol), Port: s.Port, Protocol: s.Protocol}
		return p, name == "" || name == p.Name
	}
	for _, p := range s.Ports {
		if name == "" || p.Name == name {
			return p, true
		}
	}
	return PortSpec{}, false
}

func describePorts(s ServiceSpec) string {
	var ps []string
	if s.Port != 0 {
		ps = append(ps, fmt.Sprintf("%s %d", s.Protocol, s.Port))
	}
	for _, p := range s.Ports {
		ps = append(ps, fmt.Sprintf("%s %s %d", p.Name, p.Protocol, p.Port))
	}
	if len(ps) == 0 {
		return "no ports"
	}
	return "ports: " + strings.Join(ps, ", ")
}

// ports checks a service's port, or its list of named ports.
func (c *checks) ports(p string, s ServiceSpec) {
	if s.Port != 0 || s.PortEnv != "" {
		if len(s.Ports) > 0 {
			c.addf(p+".port", "give either port (one port) or ports (several), not both")
			return
		}
		c.port(p+".port", s.Port)
		c.protocol(p+".protocol", s.Protocol)
		c.port(p+".hostPort", s.HostPort)
		return
	}
	if s.Protocol != "" {
		c.addf(p+".protocol", "says what port speaks, and the service has no port; give port, or set ports[].protocol")
	}
	if s.HostPort != 0 {
		c.addf(p+".hostPort", "%d would publish port, and the service has none; give port, or set ports[].hostPort", s.HostPort)
	}
	names, numbers := map[string]bool{}, map[int]bool{}
	for j, port := range s.Ports {
		pp := fmt.Sprintf("%s.ports[%d]", p, j)
		switch {
		case port.Name == "":
			c.addf(pp+".name", "required when a service has several ports: a short name such as http or ssh")
		case len(port.Name) > 15 || !isDNS1035Label(port.Name):
			c.addf(pp+".name", "%q is not a valid port name: at most 15 lowercase letters, digits and '-', starting with a letter", port.Name)
		case names[port.Name]:
			c.addf(pp+".name", "%q is already the name of another port", port.Name)
		}
		names[port.Name] = true
		c.port(pp+".port", port.Port)
		if numbers[port.Port] {
			c.addf(pp+".port", "%d is already another port of this service", port.Port)
		}
		numbers[port.Port] = true
		c.protocol(pp+".protocol", port.Protocol)
		if port.HostPort != 0 {
			c.port(pp+".hostPort", port.HostPort)
		}
	}
}

func (c *checks) protocol(path string, p Protocol) {
	if p != ProtocolHTTP && p != ProtocolTCP {
		c.addf(path, "%q is not a protocol: use http or tcp (any other TCP protocol: a database, a cache)", p)
	}
}

// probe checks one health check against the service's ports.
func (c *checks) probe(pp string, s ServiceSpec, pr ProbeSpec) {
	n := 0
	for _, set := range []bool{pr.HTTP != "", pr.TCP != "", len(pr.Command) > 0} {
		if set {
			n++
		}
	}
	if n != 1 {
		c.addf(pp, "give exactly one of http (a path), tcp (a port name) and command")
		return
	}
	switch {
	case pr.HTTP != "":
		if _, ok := firstHTTP(s); !ok {
			c.addf(pp+".http", "an HTTP check needs an HTTP port, and the service has %s; use tcp or command", describePorts(s))
		} else {
			c.urlPath(pp+".http", pr.HTTP)
		}
	case pr.TCP != "":
		if p, ok := s.port(pr.TCP); !ok || p.Name != pr.TCP {
			c.addf(pp+".tcp", "%q is not a port of the service (%s)", pr.TCP, describePorts(s))
		}
	}
}

func firstHTTP(s ServiceSpec) (PortSpec, bool) {
	if s.Port != 0 {
		return PortSpec{Port: s.Port}, s.Protocol == ProtocolHTTP
	}
	for _, p := range s.Ports {
		if p.Protocol == ProtocolHTTP {
			return p, true
		}
	}
	return PortSpec{}, false
}

// linkForm checks how a link spells the address.
func (c *checks) linkForm(lp string, s ServiceSpec, l LinkSpec) {
	switch l.Form {
	case FormURL, FormHostPort, FormHost:
	default:
		c.addf(lp+".form", "%q is not a form: use url (scheme://host:port/path), hostport (host:port) or host (the host; the port in portEnv)", l.Form)
		return
	}
	if l.ResolvedBy == ResolvedByBrowser && l.Form != FormURL {
		c.addf(lp+".form", "the browser opens URLs: a link it resolves has form url")
	}
	if l.Form != FormURL {
		for _, f := range []struct{ name, v string }{{"scheme", l.Scheme}, {"user", l.User}, {"password", l.Password}, {"path", l.Path}} {
			if f.v != "" {
				c.addf(lp+"."+f.name, "only a url has a %s; use form url, or remove it", f.name)
			}
		}
	}
	if l.PortEnv != "" && l.Form != FormHost {
		c.addf(lp+".portEnv", "only form host hands the port over separately; use form host, or remove portEnv")
	}
	if l.Scheme != "" && !IsScheme(l.Scheme) {
		c.addf(lp+".scheme", "%q is not a URL scheme: a letter, then letters, digits, '+', '-' or '.'", l.Scheme)
	}
	if l.Password != "" && l.User == "" {
		c.addf(lp+".user", "required with password: a url gives a password after its user (scheme://user:password@host)")
	}
	if l.User != "" && !IsURLUser(l.User) {
		c.addf(lp+".user", "%q is not allowed in a url: use letters, digits, '.', '_', '~' and '-'", l.User)
	}
	if l.Path != "" {
		c.urlPath(lp+".path", l.Path)
	}
	if l.ResolvedBy == ResolvedByBrowser && (l.User != "" || l.Password != "") {
		c.addf(lp+".password", "a URL the browser resolves is shown to every user: it cannot carry a user or password")
	}
}

// dir checks a clean absolute path other than /.
func (c *checks) dir(field string, v string) {
	if v == "" || !strings.HasPrefix(v, "/") || path.Clean(v) != v || v == "/" || !IsURLPath(v) {
		c.addf(field, "%q must be a clean absolute path other than / (letters, digits, '.', '_', '-', '/')", v)
	}
}

// labelForm is the DNS label a name must be.
type labelForm int

const (
	dns1123 labelForm = iota // RFC 1123: a lowercase letter or digit first
	dns1035                  // RFC 1035: a lowercase letter first
)

// label checks a DNS label of form of at most maxLen characters.
func (c *checks) label(path, v string, maxLen int, form labelForm) {
	switch {
	case v == "":
		c.addf(path, "required; use lowercase letters, digits and '-'")
	case len(v) > maxLen:
		c.addf(path, "%q is %d characters; at most %d are allowed, since synctl derives longer names from it", v, len(v), maxLen)
	case form == dns1035 && !isDNS1035Label(v), !IsDNS1123Label(v):
		first := "a lowercase letter or digit"
		if form == dns1035 {
			first = "a lowercase letter"
		}
		c.addf(path, "%q is not a valid name: use lowercase letters, digits and '-', starting with %s and ending with a letter or digit", v, first)
	}
}

func (c *checks) image(field, v string) {
	switch {
	case v == "":
		c.addf(field, "required: an image reference such as registry.example/team/web:1.2")
	case !isImageRef(v):
		c.addf(field, "%q is not a valid image reference (registry/name:tag or name@sha256:digest, lowercase name)", v)
	case !strings.Contains(path.Base(v), ":") && !strings.Contains(v, "@"):
		c.addf(field, "%q has no tag or digest; pin one, e.g. %s:1.0 (or :latest to float)", v, v)
	}
}

func (c *checks) port(path string, p int) {
	if p < 1 || p > 65535 {
		c.addf(path, "%d is out of range 1-65535", p)
	}
}

func (c *checks) urlPath(path, v string) {
	if !IsURLPath(v) || strings.Contains(v, "//") || strings.Contains(v, "/../") || strings.HasSuffix(v, "/..") {
		c.addf(path, "%q is not allowed: a URL path starts with '/' and uses only letters, digits, '.', '_', '~', '-' and single '/'", v)
	}
}

func (c *checks) quantity(path, v string) (resource.Quantity, bool) {
	q, err := resource.ParseQuantity(v)
	if err != nil {
		c.addf(path, "%q is not a Kubernetes quantity (e.g. 250m for CPU, 512Mi or 1Gi for memory and storage)", v)
		return q, false
	}
	if q.Sign() <= 0 {
		c.addf(path, "%q must be greater than zero", v)
		return q, false
	}
	return q, true
}

func (c *checks) requestLimit(rp, name, req, limit string) {
	var rq, lq resource.Quantity
	var rok, lok bool
	if req != "" {
		rq, rok = c.quantity(rp+".requests."+name, req)
	}
	if limit != "" {
		lq, lok = c.quantity(rp+".limits."+name, limit)
	}
	if rok && lok && rq.Cmp(lq) > 0 {
		c.addf(rp+".requests."+name, "%s is more than the limit %s; a request must not exceed its limit", req, limit)
	}
}

func (c *checks) hostname(path, v string) {
	if net.ParseIP(v) != nil {
		return
	}
	c.subdomain(path, v)
}

func (c *checks) subdomain(path, v string) {
	ok := v != "" && len(v) <= 253
	for _, part := range strings.Split(v, ".") {
		ok = ok && len(part) <= 63 && IsDNS1123Label(part)
	}
	if !ok {
		c.addf(path, "%q is not a valid DNS name: lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit", v)
	}
}
