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

// apiPrefixes fills in each public api's path prefix (default
// /<service>, with a trailing "/" where trailing) and checks it: a clean
// path, not "/", the slash rule, unique.
func apiPrefixes(sec *topology.Section, paths map[string]string, rule slash) map[string]string {
	out := map[string]string{}
	for _, svc := range sec.Model.Services {
		if svc.Role != topology.RoleAPI {
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
	for _, svc := range m.Services {
		if !svc.Role.Public() {
			continue
		}
		def := m.Name + svc.Name + ".internal"
		if svc.Role == topology.RoleFrontend {
			def = m.Name + ".internal"
		}
		out[svc.Name] = cmp.Or(hosts[svc.Name], def)
		sec.Hostname("hosts."+svc.Name, out[svc.Name])
	}
	sec.Distinct("hosts", out)
	return out
}

// onlyAPI allows per-service settings for services the browser calls
// through a path prefix.
func onlyAPI(s *topology.Service) string {
	if s.Role != topology.RoleAPI {
		return fmt.Sprintf("has role %s; only role api services are routed by path", s.Role)
	}
	return ""
}

// onlyPublic allows per-service settings for services the browser reaches.
func onlyPublic(s *topology.Service) string {
	if !s.Role.Public() {
		return "has role internal; only frontend and api services get a hostname"
	}
	return ""
}
