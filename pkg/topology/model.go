// Package topology is synctl's typed model of a multi-service web
// application: its services, their roles and links, and the settings of each
// deployment target. An App spec (spec.go) is decoded strictly, defaulted and
// validated once into a Model; Wire computes every URL a target needs from it,
// in one place, and the renderers take their URLs from there.
package topology

// Role says who may reach a service.
type Role string

const (
	// RoleFrontend is the public entry point the browser loads (CHAT_URL).
	// An app has exactly one.
	RoleFrontend Role = "frontend"
	// RoleAPI is a public service the browser calls directly.
	RoleAPI Role = "api"
	// RoleInternal is reached only by other services inside the deployment.
	RoleInternal Role = "internal"
)

// Public reports whether the browser reaches services of this role.
func (r Role) Public() bool { return r == RoleFrontend || r == RoleAPI }

// Resolver says who resolves a link's URL, which decides how it is wired.
type Resolver string

const (
	// ResolvedByService: the URL is used by the service's own process, inside
	// the deployment (CRAWLER_BASE_URL).
	ResolvedByService Resolver = "service"
	// ResolvedByBrowser: the service hands the URL to the browser, so it must
	// work from the user's machine (API_URL).
	ResolvedByBrowser Resolver = "browser"
)

// Model is one validated application. Build it with Load, Decode or Default;
// renderers may rely on every field being set and valid.
type Model struct {
	// Name is a DNS-1123 label; it prefixes Kubernetes object names,
	// compose networks and docker container names.
	Name     string
	Services []Service
	Targets  TargetSettings
}

// Service is one container of the application.
type Service struct {
	// Name is a DNS-1123 label, unique in the app.
	Name string
	Role Role
	// Image is a container image reference with a tag or digest.
	Image string
	// Port is the port the container listens on (1-65535).
	Port int
	// PortEnv, when set, is the environment variable that tells the
	// service which port to listen on; synctl sets it to Port.
	PortEnv string
	// HostPort is the port published on the docker host in the docker
	// targets (1-65535, unique); internal services publish it only in the
	// plain docker target, where other containers reach them through the host.
	HostPort int
	// HealthPath is the HTTP path that answers 200 when the service is healthy.
	HealthPath string
	// Env are static environment variables, in order.
	Env []EnvVar
	// Links are URLs of other services handed to this one in an env var.
	Links   []Link
	Storage *Storage
	// Resources are the container's requests and limits; GKE Autopilot
	// requires requests on every container.
	Resources Resources
	// Replicas is the Deployment's replica count when not autoscaled (>= 1).
	Replicas    int
	Autoscaling *Autoscaling
}

// EnvVar is one static environment variable.
type EnvVar struct {
	Name  string
	Value string
}

// Link hands the URL of service To to this service in env var Env.
type Link struct {
	Env        string
	To         string
	ResolvedBy Resolver
}

// Storage is a data directory the service keeps.
type Storage struct {
	// MountPath is the absolute directory mounted into the container.
	MountPath string
	// Env, when set, receives MountPath joined with File.
	Env string
	// File is the name under MountPath the service is told to use
	// ("db.json"); empty means the directory itself.
	File string
	// Size is the Kubernetes quantity requested for persistent storage.
	Size string
	// Persistent storage survives restarts (a PVC or a named volume);
	// otherwise it is scratch space (emptyDir) kept only for the pod's life.
	Persistent bool
}

// Path is the value handed to the service in Env.
func (s *Storage) Path() string {
	if s.File == "" {
		return s.MountPath
	}
	return s.MountPath + "/" + s.File
}

// Resources are Kubernetes quantities; empty strings are left unset.
type Resources struct {
	CPURequest, MemoryRequest string
	CPULimit, MemoryLimit     string
}

// Autoscaling scales a Deployment on CPU use.
type Autoscaling struct {
	MinReplicas, MaxReplicas int
	// TargetCPUPercent is the average CPU use, as a percentage of the
	// request, the autoscaler aims for (1-100).
	TargetCPUPercent int
}

// TargetSettings hold what differs per target beyond the services.
type TargetSettings struct {
	Docker        DockerSettings
	DockerNetwork DockerNetworkSettings
	Nginx         NginxSettings
	Minikube      MinikubeSettings
	GKE           GKESettings
}

// DockerSettings configure the plain docker target.
type DockerSettings struct {
	// Host is how the user's browser reaches published ports ("localhost").
	Host string
}

// DockerNetworkSettings configure the docker-network target.
type DockerNetworkSettings struct {
	Host string
	// Network is the user-defined bridge network's name.
	Network string
}

// NginxSettings configure the compose-behind-nginx target.
type NginxSettings struct {
	// Image is the nginx image; the rendered nginx.conf suits nginx:alpine.
	Image string
	// ServerName is the TLS host name (certificate SAN and server_name).
	ServerName string
	HTTPPort   int
	HTTPSPort  int
	Network    string
	// Paths maps each public api service to its URL prefix, which ends in
	// "/" and is stripped before proxying ("/api/").
	Paths map[string]string
}

// MinikubeSettings configure the Minikube + Envoy Gateway target.
type MinikubeSettings struct {
	// Namespace is empty to use kubectl's current namespace.
	Namespace      string
	GatewayClass   string
	ControllerName string
	Gateway        string
	// Hosts maps each public service to the hostname its HTTPRoute matches.
	Hosts map[string]string
}

// GKESettings configure the GKE Autopilot target.
type GKESettings struct {
	Namespace        string
	GatewayNamespace string
	Gateway          string
	GatewayClass     string
	// Address is the Gateway's public IP or DNS name, used in CHAT_URL;
	// the default is a placeholder until the load balancer has one.
	Address string
	// Paths maps each public api service to its URL prefix, without a
	// trailing slash ("/api"); it is rewritten to "/" before the backend.
	Paths map[string]string
}

// Service returns the named service.
func (m *Model) Service(name string) (*Service, bool) {
	for i := range m.Services {
		if m.Services[i].Name == name {
			return &m.Services[i], true
		}
	}
	return nil, false
}

// byName indexes the services by name; the first of a duplicated name wins,
// as in Service.
func (m *Model) byName() map[string]*Service {
	idx := make(map[string]*Service, len(m.Services))
	for i := range m.Services {
		if _, dup := idx[m.Services[i].Name]; !dup {
			idx[m.Services[i].Name] = &m.Services[i]
		}
	}
	return idx
}

// Frontend returns the app's single frontend service.
func (m *Model) Frontend() *Service {
	for i := range m.Services {
		if m.Services[i].Role == RoleFrontend {
			return &m.Services[i]
		}
	}
	return nil
}
