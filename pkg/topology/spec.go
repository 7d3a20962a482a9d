package topology

import "gopkg.in/yaml.v3"

// The App spec, version synctl.dev/v1alpha1: the input file format. It is
// decoded strictly (see load.go), defaulted (defaults.go), validated
// (validate.go) and converted to a Model. Zero values mean "use the default".
//
// Each target's settings live under spec.targets.<target>; topology keeps
// them as raw YAML, and the target that owns a section decodes it with
// Section.Decode, so that the model knows nothing of any target.

// APIVersion and Kind identify an App spec.
const (
	APIVersion = "synctl.dev/v1alpha1"
	Kind       = "App"
)

// App is the top-level spec document.
type App struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Metadata   Metadata `yaml:"metadata"`
	Spec       AppSpec  `yaml:"spec"`
}

// Metadata names the app.
type Metadata struct {
	// Name is a DNS-1123 label (required).
	Name string `yaml:"name"`
}

// AppSpec holds the services and the per-target settings.
type AppSpec struct {
	// EntryURLName names the URL the browser opens, the frontend's address,
	// in wiring tables and reports (default APP_URL).
	EntryURLName string        `yaml:"entryURLName"`
	Services     []ServiceSpec `yaml:"services"`
	// Secrets are the app's secret values, by name; services receive them
	// (services[].secrets) and links put them into URLs (links[].password).
	Secrets []SecretSpec `yaml:"secrets"`
	// Targets holds each target's own section, decoded by that target.
	Targets map[string]yaml.Node `yaml:"targets"`
}

// ServiceSpec is one service. See Service for each field's meaning.
type ServiceSpec struct {
	Name    string `yaml:"name"`
	Role    Role   `yaml:"role"`
	URLName string `yaml:"urlName"`
	Image   string `yaml:"image"`
	// Port, Protocol, PortEnv and HostPort describe a service's only port;
	// Ports lists several. A service with neither is a worker.
	Port        int               `yaml:"port"`
	Protocol    Protocol          `yaml:"protocol"` // default http
	PortEnv     string            `yaml:"portEnv"`
	HostPort    int               `yaml:"hostPort"` // default 8080 + the service's index
	Ports       []PortSpec        `yaml:"ports"`
	HealthPath  string            `yaml:"healthPath"` // default "/" for an HTTP service
	Health      *HealthSpec       `yaml:"health"`
	Job         bool              `yaml:"job"`
	Command     []string          `yaml:"command"`
	Args        []string          `yaml:"args"`
	WorkingDir  string            `yaml:"workingDir"`
	DependsOn   []string          `yaml:"dependsOn"`
	Secrets     []SecretUseSpec   `yaml:"secrets"`
	Scratch     []string          `yaml:"scratch"`
	Env         map[string]string `yaml:"env"`
	Links       []LinkSpec        `yaml:"links"`
	Storage     *StorageSpec      `yaml:"storage"`
	Resources   *ResourcesSpec    `yaml:"resources"`
	Replicas    int               `yaml:"replicas"` // default 1
	Autoscaling *AutoscalingSpec  `yaml:"autoscaling"`
	Security    *SecuritySpec     `yaml:"security"`
	Outbound    *OutboundSpec     `yaml:"outbound"`
	Checks      []CheckSpec       `yaml:"checks"`
}

// LinkSpec hands another service's URL to this one.
type LinkSpec struct {
	Env        string        `yaml:"env"`
	Service    string        `yaml:"service"`
	ResolvedBy Resolver      `yaml:"resolvedBy"` // "service" (default) or "browser"
	ExposedAt  *ExposureSpec `yaml:"exposedAt"`
	Port       string        `yaml:"port"`     // default the service's first port
	Form       LinkForm      `yaml:"form"`     // default url
	Scheme     string        `yaml:"scheme"`   // default http for an HTTP port
	Path       string        `yaml:"path"`     // appended to a url
	User       string        `yaml:"user"`     // user of a url
	Password   string        `yaml:"password"` // a secret's name: the url's password
	PortEnv    string        `yaml:"portEnv"`  // form host: receives the port
}

// PortSpec is one named port of a service.
type PortSpec struct {
	Name     string   `yaml:"name"`
	Port     int      `yaml:"port"`
	Protocol Protocol `yaml:"protocol"` // default http
	Env      string   `yaml:"env"`
	HostPort int      `yaml:"hostPort"`
}

// SecretSpec declares one secret value of the app.
type SecretSpec struct {
	Name string `yaml:"name"`
}

// SecretUseSpec hands a secret to a service, as an env var or a file.
type SecretUseSpec struct {
	Name string `yaml:"name"`
	Env  string `yaml:"env"`
	File string `yaml:"file"`
}

// HealthSpec says how to tell that a service is ready, and alive.
type HealthSpec struct {
	Readiness *ProbeSpec `yaml:"readiness"`
	Liveness  *ProbeSpec `yaml:"liveness"` // default the readiness check
}

// ProbeSpec is one health check: exactly one of HTTP, TCP and Command.
type ProbeSpec struct {
	HTTP    string   `yaml:"http"`    // a path, on the service's first HTTP port
	TCP     string   `yaml:"tcp"`     // a port name: it accepts connections
	Command []string `yaml:"command"` // run in the container; exit 0 is healthy
}

// ExposureSpec says where a frontend shows the browser a link's URL.
type ExposureSpec struct {
	Path string `yaml:"path"`
	Text string `yaml:"text"`
}

// StorageSpec is a data directory.
type StorageSpec struct {
	MountPath  string `yaml:"mountPath"`
	Env        string `yaml:"env"`
	File       string `yaml:"file"`
	Size       string `yaml:"size"` // default 1Gi when persistent
	Persistent bool   `yaml:"persistent"`
}

// ResourcesSpec are Kubernetes quantities.
type ResourcesSpec struct {
	Requests ResourceList `yaml:"requests"`
	Limits   ResourceList `yaml:"limits"`
}

// ResourceList is cpu and memory.
type ResourceList struct {
	CPU    string `yaml:"cpu"`
	Memory string `yaml:"memory"`
}

// AutoscalingSpec scales on CPU.
type AutoscalingSpec struct {
	MinReplicas      int `yaml:"minReplicas"`      // default 1
	MaxReplicas      int `yaml:"maxReplicas"`      // required
	TargetCPUPercent int `yaml:"targetCPUPercent"` // default 50
}

// SecuritySpec relaxes the hardened defaults for an image that needs it.
type SecuritySpec struct {
	RunAsUser              *int64 `yaml:"runAsUser"`  // default 65532
	RunAsGroup             *int64 `yaml:"runAsGroup"` // default runAsUser
	WritableRootFilesystem bool   `yaml:"writableRootFilesystem"`
}

// OutboundSpec is what a service connects to outside the app, such as a
// public API or website it fetches from.
type OutboundSpec struct {
	Ports []int    `yaml:"ports"` // TCP ports; required
	CIDRs []string `yaml:"cidrs"` // default: the internet (0.0.0.0/0 and ::/0 minus private ranges)
}

// CheckSpec is one request `synctl verify` sends to a running service
// through the route the browser (or, for the frontend, CHAT_URL) uses.
type CheckSpec struct {
	Name        string `yaml:"name"`
	Method      string `yaml:"method"` // default GET
	Path        string `yaml:"path"`
	Body        string `yaml:"body"`
	ContentType string `yaml:"contentType"` // default application/json with a body
	Status      int    `yaml:"status"`      // default 200
	Contains    string `yaml:"contains"`
	JSON        bool   `yaml:"json"`
	Via         string `yaml:"via"`
}
