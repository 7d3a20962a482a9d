package topology

import (
	"fmt"
	"strings"
)

// Target is one of the deployment setups synctl renders.
type Target string

// The five setups, in the order the seed note walks through them.
const (
	// Docker runs each service as its own container on the default bridge,
	// each publishing a host port; the api reaches the crawler through the host.
	Docker Target = "docker"
	// DockerNetwork puts the containers on one user-defined network, where
	// they resolve each other by name; internal services publish nothing.
	DockerNetwork Target = "docker-network"
	// Nginx is compose with nginx as the single TLS entry point, routing by path.
	Nginx Target = "nginx"
	// Minikube is Kubernetes with the Gateway API (Envoy Gateway), routing by hostname.
	Minikube Target = "minikube"
	// GKE is GKE Autopilot with GKE's own Gateway, routing by path on one address.
	GKE Target = "gke"
)

var allTargets = []Target{Docker, DockerNetwork, Nginx, Minikube, GKE}

// Targets returns every target in the seed note's order.
func Targets() []Target { return append([]Target(nil), allTargets...) }

// ParseTarget returns the target named s.
func ParseTarget(s string) (Target, error) {
	for _, t := range allTargets {
		if string(t) == s {
			return t, nil
		}
	}
	return "", fmt.Errorf("unknown target %q: choose one of %s", s, TargetNames())
}

// TargetNames lists the targets as "docker, docker-network, ...".
func TargetNames() string {
	names := make([]string, len(allTargets))
	for i, t := range allTargets {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// IsKubernetes reports whether the target renders Kubernetes manifests
// rather than compose files.
func (t Target) IsKubernetes() bool { return t == Minikube || t == GKE }

// Description is the one-line summary `synctl targets` prints.
func (t Target) Description() string {
	switch t {
	case Docker:
		return "three containers on the default bridge, each publishing a host port; api -> crawler through host.docker.internal"
	case DockerNetwork:
		return "the same containers on one user-defined network; api -> crawler by container name"
	case Nginx:
		return "compose behind nginx: one TLS entry point, /api/ proxied to the api, the rest to web"
	case Minikube:
		return "Kubernetes with the Gateway API (Envoy Gateway), one hostname per public service"
	case GKE:
		return "GKE Autopilot with GKE's Gateway: one address, web at /, api at /api, health-check policies"
	}
	return ""
}
