package render

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"

	yamlv2 "go.yaml.in/yaml/v2"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/synctl/synctl/pkg/target/platform"
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
	labelApp       = "app"
	configHashAn   = platform.ConfigHashAnnotation
	dataVolume     = "data"
	secretsVolume  = "secrets"
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

// Workload is a service's ConfigMap, claim, Deployment (a Job for a job),
// Service (none for a worker or a job), autoscaler and disruption budget,
// in apply order.
func (k *Kube) Workload(s *topology.Service) []Object {
	prefix := s.Name + "-"
	cm := k.configMap(s)
	objs := []Object{{prefix + "configmap.yaml", cm}}
	if s.Storage != nil && s.Storage.Persistent {
		objs = append(objs, Object{prefix + "pvc.yaml", k.pvc(s)})
	}
	if s.Job {
		return append(objs, Object{prefix + "job.yaml", k.job(s, cm)})
	}
	objs = append(objs, Object{prefix + "deployment.yaml", k.deployment(s, cm)})
	if !s.Worker() {
		objs = append(objs, Object{prefix + "service.yaml", k.service(s)})
	}
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
		// A secret, or a value that refers to one, is set on the
		// container itself: never in a ConfigMap, and $(VAR) expands only
		// there.
		if e.Secret == "" && !e.Expand {
			data[e.Name] = e.Value
		}
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: k.Meta(k.configMapName(s), s),
		Data:       data,
	}
}

// configHash changes whenever the ConfigMap's data does, so that a changed
// wiring rolls the pods that read it (env from a ConfigMap is read at start).
func configHash(cm *corev1.ConfigMap) string { return platform.ConfigHash(cm.Data) }

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

// SecretName is the Secret that holds the app's secrets, a key each.
func (k *Kube) SecretName() string { return k.M.Name + "-secrets" }

// SecretFile is the bundle's Secret with a random value for each of the
// app's secrets: key material, made once, kept when the bundle is rendered
// again and never compared; false when the app has none. Its name sorts
// after the namespaces, so that `kubectl apply -f DIR` creates it before
// the pods that read it.
func (k *Kube) SecretFile(cmd string) (File, bool, error) {
	if len(k.M.Secrets) == 0 {
		return File{}, false, nil
	}
	data := map[string]string{}
	for _, name := range k.M.Secrets {
		v := make([]byte, 16)
		if _, err := rand.Read(v); err != nil {
			return File{}, false, err
		}
		data[name] = hex.EncodeToString(v)
	}
	secret := &corev1.Secret{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Name: k.SecretName(), Namespace: k.Namespace, Labels: k.PartOf()},
		Type:       corev1.SecretTypeOpaque,
		StringData: data,
	}
	doc, err := marshalObject(secret)
	if err != nil {
		return File{}, false, err
	}
	return File{Path: SecretsFile, Data: append(Header("#", cmd), doc...), Mode: 0o600, Kind: KindKey, Objects: []any{secret}}, true, nil
}

// SecretsFile holds the app's Secret in a Kubernetes bundle.
const SecretsFile = "01-secrets.yaml"

func (k *Kube) probe(p *topology.Probe, initialDelay, period int32) *corev1.Probe {
	if p == nil {
		return nil
	}
	pr := &corev1.Probe{InitialDelaySeconds: initialDelay, PeriodSeconds: period}
	switch {
	case p.HTTP():
		pr.HTTPGet = &corev1.HTTPGetAction{Path: p.Path, Port: intstr.FromString(p.Port)}
	case p.TCP():
		pr.TCPSocket = &corev1.TCPSocketAction{Port: intstr.FromString(p.Port)}
	default:
		pr.Exec = &corev1.ExecAction{Command: p.Command}
	}
	return pr
}

// podTemplate is the pod a service's Deployment or Job runs.
func (k *Kube) podTemplate(s *topology.Service, cm *corev1.ConfigMap) corev1.PodTemplateSpec {
	no, yes := false, true
	sec := s.Security
	c := corev1.Container{
		Name:  s.Name,
		Image: s.Image,
		EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: cm.Name},
		}}},
		Command:        s.Command,
		Args:           s.Args,
		WorkingDir:     s.WorkingDir,
		Resources:      k.Resources(s),
		ReadinessProbe: k.probe(s.Readiness, 5, 10),
		LivenessProbe:  k.probe(s.Liveness, 15, 20),
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: &no,
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			ReadOnlyRootFilesystem:   ptr(!sec.WritableRootFilesystem),
		},
	}
	for _, p := range s.Ports {
		c.Ports = append(c.Ports, corev1.ContainerPort{Name: p.Name, ContainerPort: int32(p.Number), Protocol: corev1.ProtocolTCP})
	}
	// Secrets first: a later variable's $(VAR) expands only variables set
	// before it.
	env := ContainerEnv(s, k.W)
	for _, e := range env {
		if e.Secret != "" {
			c.Env = append(c.Env, corev1.EnvVar{Name: e.Name, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
				LocalObjectReference: corev1.LocalObjectReference{Name: k.SecretName()}, Key: e.Secret,
			}}})
		}
	}
	for _, e := range env {
		if e.Expand {
			c.Env = append(c.Env, corev1.EnvVar{Name: e.Name, Value: e.Value})
		}
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
	}
	for _, p := range s.Ports {
		if p.Number < 1024 {
			// A non-root process may bind a port below 1024 only where
			// the pod lowers this (namespaced, safe) sysctl.
			pod.SecurityContext.Sysctls = []corev1.Sysctl{{Name: "net.ipv4.ip_unprivileged_port_start", Value: "0"}}
			break
		}
	}
	if st := s.Storage; st != nil {
		vol := corev1.Volume{Name: dataVolume}
		if st.Persistent {
			vol.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: k.pvcName(s)}
		} else {
			vol.EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
		pod.Volumes = append(pod.Volumes, vol)
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: dataVolume, MountPath: st.MountPath})
	}
	for i, dir := range s.Scratch {
		name := "scratch-" + strconv.Itoa(i)
		pod.Volumes = append(pod.Volumes, corev1.Volume{Name: name, VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: name, MountPath: dir})
	}
	var items []corev1.KeyToPath
	for _, u := range s.Secrets {
		if u.File == "" {
			continue
		}
		if !slices.ContainsFunc(items, func(i corev1.KeyToPath) bool { return i.Key == u.Secret }) {
			items = append(items, corev1.KeyToPath{Key: u.Secret, Path: u.Secret})
		}
		c.VolumeMounts = append(c.VolumeMounts, corev1.VolumeMount{Name: secretsVolume, MountPath: u.File, SubPath: u.Secret, ReadOnly: true})
	}
	if items != nil {
		pod.Volumes = append(pod.Volumes, corev1.Volume{Name: secretsVolume, VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{
			SecretName: k.SecretName(), Items: items, DefaultMode: ptr(int32(0o440)),
		}}})
	}
	pod.Containers = []corev1.Container{c}
	annotations := map[string]string{configHashAn: configHash(cm)}
	if b := BrowserEnv(s); b != "" {
		annotations[BrowserEnvKey] = b
	}
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: k.labels(s), Annotations: annotations},
		Spec:       pod,
	}
}

// preStopSleep is how long a serving pod goes on serving after it is told
// to stop (seconds), well inside the default 30 s grace period.
const preStopSleep = 5

func (k *Kube) deployment(s *topology.Service, cm *corev1.ConfigMap) *appsv1.Deployment {
	name := k.DeploymentName(s)
	strategy := appsv1.DeploymentStrategy{}
	if st := s.Storage; st != nil && st.Persistent {
		// A ReadWriteOnce volume attaches to one node: the old pod must
		// let go of it before the new one can start.
		strategy.Type = appsv1.RecreateDeploymentStrategyType
	}
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: k.Meta(name, s),
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{labelApp: name}},
			Strategy: strategy,
			Template: k.podTemplate(s, cm),
		},
	}
	if len(s.Ports) > 0 && strategy.Type != appsv1.RecreateDeploymentStrategyType {
		// A pod being replaced or deleted stays in its Service's
		// endpoints until every kube-proxy and Gateway has heard of the
		// change, a second or more after the kubelet sends SIGTERM. A
		// process that exits on SIGTERM (most do) would refuse the
		// connections sent to it meanwhile: a rolling update lost 1-4 s
		// of requests on a real node (e2e/node). The pod sleeps first,
		// still serving, while the endpoints move to the new pods; the
		// sleep action needs no shell in the image. Not for Recreate:
		// no other pod takes over, so the sleep would only delay the
		// new one.
		d.Spec.Template.Spec.Containers[0].Lifecycle = &corev1.Lifecycle{
			PreStop: &corev1.LifecycleHandler{Sleep: &corev1.SleepAction{Seconds: preStopSleep}},
		}
	}
	// An autoscaled Deployment leaves its replica count to the autoscaler;
	// setting it here would reset the count on every apply.
	if s.Autoscaling == nil {
		d.Spec.Replicas = ptr(int32(s.Replicas))
	}
	return d
}

// job runs a one-off service to completion, retrying a failed pod a few
// times. A Job's pod template cannot change once created: a changed job
// is run again by deleting the Job first (the README says so).
func (k *Kube) job(s *topology.Service, cm *corev1.ConfigMap) *batchv1.Job {
	tmpl := k.podTemplate(s, cm)
	tmpl.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	return &batchv1.Job{
		TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
		ObjectMeta: k.Meta(k.DeploymentName(s), s),
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr(int32(4)),
			Template:     tmpl,
		},
	}
}

func ptr[T any](v T) *T { return &v }

func (k *Kube) service(s *topology.Service) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: k.Meta(KubeServiceName(s.Name), s),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: map[string]string{labelApp: k.DeploymentName(s)},
			Ports:    servicePorts(s),
		},
	}
}

func servicePorts(s *topology.Service) []corev1.ServicePort {
	var ports []corev1.ServicePort
	for _, p := range s.Ports {
		ports = append(ports, corev1.ServicePort{
			Name: p.Name, Protocol: corev1.ProtocolTCP, Port: int32(KubeServicePort(s, p)),
			TargetPort: intstr.FromString(p.Name),
		})
	}
	return ports
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
	// flows lists, per pair of services, the container ports one's links
	// reach on the other, in spec order.
	type pair struct{ from, to string }
	var pairs []pair
	flows := map[pair][]int32{}
	for i := range k.M.Services {
		s := &k.M.Services[i]
		for _, l := range s.Links {
			if l.ResolvedBy != topology.ResolvedByService {
				continue
			}
			to, _ := k.M.Service(l.To)
			p, _ := to.PortNamed(l.Port)
			key := pair{s.Name, l.To}
			if _, seen := flows[key]; !seen {
				pairs = append(pairs, key)
			}
			if !slices.Contains(flows[key], int32(p.Number)) {
				flows[key] = append(flows[key], int32(p.Number))
			}
		}
	}
	policyPorts := func(numbers []int32) []networkingv1.NetworkPolicyPort {
		var ports []networkingv1.NetworkPolicyPort
		for _, n := range numbers {
			port := intstr.FromInt32(n)
			ports = append(ports, networkingv1.NetworkPolicyPort{Protocol: &tcp, Port: &port})
		}
		return ports
	}
	podsOf := func(s *topology.Service) []networkingv1.NetworkPolicyPeer {
		return []networkingv1.NetworkPolicyPeer{{PodSelector: &metav1.LabelSelector{MatchLabels: map[string]string{labelApp: k.DeploymentName(s)}}}}
	}
	for i := range k.M.Services {
		s := &k.M.Services[i]
		spec := networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{MatchLabels: map[string]string{labelApp: k.DeploymentName(s)}},
		}
		if s.Routed() && len(k.GatewayPeers) > 0 {
			spec.Ingress = append(spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: k.GatewayPeers, Ports: policyPorts([]int32{int32(s.Port)})})
		}
		for _, pr := range pairs {
			if pr.to == s.Name {
				from, _ := k.M.Service(pr.from)
				spec.Ingress = append(spec.Ingress, networkingv1.NetworkPolicyIngressRule{From: podsOf(from), Ports: policyPorts(flows[pr])})
			}
		}
		for _, pr := range pairs {
			if pr.from == s.Name {
				to, _ := k.M.Service(pr.to)
				spec.Egress = append(spec.Egress, networkingv1.NetworkPolicyEgressRule{To: podsOf(to), Ports: policyPorts(flows[pr])})
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
		files[i].Objects = append(files[i].Objects, o.Obj)
		if documentHook != nil {
			documentHook(o.Obj, data[start:])
		}
	}
	return files, nil
}

// documentHook, when set (by tests), sees every object Manifests writes
// and its document.
var documentHook func(obj any, doc []byte)

// Document is obj as its manifest holds it, as a generic document: the
// values sigs.k8s.io/yaml would decode from the manifest (integers as int),
// without status and the empty noise appendObject leaves out. Any kind
// works, typed or unstructured; each call returns a document of its own.
func Document(obj any) (map[string]any, error) {
	doc, _, err := document(obj)
	if err != nil {
		return nil, err
	}
	return plainDoc(doc).(map[string]any), nil
}

// appendObject appends one object as YAML to buf without the noise the
// typed structs carry: status, null fields (creationTimestamp) and empty
// resources/strategy blocks. Keys come out sorted, so output is stable.
func appendObject(buf []byte, obj any) ([]byte, error) {
	doc, ints, err := document(obj)
	if err != nil {
		return nil, err
	}
	if !ints {
		b, err := yaml.Marshal(doc)
		return append(buf, b...), err
	}
	if out, ok := appendYAML(buf, doc); ok {
		return out, nil
	}
	b, err := yamlv2.Marshal(plainDoc(doc))
	return append(buf, b...), err
}

// marshalObject is appendObject into a buffer of its own.
func marshalObject(obj any) ([]byte, error) { return appendObject(nil, obj) }

// document is obj as a generic document without status and empty noise:
// the orderedMap docOf makes, or the map[string]any of the JSON round
// trip; ints reports whether every number in it is an int (which yaml.v2
// emits as sigs.k8s.io/yaml would), false when one stayed a json.Number.
func document(obj any) (doc any, ints bool, err error) {
	if d, ok := docOf(reflect.ValueOf(obj)); ok {
		switch d := d.(type) {
		case orderedMap:
			d = slices.DeleteFunc(d, func(it mapItem) bool { return it.key == "status" })
			return prune(d), true, nil
		case map[string]any:
			delete(d, "status")
			return prune(d), true, nil
		}
	}
	j, err := json.Marshal(obj)
	if err != nil {
		return nil, false, err
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, false, err
	}
	delete(m, "status")
	prune(m)
	// yamlValue converts the numbers in place.
	_, ints = yamlValue(m)
	return m, ints, nil
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

func prune(v any) any {
	switch v := v.(type) {
	case map[string]any:
		for key, val := range v {
			val = prune(val)
			if val == nil || noiseWhenEmpty[key] && emptyMapping(val) {
				delete(v, key)
				continue
			}
			v[key] = val
		}
	case orderedMap:
		out := v[:0]
		for _, it := range v {
			it.value = prune(it.value)
			if it.value == nil || noiseWhenEmpty[it.key] && emptyMapping(it.value) {
				continue
			}
			out = append(out, it)
		}
		clear(v[len(out):])
		return out
	case []any:
		for i, e := range v {
			v[i] = prune(e)
		}
	}
	return v
}

// emptyMapping reports whether v is a mapping without keys.
func emptyMapping(v any) bool {
	switch v := v.(type) {
	case map[string]any:
		return len(v) == 0
	case orderedMap:
		return len(v) == 0
	}
	return false
}

// plainDoc is doc with every orderedMap made a map[string]any, for
// yaml.v2 and for callers that read documents.
func plainDoc(doc any) any {
	switch v := doc.(type) {
	case orderedMap:
		m := make(map[string]any, len(v))
		for _, it := range v {
			if it.key == inlineKey {
				maps.Copy(m, plainDoc(it.value).(map[string]any))
				continue
			}
			m[it.key] = plainDoc(it.value)
		}
		return m
	case map[string]any:
		for k, e := range v {
			v[k] = plainDoc(e)
		}
	case []any:
		for i, e := range v {
			v[i] = plainDoc(e)
		}
	}
	return doc
}

// KubeServicePort is the port a service's Kubernetes Service listens on for
// port p: 80 for its first HTTP port (unless another port of it is 80), so
// that in-cluster URLs need no port; every other port keeps its number, as
// the clients of a database or a cache expect.
func KubeServicePort(s *topology.Service, p topology.Port) int {
	for _, q := range s.Ports {
		if q.Protocol != topology.ProtocolHTTP {
			continue
		}
		if q.Name != p.Name {
			break
		}
		for _, o := range s.Ports {
			if o.Name != p.Name && o.Number == ServicePort {
				return p.Number
			}
		}
		return ServicePort
	}
	return p.Number
}
