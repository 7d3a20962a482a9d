// Package gkeapi holds Go types for GKE's own Kubernetes resources that no
// served Go module carries: today HealthCheckPolicy (networking.gke.io/v1),
// whose shape follows GKE's documentation. pkg/render builds it and
// pkg/validate decodes hand-written ones strictly into the same types.
//
// The kubebuilder markers on the types encode GKE's documented limits (the
// same ones pkg/validate checks); controller-gen turns them into the
// CustomResourceDefinition in crd/, which is committed and embedded
// ([CRD]) so that a test API server and `synctl validate` enforce one
// schema. After changing a type or a marker, regenerate it with
//
//	go generate ./pkg/gkeapi
//
// TestCRDUpToDate fails while the committed file is stale.
//
// +groupName=networking.gke.io
// +versionName=v1
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
//
// +kubebuilder:object:root=true
// +kubebuilder:resource:path=healthcheckpolicies,scope=Namespaced,singular=healthcheckpolicy
type HealthCheckPolicy struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              HealthCheckPolicySpec `json:"spec"`
}

// HealthCheckPolicySpec holds the health check and the Service it applies to.
type HealthCheckPolicySpec struct {
	// Default is the health check; unset fields keep the load balancer's
	// defaults.
	// +optional
	Default *HealthCheckDefault `json:"default,omitempty"`
	// TargetRef is the Service whose backends are checked.
	TargetRef PolicyTargetRef `json:"targetRef"`
}

// PolicyTargetRef names the Service; it must be in the policy's namespace.
// A single-cluster Gateway's policy targets a Service (group ""); a
// multi-cluster Gateway's targets a ServiceImport (group net.gke.io).
type PolicyTargetRef struct {
	// Group is "" for a Service, net.gke.io for a ServiceImport.
	// +kubebuilder:validation:Enum="";net.gke.io
	Group string `json:"group"`
	// Kind is Service, or ServiceImport for a multi-cluster Gateway.
	// +kubebuilder:validation:Enum=Service;ServiceImport
	Kind string `json:"kind"`
	// Name is the Service's name.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
	// Namespace, when set, must be the policy's own.
	// +optional
	Namespace string `json:"namespace,omitempty"`
}

// HealthCheckDefault is the health check. Intervals and timeouts are
// 1-300 seconds, thresholds 1-10, and the timeout may not exceed the
// interval (Compute Engine's health check limits).
//
// +kubebuilder:validation:XValidation:rule="!has(self.timeoutSec) || !has(self.checkIntervalSec) || self.timeoutSec <= self.checkIntervalSec",message="timeoutSec must not be greater than checkIntervalSec"
type HealthCheckDefault struct {
	// CheckIntervalSec is the time from the start of one probe to the next.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=300
	CheckIntervalSec *int32 `json:"checkIntervalSec,omitempty"`
	// TimeoutSec is how long a probe waits for an answer.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=300
	TimeoutSec *int32 `json:"timeoutSec,omitempty"`
	// HealthyThreshold is the number of successes that mark a backend healthy.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10
	HealthyThreshold *int32 `json:"healthyThreshold,omitempty"`
	// UnhealthyThreshold is the number of failures that mark it unhealthy.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10
	UnhealthyThreshold *int32 `json:"unhealthyThreshold,omitempty"`
	// +optional
	LogConfig *HealthCheckLog `json:"logConfig,omitempty"`
	// +optional
	Config *HealthCheckConfig `json:"config,omitempty"`
}

// HealthCheckLog turns health-check logging on.
type HealthCheckLog struct {
	// +optional
	Enabled *bool `json:"enabled,omitempty"`
}

// HealthCheckConfig selects the protocol; exactly the block matching Type
// is set (the CEL rules below say which one is missing or extra).
//
// +kubebuilder:validation:XValidation:rule="has(self.httpHealthCheck) == (self.type == 'HTTP')",message="httpHealthCheck must be set when type is HTTP, and only then"
// +kubebuilder:validation:XValidation:rule="has(self.httpsHealthCheck) == (self.type == 'HTTPS')",message="httpsHealthCheck must be set when type is HTTPS, and only then"
// +kubebuilder:validation:XValidation:rule="has(self.http2HealthCheck) == (self.type == 'HTTP2')",message="http2HealthCheck must be set when type is HTTP2, and only then"
// +kubebuilder:validation:XValidation:rule="has(self.tcpHealthCheck) == (self.type == 'TCP')",message="tcpHealthCheck must be set when type is TCP, and only then"
// +kubebuilder:validation:XValidation:rule="has(self.grpcHealthCheck) == (self.type == 'GRPC')",message="grpcHealthCheck must be set when type is GRPC, and only then"
type HealthCheckConfig struct {
	// Type is the protocol of the check.
	// +kubebuilder:validation:Enum=HTTP;HTTPS;HTTP2;TCP;GRPC
	Type string `json:"type"`
	// +optional
	HTTPHealthCheck *HTTPHealthCheck `json:"httpHealthCheck,omitempty"`
	// +optional
	HTTPSHealthCheck *HTTPHealthCheck `json:"httpsHealthCheck,omitempty"`
	// +optional
	HTTP2HealthCheck *HTTPHealthCheck `json:"http2HealthCheck,omitempty"`
	// +optional
	TCPHealthCheck *TCPHealthCheck `json:"tcpHealthCheck,omitempty"`
	// +optional
	GRPCHealthCheck *GRPCHealthCheck `json:"grpcHealthCheck,omitempty"`
}

// HTTPHealthCheck is the HTTP, HTTPS and HTTP2 check.
//
// The port rules, the same in every protocol block: USE_SERVING_PORT (the
// default) probes the serving port and takes neither port nor portName,
// USE_FIXED_PORT needs port, USE_NAMED_PORT needs portName.
//
// +kubebuilder:validation:XValidation:rule="(has(self.portSpecification) && self.portSpecification != 'USE_SERVING_PORT') || (!has(self.port) && !has(self.portName))",message="port and portName are ignored with portSpecification USE_SERVING_PORT (the default): set USE_FIXED_PORT or USE_NAMED_PORT, or drop them"
// +kubebuilder:validation:XValidation:rule="!has(self.portSpecification) || self.portSpecification != 'USE_FIXED_PORT' || has(self.port)",message="port is required when portSpecification is USE_FIXED_PORT"
// +kubebuilder:validation:XValidation:rule="!has(self.portSpecification) || self.portSpecification != 'USE_NAMED_PORT' || has(self.portName)",message="portName is required when portSpecification is USE_NAMED_PORT"
type HTTPHealthCheck struct {
	// +optional
	// +kubebuilder:validation:Enum=USE_SERVING_PORT;USE_FIXED_PORT;USE_NAMED_PORT
	PortSpecification string `json:"portSpecification,omitempty"`
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port *int32 `json:"port,omitempty"`
	// PortName is a port name of the Service's Pods (an IANA service name).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=15
	PortName string `json:"portName,omitempty"`
	// Host is the Host header of the request; the backend's IP when unset.
	// +optional
	Host string `json:"host,omitempty"`
	// RequestPath is the path requested; "/" when unset.
	// +optional
	// +kubebuilder:validation:Pattern=`^/`
	RequestPath string `json:"requestPath,omitempty"`
	// Response, when set, must begin the response body.
	// +optional
	Response string `json:"response,omitempty"`
	// ProxyHeader is NONE (the default) or PROXY_V1.
	// +optional
	// +kubebuilder:validation:Enum=NONE;PROXY_V1
	ProxyHeader string `json:"proxyHeader,omitempty"`
}

// TCPHealthCheck is the TCP check.
//
// +kubebuilder:validation:XValidation:rule="(has(self.portSpecification) && self.portSpecification != 'USE_SERVING_PORT') || (!has(self.port) && !has(self.portName))",message="port and portName are ignored with portSpecification USE_SERVING_PORT (the default): set USE_FIXED_PORT or USE_NAMED_PORT, or drop them"
// +kubebuilder:validation:XValidation:rule="!has(self.portSpecification) || self.portSpecification != 'USE_FIXED_PORT' || has(self.port)",message="port is required when portSpecification is USE_FIXED_PORT"
// +kubebuilder:validation:XValidation:rule="!has(self.portSpecification) || self.portSpecification != 'USE_NAMED_PORT' || has(self.portName)",message="portName is required when portSpecification is USE_NAMED_PORT"
type TCPHealthCheck struct {
	// +optional
	// +kubebuilder:validation:Enum=USE_SERVING_PORT;USE_FIXED_PORT;USE_NAMED_PORT
	PortSpecification string `json:"portSpecification,omitempty"`
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port *int32 `json:"port,omitempty"`
	// PortName is a port name of the Service's Pods (an IANA service name).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=15
	PortName string `json:"portName,omitempty"`
	// Request is sent once the connection is up.
	// +optional
	Request string `json:"request,omitempty"`
	// Response, when set, must begin the answer.
	// +optional
	Response string `json:"response,omitempty"`
	// ProxyHeader is NONE (the default) or PROXY_V1.
	// +optional
	// +kubebuilder:validation:Enum=NONE;PROXY_V1
	ProxyHeader string `json:"proxyHeader,omitempty"`
}

// GRPCHealthCheck is the gRPC check.
//
// +kubebuilder:validation:XValidation:rule="(has(self.portSpecification) && self.portSpecification != 'USE_SERVING_PORT') || (!has(self.port) && !has(self.portName))",message="port and portName are ignored with portSpecification USE_SERVING_PORT (the default): set USE_FIXED_PORT or USE_NAMED_PORT, or drop them"
// +kubebuilder:validation:XValidation:rule="!has(self.portSpecification) || self.portSpecification != 'USE_FIXED_PORT' || has(self.port)",message="port is required when portSpecification is USE_FIXED_PORT"
// +kubebuilder:validation:XValidation:rule="!has(self.portSpecification) || self.portSpecification != 'USE_NAMED_PORT' || has(self.portName)",message="portName is required when portSpecification is USE_NAMED_PORT"
type GRPCHealthCheck struct {
	// GRPCServiceName is the service name the gRPC health check asks about.
	// +optional
	GRPCServiceName string `json:"grpcServiceName,omitempty"`
	// +optional
	// +kubebuilder:validation:Enum=USE_SERVING_PORT;USE_FIXED_PORT;USE_NAMED_PORT
	PortSpecification string `json:"portSpecification,omitempty"`
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	Port *int32 `json:"port,omitempty"`
	// PortName is a port name of the Service's Pods (an IANA service name).
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=15
	PortName string `json:"portName,omitempty"`
}
