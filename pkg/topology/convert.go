package topology

import (
	"maps"
	"slices"
)

// model converts a defaulted, valid spec into the Model renderers use.
func (a *App) model() *Model {
	m := &Model{Name: a.Metadata.Name, EntryURLName: a.Spec.EntryURLName}
	for _, ss := range a.Spec.Services {
		s := Service{
			Name:       ss.Name,
			Role:       ss.Role,
			Image:      ss.Image,
			Port:       ss.Port,
			PortEnv:    ss.PortEnv,
			HostPort:   ss.HostPort,
			HealthPath: ss.HealthPath,
			Replicas:   ss.Replicas,
			Security: Security{
				RunAsUser:              *ss.Security.RunAsUser,
				RunAsGroup:             *ss.Security.RunAsGroup,
				WritableRootFilesystem: ss.Security.WritableRootFilesystem,
			},
		}
		for _, k := range slices.Sorted(maps.Keys(ss.Env)) {
			s.Env = append(s.Env, EnvVar{Name: k, Value: ss.Env[k]})
		}
		for _, l := range ss.Links {
			link := Link{Env: l.Env, To: l.Service, ResolvedBy: l.ResolvedBy}
			if e := l.ExposedAt; e != nil {
				link.ExposedAt = &Exposure{Path: e.Path, Text: e.Text}
			}
			s.Links = append(s.Links, link)
		}
		if st := ss.Storage; st != nil {
			s.Storage = &Storage{MountPath: st.MountPath, Env: st.Env, File: st.File, Size: st.Size, Persistent: st.Persistent}
		}
		if r := ss.Resources; r != nil {
			s.Resources = Resources{CPURequest: r.Requests.CPU, MemoryRequest: r.Requests.Memory, CPULimit: r.Limits.CPU, MemoryLimit: r.Limits.Memory}
		}
		if as := ss.Autoscaling; as != nil {
			s.Autoscaling = &Autoscaling{MinReplicas: as.MinReplicas, MaxReplicas: as.MaxReplicas, TargetCPUPercent: as.TargetCPUPercent}
		}
		if o := ss.Outbound; o != nil {
			s.Outbound = &Outbound{Ports: o.Ports, Blocks: Internet()}
			if len(o.CIDRs) > 0 {
				s.Outbound.Blocks = nil
				for _, c := range o.CIDRs {
					s.Outbound.Blocks = append(s.Outbound.Blocks, IPBlock{CIDR: c})
				}
			}
		}
		for _, c := range ss.Checks {
			s.Checks = append(s.Checks, Check(c))
		}
		m.Services = append(m.Services, s)
	}
	m.reindex()
	return m
}

// Edge is a link one service's own process follows to another service:
// From must reach To inside the deployment.
type Edge struct{ From, To string }

// StartOrder lists the services so that each comes after the services its
// own process links to, where the links allow it; ties keep spec order.
// Broken lists the links left out because they close a cycle (a -> b -> a):
// those services call each other, so one of them must start without waiting
// for the other.
func (m *Model) StartOrder() (order []string, broken []Edge) {
	const (
		unvisited = iota
		visiting
		done
	)
	state := make(map[string]int, len(m.Services))
	var visit func(s *Service)
	visit = func(s *Service) {
		state[s.Name] = visiting
		for _, l := range s.Links {
			if l.ResolvedBy != ResolvedByService {
				continue
			}
			to, _ := m.Service(l.To)
			switch state[to.Name] {
			case visiting:
				broken = append(broken, Edge{From: s.Name, To: to.Name})
			case unvisited:
				visit(to)
			}
		}
		state[s.Name] = done
		order = append(order, s.Name)
	}
	for i := range m.Services {
		if state[m.Services[i].Name] == unvisited {
			visit(&m.Services[i])
		}
	}
	return order, broken
}

// DependsOn maps each service to the services it waits for at start: the
// targets of its own process's links, minus the links StartOrder breaks.
func (m *Model) DependsOn() map[string][]string {
	_, broken := m.StartOrder()
	deps := make(map[string][]string, len(m.Services))
	for _, s := range m.Services {
		for _, l := range s.Links {
			if l.ResolvedBy == ResolvedByService && !slices.Contains(broken, Edge{s.Name, l.To}) && !slices.Contains(deps[s.Name], l.To) {
				deps[s.Name] = append(deps[s.Name], l.To)
			}
		}
	}
	return deps
}
