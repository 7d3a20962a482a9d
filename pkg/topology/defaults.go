package topology

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
	for i := range a.Spec.Services {
		s := &a.Spec.Services[i]
		if s.HostPort == 0 {
			s.HostPort = FirstHostPort + i
		}
		if s.HealthPath == "" {
			s.HealthPath = "/"
		}
		if s.Replicas == 0 {
			s.Replicas = 1
		}
		for j := range s.Links {
			if s.Links[j].ResolvedBy == "" {
				s.Links[j].ResolvedBy = ResolvedByService
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
