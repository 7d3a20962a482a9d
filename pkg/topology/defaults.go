package topology

import "strings"

// Defaults that are not spelled out in the spec.
const (
	// DefaultEntryURLName names the entry URL when the spec does not.
	DefaultEntryURLName = "APP_URL"
	// FirstHostPort is the host port of the first service; each next
	// service takes the next port.
	FirstHostPort = 8080
	// DefaultUser is the numeric user (and group) containers run as on
	// Kubernetes unless the spec says otherwise: a user no image defines,
	// so it owns nothing in the image and can write only to its volumes.
	DefaultUser        int64 = 65532
	defaultStorageSize       = "1Gi"
	defaultTargetCPU         = 50
)

// setDefaults fills every field the user left empty. It runs before
// validation, which then checks defaults and the user's values alike.
func setDefaults(a *App) {
	if a.Spec.EntryURLName == "" {
		a.Spec.EntryURLName = DefaultEntryURLName
	}
	frontends := 0
	for i := range a.Spec.Services {
		s := &a.Spec.Services[i]
		if s.Protocol == "" && s.Port != 0 {
			s.Protocol = ProtocolHTTP
		}
		if s.HostPort == 0 && s.Port != 0 {
			s.HostPort = FirstHostPort + i
		}
		for j := range s.Ports {
			p := &s.Ports[j]
			if p.Protocol == "" {
				p.Protocol = ProtocolHTTP
			}
			if p.Name == "" && len(s.Ports) == 1 {
				p.Name = string(p.Protocol)
			}
		}
		if len(s.Ports) > 0 && s.Ports[0].HostPort == 0 {
			s.Ports[0].HostPort = FirstHostPort + i
		}
		if s.HealthPath == "" && s.Health == nil && s.firstProtocol() == ProtocolHTTP {
			s.HealthPath = "/"
		}
		if s.Health != nil && s.Health.Liveness == nil {
			s.Health.Liveness = s.Health.Readiness
		}
		if s.Replicas == 0 && !s.Job {
			s.Replicas = 1
		}
		if s.Role == RoleFrontend {
			if s.URLName == "" {
				s.URLName = a.Spec.EntryURLName
				if frontends > 0 {
					s.URLName = strings.ToUpper(strings.ReplaceAll(s.Name, "-", "_")) + "_URL"
				}
			}
			frontends++
		}
		for j := range s.Links {
			l := &s.Links[j]
			if l.ResolvedBy == "" {
				l.ResolvedBy = ResolvedByService
			}
			if l.Form == "" {
				l.Form = FormURL
			}
		}
		if st := s.Storage; st != nil && st.Persistent && st.Size == "" {
			st.Size = defaultStorageSize
		}
		if as := s.Autoscaling; as != nil {
			if as.MinReplicas == 0 {
				as.MinReplicas = 1
			}
			if as.TargetCPUPercent == 0 {
				as.TargetCPUPercent = defaultTargetCPU
			}
		}
		if s.Security == nil {
			s.Security = &SecuritySpec{}
		}
		if s.Security.RunAsUser == nil {
			u := DefaultUser
			s.Security.RunAsUser = &u
		}
		if s.Security.RunAsGroup == nil {
			g := *s.Security.RunAsUser
			s.Security.RunAsGroup = &g
		}
		for j := range s.Checks {
			c := &s.Checks[j]
			if c.Method == "" {
				c.Method = "GET"
			}
			if c.Status == 0 {
				c.Status = 200
			}
			if c.Body != "" && c.ContentType == "" {
				c.ContentType = "application/json"
			}
		}
	}
}

// firstProtocol is the protocol of the service's first port, "" for a worker.
func (s *ServiceSpec) firstProtocol() Protocol {
	switch {
	case s.Port != 0:
		return s.Protocol
	case len(s.Ports) > 0:
		return s.Ports[0].Protocol
	}
	return ""
}
