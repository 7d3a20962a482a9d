// Package platform owns the conventions of the platforms synctl's targets
// deploy to, each stated once: names Docker resolves, the annotations
// ingress-nginx reads, GKE's GatewayClass names, how a bundle is applied,
// the annotation that rolls pods when their configuration changes, and
// how a word is quoted for the shell. The targets write these values, and
// validate, verify, diff and the layouts read them, all from here: a
// convention that changes changes in one place.
//
// It imports nothing of synctl's, so that every package can import it.
package platform

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
)

// Docker.
const (
	// HostGateway is the name containers on the default bridge use for the
	// docker host. On Linux it resolves only with an extra_hosts entry
	// mapping it to HostGatewayTarget.
	HostGateway = "host.docker.internal"
	// HostGatewayTarget is docker's special extra_hosts value for the
	// host's address on the container's network.
	HostGatewayTarget = "host-gateway"
)

// ingress-nginx.
const (
	// IngressNginxUseRegex makes ingress-nginx read an Ingress's paths as
	// regular expressions.
	IngressNginxUseRegex = "nginx.ingress.kubernetes.io/use-regex"
	// IngressNginxRewriteTarget rewrites the request path to its value,
	// with the path's capture groups; IngressNginxStripPrefix passes only
	// what follows a prefix matched as PREFIX(/|$)(.*).
	IngressNginxRewriteTarget = "nginx.ingress.kubernetes.io/rewrite-target"
	IngressNginxStripPrefix   = "/$2"
)

// GKE.
const (
	// GKEClassPrefix starts the name of every GatewayClass GKE provides
	// (gke-l7-global-external-managed, gke-l7-rilb, ...): GKE installs
	// them, so no bundle holds them.
	GKEClassPrefix = "gke-l7-"
	// GKEDefaultClass is the class of a global external Application Load
	// Balancer, the gke target's default.
	GKEDefaultClass = GKEClassPrefix + "global-external-managed"
)

// IsGKEClass reports whether a GatewayClass name is one of GKE's own.
func IsGKEClass(name string) bool { return strings.HasPrefix(name, GKEClassPrefix) }

// KubectlApply applies manifests: server-side, with synctl's one field
// manager. Mixing it with client-side apply conflicts on the lists the
// Gateway API CRDs default. Append "-f DIR", "-f -" or "-k DIR".
const KubectlApply = "kubectl apply --server-side --field-manager=synctl"

// ConfigHashAnnotation, on a pod template, is the hash of the ConfigMap
// data its containers read at start (ConfigHash), so that changed data
// rolls the pods.
const ConfigHashAnnotation = "synctl.dev/config-hash"

// ConfigHash is the value of ConfigHashAnnotation for a ConfigMap's data:
// the first 8 bytes of the SHA-256 of its JSON (keys sorted), in hex.
func ConfigHash(data map[string]string) string {
	b, _ := json.Marshal(data) // map keys marshal sorted; strings cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// ShellQuote quotes s as one POSIX shell word, always.
func ShellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// ShellWord is s as one POSIX shell word: as it is when no character of it
// means anything to the shell, quoted otherwise.
func ShellWord(s string) string {
	if s != "" && strings.Trim(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./=:@,+") == "" {
		return s
	}
	return ShellQuote(s)
}
