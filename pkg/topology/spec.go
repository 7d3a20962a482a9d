package topology

// The App spec, version synctl.dev/v1alpha1: the input file format. It is
// decoded strictly (see load.go) and converted to a Model with defaults
// filled in (see defaults.go). Zero values mean "use the default".

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
	Services []ServiceSpec `yaml:"services"`
	Targets  TargetsSpec   `yaml:"targets"`
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
}

// LinkSpec hands another service's URL to this one.
type LinkSpec struct {
	Env        string   `yaml:"env"`
	Service    string   `yaml:"service"`
	ResolvedBy Resolver `yaml:"resolvedBy"` // "service" (default) or "browser"
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

// TargetsSpec overrides per-target defaults.
type TargetsSpec struct {
	Docker        DockerSpec        `yaml:"docker"`
	DockerNetwork DockerNetworkSpec `yaml:"docker-network"`
	Nginx         NginxSpec         `yaml:"nginx"`
	Minikube      MinikubeSpec      `yaml:"minikube"`
	GKE           GKESpec           `yaml:"gke"`
}

// DockerSpec: see DockerSettings.
type DockerSpec struct {
	Host string `yaml:"host"` // default localhost
}

// DockerNetworkSpec: see DockerNetworkSettings.
type DockerNetworkSpec struct {
	Host    string `yaml:"host"`    // default localhost
	Network string `yaml:"network"` // default the app's name
}

// NginxSpec: see NginxSettings.
type NginxSpec struct {
	Image      string            `yaml:"image"`      // default nginx:alpine
	ServerName string            `yaml:"serverName"` // default localhost
	HTTPPort   int               `yaml:"httpPort"`   // default 80
	HTTPSPort  int               `yaml:"httpsPort"`  // default 443
	Network    string            `yaml:"network"`    // default the app's name
	Paths      map[string]string `yaml:"paths"`      // default "/<service>/"
}

// MinikubeSpec: see MinikubeSettings.
type MinikubeSpec struct {
	Namespace      string            `yaml:"namespace"`
	GatewayClass   string            `yaml:"gatewayClass"`   // default app-gatewayclass
	ControllerName string            `yaml:"controllerName"` // default Envoy Gateway's
	Gateway        string            `yaml:"gateway"`        // default app-gateway
	Hosts          map[string]string `yaml:"hosts"`          // default <app>.internal, <app><service>.internal
}

// GKESpec: see GKESettings.
type GKESpec struct {
	Namespace        string            `yaml:"namespace"`        // default the app's name
	GatewayNamespace string            `yaml:"gatewayNamespace"` // default gateway-infra
	Gateway          string            `yaml:"gateway"`          // default app-gateway
	GatewayClass     string            `yaml:"gatewayClass"`     // default gke-l7-global-external-managed
	Address          string            `yaml:"address"`          // default <CLUSTER_PUBLIC_IP>
	Paths            map[string]string `yaml:"paths"`            // default "/<service>"
}
