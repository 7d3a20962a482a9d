package topology

import (
	"cmp"
	"fmt"
	"maps"
	"net"
	"path"
	"regexp"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Defaults that are not spelled out in the spec.
const (
	defaultHost                = "localhost"
	defaultNginxImage          = "nginx:alpine"
	defaultGatewayClass        = "app-gatewayclass"
	defaultGateway             = "app-gateway"
	EnvoyGatewayControllerName = "gateway.envoyproxy.io/gatewayclass-controller"
	defaultGKEGatewayClass     = "gke-l7-global-external-managed"
	defaultGatewayNamespace    = "gateway-infra"
	// AddressPlaceholder stands for the GKE Gateway's address until the
	// user knows it.
	AddressPlaceholder = "<CLUSTER_PUBLIC_IP>"
)

var (
	dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dns1035Label = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	envName      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// urlPath allows the unreserved URL characters and "/": nothing that
	// could end an nginx directive, start a comment or leave a YAML scalar.
	urlPath = regexp.MustCompile(`^/[A-Za-z0-9._~/-]*$`)
	// imageRef is a container image reference: registry/path[:tag][@digest].
	imageRef     = regexp.MustCompile(`^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`)
	controllerRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$`)
)

// converter turns an App into a Model, gathering every problem.
type converter struct {
	problems []Problem
}

func (c *converter) addf(path, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// model applies defaults and validates, returning every problem at once.
func (a *App) model() (*Model, []Problem) {
	c := &converter{}
	if a.APIVersion != APIVersion {
		c.addf("apiVersion", "%q is not supported; use %q", a.APIVersion, APIVersion)
	}
	if a.Kind != Kind {
		c.addf("kind", "%q is not supported; use %q", a.Kind, Kind)
	}
	m := &Model{Name: a.Metadata.Name}
	c.label("metadata.name", m.Name, 40, dns1123Label)

	if len(a.Spec.Services) == 0 {
		c.addf("spec.services", "at least one service is required; see `synctl init` for an example")
	}
	seen := map[string]int{}
	hostPorts := map[int]string{}
	frontends := 0
	for i, ss := range a.Spec.Services {
		p := fmt.Sprintf("spec.services[%d]", i)
		s := c.service(p, i, ss)
		if j, dup := seen[s.Name]; dup && s.Name != "" {
			c.addf(p+".name", "%q is already the name of spec.services[%d]; service names must be unique", s.Name, j)
		}
		seen[s.Name] = i
		if other, clash := hostPorts[s.HostPort]; clash {
			c.addf(p+".hostPort", "%d is already published by service %q; pick a free host port", s.HostPort, other)
		}
		hostPorts[s.HostPort] = s.Name
		if s.Role == RoleFrontend {
			frontends++
		}
		m.Services = append(m.Services, s)
	}
	if len(a.Spec.Services) > 0 && frontends != 1 {
		c.addf("spec.services", "exactly one service must have role frontend (the page the browser loads); found %d", frontends)
	}
	// Links and per-target settings refer to services by name.
	byName := m.byName()
	for i := range m.Services {
		c.links(fmt.Sprintf("spec.services[%d].links", i), m, byName, &m.Services[i])
	}
	// Defaults derived from names and roles are checked only when those were
	// valid, so that one mistake is reported once, where it was made.
	m.Targets = c.targets(a.Spec.Targets, m, len(c.problems) == 0)
	if len(c.problems) > 0 {
		return nil, c.problems
	}
	return m, nil
}

func (c *converter) label(path, v string, maxLen int, re *regexp.Regexp) {
	switch {
	case v == "":
		c.addf(path, "required; use lowercase letters, digits and '-'")
	case len(v) > maxLen:
		c.addf(path, "%q is %d characters; at most %d are allowed, since synctl derives longer names from it", v, len(v), maxLen)
	case !re.MatchString(v):
		first := "a lowercase letter or digit"
		if re == dns1035Label {
			first = "a lowercase letter"
		}
		c.addf(path, "%q is not a valid name: use lowercase letters, digits and '-', starting with %s and ending with a letter or digit", v, first)
	}
}

func (c *converter) service(p string, i int, ss ServiceSpec) Service {
	s := Service{
		Name:       ss.Name,
		Role:       ss.Role,
		Image:      ss.Image,
		Port:       ss.Port,
		PortEnv:    ss.PortEnv,
		HostPort:   ss.HostPort,
		HealthPath: ss.HealthPath,
		Replicas:   ss.Replicas,
	}
	c.label(p+".name", s.Name, 30, dns1035Label)
	switch s.Role {
	case RoleFrontend, RoleAPI, RoleInternal:
	case "":
		c.addf(p+".role", "required: frontend (the page), api (called by the browser) or internal (called by other services)")
	default:
		c.addf(p+".role", "%q is not a role: use frontend, api or internal", s.Role)
	}
	switch {
	case s.Image == "":
		c.addf(p+".image", "required: an image reference such as registry.example/team/web:1.2")
	case !imageRef.MatchString(s.Image):
		c.addf(p+".image", "%q is not a valid image reference (registry/name:tag or name@sha256:digest, lowercase name)", s.Image)
	case !strings.Contains(path.Base(s.Image), ":") && !strings.Contains(s.Image, "@"):
		c.addf(p+".image", "%q has no tag or digest; pin one, e.g. %s:1.0 (or :latest to float)", s.Image, s.Image)
	}
	if s.Port == 0 {
		c.addf(p+".port", "required: the port the container listens on (1-65535)")
	} else {
		c.port(p+".port", s.Port)
	}
	if s.HostPort == 0 {
		s.HostPort = 8080 + i
	}
	c.port(p+".hostPort", s.HostPort)
	if s.HealthPath == "" {
		s.HealthPath = "/"
	}
	c.urlPath(p+".healthPath", s.HealthPath)
	if s.Replicas == 0 {
		s.Replicas = 1
	}
	if s.Replicas < 1 || s.Replicas > 1000 {
		c.addf(p+".replicas", "%d is out of range 1-1000", s.Replicas)
	}

	envSeen := map[string]string{}
	env := func(fp, name, what string) {
		if name == "" {
			return
		}
		if !envName.MatchString(name) {
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
	for _, k := range sortedKeys(ss.Env) {
		fp := p + ".env." + k
		env(fp, k, "env")
		v := ss.Env[k]
		if strings.ContainsFunc(v, func(r rune) bool { return r < 0x20 && r != '\t' || r == 0x7f }) {
			c.addf(fp, "the value contains control characters (such as a newline); environment values must be one line")
		}
		s.Env = append(s.Env, EnvVar{Name: k, Value: v})
	}
	for j, l := range ss.Links {
		lp := fmt.Sprintf("%s.links[%d]", p, j)
		if l.Env == "" {
			c.addf(lp+".env", "required: the environment variable that receives the URL")
		}
		env(lp+".env", l.Env, "links")
		if l.ResolvedBy == "" {
			l.ResolvedBy = ResolvedByService
		}
		if l.ResolvedBy != ResolvedByService && l.ResolvedBy != ResolvedByBrowser {
			c.addf(lp+".resolvedBy", "%q is not allowed: use service (the service's own process uses the URL) or browser (the service hands it to the browser)", l.ResolvedBy)
		}
		s.Links = append(s.Links, Link{Env: l.Env, To: l.Service, ResolvedBy: l.ResolvedBy})
	}
	if st := ss.Storage; st != nil {
		sp := p + ".storage"
		s.Storage = &Storage{MountPath: st.MountPath, Env: st.Env, File: st.File, Size: st.Size, Persistent: st.Persistent}
		if st.MountPath == "" || !path.IsAbs(st.MountPath) || path.Clean(st.MountPath) != st.MountPath || st.MountPath == "/" || !urlPath.MatchString(st.MountPath) {
			c.addf(sp+".mountPath", "%q must be a clean absolute directory other than / (letters, digits, '.', '_', '-', '/')", st.MountPath)
		}
		if st.File != "" && (strings.Contains(st.File, "/") || st.File == "." || st.File == ".." || !urlPath.MatchString("/"+st.File)) {
			c.addf(sp+".file", "%q must be a plain file or directory name under mountPath", st.File)
		}
		env(sp+".env", st.Env, "storage.env")
		if s.Storage.Persistent && s.Storage.Size == "" {
			s.Storage.Size = "1Gi"
		}
		if s.Storage.Size != "" {
			c.quantity(sp+".size", s.Storage.Size)
		}
	}
	if r := ss.Resources; r != nil {
		rp := p + ".resources"
		s.Resources = Resources{CPURequest: r.Requests.CPU, MemoryRequest: r.Requests.Memory, CPULimit: r.Limits.CPU, MemoryLimit: r.Limits.Memory}
		c.requestLimit(rp, "cpu", r.Requests.CPU, r.Limits.CPU)
		c.requestLimit(rp, "memory", r.Requests.Memory, r.Limits.Memory)
	}
	if as := ss.Autoscaling; as != nil {
		ap := p + ".autoscaling"
		a := &Autoscaling{MinReplicas: as.MinReplicas, MaxReplicas: as.MaxReplicas, TargetCPUPercent: as.TargetCPUPercent}
		if a.MinReplicas == 0 {
			a.MinReplicas = 1
		}
		if a.TargetCPUPercent == 0 {
			a.TargetCPUPercent = 50
		}
		if a.MinReplicas < 1 {
			c.addf(ap+".minReplicas", "%d is out of range: at least 1", a.MinReplicas)
		}
		if a.MaxReplicas < a.MinReplicas || a.MaxReplicas > 1000 {
			c.addf(ap+".maxReplicas", "%d is out of range %d-1000 (at least minReplicas)", a.MaxReplicas, a.MinReplicas)
		}
		if a.TargetCPUPercent < 1 || a.TargetCPUPercent > 100 {
			c.addf(ap+".targetCPUPercent", "%d is out of range 1-100", a.TargetCPUPercent)
		}
		if s.Resources.CPURequest == "" {
			c.addf(ap, "needs resources.requests.cpu: the autoscaler measures CPU use as a percentage of the request")
		}
		s.Autoscaling = a
	}
	return s
}

func (c *converter) port(path string, p int) {
	if p < 1 || p > 65535 {
		c.addf(path, "%d is out of range 1-65535", p)
	}
}

func (c *converter) urlPath(path, v string) {
	if !urlPath.MatchString(v) || strings.Contains(v, "//") || strings.Contains(v, "/../") || strings.HasSuffix(v, "/..") {
		c.addf(path, "%q is not allowed: a URL path starts with '/' and uses only letters, digits, '.', '_', '~', '-' and single '/'", v)
	}
}

func (c *converter) quantity(path, v string) (resource.Quantity, bool) {
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

func (c *converter) requestLimit(rp, name, req, limit string) {
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

func (c *converter) links(p string, m *Model, byName map[string]*Service, s *Service) {
	for j, l := range s.Links {
		lp := fmt.Sprintf("%s[%d].service", p, j)
		to, ok := byName[l.To]
		switch {
		case l.To == "":
			c.addf(lp, "required: the name of the service the URL points at")
		case !ok:
			c.addf(lp, "%q is not a service of this app; choose one of %s", l.To, serviceNames(m))
		case to.Name == s.Name:
			c.addf(lp, "a service cannot link to itself")
		case l.ResolvedBy == ResolvedByBrowser && !to.Role.Public():
			c.addf(lp, "%q has role internal, so the browser cannot reach it; make it role api or resolve the link inside the deployment (resolvedBy: service)", l.To)
		}
	}
}

func (c *converter) targets(ts TargetsSpec, m *Model, derivedOK bool) TargetSettings {
	t := TargetSettings{
		Docker: DockerSettings{Host: cmp.Or(ts.Docker.Host, defaultHost)},
		DockerNetwork: DockerNetworkSettings{
			Host:    cmp.Or(ts.DockerNetwork.Host, defaultHost),
			Network: cmp.Or(ts.DockerNetwork.Network, m.Name),
		},
		Nginx: NginxSettings{
			Image:      cmp.Or(ts.Nginx.Image, defaultNginxImage),
			ServerName: cmp.Or(ts.Nginx.ServerName, defaultHost),
			HTTPPort:   cmp.Or(ts.Nginx.HTTPPort, 80),
			HTTPSPort:  cmp.Or(ts.Nginx.HTTPSPort, 443),
			Network:    cmp.Or(ts.Nginx.Network, m.Name),
			Paths:      map[string]string{},
		},
		Minikube: MinikubeSettings{
			Namespace:      ts.Minikube.Namespace,
			GatewayClass:   cmp.Or(ts.Minikube.GatewayClass, defaultGatewayClass),
			ControllerName: cmp.Or(ts.Minikube.ControllerName, EnvoyGatewayControllerName),
			Gateway:        cmp.Or(ts.Minikube.Gateway, defaultGateway),
			Hosts:          map[string]string{},
		},
		GKE: GKESettings{
			Namespace:        cmp.Or(ts.GKE.Namespace, m.Name),
			GatewayNamespace: cmp.Or(ts.GKE.GatewayNamespace, defaultGatewayNamespace),
			Gateway:          cmp.Or(ts.GKE.Gateway, defaultGateway),
			GatewayClass:     cmp.Or(ts.GKE.GatewayClass, defaultGKEGatewayClass),
			Address:          cmp.Or(ts.GKE.Address, AddressPlaceholder),
			Paths:            map[string]string{},
		},
	}
	c.hostname("spec.targets.docker.host", t.Docker.Host)
	c.hostname("spec.targets.docker-network.host", t.DockerNetwork.Host)
	if ts.DockerNetwork.Network != "" {
		c.label("spec.targets.docker-network.network", t.DockerNetwork.Network, 63, dns1123Label)
	}

	n := &t.Nginx
	if !imageRef.MatchString(n.Image) {
		c.addf("spec.targets.nginx.image", "%q is not a valid image reference", n.Image)
	}
	c.hostname("spec.targets.nginx.serverName", n.ServerName)
	c.port("spec.targets.nginx.httpPort", n.HTTPPort)
	c.port("spec.targets.nginx.httpsPort", n.HTTPSPort)
	if n.HTTPPort == n.HTTPSPort {
		c.addf("spec.targets.nginx.httpsPort", "%d is also httpPort; HTTP and HTTPS need different host ports", n.HTTPSPort)
	}
	if ts.Nginx.Network != "" {
		c.label("spec.targets.nginx.network", n.Network, 63, dns1123Label)
	}
	c.unknownServices("spec.targets.nginx.paths", ts.Nginx.Paths, m, RoleAPI)
	for _, s := range m.Services {
		if s.Role != RoleAPI {
			continue
		}
		fp := "spec.targets.nginx.paths." + s.Name
		v := cmp.Or(ts.Nginx.Paths[s.Name], "/"+s.Name+"/")
		if c.prefix(fp, v) && !strings.HasSuffix(v, "/") {
			c.addf(fp, "%q must end with '/': nginx strips the whole prefix, so %q+\"/messages\" would reach the api as \"/messages\"", v, v)
		}
		n.Paths[s.Name] = v
	}
	c.distinct("spec.targets.nginx.paths", n.Paths)

	k := &t.Minikube
	if k.Namespace != "" {
		c.label("spec.targets.minikube.namespace", k.Namespace, 63, dns1123Label)
	}
	c.subdomain("spec.targets.minikube.gatewayClass", k.GatewayClass)
	c.subdomain("spec.targets.minikube.gateway", k.Gateway)
	if !controllerRe.MatchString(k.ControllerName) {
		c.addf("spec.targets.minikube.controllerName", "%q is not a controller name: a domain, '/', and a path (e.g. %s)", k.ControllerName, EnvoyGatewayControllerName)
	}
	c.unknownServices("spec.targets.minikube.hosts", ts.Minikube.Hosts, m, RoleFrontend)
	for _, s := range m.Services {
		if !s.Role.Public() {
			continue
		}
		def := m.Name + s.Name + ".internal"
		if s.Role == RoleFrontend {
			def = m.Name + ".internal"
		}
		v := cmp.Or(ts.Minikube.Hosts[s.Name], def)
		if ts.Minikube.Hosts[s.Name] != "" || derivedOK {
			c.hostname("spec.targets.minikube.hosts."+s.Name, v)
		}
		k.Hosts[s.Name] = v
	}
	if derivedOK {
		c.distinct("spec.targets.minikube.hosts", k.Hosts)
	}

	g := &t.GKE
	if ts.GKE.Namespace != "" {
		c.label("spec.targets.gke.namespace", g.Namespace, 63, dns1123Label)
	}
	c.label("spec.targets.gke.gatewayNamespace", g.GatewayNamespace, 63, dns1123Label)
	c.subdomain("spec.targets.gke.gateway", g.Gateway)
	c.subdomain("spec.targets.gke.gatewayClass", g.GatewayClass)
	if g.Address != AddressPlaceholder {
		c.hostname("spec.targets.gke.address", g.Address)
	}
	c.unknownServices("spec.targets.gke.paths", ts.GKE.Paths, m, RoleAPI)
	for _, s := range m.Services {
		if s.Role != RoleAPI {
			continue
		}
		fp := "spec.targets.gke.paths." + s.Name
		v := cmp.Or(ts.GKE.Paths[s.Name], "/"+s.Name)
		if c.prefix(fp, v) && strings.HasSuffix(v, "/") {
			c.addf(fp, "%q must not end with '/': the browser appends \"/messages\" and the gateway rewrites the prefix to \"/\"", v)
		}
		g.Paths[s.Name] = v
	}
	c.distinct("spec.targets.gke.paths", g.Paths)
	return t
}

// prefix checks an api's URL prefix; the frontend owns "/".
func (c *converter) prefix(path, v string) bool {
	n := len(c.problems)
	c.urlPath(path, v)
	if len(c.problems) == n && strings.Trim(v, "/") == "" {
		c.addf(path, "%q would shadow the frontend, which is served at /; use a prefix such as /api/", v)
	}
	return len(c.problems) == n
}

func (c *converter) hostname(path, v string) {
	if net.ParseIP(v) != nil {
		return
	}
	c.subdomain(path, v)
}

func (c *converter) subdomain(path, v string) {
	ok := v != "" && len(v) <= 253
	for _, part := range strings.Split(v, ".") {
		ok = ok && len(part) <= 63 && dns1123Label.MatchString(part)
	}
	if !ok {
		c.addf(path, "%q is not a valid DNS name: lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit", v)
	}
}

// unknownServices reports keys of a per-service map that name no service of
// an allowed role.
func (c *converter) unknownServices(path string, m map[string]string, app *Model, role Role) {
	for _, k := range sortedKeys(m) {
		s, ok := app.Service(k)
		switch {
		case !ok:
			c.addf(path+"."+k, "%q is not a service of this app; choose one of %s", k, serviceNames(app))
		case role == RoleAPI && s.Role != RoleAPI:
			c.addf(path+"."+k, "service %q has role %s; only role api services are routed by path", k, s.Role)
		case role == RoleFrontend && !s.Role.Public():
			c.addf(path+"."+k, "service %q has role internal; only frontend and api services get a hostname", k)
		}
	}
}

func (c *converter) distinct(path string, m map[string]string) {
	seen := map[string]string{}
	for _, k := range sortedKeys(m) {
		if other, dup := seen[m[k]]; dup {
			c.addf(path+"."+k, "%q is also used by %s; each service needs its own", m[k], other)
		}
		seen[m[k]] = k
	}
}

func serviceNames(m *Model) string {
	names := make([]string, 0, len(m.Services))
	for _, s := range m.Services {
		names = append(names, s.Name)
	}
	return strings.Join(names, ", ")
}

func sortedKeys[V any](m map[string]V) []string { return slices.Sorted(maps.Keys(m)) }
