package validate

import (
	"cmp"
	"fmt"

	"github.com/synctl/synctl/pkg/gkeapi"
)

// configBlocks maps each config.type to the field of its block.
var configBlocks = []struct{ typ, field string }{
	{"HTTP", "httpHealthCheck"}, {"HTTPS", "httpsHealthCheck"}, {"HTTP2", "http2HealthCheck"},
	{"TCP", "tcpHealthCheck"}, {"GRPC", "grpcHealthCheck"},
}

// requestPath is the path the load balancer requests, and whether the check
// is an HTTP-family check at all.
func policyRequestPath(p *gkeapi.HealthCheckPolicy) (string, bool) {
	if p.Spec.Default == nil || p.Spec.Default.Config == nil {
		return "/", true
	}
	c := p.Spec.Default.Config
	var h *gkeapi.HTTPHealthCheck
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
func checkHealthCheckPolicy(o *object, p *gkeapi.HealthCheckPolicy) []Problem {
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
	// Ranges, enums, the timeout against the interval and which config
	// block goes with which type are rules of the HealthCheckPolicy CRD
	// (pkg/gkeapi), checked with the rest of its schema, as the API server
	// checks them.
	if d.Config == nil {
		return probs
	}
	want := ""
	for _, b := range configBlocks {
		if b.typ == d.Config.Type {
			want = b.field
		}
	}
	c := d.Config
	if h, _ := policyHTTPBlock(p); h != nil {
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

func policyHTTPBlock(p *gkeapi.HealthCheckPolicy) (*gkeapi.HTTPHealthCheck, string) {
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
			add(field+".portSpecification", "is %s, which ignores port and portName; set USE_FIXED_PORT or USE_NAMED_PORT, or drop them", cmp.Or(spec, "USE_SERVING_PORT (the default)"))
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
