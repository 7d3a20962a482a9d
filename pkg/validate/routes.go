package validate

import (
	"cmp"
	"maps"
	"net/url"
	"regexp"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/synctl/synctl/pkg/gkeapi"
	"github.com/synctl/synctl/pkg/target/platform"
)

// routedRule is one HTTPRoute rule attached to an existing Gateway, or one
// Ingress path.
type routedRule struct {
	route     *object
	gateway   *object
	hostnames []string
	matchType gatewayv1.PathMatchType
	path      string
	rewrite   bool // URLRewrite ReplacePrefixMatch strips the matched prefix
	backends  []*object
	// ports are the Service ports each backend is sent to, by number or
	// name; an empty port means the Service's only one.
	ports []intstr.IntOrString
}

// sendsTo reports whether the rule sends traffic for backend i to the
// Service port sp.
func (r *routedRule) sendsTo(i int, sp corev1.ServicePort) bool {
	if i >= len(r.ports) {
		return true
	}
	switch p := r.ports[i]; {
	case p.Type == intstr.Int && p.IntVal == 0:
		return true
	case p.Type == intstr.Int:
		return p.IntVal == sp.Port
	default:
		return p.StrVal == sp.Name
	}
}

func (c *cluster) routedRules() []routedRule {
	var out []routedRule
	for _, o := range c.list("HTTPRoute", "") {
		r := o.obj.(*gatewayv1.HTTPRoute)
		var hosts []string
		for _, h := range r.Spec.Hostnames {
			hosts = append(hosts, string(h))
		}
		for _, ref := range r.Spec.ParentRefs {
			g, _ := c.parentGateway(o, ref)
			if g == nil {
				continue
			}
			for _, rule := range r.Spec.Rules {
				rr := routedRule{route: o, gateway: g, hostnames: hosts}
				for _, f := range rule.Filters {
					if f.Type == gatewayv1.HTTPRouteFilterURLRewrite && f.URLRewrite != nil && f.URLRewrite.Path != nil &&
						f.URLRewrite.Path.Type == gatewayv1.PrefixMatchHTTPPathModifier {
						rr.rewrite = true
					}
				}
				for _, b := range rule.BackendRefs {
					if b.Kind != nil && *b.Kind != "Service" {
						continue
					}
					ns := o.ns()
					if b.Namespace != nil {
						ns = string(*b.Namespace)
					}
					if s := c.get("Service", ns, string(b.Name)); s != nil {
						rr.backends = append(rr.backends, s)
						port := intstr.FromInt32(0)
						if b.Port != nil {
							port = intstr.FromInt32(int32(*b.Port))
						}
						rr.ports = append(rr.ports, port)
					}
				}
				matches := rule.Matches
				if len(matches) == 0 {
					matches = []gatewayv1.HTTPRouteMatch{{}}
				}
				for _, m := range matches {
					x := rr
					x.matchType, x.path = gatewayv1.PathMatchPathPrefix, "/"
					if m.Path != nil {
						if m.Path.Type != nil {
							x.matchType = *m.Path.Type
						}
						if m.Path.Value != nil {
							x.path = *m.Path.Value
						}
					}
					out = append(out, x)
				}
			}
		}
	}
	return append(out, c.ingressRules()...)
}

// ingressPrefixRegexp is the path ingress-nginx needs to strip a prefix:
// "/api(/|$)(.*)" with rewrite-target "/$2".
var ingressPrefixRegexp = regexp.MustCompile(`^(/[^()]*?)\(/\|\$\)\(\.\*\)$`)

// ingressRules turns every Ingress path into a rule, reading ingress-nginx's
// regular-expression prefix with a rewrite as a stripped prefix.
func (c *cluster) ingressRules() []routedRule {
	var out []routedRule
	for _, o := range c.list("Ingress", "") {
		ing := o.obj.(*networkingv1.Ingress)
		rewrite := ing.Annotations[platform.IngressNginxRewriteTarget] == platform.IngressNginxStripPrefix
		for _, rule := range ing.Spec.Rules {
			if rule.HTTP == nil {
				continue
			}
			var hosts []string
			if rule.Host != "" {
				hosts = []string{rule.Host}
			}
			for _, p := range rule.HTTP.Paths {
				rr := routedRule{route: o, hostnames: hosts, matchType: gatewayv1.PathMatchPathPrefix, path: cmp.Or(p.Path, "/")}
				if p.PathType != nil && *p.PathType == networkingv1.PathTypeExact {
					rr.matchType = gatewayv1.PathMatchExact
				}
				if m := ingressPrefixRegexp.FindStringSubmatch(p.Path); m != nil {
					rr.path, rr.rewrite = regexp.MustCompile(`\\(.)`).ReplaceAllString(m[1], "$1"), rewrite
				}
				if b := p.Backend.Service; b != nil {
					if svc := c.get("Service", o.ns(), b.Name); svc != nil {
						rr.backends = append(rr.backends, svc)
						port := intstr.FromInt32(b.Port.Number)
						if b.Port.Name != "" {
							port = intstr.FromString(b.Port.Name)
						}
						rr.ports = append(rr.ports, port)
					}
				}
				out = append(out, rr)
			}
		}
	}
	return out
}

// matchLen returns how much of path the rule matches (-1: no match).
func (r *routedRule) matchLen(path string) int {
	switch r.matchType {
	case gatewayv1.PathMatchExact:
		if path == r.path {
			return len(r.path) + 1 // exact beats any prefix
		}
	case gatewayv1.PathMatchPathPrefix:
		p := strings.TrimSuffix(r.path, "/")
		if p == "" || path == p || strings.HasPrefix(path, p+"/") {
			return len(p)
		}
	}
	return -1
}

func (c *cluster) checkBrowserURL(o *object, name, value string, report func(string, ...any)) {
	if value == "" {
		report("empty: the page loads but the browser cannot reach what it names; set it to that service's public URL or a same-origin path such as /api")
		return
	}
	rules := c.routedRules()
	u, err := url.Parse(value)
	if err != nil {
		report("not a URL: %v", err)
		return
	}
	if u.IsAbs() {
		host := u.Hostname()
		var routed []string
		anyHost := false
		for _, r := range rules {
			if len(r.hostnames) == 0 {
				anyHost = true
			}
			for _, h := range r.hostnames {
				routed = append(routed, h)
				if hostMatches(h, host) {
					return
				}
			}
		}
		if anyHost || len(rules) == 0 {
			return // a route without hostnames answers on any address (e.g. the load balancer's IP)
		}
		report("host %q is not a hostname any HTTPRoute or Ingress serves (routed hostnames: %s), so the browser cannot reach what it names there; use one of them", host, joinSorted(routed))
		return
	}
	if !strings.HasPrefix(u.Path, "/") {
		report("a relative %s must start with / (the browser resolves it against the page's URL)", name)
		return
	}
	// Any call under the prefix: the browser appends the service's own paths.
	call := strings.TrimSuffix(u.Path, "/") + "/"
	var best *routedRule
	bestLen := -1
	for i := range rules {
		if n := rules[i].matchLen(call); n > bestLen {
			best, bestLen = &rules[i], n
		}
	}
	if best == nil {
		report("relative, so the browser calls %s… on the page's own origin, but no HTTPRoute or Ingress routes it; add a rule with path prefix %s to the Service it should reach", call, strings.TrimSuffix(u.Path, "/"))
		return
	}
	meta, _, _ := o.podTemplate()
	for _, s := range best.backends {
		sel := s.obj.(*corev1.Service).Spec.Selector
		if meta != nil && len(sel) > 0 && labels.SelectorFromSet(sel).Matches(labels.Set(meta.Labels)) {
			report("relative, so the browser calls %s… on the page's own origin, which %s %s (PathPrefix %s) sends back to %s, this page's own Service; add a rule with PathPrefix %s to the Service it should reach", call, best.route.Kind, best.route.Name, best.path, s.Name, strings.TrimSuffix(u.Path, "/"))
			return
		}
	}
	if strings.TrimSuffix(best.path, "/") != "" && !best.rewrite {
		fix := "add a URLRewrite filter with path type ReplacePrefixMatch and replacePrefixMatch: /"
		if best.route.Kind == "Ingress" {
			fix = "match the path " + strings.TrimSuffix(best.path, "/") + "(/|$)(.*) with pathType ImplementationSpecific and annotate the Ingress " + platform.IngressNginxUseRegex + ": \"true\" and " + platform.IngressNginxRewriteTarget + ": " + platform.IngressNginxStripPrefix
		}
		report("relative, so the browser calls %s…, which %s forwards with the %s prefix still on, while the Service behind it serves its routes at its root: %s", call, best.route.resource(), best.path, fix)
	}
}

// checkLoadBalancerHealth checks, for every Service behind a GKE Gateway,
// that the path GKE's load balancer health-checks is one its pods serve
// (their readiness probe's path); otherwise the backend stays unhealthy and
// the route answers "no healthy upstream".
func (c *cluster) checkLoadBalancerHealth() {
	done := map[*object]bool{}
	for _, r := range c.routedRules() {
		if r.gateway == nil || !gkeClass(string(r.gateway.obj.(*gatewayv1.Gateway).Spec.GatewayClassName)) {
			continue
		}
		for _, s := range r.backends {
			if done[s] {
				continue
			}
			done[s] = true
			served := map[string]bool{}
			for _, w := range c.selectedPods(s.obj.(*corev1.Service), s.ns()) {
				_, spec, _ := w.podTemplate()
				for _, ctr := range spec.Containers {
					if p := ctr.ReadinessProbe; p != nil && p.HTTPGet != nil {
						served[cmp.Or(p.HTTPGet.Path, "/")] = true
					}
				}
			}
			if len(served) == 0 {
				continue
			}
			var policy *object
			for _, p := range c.list("HealthCheckPolicy", s.ns()) {
				tr := p.obj.(*gkeapi.HealthCheckPolicy).Spec.TargetRef
				if tr.Kind == "Service" && tr.Name == s.Name {
					policy = p
				}
			}
			path := "/"
			if policy != nil {
				var isHTTP bool
				path, isHTTP = policyRequestPath(policy.obj.(*gkeapi.HealthCheckPolicy))
				if !isHTTP {
					continue
				}
			}
			if served[path] {
				continue
			}
			want := joinSorted(slices.Sorted(maps.Keys(served)))
			if policy == nil {
				c.add(s, "-", "behind %s (GKE), whose load balancer health-checks GET / by default, but its pods report ready on %s (readinessProbe); add a HealthCheckPolicy (networking.gke.io/v1) targeting this Service with requestPath %s, or the route answers \"no healthy upstream\"", r.gateway.resource(), want, want)
				continue
			}
			_, block := policyHTTPBlock(policy.obj.(*gkeapi.HealthCheckPolicy))
			field := "spec.default.config"
			if block != "" {
				field += "." + block + ".requestPath"
			}
			c.add(policy, field, "the load balancer checks %s but the pods of Service %s report ready on %s (readinessProbe); set requestPath to %s", path, s.Name, want, want)
		}
	}
}
