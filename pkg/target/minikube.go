package target

import (
	"cmp"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/topology"
)

// minikube is Kubernetes on Minikube with the Gateway API and Envoy Gateway
// as its controller: one Gateway, one HTTPRoute per public service, each
// selected by its own hostname.
type minikube struct{}

type minikubeSpec struct {
	// Namespace holds the app (default the app's name).
	Namespace string `yaml:"namespace"`
	// GatewayClass names the GatewayClass synctl writes (default app-gatewayclass).
	GatewayClass string `yaml:"gatewayClass"`
	// ControllerName is the controller behind the class (default Envoy Gateway's).
	ControllerName string `yaml:"controllerName"`
	// ControllerNamespace is where the controller runs its proxies
	// (default envoy-gateway-system); the network policies admit them.
	ControllerNamespace string `yaml:"controllerNamespace"`
	// Gateway names the Gateway (default app-gateway).
	Gateway string `yaml:"gateway"`
	// Hosts maps each public service to its hostname (default
	// <app>.internal for the frontend, <app><service>.internal for apis).
	Hosts map[string]string `yaml:"hosts"`
}

const (
	envoyGatewayController = "gateway.envoyproxy.io/gatewayclass-controller"
	envoyGatewayNamespace  = "envoy-gateway-system"
	// envoyGatewayChart is the Envoy Gateway release the README installs:
	// pinned, so that the bundle is brought up the same way every time.
	envoyGatewayChart = "v1.9.1"
)

func (minikube) Name() string { return "minikube" }
func (minikube) Description() string {
	return "Kubernetes on Minikube with the Gateway API (Envoy Gateway), one hostname per public service"
}
func (minikube) Spec() any           { return &minikubeSpec{} }
func (minikube) Flags() []Flag       { return []Flag{FlagNamespace, FlagHost} }
func (minikube) Stdout() render.Kind { return render.KindManifest }

func (minikube) Configure(sec *topology.Section, ov Overrides) Config {
	var s minikubeSpec
	sec.Decode(&s)
	namespace(sec, &s.Namespace, ov)
	s.GatewayClass = cmp.Or(s.GatewayClass, "app-gatewayclass")
	s.ControllerName = cmp.Or(s.ControllerName, envoyGatewayController)
	s.ControllerNamespace = cmp.Or(s.ControllerNamespace, envoyGatewayNamespace)
	s.Gateway = cmp.Or(s.Gateway, "app-gateway")
	sec.Subdomain("gatewayClass", s.GatewayClass)
	sec.Subdomain("gateway", s.Gateway)
	sec.Label("controllerNamespace", s.ControllerNamespace, 63)
	if !isControllerName(s.ControllerName) {
		sec.Errorf("controllerName", "%q is not a controller name: a domain, '/', and a path (e.g. %s)", s.ControllerName, envoyGatewayController)
	}
	s.Hosts = serviceHosts(sec, s.Hosts, ov)
	return &minikubeConfig{minikubeSpec: s}
}

type minikubeConfig struct{ minikubeSpec }

func (c *minikubeConfig) EntryURL(fe *topology.Service) string { return "http://" + c.Hosts[fe.Name] }
func (c *minikubeConfig) BrowserURL(to *topology.Service) string {
	return "http://" + c.Hosts[to.Name]
}
func (c *minikubeConfig) Internal(_, to *topology.Service, p topology.Port) topology.Endpoint {
	return internalKube(to, p)
}
func (c *minikubeConfig) SecretRef(s *topology.Service, secret string) string {
	return kubeSecretRef(s, secret)
}

func (c *minikubeConfig) kube(b *Build) *render.Kube {
	return &render.Kube{
		M: b.Model, W: b.Wiring, Namespace: c.Namespace,
		Resources: minikubeResources,
		GatewayPeers: []networkingv1.NetworkPolicyPeer{{NamespaceSelector: &metav1.LabelSelector{
			MatchLabels: map[string]string{"kubernetes.io/metadata.name": c.ControllerNamespace},
		}}},
	}
}

// minikubeResources sets only the CPU request an autoscaled service needs:
// the autoscaler measures CPU use as a share of it.
func minikubeResources(s *topology.Service) corev1.ResourceRequirements {
	if s.Autoscaling == nil {
		return corev1.ResourceRequirements{}
	}
	return corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(s.Resources.CPURequest)}}
}

func (c *minikubeConfig) Files(b *Build) ([]render.File, error) {
	k := c.kube(b)
	objs := k.Namespaces()
	objs = append(objs,
		render.Object{File: "gatewayclass.yaml", Obj: &gwv1.GatewayClass{
			TypeMeta:   metav1.TypeMeta{APIVersion: gwv1.GroupVersion.String(), Kind: "GatewayClass"},
			ObjectMeta: metav1.ObjectMeta{Name: c.GatewayClass, Labels: k.PartOf()},
			Spec:       gwv1.GatewayClassSpec{ControllerName: gwv1.GatewayController(c.ControllerName)},
		}},
		render.Object{File: "gateway.yaml", Obj: gatewayObject(k, c.Gateway, c.Namespace, c.GatewayClass)},
	)
	for i := range b.Model.Services {
		s := &b.Model.Services[i]
		objs = append(objs, k.Workload(s)...)
		if s.Routed() {
			parent := gwv1.ParentReference{Name: gwv1.ObjectName(c.Gateway)}
			objs = append(objs, render.Object{File: s.Name + "-httproute.yaml", Obj: httpRoute(k, s, parent, []string{c.Hosts[s.Name]}, "/", false)})
		}
	}
	objs = append(objs, k.NetworkPolicies()...)
	return kubeFiles(k, objs, b.Command())
}

func (c *minikubeConfig) Readme(b *Build) render.Readme {
	start := []string{"minikube start"}
	if autoscaled(b.Model) {
		start = append(start, "minikube addons enable metrics-server   # CPU metrics for the autoscaler")
	}
	start = append(start,
		"# Envoy Gateway: the Gateway API CRDs and the controller behind the GatewayClass",
		fmt.Sprintf("helm install eg oci://docker.io/envoyproxy/gateway-helm --version %s -n %s --create-namespace", envoyGatewayChart, c.ControllerNamespace),
		fmt.Sprintf("kubectl wait --timeout=5m -n %s deployment/envoy-gateway --for=condition=Available", c.ControllerNamespace),
		applyCommand,
	)
	var hosts []string
	for _, r := range b.Wiring.Routes {
		hosts = append(hosts, c.Hosts[r.Service])
	}
	return render.Readme{
		BringUp: []render.Step{
			{Commands: start},
			{Text: "Reach the Gateway from your machine: `minikube tunnel` gives its LoadBalancer Service an address (on Linux it asks for sudo), which the Gateway's status shows:",
				Commands: []string{
					"minikube tunnel        # keep it running in its own terminal",
					fmt.Sprintf("kubectl get gateway -n %s %s -o jsonpath='{.status.addresses[0].value}'", c.Namespace, c.Gateway),
				}},
			{Text: "Then point the hostnames at that address (ADDRESS below) in `/etc/hosts`:",
				Commands: []string{"ADDRESS " + strings.Join(hosts, " ")}, Lang: "text"},
		},
		Verify: b.Verify(),
		Notes: append(kubeNotes(b, c.Namespace),
			"The network policies admit the gateway's proxies from namespace `"+c.ControllerNamespace+"`, where Envoy Gateway runs them.",
			"Resource requests are set only where the autoscaler needs one (CPU, to measure use against); Minikube schedules everything else on one node.",
		),
	}
}

func (c *minikubeConfig) Front() (string, string) {
	return "Gateway " + c.Gateway, "class " + c.GatewayClass + " (Envoy Gateway)"
}
