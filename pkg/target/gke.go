package target

import (
	"cmp"
	"fmt"
	"net"
	"strings"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/synctl/synctl/pkg/gkeapi"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/topology"
)

// gke is GKE Autopilot with GKE's own Gateway: one address for everything,
// the frontend at / and each public api under a path prefix rewritten to /,
// and a HealthCheckPolicy per public Service.
type gke struct{}

type gkeSpec struct {
	// Namespace holds the app (default the app's name).
	Namespace string `yaml:"namespace"`
	// GatewayNamespace holds the Gateway (default gateway-infra).
	GatewayNamespace string `yaml:"gatewayNamespace"`
	// Gateway names the Gateway (default app-gateway).
	Gateway string `yaml:"gateway"`
	// GatewayClass is GKE's class (default gke-l7-global-external-managed).
	GatewayClass string `yaml:"gatewayClass"`
	// Address is the Gateway's IP or DNS name, used in the URLs (default
	// the <CLUSTER_PUBLIC_IP> placeholder).
	Address string `yaml:"address"`
	// AddressName is the name of a reserved global static IP address
	// (gcloud compute addresses create NAME --global) the Gateway takes.
	AddressName string `yaml:"addressName"`
	// Paths maps each public api to its URL prefix, without a trailing
	// slash, rewritten to "/" before the backend (default /<service>).
	Paths map[string]string `yaml:"paths"`
}

const (
	// addressPlaceholder stands for the Gateway's address until it has one.
	addressPlaceholder = "<CLUSTER_PUBLIC_IP>"
	// Autopilot's own default requests, used for a service whose spec sets
	// none: Autopilot requires requests on every container.
	autopilotDefaultCPU    = "250m"
	autopilotDefaultMemory = "512Mi"
)

// googleFrontEnds are the ranges Google's load balancers and their health
// checks connect from; the network policies admit them to public services.
var googleFrontEnds = []string{"35.191.0.0/16", "130.211.0.0/22"}

func (gke) Name() string { return "gke" }
func (gke) Description() string {
	return "GKE Autopilot with GKE's Gateway: one address, the frontend at /, each public api under a path prefix, health-check policies"
}
func (gke) Spec() any           { return &gkeSpec{} }
func (gke) Flags() []Flag       { return []Flag{FlagNamespace, FlagAddress} }
func (gke) Stdout() render.Kind { return render.KindManifest }

func (gke) Configure(sec *topology.Section, ov Overrides) Config {
	var s gkeSpec
	sec.Decode(&s)
	namespace(sec, &s.Namespace, ov)
	if ov.Address != "" {
		name, addr, named := strings.Cut(ov.Address, "=")
		if !named {
			name, addr = "", ov.Address
		}
		s.Address, s.AddressName = addr, name
		sec.Set("address", "--address "+ov.Address)
		sec.Set("addressName", "--address "+ov.Address)
	}
	s.GatewayNamespace = cmp.Or(s.GatewayNamespace, "gateway-infra")
	s.Gateway = cmp.Or(s.Gateway, "app-gateway")
	s.GatewayClass = cmp.Or(s.GatewayClass, "gke-l7-global-external-managed")
	s.Address = cmp.Or(s.Address, addressPlaceholder)
	sec.Label("gatewayNamespace", s.GatewayNamespace, 63)
	sec.Subdomain("gateway", s.Gateway)
	sec.Subdomain("gatewayClass", s.GatewayClass)
	if s.Address != addressPlaceholder {
		sec.Hostname("address", s.Address)
	}
	if s.AddressName != "" {
		// GCE resource names: RFC 1035 labels of at most 63 characters.
		sec.Label("addressName", s.AddressName, 63)
		if net.ParseIP(s.Address) == nil {
			sec.Errorf("address", "%q is not an IP address, but addressName %q reserves one: give the reserved address's IP (gcloud compute addresses describe %s --global)", s.Address, s.AddressName, s.AddressName)
		}
	}
	sec.ServiceKeys("paths", s.Paths, onlyPrefixed(sec.Model, true))
	m := sec.Model
	if m == nil {
		return &gkeConfig{gkeSpec: s}
	}
	s.Paths = apiPrefixes(sec, s.Paths, slash{why: "the gateway rewrites the prefix to \"/\""}, true)
	return &gkeConfig{gkeSpec: s}
}

type gkeConfig struct{ gkeSpec }

// EntryURL is the load balancer's address for the first frontend, and a
// path under it for any other, ending in "/" so that the page's relative
// links stay under the prefix.
func (c *gkeConfig) EntryURL(fe *topology.Service) string {
	if p, ok := c.Paths[fe.Name]; ok {
		return "http://" + c.Address + p + "/"
	}
	return "http://" + c.Address + "/"
}

// BrowserURL is the api's path prefix, relative to the entry URL.
func (c *gkeConfig) BrowserURL(to *topology.Service) string { return c.Paths[to.Name] }
func (c *gkeConfig) Internal(_, to *topology.Service, p topology.Port) topology.Endpoint {
	return internalKube(to, p)
}
func (c *gkeConfig) SecretRef(s *topology.Service, secret string) string {
	return kubeSecretRef(s, secret)
}

// gkeResources: Autopilot requires requests on every container, so each gets
// the service's requests and limits, with Autopilot's defaults where the
// spec sets none.
func gkeResources(s *topology.Service) corev1.ResourceRequirements {
	r := s.Resources
	rr := corev1.ResourceRequirements{Requests: corev1.ResourceList{
		corev1.ResourceCPU:    resource.MustParse(cmp.Or(r.CPURequest, autopilotDefaultCPU)),
		corev1.ResourceMemory: resource.MustParse(cmp.Or(r.MemoryRequest, autopilotDefaultMemory)),
	}}
	if r.CPULimit != "" || r.MemoryLimit != "" {
		rr.Limits = corev1.ResourceList{}
	}
	if r.CPULimit != "" {
		rr.Limits[corev1.ResourceCPU] = resource.MustParse(r.CPULimit)
	}
	if r.MemoryLimit != "" {
		rr.Limits[corev1.ResourceMemory] = resource.MustParse(r.MemoryLimit)
	}
	return rr
}

func (c *gkeConfig) Files(b *Build) ([]render.File, error) {
	var peers []networkingv1.NetworkPolicyPeer
	for _, cidr := range googleFrontEnds {
		peers = append(peers, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: cidr}})
	}
	k := &render.Kube{M: b.Model, W: b.Wiring, Namespace: c.Namespace, Resources: gkeResources, GatewayPeers: peers}
	objs := k.Namespaces(c.GatewayNamespace)
	gw := gatewayObject(k, c.Gateway, c.GatewayNamespace, c.GatewayClass)
	// The app's routes live in another namespace than the Gateway.
	from := gwv1.NamespacesFromAll
	gw.Spec.Listeners[0].AllowedRoutes = &gwv1.AllowedRoutes{Namespaces: &gwv1.RouteNamespaces{From: &from}}
	if c.AddressName != "" {
		named := gwv1.NamedAddressType
		gw.Spec.Addresses = []gwv1.GatewaySpecAddress{{Type: &named, Value: c.AddressName}}
	}
	objs = append(objs, render.Object{File: "gateway.yaml", Obj: gw})
	gwNS := gwv1.Namespace(c.GatewayNamespace)
	parent := gwv1.ParentReference{Name: gwv1.ObjectName(c.Gateway), Namespace: &gwNS}
	for i := range b.Model.Services {
		s := &b.Model.Services[i]
		objs = append(objs, k.Workload(s)...)
		if !s.Routed() {
			continue
		}
		route := httpRoute(k, s, parent, nil, "/", false)
		if p, ok := c.Paths[s.Name]; ok {
			route = httpRoute(k, s, parent, nil, p, true)
		}
		objs = append(objs, render.Object{File: s.Name + "-httproute.yaml", Obj: route})
		// The load balancer checks GET / unless told otherwise; a service
		// whose readiness is not an HTTP path keeps that default.
		if s.HealthPath != "" {
			objs = append(objs, render.Object{File: s.Name + "-healthcheckpolicy.yaml", Obj: healthCheckPolicy(k, s)})
		}
	}
	objs = append(objs, k.NetworkPolicies()...)
	return kubeFiles(k, objs, b.Command())
}

// healthCheckPolicy points the load balancer's health check at the
// service's health path; GKE's default is GET / on the serving port.
func healthCheckPolicy(k *render.Kube, s *topology.Service) *gkeapi.HealthCheckPolicy {
	i32 := func(v int32) *int32 { return &v }
	return &gkeapi.HealthCheckPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: gkeapi.GroupVersion, Kind: "HealthCheckPolicy"},
		ObjectMeta: k.Meta(s.Name+"-healthcheckpolicy", s),
		Spec: gkeapi.HealthCheckPolicySpec{
			Default: &gkeapi.HealthCheckDefault{
				CheckIntervalSec:   i32(10),
				TimeoutSec:         i32(5),
				HealthyThreshold:   i32(1),
				UnhealthyThreshold: i32(2),
				Config: &gkeapi.HealthCheckConfig{
					Type: "HTTP",
					HTTPHealthCheck: &gkeapi.HTTPHealthCheck{
						PortSpecification: "USE_SERVING_PORT",
						RequestPath:       s.HealthPath,
					},
				},
			},
			TargetRef: gkeapi.PolicyTargetRef{Group: "", Kind: "Service", Name: render.KubeServiceName(s.Name)},
		},
	}
}

func (c *gkeConfig) Readme(b *Build) render.Readme {
	cluster := b.Model.Name
	steps := []render.Step{{Commands: []string{
		fmt.Sprintf("gcloud container clusters create-auto %s --region us-central1", cluster),
		fmt.Sprintf("gcloud container clusters get-credentials %s --region us-central1", cluster),
		fmt.Sprintf("kubectl get gatewayclass %s    # Autopilot on GKE 1.26+ has the Gateway API", c.GatewayClass),
		applyCommand,
		fmt.Sprintf("kubectl get gateway -n %s %s -o jsonpath='{.status.addresses[0].value}'", c.GatewayNamespace, c.Gateway),
	}}}
	verify := b.Verify()
	if c.Address == addressPlaceholder {
		steps = append(steps, render.Step{
			Text: "Provisioning the load balancer takes a few minutes. Then render again with the address, " +
				"so that the URLs carry it (only the entry URL changes where the others are relative). " +
				"To keep one address for good, reserve a global static IP and give both its name and its IP; the Gateway then takes that address:",
			Commands: []string{
				fmt.Sprintf("gcloud compute addresses create %s-ip --global", cluster),
				fmt.Sprintf("gcloud compute addresses describe %s-ip --global --format='value(address)'", cluster),
				strings.Replace(b.Command(), " --out .", fmt.Sprintf(" --address %s-ip=IP --out .", cluster), 1),
			},
		})
		verify = b.Verify("--address", "IP")
	}
	notes := append(kubeNotes(b, c.Namespace),
		"Every container requests CPU and memory, as Autopilot requires (Autopilot's defaults where the spec sets none).",
		"A HealthCheckPolicy per public Service points the load balancer at the service's health path; without it GKE checks `GET /`, and a service that answers / with 404 is reported as \"no healthy upstream\".",
		"The PVC names no storage class, so Autopilot's default (standard-rwo) applies.",
		"The network policies admit Google's load balancers and health checks ("+strings.Join(googleFrontEnds, ", ")+") to the public services.",
	)
	for _, u := range b.Wiring.URLs {
		if u.ResolvedBy == topology.ResolvedByService {
			notes = append(notes, "Services reach each other by the Service's short name (`"+u.URL+"`): they share the `"+c.Namespace+"` namespace.")
			break
		}
	}
	if c.AddressName != "" {
		notes = append(notes, "The Gateway takes the reserved static address `"+c.AddressName+"` (`spec.addresses`, type NamedAddress), so its IP survives re-creating the Gateway.")
	}
	return render.Readme{BringUp: steps, Verify: verify, Notes: notes}
}

func (c *gkeConfig) Front() (string, string) {
	return "Gateway " + c.GatewayNamespace + "/" + c.Gateway, "class " + c.GatewayClass
}
