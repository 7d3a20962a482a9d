// Package gkeapi holds Go types for GKE's own Kubernetes resources that no
// served Go module carries: today HealthCheckPolicy (networking.gke.io/v1),
// whose shape follows GKE's documentation. pkg/render builds it and
// pkg/validate decodes hand-written ones strictly into the same types.
package gkeapi

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// GroupVersion is the API version of HealthCheckPolicy.
const GroupVersion = "networking.gke.io/v1"

// HealthCheckPolicy is GKE's networking.gke.io/v1 HealthCheckPolicy, as
// documented for the GKE Gateway controller: it replaces the load balancer's
// default health check (GET / on the serving port) for the Service it targets.
// GKE ships no Go types for it.
type HealthCheckPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              HealthCheckPolicySpec `json:"spec"`
}

// HealthCheckPolicySpec holds the health check and the Service it applies to.
type HealthCheckPolicySpec struct {
	Default   *HealthCheckDefault `json:"default,omitempty"`
	TargetRef PolicyTargetRef     `json:"targetRef"`
}

// PolicyTargetRef names the Service; it must be in the policy's namespace.
type PolicyTargetRef struct {
	Group     string `json:"group"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Namespace string `json:"namespace,omitempty"`
}

// HealthCheckDefault is the health check. Intervals and timeouts are
// 1-300 seconds, thresholds 1-10.
type HealthCheckDefault struct {
	CheckIntervalSec   *int32             `json:"checkIntervalSec,omitempty"`
	TimeoutSec         *int32             `json:"timeoutSec,omitempty"`
	HealthyThreshold   *int32             `json:"healthyThreshold,omitempty"`
	UnhealthyThreshold *int32             `json:"unhealthyThreshold,omitempty"`
	LogConfig          *HealthCheckLog    `json:"logConfig,omitempty"`
	Config             *HealthCheckConfig `json:"config,omitempty"`
}

// HealthCheckLog turns health-check logging on.
type HealthCheckLog struct {
	Enabled *bool `json:"enabled,omitempty"`
}

// HealthCheckConfig selects the protocol; exactly the block matching Type is set.
type HealthCheckConfig struct {
	Type             string           `json:"type"`
	HTTPHealthCheck  *HTTPHealthCheck `json:"httpHealthCheck,omitempty"`
	HTTPSHealthCheck *HTTPHealthCheck `json:"httpsHealthCheck,omitempty"`
	HTTP2HealthCheck *HTTPHealthCheck `json:"http2HealthCheck,omitempty"`
	TCPHealthCheck   *TCPHealthCheck  `json:"tcpHealthCheck,omitempty"`
	GRPCHealthCheck  *GRPCHealthCheck `json:"grpcHealthCheck,omitempty"`
}

// HTTPHealthCheck is the HTTP, HTTPS and HTTP2 check.
type HTTPHealthCheck struct {
	PortSpecification string `json:"portSpecification,omitempty"`
	Port              *int32 `json:"port,omitempty"`
	PortName          string `json:"portName,omitempty"`
	Host              string `json:"host,omitempty"`
	RequestPath       string `json:"requestPath,omitempty"`
	Response          string `json:"response,omitempty"`
	ProxyHeader       string `json:"proxyHeader,omitempty"`
}

// TCPHealthCheck is the TCP check.
type TCPHealthCheck struct {
	PortSpecification string `json:"portSpecification,omitempty"`
	Port              *int32 `json:"port,omitempty"`
	PortName          string `json:"portName,omitempty"`
	Request           string `json:"request,omitempty"`
	Response          string `json:"response,omitempty"`
	ProxyHeader       string `json:"proxyHeader,omitempty"`
}

// GRPCHealthCheck is the gRPC check.
type GRPCHealthCheck struct {
	GRPCServiceName   string `json:"grpcServiceName,omitempty"`
	PortSpecification string `json:"portSpecification,omitempty"`
	Port              *int32 `json:"port,omitempty"`
	PortName          string `json:"portName,omitempty"`
}
