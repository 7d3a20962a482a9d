package target

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/synctl/synctl/pkg/topology"
)

// What the targets that route by hostname or by path prefix share: the
// defaults and the checks of their hosts and paths sections.

// slash says whether an api's path prefix ends in "/": nginx strips the
// whole prefix (so it must), a gateway's or ingress's rewrite keeps what
// follows it (so it must not).
type slash struct {
	trailing bool
	// why ends the message when the rule is broken: how the proxy treats
	// the prefix.
	why string
}

// apiPrefixes fills in the path prefix (default /<service>, with a
// trailing "/" where trailing) of each public api, and with frontends of
// each frontend but the first (which has "/"), and checks it: a clean
// path, not "/", the slash rule, unique.
func apiPrefixes(sec *topology.Section, paths map[string]string, rule slash, frontends bool) map[string]string {
	out := map[string]string{}
	for i := range sec.Model.Services {
		svc := &sec.Model.Services[i]
		if !prefixed(sec.Model, svc, frontends) {
			continue
		}
		def := "/" + svc.Name
		if rule.trailing {
			def += "/"
		}
		v := cmp.Or(paths[svc.Name], def)
		field := "paths." + svc.Name
		if sec.Prefix(field, v) && strings.HasSuffix(v, "/") != rule.trailing {
			want := "must not end with '/'"
			reached := strings.TrimSuffix(v, "/") + "/" + strings.TrimPrefix(svc.HealthPath, "/")
			if rule.trailing {
				want, reached = "must end with '/'", v+svc.HealthPath
			}
			sec.Errorf(field, "%q %s: %s, so %q would reach %s as %q", v, want, rule.why, reached, svc.Name, "/"+strings.TrimPrefix(reached, v))
		}
		out[svc.Name] = v
	}
	sec.Distinct("paths", out)
	return out
}

// serviceHosts fills in each public service's hostname (default
// <app>.internal for the frontend, <app><service>.internal for an api),
// after the --host values in ov, and checks them: DNS names, unique.
func serviceHosts(sec *topology.Section, hosts map[string]string, ov Overrides) map[string]string {
	if hosts == nil {
		hosts = map[string]string{}
	}
	for _, k := range slices.Sorted(maps.Keys(ov.Hosts)) {
		hosts[k] = ov.Hosts[k]
		sec.Set("hosts."+k, "--host "+k+"="+ov.Hosts[k])
	}
	sec.ServiceKeys("hosts", hosts, onlyPublic)
	m := sec.Model
	if m == nil {
		for _, k := range slices.Sorted(maps.Keys(hosts)) {
			sec.Hostname("hosts."+k, hosts[k])
		}
		return hosts
	}
	out := map[string]string{}
	for i := range m.Services {
		svc := &m.Services[i]
		if !svc.Routed() {
			continue
		}
		def := m.Name + svc.Name + ".internal"
		if svc == m.Frontend() {
			def = m.Name + ".internal"
		}
		out[svc.Name] = cmp.Or(hosts[svc.Name], def)
		sec.Hostname("hosts."+svc.Name, out[svc.Name])
	}
	sec.Distinct("hosts", out)
	return out
}

// prefixed reports whether the browser reaches svc under a path prefix:
// a public api, or with frontends a frontend other than the first (which
// is served at "/").
func prefixed(m *topology.Model, svc *topology.Service, frontends bool) bool {
	switch {
	case !svc.Routed():
		return false
	case svc.Role == topology.RoleAPI:
		return true
	}
	return frontends && svc != m.Frontend()
}

// onlyPrefixed allows per-service settings for services the browser
// reaches through a path prefix.
func onlyPrefixed(m *topology.Model, frontends bool) func(*topology.Service) string {
	return func(s *topology.Service) string {
		switch {
		case prefixed(m, s, frontends):
			return ""
		case s.Routed() && s.Role == topology.RoleFrontend && frontends:
			return "is the first frontend, served at /; only the other public services are routed by path"
		case s.Routed() && s.Role == topology.RoleFrontend:
			return "has role frontend; only role api services are routed by path"
		case s.Worker():
			return "has no port; only public HTTP services are routed"
		}
		return fmt.Sprintf("has role %s; only role api services are routed by path", s.Role)
	}
}

// onlyPublic allows per-service settings for services the browser reaches.
func onlyPublic(s *topology.Service) string {
	if !s.Routed() {
		return fmt.Sprintf("has role %s; only frontend and api services get a hostname", s.Role)
	}
	return ""
}
