package diff

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// summarize writes the report's first section: one sentence per kind of
// structural change, derived by generic rules from the changes themselves
// (never from the target names), in the order a reader needs them.
func summarize(r *Result) []string {
	var s []string
	add := func(format string, args ...any) { s = append(s, fmt.Sprintf(format, args...)) }

	// A change of platform comes first: everything else follows from it.
	count := func(op, typ string) (n int) {
		for _, c := range r.Changes {
			if c.Op == op && c.Type == typ && !(typ == TypeCompose && c.Kind == "project") {
				n++
			}
		}
		return n
	}
	if rc, ak := count(OpRemoved, TypeCompose), count(OpAdded, TypeKubernetes); rc > 0 && ak > 0 && count(OpAdded, TypeCompose)+count(OpChanged, TypeCompose) == 0 && count(OpChanged, TypeKubernetes)+count(OpRemoved, TypeKubernetes) == 0 {
		add("Moved from Docker Compose (%s) to Kubernetes (%s).", plural(rc, "compose resource"), plural(ak, "object"))
	}
	if rk, ac := count(OpRemoved, TypeKubernetes), count(OpAdded, TypeCompose); rk > 0 && ac > 0 && count(OpAdded, TypeKubernetes)+count(OpChanged, TypeKubernetes) == 0 && count(OpChanged, TypeCompose)+count(OpRemoved, TypeCompose) == 0 {
		add("Moved from Kubernetes (%s) to Docker Compose (%s).", plural(rk, "object"), plural(ac, "compose resource"))
	}

	// Namespaces, and objects that moved between namespaces.
	for _, op := range []string{OpAdded, OpRemoved} {
		if names := namesOf(r.Changes, op, "Namespace"); len(names) > 0 {
			add("Namespaces %s: %s.", op, strings.Join(names, ", "))
		}
	}
	moves := map[string]int{}
	for _, c := range r.Changes {
		if c.Op == OpChanged && c.Type == TypeKubernetes {
			from, to := str(lookup(c.before, "metadata", "namespace")), str(lookup(c.after, "metadata", "namespace"))
			if from != to {
				moves[fmt.Sprintf("from %s to %s", nsName(from), nsName(to))]++
			}
		}
	}
	for _, k := range slices.Sorted(maps.Keys(moves)) {
		add("%s moved %s.", plural(moves[k], "object"), k)
	}

	// Gateways: class and which namespaces may attach routes.
	for _, c := range changed(r.Changes, "Gateway") {
		from, to := str(lookup(c.before, "spec", "gatewayClassName")), str(lookup(c.after, "spec", "gatewayClassName"))
		if from != to {
			add("Gateway class changed: %s -> %s (Gateway %s).", orNone(from), orNone(to), c.Name)
		}
		for _, f := range c.Fields {
			if strings.HasSuffix(f.Path, "allowedRoutes.namespaces.from") || strings.HasSuffix(f.Path, "allowedRoutes") {
				if from := allowedFrom(c.after); from != "" {
					add("Gateway %s now accepts routes from %s namespaces.", c.Name, from)
				} else {
					add("Gateway %s now accepts routes only from its own namespace (the default).", c.Name)
				}
				break
			}
		}
	}

	// Ingress and the Gateway API: what ingress2gateway would convert.
	if sentence := ingressMigration(r.Changes); sentence != "" {
		add("%s", sentence)
		if !slices.ContainsFunc(r.Wiring, func(w WiringChange) bool { return w.Changed }) {
			add("Every URL stays as it was: the routes serve the same hostnames and paths, so neither the browser nor the services see a difference.")
		}
	}

	// Routes: hostname against path routing, and filters.
	var byPath, byHost []string
	for _, c := range changed(r.Changes, "HTTPRoute") {
		hFrom, hTo := scalars(lookup(c.before, "spec", "hostnames")), scalars(lookup(c.after, "spec", "hostnames"))
		switch {
		case len(hFrom) > 0 && len(hTo) == 0:
			byPath = append(byPath, fmt.Sprintf("%s (hostname %s -> %s)", c.Name, strings.Join(hFrom, ", "), strings.Join(routePaths(c.after), ", ")))
		case len(hFrom) == 0 && len(hTo) > 0:
			byHost = append(byHost, fmt.Sprintf("%s (%s -> hostname %s)", c.Name, strings.Join(routePaths(c.before), ", "), strings.Join(hTo, ", ")))
		}
	}
	if len(byPath) > 0 {
		add("Routing by path instead of by hostname: %s.", strings.Join(byPath, "; "))
	}
	if len(byHost) > 0 {
		add("Routing by hostname instead of by path: %s.", strings.Join(byHost, "; "))
	}
	for _, c := range r.Changes {
		if c.Type != TypeKubernetes || c.Kind != "HTTPRoute" {
			continue
		}
		fFrom, fTo := routeFilters(c.before), routeFilters(c.after)
		for _, f := range fTo {
			if !slices.Contains(fFrom, f) {
				add("%s added: %s %s.", filterTitle(f), c.Name, f)
			}
		}
		for _, f := range fFrom {
			if !slices.Contains(fTo, f) {
				add("%s removed: %s %s.", filterTitle(f), c.Name, f)
			}
		}
	}

	// Other kinds that appear or disappear.
	for _, op := range []string{OpAdded, OpRemoved} {
		var kinds []string
		items := map[string][]string{}
		for _, c := range r.Changes {
			if c.Op != op || c.Type != TypeKubernetes || c.Kind == "Namespace" {
				continue
			}
			if _, seen := items[c.Kind]; !seen {
				kinds = append(kinds, c.Kind)
			}
			items[c.Kind] = append(items[c.Kind], describeObject(c))
		}
		for _, k := range kinds {
			add("%s %s: %s.", k, op, strings.Join(items[k], ", "))
		}
	}

	// Containers: resources and probes, named by what was added or removed.
	for _, op := range []string{OpAdded, OpRemoved} {
		var whats []string
		names := map[string][]string{}
		for _, c := range r.Changes {
			for _, f := range c.Fields {
				if f.Op != op || !strings.Contains(f.Path, "containers[name=") {
					continue
				}
				what := containerFieldTitle(f)
				if what == "" {
					continue
				}
				if _, seen := names[what]; !seen {
					whats = append(whats, what)
				}
				if n := containerName(f.Path); !slices.Contains(names[what], n) {
					names[what] = append(names[what], n)
				}
			}
		}
		for _, what := range whats {
			add("%s %s: %s.", what, op, strings.Join(names[what], ", "))
		}
	}

	// Compose: services, networks and published ports.
	for _, op := range []string{OpAdded, OpRemoved} {
		for _, kind := range []string{"service", "network", "volume"} {
			var names []string
			for _, c := range r.Changes {
				if c.Op == op && c.Type == TypeCompose && c.Kind == kind {
					names = append(names, c.Name)
				}
			}
			if len(names) > 0 {
				add("Compose %ss %s: %s.", kind, op, strings.Join(names, ", "))
			}
		}
	}
	for _, c := range r.Changes {
		if c.Op != OpChanged || c.Type != TypeCompose || c.Kind != "service" {
			continue
		}
		for _, f := range c.Fields {
			if sentence := composeFieldSentence(c.Name, f); sentence != "" {
				add("%s", sentence)
			}
		}
	}

	// Probes and secrets, in words.
	s = append(s, healthAndSecrets(r)...)

	// Plain files and key material.
	for _, op := range []string{OpAdded, OpRemoved} {
		var files, keys []string
		for _, c := range r.Changes {
			if c.Op == op && c.Type == TypeFile {
				files = append(files, c.Name)
			}
			if c.Op == op && c.Type == TypeKey {
				keys = append(keys, c.Name)
			}
		}
		if len(files) > 0 {
			add("Files %s: %s.", op, strings.Join(files, ", "))
		}
		if len(keys) > 0 {
			add("Key material %s: %s.", op, strings.Join(keys, ", "))
		}
	}

	// The wiring last: what the structural changes add up to.
	for _, w := range r.Wiring {
		if !w.Changed {
			continue
		}
		from, to := w.From.Value, w.To.Value
		switch {
		case absolute(from) && !absolute(to):
			add("%s became relative: %s -> %s (the browser resolves it against the page's address).", w.Name, from, to)
		case !absolute(from) && absolute(to):
			add("%s became absolute: %s -> %s.", w.Name, from, to)
		default:
			add("%s changed: %s -> %s.", w.Name, from, to)
		}
	}
	return s
}

func namesOf(cs []Change, op, kind string) []string {
	var out []string
	for _, c := range cs {
		if c.Op == op && c.Type == TypeKubernetes && c.Kind == kind {
			out = append(out, c.Name)
		}
	}
	return out
}

func changed(cs []Change, kind string) []Change {
	var out []Change
	for _, c := range cs {
		if c.Op == OpChanged && c.Type == TypeKubernetes && c.Kind == kind {
			out = append(out, c)
		}
	}
	return out
}

func nsName(ns string) string {
	if ns == "" {
		return "the default namespace"
	}
	return "namespace " + ns
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func allowedFrom(gw any) string {
	listeners, _ := lookup(gw, "spec", "listeners").([]any)
	var froms []string
	for _, l := range listeners {
		if f := str(lookup(l, "allowedRoutes", "namespaces", "from")); f != "" && !slices.Contains(froms, f) {
			froms = append(froms, f)
		}
	}
	return strings.Join(froms, ", ")
}

func scalars(v any) []string {
	list, _ := v.([]any)
	var out []string
	for _, e := range list {
		out = append(out, str(e))
	}
	return out
}

// routePaths lists the path prefixes an HTTPRoute matches, "/" when it has none.
func routePaths(route any) []string {
	rules, _ := lookup(route, "spec", "rules").([]any)
	var out []string
	for _, rule := range rules {
		matches, _ := lookup(rule, "matches").([]any)
		for _, m := range matches {
			if p := str(lookup(m, "path", "value")); p != "" && !slices.Contains(out, p) {
				out = append(out, "path "+p)
			}
		}
	}
	if len(out) == 0 {
		return []string{"path /"}
	}
	return out
}

// routeFilters describes every filter of an HTTPRoute's rules.
func routeFilters(route any) []string {
	rules, _ := lookup(route, "spec", "rules").([]any)
	var out []string
	for _, rule := range rules {
		filters, _ := lookup(rule, "filters").([]any)
		for _, f := range filters {
			out = append(out, describeFilter(lookup(rule, "matches"), f))
		}
	}
	return out
}

func describeFilter(matches, f any) string {
	on := matchesLabel(matches)
	if str(lookup(f, "type")) == "URLRewrite" {
		if p := str(lookup(f, "urlRewrite", "path", "replacePrefixMatch")); p != "" {
			return fmt.Sprintf("on %s replaces the matched prefix with %s", on, p)
		}
		if p := str(lookup(f, "urlRewrite", "path", "replaceFullPath")); p != "" {
			return fmt.Sprintf("on %s replaces the path with %s", on, p)
		}
	}
	return fmt.Sprintf("on %s applies %s", on, flow(f))
}

func filterTitle(desc string) string {
	if strings.Contains(desc, "replaces the") {
		return "URL rewrite"
	}
	return "Route filter"
}

// describeObject names an added or removed object with what it is for when
// that fits in a few words: a class's controller, a policy's target.
func describeObject(c Change) string {
	v := c.after
	if v == nil {
		v = c.before
	}
	name := c.Name
	if c.Namespace != "" {
		name = c.Namespace + "/" + c.Name
	}
	var details []string
	if ctl := str(lookup(v, "spec", "controllerName")); ctl != "" {
		details = append(details, "controller "+ctl)
	}
	if kind, target := str(lookup(v, "spec", "targetRef", "kind")), str(lookup(v, "spec", "targetRef", "name")); target != "" {
		details = append(details, "for "+kind+" "+target)
	}
	if p := str(lookup(v, "spec", "default", "config", "httpHealthCheck", "requestPath")); p != "" {
		details = append(details, "checks "+p)
	}
	if len(details) == 0 {
		return name
	}
	return name + " (" + strings.Join(details, ", ") + ")"
}

// containerName extracts the container name from a field path.
func containerName(p string) string {
	_, rest, _ := strings.Cut(p, "containers[name=")
	name, _, _ := strings.Cut(rest, "]")
	return name
}

// composeFieldSentence describes a change to a service's published ports,
// networks or extra hosts; "" for other fields.
func composeFieldSentence(service string, f Field) string {
	var verbs [3]string // added, removed, changed
	switch f.Path {
	case "ports":
		verbs = [3]string{"now publishes %s", "no longer publishes ports (was %s)", "publishes %s instead of %s"}
	case "networks":
		verbs = [3]string{"joins network %s", "leaves network %s", "is on network %s instead of %s"}
	case "extra_hosts":
		verbs = [3]string{"gets extra host %s", "no longer gets extra host %s", "gets extra host %s instead of %s"}
	default:
		return ""
	}
	var what string
	switch f.Op {
	case OpAdded:
		what = fmt.Sprintf(verbs[0], listText(f.To))
	case OpRemoved:
		what = fmt.Sprintf(verbs[1], listText(f.From))
	default:
		what = fmt.Sprintf(verbs[2], listText(f.To), listText(f.From))
	}
	return "Service " + service + " " + what + "."
}

// listText lists compose ports, networks or hosts in their short form:
// "8082:8080" for a long-form port, the names of a networks map.
func listText(v any) string {
	var items []string
	switch x := v.(type) {
	case map[string]any:
		items = slices.Sorted(maps.Keys(x))
	case []any:
		for _, e := range x {
			target := str(lookup(e, "target"))
			switch {
			case target != "" && str(lookup(e, "published")) != "":
				items = append(items, str(lookup(e, "published"))+":"+target)
			case target != "":
				items = append(items, target)
			case str(e) != "":
				items = append(items, str(e))
			default:
				items = append(items, flow(e))
			}
		}
	default:
		return flow(v)
	}
	return strings.Join(items, ", ")
}

func absolute(u string) bool {
	return strings.Contains(u, "://")
}

// containerFieldTitle names a container field added or removed as a whole,
// or returns "" for fields the summary leaves to the detailed report.
func containerFieldTitle(f Field) string {
	_, last, _ := strings.Cut(f.Path[strings.LastIndex(f.Path, "]")+1:], ".")
	switch {
	case strings.HasPrefix(last, "resources.requests."):
		return "Resource requests"
	case strings.HasPrefix(last, "resources.limits."):
		return "Resource limits"
	}
	switch last {
	case "resources.requests":
		return "Resource requests"
	case "resources.limits":
		return "Resource limits"
	case "resources":
		v := f.To
		if f.Op == OpRemoved {
			v = f.From
		}
		req, lim := lookup(v, "requests") != nil, lookup(v, "limits") != nil
		switch {
		case req && lim:
			return "Resource requests and limits"
		case lim:
			return "Resource limits"
		}
		return "Resource requests"
	case "readinessProbe":
		return "Readiness probes"
	case "livenessProbe":
		return "Liveness probes"
	case "startupProbe":
		return "Startup probes"
	}
	return ""
}

// ingressMigration describes a move between Ingress and the Gateway API, as
// a converter such as ingress2gateway does it: each Ingress becomes the
// HTTPRoute to the same backend Service, the ingress class a Gateway of a
// GatewayClass, and ingress-nginx's rewrite annotation a URLRewrite filter.
// It says nothing when the change is not such a move.
func ingressMigration(cs []Change) string {
	type end struct {
		name, match string
		rewrite     bool
	}
	ingresses, routes := map[string]end{}, map[string]end{}
	var ingOp, routeOp string
	var classes, gateways []string
	for _, c := range cs {
		if c.Type != TypeKubernetes || c.Op == OpChanged {
			continue
		}
		v := c.before
		if c.Op == OpAdded {
			v = c.after
		}
		switch c.Kind {
		case "Ingress":
			ingOp = c.Op
			if class := str(lookup(v, "spec", "ingressClassName")); class != "" && !slices.Contains(classes, class) {
				classes = append(classes, class)
			}
			rules, _ := lookup(v, "spec", "rules").([]any)
			for _, rule := range rules {
				paths, _ := lookup(rule, "http", "paths").([]any)
				for _, p := range paths {
					e := end{name: c.Name, match: ingressMatch(str(lookup(rule, "host")), str(lookup(p, "path"))),
						rewrite: str(lookup(v, "metadata", "annotations", "nginx.ingress.kubernetes.io/rewrite-target")) != ""}
					ingresses[str(lookup(p, "backend", "service", "name"))] = e
				}
			}
		case "HTTPRoute":
			routeOp = c.Op
			hosts := scalars(lookup(v, "spec", "hostnames"))
			rules, _ := lookup(v, "spec", "rules").([]any)
			for _, rule := range rules {
				one := map[string]any{"spec": map[string]any{"rules": []any{rule}}}
				path := strings.TrimPrefix(routePaths(one)[0], "path ")
				refs, _ := lookup(rule, "backendRefs").([]any)
				for _, ref := range refs {
					routes[str(lookup(ref, "name"))] = end{name: c.Name, match: ingressMatch(strings.Join(hosts, ", "), path),
						rewrite: len(routeFilters(one)) > 0}
				}
			}
		case "Gateway":
			gateways = append(gateways, fmt.Sprintf("Gateway %s (class %s)", objectName(c), str(lookup(v, "spec", "gatewayClassName"))))
		}
	}
	if ingOp == "" || routeOp == "" || ingOp == routeOp {
		return ""
	}
	var pairs []string
	rewrites := 0
	for _, svc := range slices.Sorted(maps.Keys(ingresses)) {
		i, ok := routes[svc]
		if !ok {
			continue
		}
		g := ingresses[svc]
		if ingOp == OpAdded {
			g, i = i, g
		}
		from, to := "Ingress "+g.name+" ("+g.match+")", "HTTPRoute "+i.name+" ("+i.match+")"
		if ingOp == OpAdded {
			from, to = "HTTPRoute "+g.name+" ("+g.match+")", "Ingress "+i.name+" ("+i.match+")"
		}
		pairs = append(pairs, from+" -> "+to)
		if g.rewrite || i.rewrite {
			rewrites++
		}
	}
	if len(pairs) == 0 {
		return ""
	}
	title := "From Ingress to the Gateway API, as ingress2gateway converts it"
	classPart := fmt.Sprintf("ingress class %s -> %s", orNone(strings.Join(classes, ", ")), orNone(strings.Join(gateways, ", ")))
	rewritePart := "rewrite-target annotations -> URLRewrite filters"
	if ingOp == OpAdded {
		title = "From the Gateway API back to Ingress"
		classPart = fmt.Sprintf("%s -> ingress class %s", orNone(strings.Join(gateways, ", ")), orNone(strings.Join(classes, ", ")))
		rewritePart = "URLRewrite filters -> rewrite-target annotations"
	}
	parts := []string{strings.Join(pairs, "; "), classPart}
	if rewrites > 0 {
		parts = append(parts, rewritePart)
	}
	return title + ": " + strings.Join(parts, "; ") + "."
}

// ingressMatch is an Ingress path as a route match reads: host and prefix,
// with ingress-nginx's "(/|$)(.*)" rewrite pattern shown as the prefix.
func ingressMatch(host, path string) string {
	path = strings.TrimSuffix(path, "(/|$)(.*)")
	if host == "" {
		return "path " + path
	}
	if path == "/" || path == "" {
		return "hostname " + host
	}
	return "hostname " + host + " path " + path
}

func objectName(c Change) string {
	if c.Namespace != "" {
		return c.Namespace + "/" + c.Name
	}
	return c.Name
}
