package render

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// HealthCheckPolicy is GKE's networking.gke.io/v1 HealthCheckPolicy: how the
// Gateway's load balancer health-checks a Service's backends. No served Go
// module carries this type, so synctl keeps this small copy of its shape,
// taken from GKE's documentation. Without it the load balancer checks GET /
// on every backend, and an api that answers only /healthz is marked down
// ("no healthy upstream").
type HealthCheckPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              HealthCheckPolicySpec `json:"spec"`
}

// HealthCheckPolicyGroupVersion is the API version of HealthCheckPolicy.
const HealthCheckPolicyGroupVersion = "networking.gke.io/v1"

// HealthCheckPolicySpec targets one Service.
type HealthCheckPolicySpec struct {
	Default   *HealthCheckDefault        `json:"default,omitempty"`
	TargetRef HealthCheckPolicyTargetRef `json:"targetRef"`
}

// HealthCheckPolicyTargetRef names the Service, in the policy's namespace.
type HealthCheckPolicyTargetRef struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
}

// HealthCheckDefault holds the health check's timing and its probe.
type HealthCheckDefault struct {
	// CheckIntervalSec and TimeoutSec are 1-300; TimeoutSec <= CheckIntervalSec.
	CheckIntervalSec *int32 `json:"checkIntervalSec,omitempty"`
	TimeoutSec       *int32 `json:"timeoutSec,omitempty"`
	// HealthyThreshold and UnhealthyThreshold are 1-10.
	HealthyThreshold   *int32                `json:"healthyThreshold,omitempty"`
	UnhealthyThreshold *int32                `json:"unhealthyThreshold,omitempty"`
	LogConfig          *HealthCheckLogConfig `json:"logConfig,omitempty"`
	Config             *HealthCheckConfig    `json:"config,omitempty"`
}

// HealthCheckLogConfig turns health check logging on or off.
type HealthCheckLogConfig struct {
	Enabled *bool `json:"enabled,omitempty"`
}

// HealthCheckConfig is the probe: Type is one of HTTP, HTTPS, HTTP2, TCP and
// GRPC, and the block matching it is set.
type HealthCheckConfig struct {
	Type             string           `json:"type"`
	HTTPHealthCheck  *HTTPHealthCheck `json:"httpHealthCheck,omitempty"`
	HTTPSHealthCheck *HTTPHealthCheck `json:"httpsHealthCheck,omitempty"`
	HTTP2HealthCheck *HTTPHealthCheck `json:"http2HealthCheck,omitempty"`
	TCPHealthCheck   *TCPHealthCheck  `json:"tcpHealthCheck,omitempty"`
	GRPCHealthCheck  *GRPCHealthCheck `json:"grpcHealthCheck,omitempty"`
}

// HTTPHealthCheck probes an HTTP path.
type HTTPHealthCheck struct {
	// PortSpecification is USE_FIXED_PORT, USE_NAMED_PORT or USE_SERVING_PORT.
	PortSpecification string `json:"portSpecification,omitempty"`
	Port              *int32 `json:"port,omitempty"`
	PortName          string `json:"portName,omitempty"`
	Host              string `json:"host,omitempty"`
	RequestPath       string `json:"requestPath,omitempty"`
	Response          string `json:"response,omitempty"`
	ProxyHeader       string `json:"proxyHeader,omitempty"`
}

// TCPHealthCheck probes a TCP connection.
type TCPHealthCheck struct {
	PortSpecification string `json:"portSpecification,omitempty"`
	Port              *int32 `json:"port,omitempty"`
	PortName          string `json:"portName,omitempty"`
	Request           string `json:"request,omitempty"`
	Response          string `json:"response,omitempty"`
	ProxyHeader       string `json:"proxyHeader,omitempty"`
}

// GRPCHealthCheck probes a gRPC health service.
type GRPCHealthCheck struct {
	PortSpecification string `json:"portSpecification,omitempty"`
	Port              *int32 `json:"port,omitempty"`
	PortName          string `json:"portName,omitempty"`
	GRPCServiceName   string `json:"grpcServiceName,omitempty"`
}
