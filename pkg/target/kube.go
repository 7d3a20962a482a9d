package target

import (
	"fmt"
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
	if len(b.Model.Secrets) > 0 {
		notes = append(notes, fmt.Sprintf("The app's secrets (%s) are in the Secret `%s-secrets`, in `%s`: synctl made it once with random values, keeps it when it renders again (mode 0600; keep it out of version control) and never compares it (`render --check`). Pods read it by `secretKeyRef`, or as mounted files; a URL that carries a password refers to it as `$(VAR)`, which Kubernetes expands in the container, so no value reaches a ConfigMap. To use your own values or a Secret you manage elsewhere, edit or delete `%s` and create the Secret with those keys before the pods start. `kubectl apply -f -` of the stream (`synctl render` to stdout) leaves the Secret out.",
			strings.Join(b.Model.Secrets, ", "), b.Model.Name, render.SecretsFile, render.SecretsFile))
	}
	for _, s := range b.Model.Services {
		if s.Job {
			notes = append(notes, fmt.Sprintf("%s is a Job: it runs once to completion. A Job's pod template cannot change, so to run it again (or after its spec changed) delete it first: `kubectl delete job %s-%s -n %s`.", s.Name, b.Model.Name, s.Name, ns))
		}
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

// internalKube is how one service reaches another's port in the same
// namespace: the Service's short name, on the Service's port (80 for the
// first HTTP port, so that its URL needs none).
func internalKube(to *topology.Service, p topology.Port) topology.Endpoint {
	return topology.Endpoint{Host: render.KubeServiceName(to.Name), Port: render.KubeServicePort(to, p)}
}

// kubeSecretRef is Kubernetes' dependent environment variable: $(VAR) in
// an env value expands to VAR, set before it in the same container, here
// from the Secret.
func kubeSecretRef(s *topology.Service, secret string) string {
	return "$(" + s.SecretEnv(secret) + ")"
}

// isControllerName is a Gateway API controller name: a domain (DNS labels
// joined by '.'), '/', then a path of URL characters.
func isControllerName(v string) bool {
	domain, path, ok := strings.Cut(v, "/")
	if !ok || path == "" {
		return false
	}
	for label := range strings.SplitSeq(domain, ".") {
		if !topology.IsDNS1123Label(label) {
			return false
		}
	}
	for _, c := range []byte(path) {
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("/-._~%!$&'()*+,;=:", c) >= 0) {
			return false
		}
	}
	return true
}

// kubeFiles writes a Kubernetes bundle's manifests, and its Secret when the
// app has secrets.
func kubeFiles(k *render.Kube, objs []render.Object, cmd string) ([]render.File, error) {
	files, err := render.Manifests(objs, cmd)
	if err != nil {
		return nil, err
	}
	if f, ok, err := k.SecretFile(cmd); err != nil {
		return nil, err
	} else if ok {
		files = append(files, f)
	}
	return files, nil
}
