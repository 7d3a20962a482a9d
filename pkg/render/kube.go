package render

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"strconv"

	yamlv2 "go.yaml.in/yaml/v2"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/synctl/synctl/pkg/topology"
)

// Object is one manifest and the bundle file that holds it.
type Object struct {
	File string
	Obj  any
}

// Names and ports every Kubernetes target shares.
const (
	// ServicePort is the port every Kubernetes Service listens on, so that
	// in-cluster URLs need none: http://<service>-service.
	ServicePort = 80
	// NamespacesFile holds the Namespaces, first in apply order: kubectl
	// applies a directory's files in name order, so every namespaced
	// object finds its namespace.
	NamespacesFile = "00-namespaces.yaml"
	portName       = "http"
	labelApp       = "app"
	configHashAn   = "synctl.dev/config-hash"
	dataVolume     = "data"
)

// KubeServiceName is the Kubernetes Service fronting a service.
func KubeServiceName(service string) string { return service + "-service" }

// Kube builds the objects every Kubernetes target shares: namespaces,
// workloads, Services, autoscalers, disruption budgets and network
// policies. The target adds its own ingress (Gateway API, Ingress) and
// policies.
type Kube struct {
	M *topology.Model
	W topology.Wiring
	// Namespace holds the app's objects.
	Namespace string
	// Resources returns a container's requests and limits on the target.
	Resources func(*topology.Service) corev1.ResourceRequirements
	// GatewayPeers are where the target's gateway traffic (and the load
	// balancer's health checks) come from; the network policies let them
	// reach the public services.
	GatewayPeers []networkingv1.NetworkPolicyPeer
}

// PartOf labels every object with the app it belongs to.
func (k *Kube) PartOf() map[string]string {
	return map[string]string{
		"app.kubernetes.io/part-of":    k.M.Name,
		"app.kubernetes.io/managed-by": "synctl",
	}
}

// DeploymentName is the Deployment (and pod label app=) of a service.
func (k *Kube) DeploymentName(s *topology.Service) string { return k.M.Name + "-" + s.Name }

func (k *Kube) labels(s *topology.Service) map[string]string {
	l := k.PartOf()
	l[labelApp] = k.DeploymentName(s)
	l["app.kubernetes.io/name"] = s.Name
	return l
}

// Meta is the metadata of a service's object called name.
func (k *Kube) Meta(name string, s *topology.Service) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: k.Namespace, Labels: k.labels(s)}
}

// Namespaces creates the app's namespace, enforcing the restricted Pod
// Security Standard, and any other namespaces the target needs (which hold
// no pods of the app).
func (k *Kube) Namespaces(others ...string) []Object {
	ns := func(name string, restricted bool) Object {
		labels := k.PartOf()
		if restricted {
			// The API server's Pod Security admission rejects any pod of
			// the namespace that could gain privileges or run as root.
			labels["pod-security.kubernetes.io/enforce"] = "restricted"
			labels["pod-security.kubernetes.io/enforce-version"] = "latest"
		}
		return Object{NamespacesFile, &corev1.Namespace{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
			ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels},
		}}
	}
	var objs []Object
	for _, o := range others {
		objs = append(objs, ns(o, false))
	}
	return append(objs, ns(k.Namespace, true))
}

// Workload is a service's ConfigMap, claim, Deployment, Service, autoscaler
// and disruption budget, in apply order.
func (k *Kube) Workload(s *topology.Service) []Object {
	prefix := s.Name + "-"
	cm := k.configMap(s)
	objs := []Object{{prefix + "configmap.yaml", cm}}
	if s.Storage != nil && s.Storage.Persistent {
		objs = append(objs, Object{prefix + "pvc.yaml", k.pvc(s)})
	}
	objs = append(objs,
		Object{prefix + "deployment.yaml", k.deployment(s, cm)},
		Object{prefix + "service.yaml", k.service(s)},
	)
	if s.Autoscaling != nil {
		objs = append(objs, Object{prefix + "hpa.yaml", k.hpa(s)})
	}
	if s.MinReplicas() > 1 {
		objs = append(objs, Object{prefix + "pdb.yaml", k.pdb(s)})
	}
	return objs
}

func (k *Kube) configMapName(s *topology.Service) string {
	return k.M.Name + "-" + s.Name + "-configmap"
}
func (k *Kube) pvcName(s *topology.Service) string { return k.M.Name + "-" + s.Name + "-pvc" }

func (k *Kube) configMap(s *topology.Service) *corev1.ConfigMap {
	data := map[string]string{}
	for _, e := range ContainerEnv(s, k.W) {
		data[e.Name] = e.Value
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: k.Meta(k.configMapName(s), s),
		Data:       data,
	}
}

// configHash changes whenever the ConfigMap's data does, so that a changed
// wiring rolls the pods that read it (env from a ConfigMap is read at start).
func configHash(cm *corev1.ConfigMap) string {
	b, _ := json.Marshal(cm.Data) // map keys marshal sorted
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

func (k *Kube) pvc(s *topology.Service) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: k.Meta(k.pvcName(s), s),
		Spec: corev1.PersistentVolumeClaimSpec{
			// No storageClassName: the cluster's default class.
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceStorage: resource.MustParse(s.Storage.Size),
			}},
		},
	}
}

func (k *Kube) deployment(s *topology.Service, cm *corev1.ConfigMap) *appsv1.Deployment {
	name := k.DeploymentName(s)
	probe := func(initialDelay, period int32) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: s.HealthPath, Port: intstr.FromString(portName),
			}},
			InitialDelaySeconds: initialDelay,
			PeriodSeconds:       period,
		}
	}
	no, yes := false, true
	sec := s.Security
	c := corev1.Container{
		Name:  s.Name,
		Image: s.Image,
		Ports: []corev1.ContainerPort{{Name: portName, ContainerPort: int32(s.Port), Protocol: corev1.ProtocolTCP}},
		EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: cm.Name},
		}}},
		Resources:      k.Resources(s),
		ReadinessProbe: probe(5, 10),
		LivenessProbe:  probe(15, 20),
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: &no,
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			ReadOnlyRootFilesystem:   ptr(!sec.WritableRootFilesystem),
		},
	}
	pod := corev1.PodSpec{
		// The services never call the Kubernetes API.
		AutomountServiceAccountToken: &no,
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot: &yes,
			RunAsUser:    ptr(sec.RunAsUser),
			RunAsGroup:   ptr(sec.RunAsGroup),
			// Volumes are group-owned by fsGroup, so the non-root user can
			// write its data directory.
			FSGroup:        ptr(sec.RunAsGroup),
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{c},
	}
	strategy := appsv1.DeploymentStrategy{}
	if st := s.Storage; st != nil {
		vol := corev1.Volume{Name: dataVolume}
		if st.Persistent {
			vol.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: k.pvcName(s)}
			// A ReadWriteOnce volume attaches to one node: the old pod must
			// let go of it before the new one can start.
			strategy.Type = appsv1.RecreateDeploymentStrategyType
		} else {
			vol.EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
		pod.Volumes = []corev1.Volume{vol}
		pod.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: dataVolume, MountPath: st.MountPath}}
	}
	annotations := map[string]string{configHashAn: configHash(cm)}
	if b := BrowserEnv(s); b != "" {
		annotations[BrowserEnvKey] = b
	}
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: k.Meta(name, s),
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{labelApp: name}},
			Strategy: strategy,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: k.labels(s), Annotations: annotations},
				Spec:       pod,
			},
		},
	}
	// An autoscaled Deployment leaves its replica count to the autoscaler;
	// setting it here would reset the count on every apply.
	if s.Autoscaling == nil {
		d.Spec.Replicas = ptr(int32(s.Replicas))
	}
	return d
}

func ptr[T any](v T) *T { return &v }

func (k *Kube) service(s *topology.Service) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: k.Meta(KubeServiceName(s.Name), s),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: map[string]string{labelApp: k.DeploymentName(s)},
			Ports: []corev1.ServicePort{{
				Name: portName, Protocol: corev1.ProtocolTCP, Port: ServicePort,
				TargetPort: intstr.FromString(portName),
			}},
		},
	}
}

func (k *Kube) hpa(s *topology.Service) *autoscalingv2.HorizontalPodAutoscaler {
	a := s.Autoscaling
	return &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: k.Meta(s.Name+"-hpa", s),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{
				APIVersion: "apps/v1", Kind: "Deployment", Name: k.DeploymentName(s),
			},
			MinReplicas: ptr(int32(a.MinReplicas)),
			MaxReplicas: int32(a.MaxReplicas),
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{
					Name:   corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr(int32(a.TargetCPUPercent))},
				},
			}},
		},
	}
}

// pdb keeps all but one pod of a replicated service up through voluntary
// disruptions such as node drains and cluster upgrades.
func (k *Kube) pdb(s *topology.Service) *policyv1.PodDisruptionBudget {
	one := intstr.FromInt32(1)
	return &policyv1.PodDisruptionBudget{
		TypeMeta:   metav1.TypeMeta{APIVersion: "policy/v1", Kind: "PodDisruptionBudget"},
		ObjectMeta: k.Meta(s.Name+"-pdb", s),
		Spec: policyv1.PodDisruptionBudgetSpec{
			MaxUnavailable: &one,
			Selector:       &metav1.LabelSelector{MatchLabels: map[string]string{labelApp: k.DeploymentName(s)}},
		},
	}
}

// NetworkPolicies deny all traffic in the app's namespace except what the
// model says flows: DNS lookups, the gateway to each public service, each
// link a service's own process follows, and each service's outbound traffic. The first two objects go in
// networkpolicies.yaml, each service's own in <service>-networkpolicy.yaml.
func (k *Kube) NetworkPolicies() []Object {
	const file = "networkpolicies.yaml"
	all := metav1.LabelSelector{}
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	dns := intstr.FromInt32(53)
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: k.Namespace, Labels: k.PartOf()}
	}
	np := func(m metav1.ObjectMeta, spec networkingv1.NetworkPolicySpec) *networkingv1.NetworkPolicy {
		return &networkingv1.NetworkPolicy{TypeMeta: metav1.TypeMeta{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy"}, ObjectMeta: m, Spec: spec}
	}
	objs := []Object{
		{file, np(meta(k.M.Name+"-default-deny"), networkingv1.NetworkPolicySpec{
			PodSelector: all,
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		})},
		{file, np(meta(k.M.Name+"-dns"), networkingv1.NetworkPolicySpec{
			PodSelector: all,
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeEgress},
			Egress: []networkingv1.NetworkPolicyEgressRule{{
				To: []networkingv1.NetworkPolicyPeer{{
					NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"kubernetes.io/metadata.name": "kube-system"}},
					PodSelector:       &metav1.LabelSelector{MatchLabels: map[string]string{"k8s-app": "kube-dns"}},
				}},
				Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &dns}, {Protocol: &tcp, Port: &dns}},
			}},
		})},
	}
	callers := map[string][]string{}
	for _, s := range k.M.Services {
		for _, l := range s.Links {
			if l.ResolvedBy == topology.ResolvedByService && !slices.Contains(callers[l.To], s.Name) {
				callers[l.To] = append(callers[l.To], s.Name)
			}
		}
	}
	for i := range k.M.Services {
		s := &k.M.Services[i]
		port := intstr.FromInt32(int32(s.Port))
		ports := []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &port}}
		spec := networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{labelApp: k.DeploymentName(s)}},
		}
		if s.Role.Public() && len(k.GatewayPeers) > 0 {
			spec.Ingress = append(spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: k.GatewayPeers, Ports: ports})
		}
		for _, from := range callers[s.Name] {
			fs, _ := k.M.Service(from)
			spec.Ingress = append(spec.Ingress, networkingv1.NetworkPolicyIngressRule{
				From:  []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{labelApp: k.DeploymentName(fs)}}}},
				Ports: ports,
			})
		}
		var egressTo []string
		for _, l := range s.Links {
			if l.ResolvedBy == topology.ResolvedByService && !slices.Contains(egressTo, l.To) {
				egressTo = append(egressTo, l.To)
				to, _ := k.M.Service(l.To)
				toPort := intstr.FromInt32(int32(to.Port))
				spec.Egress = append(spec.Egress, networkingv1.NetworkPolicyEgressRule{
					To:    []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{labelApp: k.DeploymentName(to)}}}},
					Ports: []networkingv1.NetworkPolicyPort{{Protocol: &tcp, Port: &toPort}},
				})
			}
		}
		if o := s.Outbound; o != nil {
			rule := networkingv1.NetworkPolicyEgressRule{}
			for _, b := range o.Blocks {
				rule.To = append(rule.To, networkingv1.NetworkPolicyPeer{IPBlock: &networkingv1.IPBlock{CIDR: b.CIDR, Except: b.Except}})
			}
			for _, p := range o.Ports {
				port := intstr.FromInt32(int32(p))
				rule.Ports = append(rule.Ports, networkingv1.NetworkPolicyPort{Protocol: &tcp, Port: &port})
			}
			spec.Egress = append(spec.Egress, rule)
		}
		if spec.Ingress != nil {
			spec.PolicyTypes = append(spec.PolicyTypes, networkingv1.PolicyTypeIngress)
		}
		if spec.Egress != nil {
			spec.PolicyTypes = append(spec.PolicyTypes, networkingv1.PolicyTypeEgress)
		}
		if spec.PolicyTypes == nil {
			continue // nothing may reach it or leave it: the default deny says so
		}
		m := k.Meta(s.Name+"-networkpolicy", s)
		objs = append(objs, Object{s.Name + "-networkpolicy.yaml", np(m, spec)})
	}
	return objs
}

// BackendRef routes to a service's Kubernetes Service.
func BackendRef(s *topology.Service) gwv1.HTTPBackendRef {
	port := gwv1.PortNumber(ServicePort)
	return gwv1.HTTPBackendRef{BackendRef: gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{
		Name: gwv1.ObjectName(KubeServiceName(s.Name)), Port: &port,
	}}}
}

// Manifests writes objects into their files, several to a file as a YAML
// stream, files in the order their first object comes.
func Manifests(objs []Object, cmd string) ([]File, error) {
	var files []File
	index := map[string]int{}
	for _, o := range objs {
		i, ok := index[o.File]
		if !ok {
			index[o.File] = len(files)
			files = append(files, File{Path: o.File, Data: Header("#", cmd), Mode: 0o644, Kind: KindManifest})
			i = len(files) - 1
		} else {
			files[i].Data = append(files[i].Data, "---\n"...)
		}
		start := len(files[i].Data)
		data, err := appendObject(files[i].Data, o.Obj)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.File, err)
		}
		files[i].Data = data
		if documentHook != nil {
			documentHook(o.Obj, data[start:])
		}
	}
	return files, nil
}

// documentHook, when set (by tests), sees every object Manifests writes
// and its document.
var documentHook func(obj any, doc []byte)

// appendObject appends one object as YAML to buf without the noise the
// typed structs carry: status, null fields (creationTimestamp) and empty
// resources/strategy blocks. Keys come out sorted, so output is stable.
func appendObject(buf []byte, obj any) ([]byte, error) {
	if d, ok := docOf(reflect.ValueOf(obj)); ok {
		if doc, ok := d.(map[string]any); ok {
			delete(doc, "status")
			prune(doc)
			if out, ok := appendYAML(buf, doc); ok {
				return out, nil
			}
			b, err := yamlv2.Marshal(doc)
			return append(buf, b...), err
		}
	}
	b, err := marshalObject(obj)
	return append(buf, b...), err
}

// marshalObject is appendObject for objects docOf does not mirror: the
// JSON round trip, then yaml.v2.
func marshalObject(obj any) ([]byte, error) {
	j, err := json.Marshal(obj)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	if err := dec.Decode(&doc); err != nil {
		return nil, err
	}
	delete(doc, "status")
	prune(doc)
	if v, ok := yamlValue(doc); ok {
		return yamlv2.Marshal(v)
	}
	return yaml.Marshal(doc)
}

// yamlValue converts a decoded JSON document into the values that
// sigs.k8s.io/yaml's JSONToYAML would get by re-parsing its JSON with
// yaml.v2 (integers as int), so that yaml.v2 can emit the same bytes
// without a second JSON encode and a YAML parse. It reports false for a
// number that is not an integer, which then takes the general path.
func yamlValue(v any) (any, bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			c, ok := yamlValue(e)
			if !ok {
				return nil, false
			}
			v[k] = c
		}
	case []any:
		for i, e := range v {
			c, ok := yamlValue(e)
			if !ok {
				return nil, false
			}
			v[i] = c
		}
	case json.Number:
		i, err := strconv.ParseInt(string(v), 10, 64)
		if err != nil {
			return nil, false
		}
		return int(i), true
	}
	return v, true
}

// noiseWhenEmpty are fields the typed structs always emit that mean nothing
// when empty. emptyDir: {} and podSelector: {} are deliberately not among
// them.
var noiseWhenEmpty = map[string]bool{"resources": true, "strategy": true, "metadata": true, "spec": true}

func prune(v any) {
	switch v := v.(type) {
	case map[string]any:
		for key, val := range v {
			prune(val)
			if val == nil {
				delete(v, key)
				continue
			}
			if m, ok := val.(map[string]any); ok && len(m) == 0 && noiseWhenEmpty[key] {
				delete(v, key)
			}
		}
	case []any:
		for _, e := range v {
			prune(e)
		}
	}
}
