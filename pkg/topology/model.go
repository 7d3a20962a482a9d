// Package topology is synctl's typed model of a multi-service web
// application: its services, their roles and links. An App spec (spec.go) is
// decoded strictly, defaulted and validated once into a Model. Wire computes
// every URL of one target from the model and the target's URL rules, in one
// place; renderers take their URLs from there. Topology knows no target: each
// target decodes its own section of the spec through a Section.
package topology

// Role says who may reach a service.
type Role string

const (
	// RoleFrontend is the public entry point the browser loads (the entry URL).
	// An app has exactly one.
	RoleFrontend Role = "frontend"
	// RoleAPI is a public service the browser calls directly.
	RoleAPI Role = "api"
	// RoleInternal is reached only by other services inside the deployment.
	RoleInternal Role = "internal"
)

// Protocol is what a port speaks.
type Protocol string

const (
	// ProtocolHTTP is HTTP: it can be routed by path or hostname, proxied,
	// and checked with an HTTP request.
	ProtocolHTTP Protocol = "http"
	// ProtocolTCP is any other TCP protocol (a database, a cache): reached
	// by host and port only, checked by opening a connection.
	ProtocolTCP Protocol = "tcp"
)

// LinkForm is how a link's env var spells the address it receives.
type LinkForm string

const (
	// FormURL is scheme://[user[:password]@]host[:port][path].
	FormURL LinkForm = "url"
	// FormHostPort is host:port.
	FormHostPort LinkForm = "hostport"
	// FormHost is the host alone; the port goes into the link's PortEnv.
	FormHost LinkForm = "host"
)

func (r Role) String() string { return string(r) }

// Public reports whether the browser reaches services of this role.
func (r Role) Public() bool { return r == RoleFrontend || r == RoleAPI }

// Resolver says who resolves a link's URL, which decides how it is wired.
type Resolver string

const (
	// ResolvedByService: the URL is used by the service's own process, inside
	// the deployment.
	ResolvedByService Resolver = "service"
	// ResolvedByBrowser: the service hands the URL to the browser, so it must
	// work from the user's machine.
	ResolvedByBrowser Resolver = "browser"
)

// Model is one validated application. Build it with Load, Decode or Default;
// renderers may rely on every field being set and valid.
type Model struct {
	// Name is a DNS-1123 label; it prefixes Kubernetes object names,
	// compose networks and docker container names.
	Name string
	// EntryURLName names the URL the browser opens ("CHAT_URL").
	EntryURLName string
	Services     []Service
	// Secrets names the app's secrets, in spec order.
	Secrets []string

	// index maps service names to positions in Services.
	index map[string]int
}

// Service is one container of the application.
type Service struct {
	// Name is a DNS-1123 label, unique in the app.
	Name string
	Role Role
	// URLName names the URL the browser opens for a frontend: the spec's
	// entryURLName for the first frontend, NAME_URL for the others.
	URLName string
	// Image is a container image reference with a tag or digest.
	Image string
	// Ports are the ports the container listens on; none for a worker.
	// Port, PortEnv and HostPort repeat the first one's (0 and "" for a
	// worker), the port links, routes and checks use unless they name one.
	Ports []Port
	// Port is the port the container listens on (1-65535).
	Port int
	// PortEnv, when set, is the environment variable that tells the
	// service which port to listen on; synctl sets it to Port.
	PortEnv string
	// HostPort is the port published on the docker host in the docker
	// targets (1-65535, unique); internal services publish it only in the
	// plain docker target, where other containers reach them through the host.
	HostPort int
	// HealthPath is the HTTP path that answers 200 when the service is
	// healthy; "" when its readiness is not checked over HTTP.
	HealthPath string
	// Readiness and Liveness are its health checks; nil for none.
	Readiness, Liveness *Probe
	// Job runs once to completion instead of being kept running.
	Job bool
	// Command replaces the image's entrypoint, Args its arguments.
	Command, Args []string
	// WorkingDir replaces the image's working directory.
	WorkingDir string
	// DependsOn are services started before this one beyond its links.
	DependsOn []string
	// Secrets are the secrets the service receives.
	Secrets []SecretUse
	// Scratch are directories the container may write to, kept only for
	// its life (tmpfs, emptyDir): what an image writes beside a read-only
	// root filesystem.
	Scratch []string
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
	Security    Security
	// Outbound is what the service connects to outside the app; nil: nothing.
	Outbound *Outbound
	// Checks are requests verify sends through the service's public route.
	Checks []Check
}

// Port is one port a service listens on.
type Port struct {
	// Name is a DNS-1035 label of at most 15 characters, unique in the
	// service ("http" for a single HTTP port, "tcp" for a single TCP port).
	Name     string
	Number   int
	Protocol Protocol
	// Env, when set, is told the port number.
	Env string
	// HostPort is where the docker targets publish it; 0 for not published.
	HostPort int
}

// Probe is one health check: an HTTP GET of Path on the port named Port,
// a TCP connection to the port named Port, or Command run in the container.
type Probe struct {
	Path    string
	Port    string
	Command []string
}

// HTTP reports whether the probe is an HTTP request.
func (p *Probe) HTTP() bool { return p != nil && p.Path != "" }

// TCP reports whether the probe opens a connection.
func (p *Probe) TCP() bool { return p != nil && p.Path == "" && p.Port != "" }

// SecretUse hands secret Secret to a service in env var Env or at the file
// path File (one of the two).
type SecretUse struct {
	Secret string
	Env    string
	File   string
}

// Worker reports whether the service listens on no port.
func (s *Service) Worker() bool { return len(s.Ports) == 0 }

// HTTP reports whether the service's first port speaks HTTP.
func (s *Service) HTTP() bool { return len(s.Ports) > 0 && s.Ports[0].Protocol == ProtocolHTTP }

// Routed reports whether the browser reaches the service: a public role,
// on an HTTP port.
func (s *Service) Routed() bool { return s.Role.Public() && s.HTTP() }

// PortNamed returns the service's port called name.
func (s *Service) PortNamed(name string) (Port, bool) {
	for _, p := range s.Ports {
		if p.Name == name {
			return p, true
		}
	}
	return Port{}, false
}

// SecretEnv is the env var through which the service receives secret, or "".
func (s *Service) SecretEnv(secret string) string {
	for _, u := range s.Secrets {
		if u.Secret == secret && u.Env != "" {
			return u.Env
		}
	}
	return ""
}

// MinReplicas is the fewest pods the service runs: its replica count, or the
// autoscaler's minimum.
func (s *Service) MinReplicas() int {
	if s.Autoscaling != nil {
		return s.Autoscaling.MinReplicas
	}
	return s.Replicas
}

// Security is how the service's container runs on Kubernetes: as a non-root
// user with no privileges, on a read-only root filesystem unless the spec
// says the image needs to write there.
type Security struct {
	RunAsUser, RunAsGroup  int64
	WritableRootFilesystem bool
}

// Outbound is a service's traffic to addresses outside the app: to Ports
// (TCP) in any of Blocks.
type Outbound struct {
	Ports  []int
	Blocks []IPBlock
}

// IPBlock is an address range, less the ranges in Except (each inside CIDR).
type IPBlock struct {
	CIDR   string
	Except []string
}

// Check is one request verify sends to a running service.
type Check struct {
	Name        string
	Method      string
	Path        string
	Body        string
	ContentType string
	// Status is the status code the answer must have.
	Status int
	// Contains, when set, must occur in the answer's body.
	Contains string
	// JSON requires the answer's body to be JSON.
	JSON bool
	// Via names the env var of one of the service's links that the service
	// itself uses to answer: a failure then points at that link's URL.
	Via string
}

// EnvVar is one environment variable.
type EnvVar struct {
	Name  string
	Value string
	// Secret, when set, names the secret whose value the variable
	// receives; Value is then empty.
	Secret string
	// Expand marks a Value that holds a target's reference to a secret
	// (URLRules.SecretRef), which the target expands at start.
	Expand bool
}

// Link hands the address of service To to this service in env var Env.
type Link struct {
	Env        string
	To         string
	ResolvedBy Resolver
	// Port names the port of To it reaches.
	Port string
	// Form is how Env spells the address; a browser's link is a url.
	Form LinkForm
	// Scheme, User, Password (a secret's name) and Path complete a url:
	// scheme://user:password@host:port/path.
	Scheme, User, Password, Path string
	// PortEnv, for form host, receives the port.
	PortEnv string
	// ExposedAt, when set, is where the frontend shows the URL to the
	// browser, so that verify can read the value a deployment really serves.
	ExposedAt *Exposure
}

// Exposure locates a URL in a resource the frontend serves: Text with the
// URL in place of the marker URLMarker, in the body served at Path.
type Exposure struct {
	Path string
	Text string
}

// URLMarker stands for the URL in Exposure.Text.
const URLMarker = "{url}"

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

// Service returns the named service.
func (m *Model) Service(name string) (*Service, bool) {
	if m.index == nil {
		m.reindex()
	}
	i, ok := m.index[name]
	if !ok {
		return nil, false
	}
	return &m.Services[i], true
}

// reindex builds the name index; the first of a duplicated name wins.
func (m *Model) reindex() {
	m.index = make(map[string]int, len(m.Services))
	for i := range m.Services {
		if _, dup := m.index[m.Services[i].Name]; !dup {
			m.index[m.Services[i].Name] = i
		}
	}
}

// ServiceNames lists the services' names in spec order.
func (m *Model) ServiceNames() []string {
	names := make([]string, len(m.Services))
	for i, s := range m.Services {
		names[i] = s.Name
	}
	return names
}

// Frontends lists the frontends in spec order.
func (m *Model) Frontends() []*Service {
	var fes []*Service
	for i := range m.Services {
		if m.Services[i].Role == RoleFrontend {
			fes = append(fes, &m.Services[i])
		}
	}
	return fes
}

// Frontend returns the app's first frontend service: the page at the entry
// URL. nil for an app with none.
func (m *Model) Frontend() *Service {
	for i := range m.Services {
		if m.Services[i].Role == RoleFrontend {
			return &m.Services[i]
		}
	}
	return nil
}
