package validate

import (
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// HealthCheckPolicy is GKE's networking.gke.io/v1 HealthCheckPolicy, as
// documented for the GKE Gateway controller: it replaces the load balancer's
// default health check (GET / on the serving port) for the Service it targets.
// GKE ships no Go types for it, so synctl decodes hand-written files into this.
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

// configBlocks maps each config.type to the field of its block.
var configBlocks = []struct{ typ, field string }{
	{"HTTP", "httpHealthCheck"}, {"HTTPS", "httpsHealthCheck"}, {"HTTP2", "http2HealthCheck"},
	{"TCP", "tcpHealthCheck"}, {"GRPC", "grpcHealthCheck"},
}

// requestPath is the path the load balancer requests, and whether the check
// is an HTTP-family check at all.
func (p *HealthCheckPolicy) requestPath() (string, bool) {
	if p.Spec.Default == nil || p.Spec.Default.Config == nil {
		return "/", true
	}
	c := p.Spec.Default.Config
	var h *HTTPHealthCheck
	switch c.Type {
	case "HTTP":
		h = c.HTTPHealthCheck
	case "HTTPS":
		h = c.HTTPSHealthCheck
	case "HTTP2":
		h = c.HTTP2HealthCheck
	default:
		return "", false
	}
	if h == nil || h.RequestPath == "" {
		return "/", true
	}
	return h.RequestPath, true
}

// checkHealthCheckPolicy applies GKE's documented constraints to one policy.
func checkHealthCheckPolicy(o *object, p *HealthCheckPolicy) []Problem {
	var probs []Problem
	add := func(field, format string, args ...any) {
		probs = append(probs, Problem{File: o.File, Resource: o.resource(), Field: field, Message: fmt.Sprintf(format, args...)})
	}
	tr := p.Spec.TargetRef
	if tr.Kind != "Service" || tr.Group != "" {
		add("spec.targetRef", "targets group %q kind %q; a HealthCheckPolicy targets a Service (group: \"\", kind: Service)", tr.Group, tr.Kind)
	}
	if tr.Name == "" {
		add("spec.targetRef.name", "required: the name of the Service whose backends are health-checked")
	}
	if tr.Namespace != "" && tr.Namespace != o.ns() {
		add("spec.targetRef.namespace", "is %q but the policy is in %q; GKE only applies a HealthCheckPolicy to a Service in its own namespace: move the policy there", tr.Namespace, o.ns())
	}
	d := p.Spec.Default
	if d == nil {
		return probs
	}
	rng := func(field string, v *int32, lo, hi int32) {
		if v != nil && (*v < lo || *v > hi) {
			add("spec.default."+field, "%d is out of range: GKE allows %d-%d", *v, lo, hi)
		}
	}
	rng("checkIntervalSec", d.CheckIntervalSec, 1, 300)
	rng("timeoutSec", d.TimeoutSec, 1, 300)
	rng("healthyThreshold", d.HealthyThreshold, 1, 10)
	rng("unhealthyThreshold", d.UnhealthyThreshold, 1, 10)
	if d.CheckIntervalSec != nil && d.TimeoutSec != nil && *d.TimeoutSec > *d.CheckIntervalSec {
		add("spec.default.timeoutSec", "%d is longer than checkIntervalSec %d; the timeout must not exceed the interval", *d.TimeoutSec, *d.CheckIntervalSec)
	}
	c := d.Config
	if c == nil {
		return probs
	}
	set := map[string]bool{
		"httpHealthCheck": c.HTTPHealthCheck != nil, "httpsHealthCheck": c.HTTPSHealthCheck != nil,
		"http2HealthCheck": c.HTTP2HealthCheck != nil, "tcpHealthCheck": c.TCPHealthCheck != nil,
		"grpcHealthCheck": c.GRPCHealthCheck != nil,
	}
	want := ""
	for _, b := range configBlocks {
		if b.typ == c.Type {
			want = b.field
		}
	}
	if want == "" {
		add("spec.default.config.type", "%q is not a health check type; use one of HTTP, HTTPS, HTTP2, TCP, GRPC", c.Type)
		return probs
	}
	for _, b := range configBlocks {
		if set[b.field] && b.field != want {
			add("spec.default.config."+b.field, "is set but config.type is %s, which reads %s; rename the block or change the type", c.Type, want)
		}
	}
	if !set[want] {
		add("spec.default.config."+want, "required when config.type is %s", c.Type)
	}
	if h, _ := p.httpBlock(); h != nil {
		if h.RequestPath != "" && h.RequestPath[0] != '/' {
			add("spec.default.config."+want+".requestPath", "%q must start with /", h.RequestPath)
		}
		checkPortSpec(add, "spec.default.config."+want, h.PortSpecification, h.Port, h.PortName)
	}
	if c.TCPHealthCheck != nil {
		checkPortSpec(add, "spec.default.config.tcpHealthCheck", c.TCPHealthCheck.PortSpecification, c.TCPHealthCheck.Port, c.TCPHealthCheck.PortName)
	}
	if c.GRPCHealthCheck != nil {
		checkPortSpec(add, "spec.default.config.grpcHealthCheck", c.GRPCHealthCheck.PortSpecification, c.GRPCHealthCheck.Port, c.GRPCHealthCheck.PortName)
	}
	return probs
}

func (p *HealthCheckPolicy) httpBlock() (*HTTPHealthCheck, string) {
	c := p.Spec.Default.Config
	switch c.Type {
	case "HTTP":
		return c.HTTPHealthCheck, "httpHealthCheck"
	case "HTTPS":
		return c.HTTPSHealthCheck, "httpsHealthCheck"
	case "HTTP2":
		return c.HTTP2HealthCheck, "http2HealthCheck"
	}
	return nil, ""
}

func checkPortSpec(add func(string, string, ...any), field, spec string, port *int32, name string) {
	switch spec {
	case "", "USE_SERVING_PORT":
		if port != nil || name != "" {
			add(field+".portSpecification", "is %s, which ignores port and portName; set USE_FIXED_PORT or USE_NAMED_PORT, or drop them", cmpOr(spec, "USE_SERVING_PORT (the default)"))
		}
	case "USE_FIXED_PORT":
		if port == nil {
			add(field+".port", "required when portSpecification is USE_FIXED_PORT")
		} else if *port < 1 || *port > 65535 {
			add(field+".port", "%d is not a port (1-65535)", *port)
		}
	case "USE_NAMED_PORT":
		if name == "" {
			add(field+".portName", "required when portSpecification is USE_NAMED_PORT")
		}
	default:
		add(field+".portSpecification", "%q is not allowed; use USE_SERVING_PORT, USE_FIXED_PORT or USE_NAMED_PORT", spec)
	}
}
