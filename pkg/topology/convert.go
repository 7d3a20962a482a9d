package topology

import (
	"maps"
	"slices"
)

// model converts a defaulted, valid spec into the Model renderers use.
func (a *App) model() *Model {
	m := &Model{Name: a.Metadata.Name, EntryURLName: a.Spec.EntryURLName}
	for _, sec := range a.Spec.Secrets {
		m.Secrets = append(m.Secrets, sec.Name)
	}
	for _, ss := range a.Spec.Services {
		s := Service{
			Name:       ss.Name,
			Role:       ss.Role,
			URLName:    ss.URLName,
			Image:      ss.Image,
			HealthPath: ss.HealthPath,
			Replicas:   max(ss.Replicas, 1),
			Job:        ss.Job,
			Command:    ss.Command,
			Args:       ss.Args,
			WorkingDir: ss.WorkingDir,
			DependsOn:  ss.DependsOn,
			Scratch:    ss.Scratch,
			Security: Security{
				RunAsUser:              *ss.Security.RunAsUser,
				RunAsGroup:             *ss.Security.RunAsGroup,
				WritableRootFilesystem: ss.Security.WritableRootFilesystem,
			},
		}
		if ss.Port != 0 {
			s.Ports = []Port{{Name: string(ss.Protocol), Number: ss.Port, Protocol: ss.Protocol, Env: ss.PortEnv, HostPort: ss.HostPort}}
		}
		for _, p := range ss.Ports {
			s.Ports = append(s.Ports, Port{Name: p.Name, Number: p.Port, Protocol: p.Protocol, Env: p.Env, HostPort: p.HostPort})
		}
		if len(s.Ports) > 0 {
			s.Port, s.PortEnv, s.HostPort = s.Ports[0].Number, s.Ports[0].Env, s.Ports[0].HostPort
		}
		s.Readiness, s.Liveness = probes(&s, ss)
		if s.Readiness.HTTP() {
			s.HealthPath = s.Readiness.Path
		}
		for _, u := range ss.Secrets {
			s.Secrets = append(s.Secrets, SecretUse{Secret: u.Name, Env: u.Env, File: u.File})
		}
		for _, k := range slices.Sorted(maps.Keys(ss.Env)) {
			s.Env = append(s.Env, EnvVar{Name: k, Value: ss.Env[k]})
		}
		for _, l := range ss.Links {
			link := Link{Env: l.Env, To: l.Service, ResolvedBy: l.ResolvedBy, Port: l.Port, Form: l.Form,
				Scheme: l.Scheme, User: l.User, Password: l.Password, Path: l.Path, PortEnv: l.PortEnv}
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
	// A link's port and scheme default to what the service it reaches
	// listens on.
	for i := range m.Services {
		for j := range m.Services[i].Links {
			l := &m.Services[i].Links[j]
			to, _ := m.Service(l.To)
			if l.Port == "" {
				l.Port = to.Ports[0].Name
			}
			if p, _ := to.PortNamed(l.Port); l.Scheme == "" && l.Form == FormURL && p.Protocol == ProtocolHTTP {
				l.Scheme = "http"
			}
		}
	}
	return m
}

// probes converts a service's health checks. An HTTP service is checked
// at its health path, a TCP service by connecting to its first port; a
// worker or a job is not checked unless the spec says how.
func probes(s *Service, ss ServiceSpec) (readiness, liveness *Probe) {
	conv := func(p *ProbeSpec) *Probe {
		switch {
		case p == nil:
			return nil
		case p.HTTP != "":
			for _, port := range s.Ports {
				if port.Protocol == ProtocolHTTP {
					return &Probe{Path: p.HTTP, Port: port.Name}
				}
			}
		case p.TCP != "":
			return &Probe{Port: p.TCP}
		}
		return &Probe{Command: p.Command}
	}
	if h := ss.Health; h != nil {
		return conv(h.Readiness), conv(h.Liveness)
	}
	switch {
	case s.Worker() || s.Job:
		return nil, nil
	case s.Ports[0].Protocol == ProtocolHTTP:
		p := &Probe{Path: ss.HealthPath, Port: s.Ports[0].Name}
		return p, p
	}
	p := &Probe{Port: s.Ports[0].Name}
	return p, p
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
		for _, name := range s.startsAfter() {
			to, _ := m.Service(name)
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
	for i := range m.Services {
		s := &m.Services[i]
		for _, to := range s.startsAfter() {
			if !slices.Contains(broken, Edge{s.Name, to}) && !slices.Contains(deps[s.Name], to) {
				deps[s.Name] = append(deps[s.Name], to)
			}
		}
	}
	return deps
}

// startsAfter lists the services s waits for at start: those its own
// process links to, then its dependsOn.
func (s *Service) startsAfter() []string {
	var names []string
	for _, l := range s.Links {
		if l.ResolvedBy == ResolvedByService {
			names = append(names, l.To)
		}
	}
	return append(names, s.DependsOn...)
}
