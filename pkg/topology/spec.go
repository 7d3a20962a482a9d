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
	// Targets holds each target's own section, decoded by that target.
	Targets map[string]yaml.Node `yaml:"targets"`
}

// ServiceSpec is one service. See Service for each field's meaning.
type ServiceSpec struct {
	Name        string            `yaml:"name"`
	Role        Role              `yaml:"role"`
	Image       string            `yaml:"image"`
	Port        int               `yaml:"port"`
	PortEnv     string            `yaml:"portEnv"`
	HostPort    int               `yaml:"hostPort"`   // default 8080 + the service's index
	HealthPath  string            `yaml:"healthPath"` // default "/"
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
