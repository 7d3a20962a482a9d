package target

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target/platform"
	"github.com/synctl/synctl/pkg/topology"
)

// What the Kubernetes targets (those whose Stdout is manifests) share.

// applyCommand applies a bundle directory (platform.KubectlApply).
const applyCommand = platform.KubectlApply + " -f ."

// namespace checks the app's namespace, defaulting it to the app's name.
func namespace(sec *topology.Section, spec *string, ov Overrides) {
	if ov.Namespace != "" {
		*spec = ov.Namespace
		sec.Set("namespace", "--namespace "+ov.Namespace)
	}
	if *spec != "" {
		sec.Label("namespace", *spec, 63)
	} else if sec.Model != nil {
		*spec = sec.Model.Name
	}
}

// gatewayObject is a Gateway with one HTTP listener on port 80.
func gatewayObject(k *render.Kube, name, ns, class string) *gwv1.Gateway {
	return &gwv1.Gateway{
		TypeMeta:   metav1.TypeMeta{APIVersion: gwv1.GroupVersion.String(), Kind: "Gateway"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, Labels: k.PartOf()},
		Spec: gwv1.GatewaySpec{
			GatewayClassName: gwv1.ObjectName(class),
			Listeners:        []gwv1.Listener{{Name: "http", Protocol: gwv1.HTTPProtocolType, Port: 80}},
		},
	}
}

// httpRoute routes one public service: by hostname when hosts are given, by
// path prefix otherwise; rewrite replaces the prefix with "/" first.
func httpRoute(k *render.Kube, s *topology.Service, parent gwv1.ParentReference, hosts []string, prefix string, rewrite bool) *gwv1.HTTPRoute {
	pathType := gwv1.PathMatchPathPrefix
	rule := gwv1.HTTPRouteRule{
		Matches:     []gwv1.HTTPRouteMatch{{Path: &gwv1.HTTPPathMatch{Type: &pathType, Value: &prefix}}},
		BackendRefs: []gwv1.HTTPBackendRef{render.BackendRef(s)},
	}
	if rewrite {
		root := "/"
		rule.Filters = []gwv1.HTTPRouteFilter{{
			Type: gwv1.HTTPRouteFilterURLRewrite,
			URLRewrite: &gwv1.HTTPURLRewriteFilter{Path: &gwv1.HTTPPathModifier{
				Type: gwv1.PrefixMatchHTTPPathModifier, ReplacePrefixMatch: &root,
			}},
		}}
	}
	r := &gwv1.HTTPRoute{
		TypeMeta:   metav1.TypeMeta{APIVersion: gwv1.GroupVersion.String(), Kind: "HTTPRoute"},
		ObjectMeta: k.Meta(s.Name+"-httproute", s),
	}
	r.Spec.ParentRefs = []gwv1.ParentReference{parent}
	for _, h := range hosts {
		r.Spec.Hostnames = append(r.Spec.Hostnames, gwv1.Hostname(h))
	}
	r.Spec.Rules = []gwv1.HTTPRouteRule{rule}
	return r
}

// networkNote says what the network policies let through.
func networkNote(m *topology.Model) string {
	note := "Network policies deny all traffic in the namespace except DNS, the gateway to the public services and each link a service's own process follows"
	var out []string
	for _, s := range m.Services {
		if s.Outbound == nil {
			continue
		}
		ports := make([]string, len(s.Outbound.Ports))
		for i, p := range s.Outbound.Ports {
			ports[i] = strconv.Itoa(p)
		}
		where := "the internet (every address outside the private ranges)"
		if !slices.EqualFunc(s.Outbound.Blocks, topology.Internet(), func(a, b topology.IPBlock) bool {
			return a.CIDR == b.CIDR && slices.Equal(a.Except, b.Except)
		}) {
			var cidrs []string
			for _, b := range s.Outbound.Blocks {
				cidrs = append(cidrs, b.CIDR)
			}
			where = strings.Join(cidrs, ", ")
		}
		word := "port"
		if len(ports) > 1 {
			word = "ports"
		}
		out = append(out, fmt.Sprintf("%s to TCP %s %s on %s", s.Name, word, strings.Join(ports, ", "), where))
	}
	if len(out) == 0 {
		return note + ": a service that must reach something outside the app declares it in the spec (`outbound`)."
	}
	return note + ", plus what the spec declares outside the app (`outbound`): " + strings.Join(out, "; ") + "."
}

// kubeNotes are what every Kubernetes bundle's README explains.
func kubeNotes(b *Build, ns string) []string {
	notes := []string{
		fmt.Sprintf("Everything of the app lives in namespace `%s`, created by `%s` and labelled `pod-security.kubernetes.io/enforce: restricted`: the API server admits no pod that runs as root or can gain privileges.", ns, render.NamespacesFile),
		"Every container runs as a non-root user (runAsUser and fsGroup, so it can write its volumes), with no capabilities, no privilege escalation, the runtime's default seccomp profile, no service-account token and a read-only root filesystem; a service whose image must write elsewhere sets `security: {writableRootFilesystem: true}` (or its own `runAsUser`) in the spec.",
		networkNote(b.Model),
		"Readiness and liveness probes use each service's health path; a pod template annotation carries a hash of its ConfigMap, so a wiring change restarts the pods.",
		"Deployments with a ReadWriteOnce volume use the Recreate strategy (a rolling update would wait forever for the volume the old pod holds), and a persistent volume on a replicated or autoscaled service is refused in the spec.",
	}
	var repl []string
	for _, s := range b.Model.Services {
		if s.MinReplicas() > 1 {
			repl = append(repl, s.Name)
		}
	}
	if len(repl) > 0 {
		notes = append(notes, "A PodDisruptionBudget keeps all but one pod of "+strings.Join(repl, ", ")+" running through node drains and upgrades.")
	}
	return notes
}

// autoscaled reports whether any service of the app autoscales.
func autoscaled(m *topology.Model) bool {
	for _, s := range m.Services {
		if s.Autoscaling != nil {
			return true
		}
	}
	return false
}

// internalKubeURL is how one service reaches another in the same namespace:
// the Service's short name, on port 80.
func internalKubeURL(to *topology.Service) string {
	return "http://" + render.KubeServiceName(to.Name)
}

// controllerRe is a Gateway API controller name: a domain, "/", a path.
var controllerRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$`)
