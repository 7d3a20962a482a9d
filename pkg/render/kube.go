package render

import (
	"bytes"
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"strconv"

	yamlv2 "go.yaml.in/yaml/v2"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/synctl/synctl/pkg/gkeapi"
	"github.com/synctl/synctl/pkg/topology"
)

// kubeObject is one manifest and the bundle file that holds it.
type kubeObject struct {
	file string
	obj  any
}

const (
	servicePort  = 80
	portName     = "http"
	labelApp     = "app"
	configHashAn = "synctl.dev/config-hash"
)

// Autopilot's own default requests, used on GKE for a service whose spec
// sets none: Autopilot requires requests on every container.
const (
	autopilotDefaultCPU    = "250m"
	autopilotDefaultMemory = "512Mi"
)

// kube holds what every object of one Kubernetes target shares.
type kube struct {
	m  *topology.Model
	t  topology.Target
	w  topology.Wiring
	ns string
}

func renderKubeBundle(m *topology.Model, t topology.Target, w topology.Wiring) ([]File, error) {
	objs := kubeObjects(m, t, w)
	var files []File
	index := map[string]int{}
	for _, o := range objs {
		doc, err := marshalObject(o.obj)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", o.file, err)
		}
		i, ok := index[o.file]
		if !ok {
			index[o.file] = len(files)
			files = append(files, File{Path: o.file, Data: header("#", Command(t)), Mode: 0o644})
			i = len(files) - 1
		} else {
			files[i].Data = append(files[i].Data, "---\n"...)
		}
		files[i].Data = append(files[i].Data, doc...)
	}
	return files, nil
}

// Stream joins a Kubernetes bundle's manifests into one multi-document
// stream for `kubectl apply -f -`, in apply order, with one header.
func Stream(t topology.Target, files []File) []byte {
	var b bytes.Buffer
	hdr := header("#", Command(t))
	b.Write(hdr)
	first := true
	for _, f := range files {
		if f.Path == "README.md" || !bytes.HasPrefix(f.Data, hdr) {
			continue
		}
		if !first {
			b.WriteString("---\n")
		}
		first = false
		b.Write(bytes.TrimPrefix(f.Data, hdr))
	}
	return b.Bytes()
}

// kubeObjects lists every object of a Kubernetes target in apply order.
func kubeObjects(m *topology.Model, t topology.Target, w topology.Wiring) []kubeObject {
	k := &kube{m: m, t: t, w: w}
	var objs []kubeObject
	if t == topology.GKE {
		g := m.Targets.GKE
		k.ns = g.Namespace
		for _, ns := range []string{g.GatewayNamespace, g.Namespace} {
			objs = append(objs, kubeObject{"00-namespaces.yaml", &corev1.Namespace{
				TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Namespace"},
				ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: k.partOf()},
			}})
		}
	} else {
		k.ns = m.Targets.Minikube.Namespace
		mk := m.Targets.Minikube
		objs = append(objs, kubeObject{"gatewayclass.yaml", &gwv1.GatewayClass{
			TypeMeta:   metav1.TypeMeta{APIVersion: gwv1.GroupVersion.String(), Kind: "GatewayClass"},
			ObjectMeta: metav1.ObjectMeta{Name: mk.GatewayClass, Labels: k.partOf()},
			Spec:       gwv1.GatewayClassSpec{ControllerName: gwv1.GatewayController(mk.ControllerName)},
		}})
	}
	objs = append(objs, kubeObject{"gateway.yaml", k.gateway()})
	for _, s := range m.Services {
		prefix := s.Name + "-"
		cm := k.configMap(s)
		objs = append(objs, kubeObject{prefix + "configmap.yaml", cm})
		if s.Storage != nil && s.Storage.Persistent {
			objs = append(objs, kubeObject{prefix + "pvc.yaml", k.pvc(s)})
		}
		objs = append(objs,
			kubeObject{prefix + "deployment.yaml", k.deployment(s, cm)},
			kubeObject{prefix + "service.yaml", k.service(s)},
		)
		if s.Autoscaling != nil {
			objs = append(objs, kubeObject{prefix + "hpa.yaml", k.hpa(s)})
		}
		if s.Role.Public() {
			objs = append(objs, kubeObject{prefix + "httproute.yaml", k.httpRoute(s)})
			if t == topology.GKE {
				objs = append(objs, kubeObject{prefix + "healthcheckpolicy.yaml", k.healthCheckPolicy(s)})
			}
		}
	}
	return objs
}

// Names of a service's Kubernetes objects.
func (k *kube) deploymentName(s topology.Service) string { return k.m.Name + "-" + s.Name }
func (k *kube) configMapName(s topology.Service) string {
	return k.m.Name + "-" + s.Name + "-configmap"
}
func (k *kube) pvcName(s topology.Service) string { return k.m.Name + "-" + s.Name + "-pvc" }

func (k *kube) partOf() map[string]string {
	return map[string]string{
		"app.kubernetes.io/part-of":    k.m.Name,
		"app.kubernetes.io/managed-by": "synctl",
	}
}

func (k *kube) labels(s topology.Service) map[string]string {
	l := k.partOf()
	l[labelApp] = k.deploymentName(s)
	l["app.kubernetes.io/name"] = s.Name
	return l
}

func (k *kube) meta(name string, s topology.Service) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: k.ns, Labels: k.labels(s)}
}

func (k *kube) gateway() *gwv1.Gateway {
	gw := &gwv1.Gateway{
		TypeMeta: metav1.TypeMeta{APIVersion: gwv1.GroupVersion.String(), Kind: "Gateway"},
		ObjectMeta: metav1.ObjectMeta{
			Name: k.m.Targets.Minikube.Gateway, Namespace: k.ns, Labels: k.partOf(),
		},
		Spec: gwv1.GatewaySpec{
			GatewayClassName: gwv1.ObjectName(k.m.Targets.Minikube.GatewayClass),
			Listeners:        []gwv1.Listener{{Name: "http", Protocol: gwv1.HTTPProtocolType, Port: 80}},
		},
	}
	if k.t == topology.GKE {
		g := k.m.Targets.GKE
		gw.Name, gw.Namespace = g.Gateway, g.GatewayNamespace
		gw.Spec.GatewayClassName = gwv1.ObjectName(g.GatewayClass)
		// The app's routes live in another namespace than the Gateway.
		from := gwv1.NamespacesFromAll
		gw.Spec.Listeners[0].AllowedRoutes = &gwv1.AllowedRoutes{Namespaces: &gwv1.RouteNamespaces{From: &from}}
	}
	return gw
}

func (k *kube) configMap(s topology.Service) *corev1.ConfigMap {
	data := map[string]string{}
	for _, e := range containerEnv(s, k.w) {
		data[e.Name] = e.Value
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: k.meta(k.configMapName(s), s),
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

func (k *kube) pvc(s topology.Service) *corev1.PersistentVolumeClaim {
	return &corev1.PersistentVolumeClaim{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "PersistentVolumeClaim"},
		ObjectMeta: k.meta(k.pvcName(s), s),
		Spec: corev1.PersistentVolumeClaimSpec{
			// No storageClassName: the cluster's default class (standard on
			// Minikube, standard-rwo on GKE Autopilot).
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{
				corev1.ResourceStorage: resource.MustParse(s.Storage.Size),
			}},
		},
	}
}

func (k *kube) deployment(s topology.Service, cm *corev1.ConfigMap) *appsv1.Deployment {
	name := k.deploymentName(s)
	probe := func(initialDelay, period int32) *corev1.Probe {
		return &corev1.Probe{
			ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{
				Path: s.HealthPath, Port: intstr.FromString(portName),
			}},
			InitialDelaySeconds: initialDelay,
			PeriodSeconds:       period,
		}
	}
	c := corev1.Container{
		Name:  s.Name,
		Image: s.Image,
		Ports: []corev1.ContainerPort{{Name: portName, ContainerPort: int32(s.Port), Protocol: corev1.ProtocolTCP}},
		EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: cm.Name},
		}}},
		Resources:      k.resources(s),
		ReadinessProbe: probe(5, 10),
		LivenessProbe:  probe(15, 20),
	}
	pod := corev1.PodSpec{Containers: []corev1.Container{c}}
	strategy := appsv1.DeploymentStrategy{}
	if st := s.Storage; st != nil {
		vol := corev1.Volume{Name: "data"}
		if st.Persistent {
			vol.PersistentVolumeClaim = &corev1.PersistentVolumeClaimVolumeSource{ClaimName: k.pvcName(s)}
			// A ReadWriteOnce volume attaches to one node: the old pod must
			// let go of it before the new one can start.
			strategy.Type = appsv1.RecreateDeploymentStrategyType
		} else {
			vol.EmptyDir = &corev1.EmptyDirVolumeSource{}
		}
		pod.Volumes = []corev1.Volume{vol}
		pod.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: st.MountPath}}
	}
	annotations := map[string]string{configHashAn: configHash(cm)}
	if b := browserEnv(s); b != "" {
		annotations[BrowserEnvKey] = b
	}
	d := &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: k.meta(name, s),
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{labelApp: name}},
			Strategy: strategy,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels:      k.labels(s),
					Annotations: annotations,
				},
				Spec: pod,
			},
		},
	}
	// An autoscaled Deployment leaves its replica count to the autoscaler;
	// setting it here would reset the count on every apply.
	if s.Autoscaling == nil {
		r := int32(s.Replicas)
		d.Spec.Replicas = &r
	}
	return d
}

// resources: GKE Autopilot requires requests on every container, so GKE gets
// the service's requests and limits (Autopilot's defaults where none are set).
// Minikube gets only the CPU request an autoscaled service needs: the
// autoscaler measures CPU use as a share of it.
func (k *kube) resources(s topology.Service) corev1.ResourceRequirements {
	r := s.Resources
	var rr corev1.ResourceRequirements
	set := func(l *corev1.ResourceList, name corev1.ResourceName, v string) {
		if v == "" {
			return
		}
		if *l == nil {
			*l = corev1.ResourceList{}
		}
		(*l)[name] = resource.MustParse(v)
	}
	switch k.t {
	case topology.GKE:
		set(&rr.Requests, corev1.ResourceCPU, cmp.Or(r.CPURequest, autopilotDefaultCPU))
		set(&rr.Requests, corev1.ResourceMemory, cmp.Or(r.MemoryRequest, autopilotDefaultMemory))
		set(&rr.Limits, corev1.ResourceCPU, r.CPULimit)
		set(&rr.Limits, corev1.ResourceMemory, r.MemoryLimit)
	case topology.Minikube:
		if s.Autoscaling != nil {
			set(&rr.Requests, corev1.ResourceCPU, r.CPURequest)
		}
	}
	return rr
}

func (k *kube) service(s topology.Service) *corev1.Service {
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: k.meta(topology.KubeServiceName(s.Name), s),
		Spec: corev1.ServiceSpec{
			Type:     corev1.ServiceTypeClusterIP,
			Selector: map[string]string{labelApp: k.deploymentName(s)},
			Ports: []corev1.ServicePort{{
				Name: portName, Protocol: corev1.ProtocolTCP, Port: servicePort,
				TargetPort: intstr.FromString(portName),
			}},
		},
	}
}

func (k *kube) hpa(s topology.Service) *autoscalingv2.HorizontalPodAutoscaler {
	a := s.Autoscaling
	minR, target := int32(a.MinReplicas), int32(a.TargetCPUPercent)
	return &autoscalingv2.HorizontalPodAutoscaler{
		TypeMeta:   metav1.TypeMeta{APIVersion: "autoscaling/v2", Kind: "HorizontalPodAutoscaler"},
		ObjectMeta: k.meta(s.Name+"-hpa", s),
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: autoscalingv2.CrossVersionObjectReference{
				APIVersion: "apps/v1", Kind: "Deployment", Name: k.deploymentName(s),
			},
			MinReplicas: &minR,
			MaxReplicas: int32(a.MaxReplicas),
			Metrics: []autoscalingv2.MetricSpec{{
				Type: autoscalingv2.ResourceMetricSourceType,
				Resource: &autoscalingv2.ResourceMetricSource{
					Name:   corev1.ResourceCPU,
					Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: &target},
				},
			}},
		},
	}
}

// httpRoute routes by hostname on Minikube (one name per public service) and
// by path on GKE (one address; a public api's prefix is rewritten to /).
func (k *kube) httpRoute(s topology.Service) *gwv1.HTTPRoute {
	port := gwv1.PortNumber(servicePort)
	pathType := gwv1.PathMatchPathPrefix
	prefix := "/"
	rule := gwv1.HTTPRouteRule{
		BackendRefs: []gwv1.HTTPBackendRef{{BackendRef: gwv1.BackendRef{BackendObjectReference: gwv1.BackendObjectReference{
			Name: gwv1.ObjectName(topology.KubeServiceName(s.Name)), Port: &port,
		}}}},
	}
	r := &gwv1.HTTPRoute{
		TypeMeta:   metav1.TypeMeta{APIVersion: gwv1.GroupVersion.String(), Kind: "HTTPRoute"},
		ObjectMeta: k.meta(s.Name+"-httproute", s),
	}
	switch k.t {
	case topology.Minikube:
		r.Spec.ParentRefs = []gwv1.ParentReference{{Name: gwv1.ObjectName(k.m.Targets.Minikube.Gateway)}}
		r.Spec.Hostnames = []gwv1.Hostname{gwv1.Hostname(k.m.Targets.Minikube.Hosts[s.Name])}
	case topology.GKE:
		g := k.m.Targets.GKE
		ns := gwv1.Namespace(g.GatewayNamespace)
		r.Spec.ParentRefs = []gwv1.ParentReference{{Name: gwv1.ObjectName(g.Gateway), Namespace: &ns}}
		if s.Role == topology.RoleAPI {
			prefix = g.Paths[s.Name]
			root := "/"
			rule.Filters = []gwv1.HTTPRouteFilter{{
				Type: gwv1.HTTPRouteFilterURLRewrite,
				URLRewrite: &gwv1.HTTPURLRewriteFilter{Path: &gwv1.HTTPPathModifier{
					Type: gwv1.PrefixMatchHTTPPathModifier, ReplacePrefixMatch: &root,
				}},
			}}
		}
	}
	rule.Matches = []gwv1.HTTPRouteMatch{{Path: &gwv1.HTTPPathMatch{Type: &pathType, Value: &prefix}}}
	r.Spec.Rules = []gwv1.HTTPRouteRule{rule}
	return r
}

func (k *kube) healthCheckPolicy(s topology.Service) *gkeapi.HealthCheckPolicy {
	i32 := func(v int32) *int32 { return &v }
	return &gkeapi.HealthCheckPolicy{
		TypeMeta:   metav1.TypeMeta{APIVersion: gkeapi.GroupVersion, Kind: "HealthCheckPolicy"},
		ObjectMeta: k.meta(s.Name+"-healthcheckpolicy", s),
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
			TargetRef: gkeapi.PolicyTargetRef{Group: "", Kind: "Service", Name: topology.KubeServiceName(s.Name)},
		},
	}
}

// marshalObject writes one object as YAML without the noise the typed
// structs carry: status, null fields (creationTimestamp) and empty
// resources/strategy blocks. Keys come out sorted, so output is stable.
func marshalObject(obj any) ([]byte, error) {
	if d, ok := docOf(reflect.ValueOf(obj)); ok {
		if doc, ok := d.(map[string]any); ok {
			delete(doc, "status")
			prune(doc)
			return yamlv2.Marshal(doc)
		}
	}
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
// number that is not an integer, which then takes the general path (the
// integers already converted marshal to the same JSON).
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
// when empty. emptyDir: {} is deliberately not among them.
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
