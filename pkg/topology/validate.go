package topology

import (
	"fmt"
	"maps"
	"net"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/api/resource"
)

var (
	dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	dns1035Label = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	envName      = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	// urlPath allows the unreserved URL characters and "/": nothing that
	// could end an nginx directive, start a comment or leave a YAML scalar.
	urlPath = regexp.MustCompile(`^/[A-Za-z0-9._~/-]*$`)
	// imageRef is a container image reference: registry/path[:tag][@digest].
	// Compiled on first use: it is most of the package's start-up cost,
	// which every command paid, --version and completion included.
	imageRef = sync.OnceValue(func() *regexp.Regexp {
		return regexp.MustCompile(`^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`)
	})
	// methodRe is an HTTP method token.
	methodRe = regexp.MustCompile(`^[A-Z]+$`)
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
	c.label("metadata.name", a.Metadata.Name, 40, dns1123Label)
	if !envName.MatchString(a.Spec.EntryURLName) {
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
	frontends := 0
	for i, s := range services {
		p := fmt.Sprintf("spec.services[%d]", i)
		nameOK := c.ok(func() { c.label(p+".name", s.Name, 30, dns1035Label) })
		if j, dup := valid[s.Name]; dup {
			c.addf(p+".name", "%q is already the name of spec.services[%d]; service names must be unique", s.Name, j)
		} else if nameOK {
			valid[s.Name] = i
		}
		c.service(p, s)
		if other, clash := hostPorts[s.HostPort]; clash {
			c.addf(p+".hostPort", "%d is already published by service %q; pick a free host port", s.HostPort, other)
		} else {
			hostPorts[s.HostPort] = s.Name
		}
		if s.Role == RoleFrontend {
			frontends++
		}
	}
	if frontends != 1 {
		c.addf("spec.services", "exactly one service must have role frontend (the page the browser loads); found %d", frontends)
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
	return c.problems
}

func (c *checks) service(p string, s ServiceSpec) {
	switch s.Role {
	case RoleFrontend, RoleAPI, RoleInternal:
	case "":
		c.addf(p+".role", "required: frontend (the page), api (called by the browser) or internal (called by other services)")
	default:
		c.addf(p+".role", "%q is not a role: use frontend, api or internal", s.Role)
	}
	c.image(p+".image", s.Image)
	if s.Port == 0 {
		c.addf(p+".port", "required: the port the container listens on (1-65535)")
	} else {
		c.port(p+".port", s.Port)
	}
	c.port(p+".hostPort", s.HostPort)
	c.urlPath(p+".healthPath", s.HealthPath)
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
		if st.MountPath == "" || !path.IsAbs(st.MountPath) || path.Clean(st.MountPath) != st.MountPath || st.MountPath == "/" || !urlPath.MatchString(st.MountPath) {
			c.addf(sp+".mountPath", "%q must be a clean absolute directory other than / (letters, digits, '.', '_', '-', '/')", st.MountPath)
		}
		if st.File != "" && (strings.Contains(st.File, "/") || st.File == "." || st.File == ".." || !urlPath.MatchString("/"+st.File)) {
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
	if len(s.Checks) > 0 && s.Role == RoleInternal {
		c.addf(p+".checks", "verify sends checks through the route the browser uses, and an internal service has none; check it through a public service that calls it (checks[].via)")
	}
	checkNames := map[string]bool{}
	for j, ch := range s.Checks {
		cp := fmt.Sprintf("%s.checks[%d]", p, j)
		switch {
		case ch.Name == "":
			c.addf(cp+".name", "required: a short name verify prints for this check")
		case !dns1123Label.MatchString(ch.Name):
			c.addf(cp+".name", "%q is not a valid check name: use lowercase letters, digits and '-'", ch.Name)
		case checkNames[ch.Name]:
			c.addf(cp+".name", "%q is already the name of another check of this service", ch.Name)
		}
		checkNames[ch.Name] = true
		if !methodRe.MatchString(ch.Method) {
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
		}
	}
}

func (c *checks) label(path, v string, maxLen int, re *regexp.Regexp) {
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

func (c *checks) image(field, v string) {
	switch {
	case v == "":
		c.addf(field, "required: an image reference such as registry.example/team/web:1.2")
	case !imageRef().MatchString(v):
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
	if !urlPath.MatchString(v) || strings.Contains(v, "//") || strings.Contains(v, "/../") || strings.HasSuffix(v, "/..") {
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
		ok = ok && len(part) <= 63 && dns1123Label.MatchString(part)
	}
	if !ok {
		c.addf(path, "%q is not a valid DNS name: lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit", v)
	}
}
