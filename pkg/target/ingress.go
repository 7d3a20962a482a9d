package target

import (
	"cmp"
	"fmt"
	"regexp"
	"strings"

	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/topology"
)

// ingress is Kubernetes with the Ingress API and ingress-nginx, the way most
// Minikube tutorials expose an app (minikube addons enable ingress): one
// Ingress per public service, routed by hostname or by path prefix.
type ingress struct{}

type ingressSpec struct {
	// Namespace holds the app (default the app's name).
	Namespace string `yaml:"namespace"`
	// IngressClass is the class the controller serves (default nginx).
	IngressClass string `yaml:"ingressClass"`
	// ControllerNamespace is where the controller runs (default
	// ingress-nginx); the network policies admit it.
	ControllerNamespace string `yaml:"controllerNamespace"`
	// Routing is "host" (one hostname per public service, the default) or
	// "path" (one hostname, each api under a path prefix).
	Routing string `yaml:"routing"`
	// Hosts maps each public service to its hostname when routing by host
	// (default <app>.internal for the frontend, <app><service>.internal).
	Hosts map[string]string `yaml:"hosts"`
	// Host is the one hostname when routing by path (default <app>.internal).
	Host string `yaml:"host"`
	// Paths maps each public api to its prefix when routing by path,
	// without a trailing slash, stripped before the backend (default
	// /<service>).
	Paths map[string]string `yaml:"paths"`
}

const (
	ingressNginxNamespace = "ingress-nginx"
	// ingress-nginx's annotations: regular-expression paths, and the
	// rewrite that passes only what follows the prefix to the backend.
	annotationUseRegex      = "nginx.ingress.kubernetes.io/use-regex"
	annotationRewriteTarget = "nginx.ingress.kubernetes.io/rewrite-target"
)

func (ingress) Name() string { return "ingress" }
func (ingress) Description() string {
	return "Kubernetes with the Ingress API and ingress-nginx (minikube addons enable ingress), one Ingress per public service, by hostname or by path"
}
func (ingress) Spec() any           { return &ingressSpec{} }
func (ingress) Flags() []Flag       { return []Flag{FlagNamespace, FlagHost} }
func (ingress) Stdout() render.Kind { return render.KindManifest }

func (ingress) Configure(sec *topology.Section, ov Overrides) Config {
	var s ingressSpec
	sec.Decode(&s)
	namespace(sec, &s.Namespace, ov)
	s.IngressClass = cmp.Or(s.IngressClass, "nginx")
	s.ControllerNamespace = cmp.Or(s.ControllerNamespace, ingressNginxNamespace)
	s.Routing = cmp.Or(s.Routing, "host")
	sec.Subdomain("ingressClass", s.IngressClass)
	sec.Label("controllerNamespace", s.ControllerNamespace, 63)
	switch s.Routing {
	case "host":
		if len(s.Paths) > 0 || s.Host != "" {
			sec.Errorf("routing", "routing by host takes hosts (one per public service), not host or paths; set routing: path to route by path")
		}
		s.Hosts = serviceHosts(sec, s.Hosts, ov)
	case "path":
		if len(ov.Hosts) > 0 {
			sec.Errorf("routing", "--host sets one hostname per public service, which only routing by host takes; set spec.targets.ingress.host instead")
		} else if len(s.Hosts) > 0 {
			sec.Errorf("routing", "routing by path takes host (one hostname) and paths, not hosts; set routing: host to route by hostname")
		}
		sec.ServiceKeys("paths", s.Paths, onlyPrefixed(sec.Model, true))
		if s.Host != "" {
			sec.Hostname("host", s.Host)
		}
	default:
		sec.Errorf("routing", "%q is not a way to route: use host (one hostname per public service) or path (one hostname, each api under a path prefix)", s.Routing)
	}
	if m := sec.Model; m != nil && s.Routing == "path" {
		s.Host = cmp.Or(s.Host, m.Name+".internal")
		s.Paths = apiPrefixes(sec, s.Paths, slash{why: "the rewrite keeps what follows the prefix"}, true)
	}
	return &ingressConfig{ingressSpec: s}
}

type ingressConfig struct{ ingressSpec }

func (c *ingressConfig) byPath() bool { return c.Routing == "path" }

func (c *ingressConfig) EntryURL(fe *topology.Service) string {
	if !c.byPath() {
		return "http://" + c.Hosts[fe.Name]
	}
	if p, ok := c.Paths[fe.Name]; ok {
		// Ending in "/" keeps the page's relative links under the prefix.
		return "http://" + c.Host + p + "/"
	}
	return "http://" + c.Host
}

// BrowserURL is the api's own hostname, or its path prefix relative to the
// entry URL when one hostname serves everything.
func (c *ingressConfig) BrowserURL(to *topology.Service) string {
	if c.byPath() {
		return c.Paths[to.Name]
	}
	return "http://" + c.Hosts[to.Name]
}

func (c *ingressConfig) Internal(_, to *topology.Service, p topology.Port) topology.Endpoint {
	return internalKube(to, p)
}
func (c *ingressConfig) SecretRef(s *topology.Service, secret string) string {
	return kubeSecretRef(s, secret)
}

func (c *ingressConfig) Files(b *Build) ([]render.File, error) {
	k := &render.Kube{
		M: b.Model, W: b.Wiring, Namespace: c.Namespace,
		Resources: minikubeResources,
		GatewayPeers: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{
			MatchLabels: map[string]string{"kubernetes.io/metadata.name": c.ControllerNamespace},
		}}},
	}
	objs := k.Namespaces()
	for i := range b.Model.Services {
		s := &b.Model.Services[i]
		objs = append(objs, k.Workload(s)...)
		if s.Routed() {
			objs = append(objs, render.Object{File: s.Name + "-ingress.yaml", Obj: c.ingressObject(k, s)})
		}
	}
	objs = append(objs, k.NetworkPolicies()...)
	return kubeFiles(k, objs, b.Command())
}

// ingressObject routes one public service: by its hostname, or by its path
// prefix on the app's hostname, the prefix cut off by ingress-nginx's
// rewrite (the backend serves its routes at its root).
func (c *ingressConfig) ingressObject(k *render.Kube, s *topology.Service) *networkingv1.Ingress {
	prefix := networkingv1.PathTypePrefix
	path := networkingv1.HTTPIngressPath{
		Path:     "/",
		PathType: &prefix,
		Backend: networkingv1.IngressBackend{Service: &networkingv1.IngressServiceBackend{
			Name: render.KubeServiceName(s.Name),
			Port: networkingv1.ServiceBackendPort{Number: render.ServicePort},
		}},
	}
	ing := &networkingv1.Ingress{
		TypeMeta:   metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "Ingress"},
		ObjectMeta: k.Meta(s.Name+"-ingress", s),
	}
	host := c.Hosts[s.Name]
	if c.byPath() {
		host = c.Host
		if _, ok := c.Paths[s.Name]; ok {
			// "/api(/|$)(.*)" matches /api, /api/ and everything below;
			// rewrite-target /$2 passes on what follows the prefix.
			specific := networkingv1.PathTypeImplementationSpecific
			path.Path = regexp.QuoteMeta(c.Paths[s.Name]) + "(/|$)(.*)"
			path.PathType = &specific
			ing.Annotations = map[string]string{annotationUseRegex: "true", annotationRewriteTarget: "/$2"}
		}
	}
	class := c.IngressClass
	ing.Spec = networkingv1.IngressSpec{
		IngressClassName: &class,
		Rules: []networkingv1.IngressRule{{
			Host: host,
			IngressRuleValue: networkingv1.IngressRuleValue{HTTP: &networkingv1.HTTPIngressRuleValue{
				Paths: []networkingv1.HTTPIngressPath{path},
			}},
		}},
	}
	return ing
}

func (c *ingressConfig) Readme(b *Build) render.Readme {
	start := []string{"minikube start", "minikube addons enable ingress   # ingress-nginx, the controller behind class " + c.IngressClass}
	if autoscaled(b.Model) {
		start = append(start, "minikube addons enable metrics-server   # CPU metrics for the autoscaler")
	}
	start = append(start,
		fmt.Sprintf("kubectl wait --timeout=5m -n %s deployment/ingress-nginx-controller --for=condition=Available", c.ControllerNamespace),
		applyCommand,
	)
	hosts := []string{c.Host}
	if !c.byPath() {
		hosts = hosts[:0]
		for _, r := range b.Wiring.Routes {
			hosts = append(hosts, c.Hosts[r.Service])
		}
	}
	notes := append(kubeNotes(b, c.Namespace),
		"The network policies admit the ingress controller from namespace `"+c.ControllerNamespace+"`, where the addon runs it.",
		"Resource requests are set only where the autoscaler needs one (CPU, to measure use against); Minikube schedules everything else on one node.",
	)
	if c.byPath() {
		notes = append(notes, "Each api's Ingress matches its prefix as a regular expression and rewrites the path to what follows it (`"+annotationRewriteTarget+": /$2`): the api serves its routes at its root. The Gateway API does the same with a URLRewrite filter.")
	} else {
		notes = append(notes, "Each public service has its own hostname, so no path is rewritten; the browser calls the apis on their own origins (CORS).")
	}
	return render.Readme{
		BringUp: []render.Step{
			{Commands: start},
			{Text: "Point the hostnames at the cluster in `/etc/hosts`; ADDRESS is `minikube ip` (with the docker driver on macOS or Windows, run `minikube tunnel` and use 127.0.0.1):",
				Commands: []string{"ADDRESS " + strings.Join(hosts, " ")}, Lang: "text"},
		},
		Verify: b.Verify(),
		Notes:  notes,
	}
}

func (c *ingressConfig) Front() (string, string) {
	return "ingress-nginx", "IngressClass " + c.IngressClass
}
