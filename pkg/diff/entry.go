package diff

import (
	"strconv"
	"strings"
)

// entryFromRoutes reads the entry URL of a directory from its routes: the
// host of the frontend's HTTPRoute or Ingress (or, for a route without one,
// the address of a Gateway), or the host port compose publishes the
// frontend on (or, behind a proxy, the proxy's HTTPS port). No file states
// the whole URL, so the parts the files do state replace those of model,
// the model's entry URL on the same target. It reports false when no route
// states any part.
func entryFromRoutes(rs []resource, frontend, model string) (string, bool) {
	scheme, host, port, path, ok := splitURL(model)
	if !ok {
		return "", false
	}
	var gatewayAddr, routeHost string
	routed, published := false, ""
	for _, r := range rs {
		switch {
		case r.id.Type == TypeKubernetes && r.id.Kind == "Gateway":
			addrs, _ := lookup(r.value, "spec", "addresses").([]any)
			for _, a := range addrs {
				// A NamedAddress names a reserved address, not where it is.
				if t := str(lookup(a, "type")); gatewayAddr == "" && (t == "" || t == "IPAddress" || t == "Hostname") {
					gatewayAddr = str(lookup(a, "value"))
				}
			}
		case r.id.Type == TypeKubernetes && r.id.Kind == "HTTPRoute" && belongsTo(r, frontend):
			routed = true
			if hosts, _ := lookup(r.value, "spec", "hostnames").([]any); len(hosts) > 0 && routeHost == "" {
				routeHost = str(hosts[0])
			}
		case r.id.Type == TypeKubernetes && r.id.Kind == "Ingress" && belongsTo(r, frontend):
			routed = true
			if rules, _ := lookup(r.value, "spec", "rules").([]any); len(rules) > 0 && routeHost == "" {
				routeHost = str(lookup(rules[0], "host"))
			}
		case r.id.Type == TypeCompose && r.id.Kind == "service":
			ports, _ := lookup(r.value, "ports").([]any)
			if r.id.Name == frontend && len(ports) > 0 {
				if _, p := portPair(ports[0]); p != "" {
					published = p
				}
			} else if scheme == "https" && published == "" {
				// Behind a proxy the frontend publishes nothing; the
				// entry is the port that reaches the proxy's TLS port.
				for _, p := range ports {
					if target, pub := portPair(p); target == "443" && pub != "" {
						published = pub
					}
				}
			}
		}
	}
	switch {
	case routeHost != "":
		host = routeHost
	case routed && gatewayAddr != "":
		host = gatewayAddr
	case published != "":
		port = published
	default:
		return "", false
	}
	u := scheme + "://" + host
	if port != "" && !(scheme == "http" && port == "80") && !(scheme == "https" && port == "443") {
		u += ":" + port
	}
	return u + path, true
}

// splitURL splits scheme://host[:port][path] without validating the host,
// which may be a placeholder such as <CLUSTER_PUBLIC_IP>.
func splitURL(u string) (scheme, host, port, path string, ok bool) {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok || scheme == "" {
		return "", "", "", "", false
	}
	hostport := rest
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		hostport, path = rest[:i], rest[i:]
	}
	host = hostport
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 && !strings.Contains(hostport[i:], "]") {
		if _, err := strconv.Atoi(hostport[i+1:]); err == nil {
			host, port = hostport[:i], hostport[i+1:]
		}
	}
	return scheme, host, port, path, host != ""
}

// portPair reads a compose port entry, long form (target, published) or
// short ("[ip:]published:target[/proto]"), as its container and host ports.
func portPair(p any) (target, published string) {
	if m, ok := p.(map[string]any); ok {
		return str(m["target"]), str(m["published"])
	}
	s, _, _ := strings.Cut(str(p), "/")
	parts := strings.Split(s, ":")
	if len(parts) < 2 {
		return parts[0], ""
	}
	return parts[len(parts)-1], parts[len(parts)-2]
}
