package validate

import (
	"fmt"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target/platform"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"

	"github.com/synctl/synctl/pkg/gkeapi"
)

// BrowserEnvKey is the label (compose) or pod template annotation
// (Kubernetes) that lists the env vars whose URLs the user's browser
// resolves rather than the container: synctl writes it for every link the
// spec resolves in the browser, and hand-written files may carry it too.
const BrowserEnvKey = render.BrowserEnvKey

// browserVars are the variables a BrowserEnvKey value names.
func browserVars(marked string) map[string]bool {
	out := map[string]bool{}
	for _, v := range strings.Split(marked, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out[v] = true
		}
	}
	return out
}

// cluster is the set of objects of one directory.
type cluster struct {
	objs  []*object
	index map[string]*object // "Kind ns/name"
	probs []Problem
	// unchecked are references left to objects made outside these files.
	unchecked []Unchecked
}

func (c *cluster) get(kind, ns, name string) *object { return c.index[kind+" "+ns+"/"+name] }

func (c *cluster) list(kind, ns string) []*object {
	var out []*object
	for _, o := range c.objs {
		if o.Kind == kind && (ns == "" || o.ns() == ns) {
			out = append(out, o)
		}
	}
	return out
}

func (c *cluster) names(kind, ns string) string {
	var n []string
	for _, o := range c.list(kind, ns) {
		n = append(n, o.Name)
	}
	return orNone(joinSorted(n))
}

func (c *cluster) add(o *object, field, format string, args ...any) {
	c.probs = append(c.probs, Problem{File: o.File, Resource: o.resource(), Field: field, Message: fmt.Sprintf(format, args...)})
}

// checkKube checks the objects of one deployment; spec, when not nil, is
// the app they were rendered from.
func checkKube(docs []kubeDoc, spec *specOf) ([]Problem, []Unchecked) {
	c := &cluster{index: map[string]*object{}}
	var unknown []Unchecked
	for i := range docs {
		d := &docs[i]
		obj, probs := decode(d)
		c.probs = append(c.probs, probs...)
		if obj == nil {
			if len(probs) == 0 {
				unknown = append(unknown, Unchecked{File: d.File, Resource: d.resource(), Reason: d.APIVersion + " " + d.Kind + " is not a kind validate knows"})
			}
			continue
		}
		o := &object{kubeDoc: d, obj: obj}
		k := d.Kind + " " + d.ns() + "/" + d.Name
		if prev, dup := c.index[k]; dup {
			c.add(o, "metadata.name", "%s is defined twice (also in %s); the second one replaces the first when applied", d.resource(), prev.File)
			continue
		}
		c.index[k] = o
		c.objs = append(c.objs, o)
	}
	for _, o := range c.objs {
		switch v := o.obj.(type) {
		case *appsv1.Deployment:
			c.checkWorkloadSelector(o, v.Spec.Selector, v.Spec.Template.Labels)
			c.checkPodSpec(o)
		case *appsv1.StatefulSet:
			c.checkWorkloadSelector(o, v.Spec.Selector, v.Spec.Template.Labels)
			c.checkPodSpec(o)
		case *appsv1.DaemonSet:
			c.checkWorkloadSelector(o, v.Spec.Selector, v.Spec.Template.Labels)
			c.checkPodSpec(o)
		case *corev1.Pod:
			c.checkPodSpec(o)
		case *batchv1.Job:
			if p := v.Spec.Template.Spec.RestartPolicy; p != corev1.RestartPolicyNever && p != corev1.RestartPolicyOnFailure {
				c.add(o, "spec.template.spec.restartPolicy", "%q is not allowed for a Job: use OnFailure or Never", p)
			}
			c.checkPodSpec(o)
		case *corev1.Service:
			c.checkService(o, v)
		case *autoscalingv1.HorizontalPodAutoscaler:
			r := v.Spec.ScaleTargetRef
			if t := c.checkScaleTarget(o, r.APIVersion, r.Kind, r.Name); t != nil && v.Spec.TargetCPUUtilizationPercentage != nil {
				c.checkCPURequests(o, "spec.targetCPUUtilizationPercentage", t)
			}
		case *autoscalingv2.HorizontalPodAutoscaler:
			r := v.Spec.ScaleTargetRef
			if t := c.checkScaleTarget(o, r.APIVersion, r.Kind, r.Name); t != nil {
				for i, m := range v.Spec.Metrics {
					if m.Type == autoscalingv2.ResourceMetricSourceType && m.Resource != nil && m.Resource.Name == corev1.ResourceCPU &&
						m.Resource.Target.Type == autoscalingv2.UtilizationMetricType {
						c.checkCPURequests(o, fmt.Sprintf("spec.metrics[%d].resource.target.averageUtilization", i), t)
					}
				}
			}
		case *gatewayv1.Gateway:
			c.checkGateway(o, v)
		case *gatewayv1.HTTPRoute:
			c.checkHTTPRoute(o, v)
		case *gkeapi.HealthCheckPolicy:
			c.probs = append(c.probs, checkHealthCheckPolicy(o, v)...)
			if v.Spec.TargetRef.Kind == "Service" && v.Spec.TargetRef.Name != "" && c.get("Service", o.ns(), v.Spec.TargetRef.Name) == nil {
				c.add(o, "spec.targetRef.name", "no Service %q in namespace %q (Services there: %s); GKE ignores a policy whose target does not exist", v.Spec.TargetRef.Name, o.ns(), c.names("Service", o.ns()))
			}
		}
	}
	c.checkLoadBalancerHealth()
	checkNetworkPolicies(c, spec)
	return c.probs, append(unknown, c.unchecked...)
}

func (c *cluster) checkWorkloadSelector(o *object, sel *metav1.LabelSelector, tpl map[string]string) {
	if sel == nil {
		c.add(o, "spec.selector", "required: set matchLabels to the pod template's labels (%s)", formatLabels(tpl))
		return
	}
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil {
		c.add(o, "spec.selector", "%v", err)
		return
	}
	if s.Empty() || !s.Matches(labels.Set(tpl)) {
		c.add(o, "spec.selector", "%s does not match the pod template's labels (%s); the API server rejects this %s: make them equal", formatSelector(sel), formatLabels(tpl), o.Kind)
	}
}

func formatLabels(m map[string]string) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}

func formatSelector(sel *metav1.LabelSelector) string {
	s, err := metav1.LabelSelectorAsSelector(sel)
	if err != nil || s.Empty() {
		return "selector {}"
	}
	return "selector " + s.String()
}

// envSource is where a resolved environment value came from.
type envSource struct {
	value     string
	configMap *object // nil for a literal value
	key       string
	field     string // field path of the literal in the workload
}

// resolveEnv resolves the container's environment, following ConfigMaps.
func (c *cluster) resolveEnv(o *object, ctr *corev1.Container, path string) map[string]envSource {
	out := map[string]envSource{}
	for i, ef := range ctr.EnvFrom {
		if ef.ConfigMapRef == nil {
			continue
		}
		cm := c.get("ConfigMap", o.ns(), ef.ConfigMapRef.Name)
		if cm == nil {
			continue
		}
		for k, v := range cm.obj.(*corev1.ConfigMap).Data {
			out[ef.Prefix+k] = envSource{value: v, configMap: cm, key: k, field: fmt.Sprintf("%s.envFrom[%d]", path, i)}
		}
	}
	for i, e := range ctr.Env {
		f := fmt.Sprintf("%s.env[%d]", path, i)
		switch {
		case e.ValueFrom == nil:
			out[e.Name] = envSource{value: e.Value, field: f + ".value"}
		case e.ValueFrom.ConfigMapKeyRef != nil:
			ref := e.ValueFrom.ConfigMapKeyRef
			if cm := c.get("ConfigMap", o.ns(), ref.Name); cm != nil {
				if v, ok := cm.obj.(*corev1.ConfigMap).Data[ref.Key]; ok {
					out[e.Name] = envSource{value: v, configMap: cm, key: ref.Key, field: f}
				}
			}
		}
	}
	return out
}

// listenPorts returns the ports a container evidently listens on: its
// containerPorts, its probe ports, and numeric *_PORT variables.
func (c *cluster) listenPorts(o *object, ctr *corev1.Container, path string) map[int32]bool {
	ports := map[int32]bool{}
	for _, p := range ctr.Ports {
		ports[p.ContainerPort] = true
	}
	for _, pr := range []*corev1.Probe{ctr.ReadinessProbe, ctr.LivenessProbe, ctr.StartupProbe} {
		if pr == nil {
			continue
		}
		if pr.HTTPGet != nil && pr.HTTPGet.Port.Type == intstr.Int {
			ports[pr.HTTPGet.Port.IntVal] = true
		}
		if pr.TCPSocket != nil && pr.TCPSocket.Port.Type == intstr.Int {
			ports[pr.TCPSocket.Port.IntVal] = true
		}
	}
	for name, src := range c.resolveEnv(o, ctr, path) {
		if strings.HasSuffix(name, "_PORT") {
			if n, err := strconv.Atoi(src.value); err == nil && n > 0 && n < 65536 {
				ports[int32(n)] = true
			}
		}
	}
	return ports
}

func (c *cluster) checkPodSpec(o *object) {
	_, spec, base := o.podTemplate()
	prefix := base
	if prefix != "" {
		prefix += "."
	}
	pvcs := map[string]bool{}
	for i, v := range spec.Volumes {
		f := fmt.Sprintf("%sspec.volumes[%d]", prefix, i)
		if v.ConfigMap != nil && (v.ConfigMap.Optional == nil || !*v.ConfigMap.Optional) && c.get("ConfigMap", o.ns(), v.ConfigMap.Name) == nil {
			c.add(o, f+".configMap.name", "no ConfigMap %q in namespace %q (ConfigMaps there: %s); the pod stays in ContainerCreating", v.ConfigMap.Name, o.ns(), c.names("ConfigMap", o.ns()))
		}
		if v.Secret != nil && (v.Secret.Optional == nil || !*v.Secret.Optional) {
			c.checkSecretKeys(o, f+".secret", v.Secret.SecretName, func() []string {
				var keys []string
				for _, it := range v.Secret.Items {
					keys = append(keys, it.Key)
				}
				return keys
			}()...)
		}
		if v.PersistentVolumeClaim != nil {
			pvcs[v.Name] = true
			if c.get("PersistentVolumeClaim", o.ns(), v.PersistentVolumeClaim.ClaimName) == nil {
				c.add(o, f+".persistentVolumeClaim.claimName", "no PersistentVolumeClaim %q in namespace %q (claims there: %s); the pod stays Pending", v.PersistentVolumeClaim.ClaimName, o.ns(), c.names("PersistentVolumeClaim", o.ns()))
			}
		}
	}
	all := append(slices.Clone(spec.InitContainers), spec.Containers...)
	for ci := range all {
		ctr := &all[ci]
		kind := "containers"
		idx := ci - len(spec.InitContainers)
		if ci < len(spec.InitContainers) {
			kind, idx = "initContainers", ci
		}
		path := fmt.Sprintf("%sspec.%s[%d]", prefix, kind, idx)
		for i, ef := range ctr.EnvFrom {
			if r := ef.ConfigMapRef; r != nil && (r.Optional == nil || !*r.Optional) && c.get("ConfigMap", o.ns(), r.Name) == nil {
				c.add(o, fmt.Sprintf("%s.envFrom[%d].configMapRef.name", path, i), "no ConfigMap %q in namespace %q (ConfigMaps there: %s); the container fails with CreateContainerConfigError", r.Name, o.ns(), c.names("ConfigMap", o.ns()))
			}
		}
		for i, e := range ctr.Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && (e.ValueFrom.SecretKeyRef.Optional == nil || !*e.ValueFrom.SecretKeyRef.Optional) {
				r := e.ValueFrom.SecretKeyRef
				c.checkSecretKeys(o, fmt.Sprintf("%s.env[%d].valueFrom.secretKeyRef", path, i), r.Name, r.Key)
			}
			if e.ValueFrom == nil || e.ValueFrom.ConfigMapKeyRef == nil {
				continue
			}
			r := e.ValueFrom.ConfigMapKeyRef
			if r.Optional != nil && *r.Optional {
				continue
			}
			f := fmt.Sprintf("%s.env[%d].valueFrom.configMapKeyRef", path, i)
			cm := c.get("ConfigMap", o.ns(), r.Name)
			if cm == nil {
				c.add(o, f+".name", "no ConfigMap %q in namespace %q (ConfigMaps there: %s); the container fails with CreateContainerConfigError", r.Name, o.ns(), c.names("ConfigMap", o.ns()))
				continue
			}
			if _, ok := cm.obj.(*corev1.ConfigMap).Data[r.Key]; !ok {
				c.add(o, f+".key", "ConfigMap %q has no key %q (keys: %s); the container fails with CreateContainerConfigError", r.Name, r.Key, orNone(strings.Join(slices.Sorted(maps.Keys(cm.obj.(*corev1.ConfigMap).Data)), ", ")))
			}
		}
		for i, m := range ctr.VolumeMounts {
			found := false
			for _, v := range spec.Volumes {
				found = found || v.Name == m.Name
			}
			if !found {
				var vs []string
				for _, v := range spec.Volumes {
					vs = append(vs, v.Name)
				}
				c.add(o, fmt.Sprintf("%s.volumeMounts[%d].name", path, i), "no volume %q in the pod's volumes (volumes: %s)", m.Name, orNone(joinSorted(vs)))
			}
		}
		named := map[string]bool{}
		for _, p := range ctr.Ports {
			if p.Name != "" {
				named[p.Name] = true
			}
		}
		for _, pr := range []struct {
			name string
			p    *corev1.Probe
		}{{"readinessProbe", ctr.ReadinessProbe}, {"livenessProbe", ctr.LivenessProbe}, {"startupProbe", ctr.StartupProbe}} {
			if pr.p != nil && pr.p.HTTPGet != nil && pr.p.HTTPGet.Port.Type == intstr.String && !named[pr.p.HTTPGet.Port.StrVal] {
				c.add(o, path+"."+pr.name+".httpGet.port", "%q is not the name of a port of this container (named ports: %s)", pr.p.HTTPGet.Port.StrVal, orNone(joinSorted(slices.Sorted(maps.Keys(named)))))
			}
			if pr.p != nil && pr.p.TCPSocket != nil {
				switch port := pr.p.TCPSocket.Port; {
				case port.Type == intstr.String && !named[port.StrVal]:
					c.add(o, path+"."+pr.name+".tcpSocket.port", "%q is not the name of a port of this container (named ports: %s)", port.StrVal, orNone(joinSorted(slices.Sorted(maps.Keys(named)))))
				case port.Type == intstr.Int && !slices.ContainsFunc(ctr.Ports, func(p corev1.ContainerPort) bool { return p.ContainerPort == port.IntVal }):
					c.add(o, path+"."+pr.name+".tcpSocket.port", "%d is not a port this container declares; the probe fails unless the process listens there", port.IntVal)
				}
			}
		}
		c.checkEnvURLs(o, ctr, path, all)
	}
}

// checkSecretKeys checks that the Secret a pod reads exists in its
// namespace, with the keys it reads.
func (c *cluster) checkSecretKeys(o *object, field, name string, keys ...string) {
	sec := c.get("Secret", o.ns(), name)
	if sec == nil {
		// Secrets are often made apart from the manifests (a layout
		// leaves synctl's out; teams keep their own): note the reference
		// rather than fail it, once per Secret.
		u := Unchecked{File: o.File, Resource: "Secret " + o.ns() + "/" + name,
			Reason: fmt.Sprintf("read by %s but not in these files; create it before the pods start (the container fails with CreateContainerConfigError until then)", o.resource())}
		if !slices.ContainsFunc(c.unchecked, func(x Unchecked) bool { return x.Resource == u.Resource }) {
			c.unchecked = append(c.unchecked, u)
		}
		return
	}
	s := sec.obj.(*corev1.Secret)
	have := map[string]bool{}
	for k := range s.Data {
		have[k] = true
	}
	for k := range s.StringData {
		have[k] = true
	}
	for _, k := range keys {
		if !have[k] {
			c.add(o, field, "Secret %q has no key %q (keys: %s)", name, k, orNone(joinSorted(slices.Sorted(maps.Keys(have)))))
		}
	}
}

// checkEnvURLs checks that http URLs in the environment name a Service and one of its ports.
func (c *cluster) checkEnvURLs(o *object, ctr *corev1.Container, path string, pod []corev1.Container) {
	env := c.resolveEnv(o, ctr, path)
	marked := ""
	if meta, _, _ := o.podTemplate(); meta != nil {
		marked = meta.Annotations[BrowserEnvKey]
	}
	browser := browserVars(marked)
	for _, name := range slices.Sorted(maps.Keys(env)) {
		src := env[name]
		report := func(format string, args ...any) {
			msg := fmt.Sprintf(format, args...)
			if src.configMap != nil {
				c.add(src.configMap, "data."+src.key, "%s (read by %s as %s): %s", src.value, o.resource(), name, msg)
				return
			}
			c.add(o, src.field, "%s=%s: %s", name, src.value, msg)
		}
		if browser[name] {
			c.checkBrowserURL(o, name, src.value, report)
			continue
		}
		u, err := url.Parse(src.value)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		port := u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
		pn, _ := strconv.Atoi(port)
		host := u.Hostname()
		if host == "localhost" || host == "127.0.0.1" || host == "::1" {
			for i := range pod {
				if &pod[i] != ctr && c.listenPorts(o, &pod[i], "")[int32(pn)] {
					return
				}
			}
			report("%s inside a pod is the pod itself, and nothing else in this pod listens on %d; use the Service name (for example http://<service>.%s)", host, pn, o.ns())
			continue
		}
		svc, ns, ok := c.serviceHost(host, o.ns())
		if !ok {
			continue // an external name
		}
		s := c.get("Service", ns, svc)
		if s == nil {
			report("host %q is not a Service in namespace %q (Services there: %s); use a Service name", host, ns, c.names("Service", ns))
			continue
		}
		var ports []string
		match := false
		for _, p := range s.obj.(*corev1.Service).Spec.Ports {
			ports = append(ports, strconv.Itoa(int(p.Port)))
			match = match || int(p.Port) == pn
		}
		if !match {
			report("port %d is not a port of %s (ports: %s); the Service port is what callers use, not the container's targetPort", pn, s.resource(), joinSorted(ports))
		}
	}
}

// serviceHost interprets host as a cluster DNS name of a Service.
func (c *cluster) serviceHost(host, podNS string) (svc, ns string, ok bool) {
	parts := strings.Split(host, ".")
	switch {
	case len(parts) == 1:
		return parts[0], podNS, true
	case len(parts) == 3 && parts[2] == "svc", len(parts) == 5 && strings.Join(parts[2:], ".") == "svc.cluster.local":
		return parts[0], parts[1], true
	case len(parts) == 2 && c.hasNamespace(parts[1]):
		return parts[0], parts[1], true
	}
	return "", "", false
}

func (c *cluster) hasNamespace(ns string) bool {
	for _, o := range c.objs {
		if o.ns() == ns || (o.Kind == "Namespace" && o.Name == ns) {
			return true
		}
	}
	return false
}

func (c *cluster) selectedPods(svc *corev1.Service, ns string) []*object {
	if len(svc.Spec.Selector) == 0 {
		return nil
	}
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	var out []*object
	for _, o := range c.objs {
		if meta, _, _ := o.podTemplate(); meta != nil && o.ns() == ns && sel.Matches(labels.Set(meta.Labels)) {
			out = append(out, o)
		}
	}
	return out
}

func (c *cluster) checkService(o *object, svc *corev1.Service) {
	if len(svc.Spec.Selector) == 0 || svc.Spec.Type == corev1.ServiceTypeExternalName {
		return
	}
	pods := c.selectedPods(svc, o.ns())
	if len(pods) == 0 {
		var seen []string
		for _, w := range c.objs {
			if meta, _, _ := w.podTemplate(); meta != nil && w.ns() == o.ns() {
				seen = append(seen, w.Kind+" "+w.Name+" ("+formatLabels(meta.Labels)+")")
			}
		}
		c.add(o, "spec.selector", "%s selects no pods in namespace %q: the Service has no endpoints (pod labels there: %s); set it to a Deployment's pod template labels", formatLabels(svc.Spec.Selector), o.ns(), orNone(strings.Join(seen, ", ")))
		return
	}
	for i, p := range svc.Spec.Ports {
		f := fmt.Sprintf("spec.ports[%d].targetPort", i)
		tp := p.TargetPort
		if tp.Type == intstr.Int && tp.IntVal == 0 {
			tp = intstr.FromInt32(p.Port)
		}
		var known []string
		evidence, match := false, false
		for _, w := range pods {
			_, spec, base := w.podTemplate()
			for ci := range spec.Containers {
				ctr := &spec.Containers[ci]
				if tp.Type == intstr.String {
					for _, cp := range ctr.Ports {
						if cp.Name != "" {
							known = append(known, cp.Name)
						}
						match = match || cp.Name == tp.StrVal
					}
					continue
				}
				for port := range c.listenPorts(w, ctr, fmt.Sprintf("%s.spec.containers[%d]", base, ci)) {
					evidence = true
					known = append(known, strconv.Itoa(int(port)))
					match = match || port == tp.IntVal
				}
			}
		}
		switch {
		case tp.Type == intstr.String && !match:
			c.add(o, f, "%q is not the name of a containerPort of the selected pods (named ports: %s); name the container's port or use its number", tp.StrVal, orNone(joinSorted(known)))
		case tp.Type == intstr.Int && evidence && !match:
			c.add(o, f, "%d is not a port the selected pods listen on (%s); set targetPort to the container's port", tp.IntVal, joinSorted(known))
		}
	}
}

// checkCPURequests: an autoscaler that targets CPU utilization measures use
// as a share of the containers' CPU requests; without them it cannot scale.
func (c *cluster) checkCPURequests(o *object, field string, t *object) {
	_, pod, path := t.podTemplate()
	if pod == nil {
		return
	}
	for i, ctr := range pod.Containers {
		if _, ok := ctr.Resources.Requests[corev1.ResourceCPU]; !ok {
			c.add(o, field, "scales %s on CPU utilization, a share of each container's CPU request, but container %q sets none (%s.spec.containers[%d].resources.requests.cpu): the autoscaler cannot compute utilization and never scales; add a CPU request", t.resource(), ctr.Name, path, i)
		}
	}
}

// checkScaleTarget checks the autoscaler's target exists and returns it.
func (c *cluster) checkScaleTarget(o *object, apiVersion, kind, name string) *object {
	t := c.get(kind, o.ns(), name)
	if t == nil {
		var ws []string
		for _, w := range c.objs {
			if meta, _, _ := w.podTemplate(); meta != nil && w.ns() == o.ns() && w.Kind != "Pod" {
				ws = append(ws, w.Kind+" "+w.Name)
			}
		}
		c.add(o, "spec.scaleTargetRef", "no %s %q in namespace %q (workloads there: %s); the autoscaler has nothing to scale", kind, name, o.ns(), orNone(joinSorted(ws)))
		return nil
	}
	if apiVersion != t.APIVersion {
		c.add(o, "spec.scaleTargetRef.apiVersion", "is %q but %s is %s", apiVersion, t.resource(), t.APIVersion)
	}
	return t
}

// gkeClass reports whether a GatewayClass name is one GKE provides.
func gkeClass(name string) bool { return platform.IsGKEClass(name) }

func (c *cluster) checkGateway(o *object, g *gatewayv1.Gateway) {
	cls := string(g.Spec.GatewayClassName)
	if gkeClass(cls) || c.get("GatewayClass", "default", cls) != nil {
		return
	}
	c.add(o, "spec.gatewayClassName", "no GatewayClass %q in these files (GatewayClasses: %s) and it is not one of GKE's %s* classes; the Gateway is never programmed", cls, c.names("GatewayClass", "default"), platform.GKEClassPrefix)
}

// attachedGateway resolves a parentRef to a Gateway.
func (c *cluster) parentGateway(o *object, ref gatewayv1.ParentReference) (*object, string) {
	ns := o.ns()
	if ref.Namespace != nil {
		ns = string(*ref.Namespace)
	}
	if ref.Group != nil && *ref.Group != gatewayv1.GroupName || ref.Kind != nil && *ref.Kind != "Gateway" {
		return nil, ""
	}
	g := c.get("Gateway", ns, string(ref.Name))
	return g, ns
}

func (c *cluster) checkHTTPRoute(o *object, r *gatewayv1.HTTPRoute) {
	for i, ref := range r.Spec.ParentRefs {
		f := fmt.Sprintf("spec.parentRefs[%d]", i)
		g, ns := c.parentGateway(o, ref)
		if ns == "" {
			continue
		}
		if g == nil {
			hint := ""
			if ref.Namespace == nil && len(c.list("Gateway", "")) > 0 {
				hint = "; a parentRef without namespace means the route's own namespace"
			}
			c.add(o, f, "no Gateway %q in namespace %q (Gateways: %s)%s", ref.Name, ns, c.gatewayNames(), hint)
			continue
		}
		if msg := c.admits(g.obj.(*gatewayv1.Gateway), g.ns(), ref, o, r); msg != "" {
			c.add(o, f, "%s does not accept this route: %s", g.resource(), msg)
		}
	}
	for i, rule := range r.Spec.Rules {
		for j, b := range rule.BackendRefs {
			f := fmt.Sprintf("spec.rules[%d].backendRefs[%d]", i, j)
			if b.Group != nil && *b.Group != "" || b.Kind != nil && *b.Kind != "Service" {
				continue
			}
			ns := o.ns()
			if b.Namespace != nil {
				ns = string(*b.Namespace)
			}
			s := c.get("Service", ns, string(b.Name))
			if s == nil {
				c.add(o, f+".name", "no Service %q in namespace %q (Services there: %s); the route answers 500", b.Name, ns, c.names("Service", ns))
				continue
			}
			if ns != o.ns() && !c.referenceGranted(o.ns(), ns, string(b.Name)) {
				c.add(o, f+".namespace", "Service %s is in another namespace and no ReferenceGrant in %q allows HTTPRoutes from %q to reference it", s.resource(), ns, o.ns())
			}
			if b.Port == nil {
				continue
			}
			var ports []string
			ok := false
			for _, p := range s.obj.(*corev1.Service).Spec.Ports {
				ports = append(ports, strconv.Itoa(int(p.Port)))
				ok = ok || p.Port == int32(*b.Port)
			}
			if !ok {
				c.add(o, f+".port", "%d is not a port of %s (ports: %s); use the Service port, not the container's", *b.Port, s.resource(), joinSorted(ports))
			}
		}
	}
}

func (c *cluster) gatewayNames() string {
	var n []string
	for _, g := range c.list("Gateway", "") {
		n = append(n, g.ns()+"/"+g.Name)
	}
	return orNone(joinSorted(n))
}

func (c *cluster) referenceGranted(fromNS, toNS, svc string) bool {
	for _, o := range c.list("ReferenceGrant", toNS) {
		g := o.obj.(*gatewayv1beta1.ReferenceGrant)
		from, to := false, false
		for _, f := range g.Spec.From {
			from = from || (f.Group == gatewayv1.GroupName && f.Kind == "HTTPRoute" && string(f.Namespace) == fromNS)
		}
		for _, t := range g.Spec.To {
			to = to || (t.Group == "" && t.Kind == "Service" && (t.Name == nil || string(*t.Name) == svc))
		}
		if from && to {
			return true
		}
	}
	return false
}

// admits explains why no listener of g accepts the route, or returns "".
func (c *cluster) admits(g *gatewayv1.Gateway, gns string, ref gatewayv1.ParentReference, o *object, r *gatewayv1.HTTPRoute) string {
	var reasons []string
	for _, l := range g.Spec.Listeners {
		if ref.SectionName != nil && *ref.SectionName != l.Name {
			continue
		}
		if ref.Port != nil && *ref.Port != l.Port {
			continue
		}
		if l.Protocol != gatewayv1.HTTPProtocolType && l.Protocol != gatewayv1.HTTPSProtocolType {
			reasons = append(reasons, fmt.Sprintf("listener %s speaks %s, not HTTP", l.Name, l.Protocol))
			continue
		}
		from := gatewayv1.NamespacesFromSame
		var sel *metav1.LabelSelector
		if l.AllowedRoutes != nil && l.AllowedRoutes.Namespaces != nil {
			if l.AllowedRoutes.Namespaces.From != nil {
				from = *l.AllowedRoutes.Namespaces.From
			}
			sel = l.AllowedRoutes.Namespaces.Selector
		}
		switch from {
		case gatewayv1.NamespacesFromSame:
			if o.ns() != gns {
				reasons = append(reasons, fmt.Sprintf("listener %s only admits routes from its own namespace %q (allowedRoutes.namespaces.from: Same); set from: All or Selector on the listener", l.Name, gns))
				continue
			}
		case gatewayv1.NamespacesFromSelector:
			nsLabels := map[string]string{"kubernetes.io/metadata.name": o.ns()}
			if n := c.get("Namespace", "default", o.ns()); n != nil {
				for k, v := range n.obj.(*corev1.Namespace).Labels {
					nsLabels[k] = v
				}
			}
			s, err := metav1.LabelSelectorAsSelector(sel)
			if sel == nil || err != nil || !s.Matches(labels.Set(nsLabels)) {
				reasons = append(reasons, fmt.Sprintf("listener %s admits namespaces matching %s, and namespace %q (%s) does not match", l.Name, formatSelector(orEmptySelector(sel)), o.ns(), formatLabels(nsLabels)))
				continue
			}
		}
		if l.AllowedRoutes != nil && len(l.AllowedRoutes.Kinds) > 0 {
			ok := false
			for _, k := range l.AllowedRoutes.Kinds {
				ok = ok || k.Kind == "HTTPRoute"
			}
			if !ok {
				reasons = append(reasons, fmt.Sprintf("listener %s does not allow kind HTTPRoute", l.Name))
				continue
			}
		}
		if l.Hostname != nil && len(r.Spec.Hostnames) > 0 {
			ok := false
			for _, h := range r.Spec.Hostnames {
				ok = ok || hostMatches(string(*l.Hostname), string(h)) || hostMatches(string(h), string(*l.Hostname))
			}
			if !ok {
				reasons = append(reasons, fmt.Sprintf("listener %s serves hostname %s, which none of the route's hostnames match", l.Name, *l.Hostname))
				continue
			}
		}
		return ""
	}
	if len(reasons) == 0 {
		if ref.SectionName != nil {
			return fmt.Sprintf("it has no listener named %q", *ref.SectionName)
		}
		return "no listener matches the parentRef's port"
	}
	return strings.Join(reasons, "; ")
}

func orEmptySelector(s *metav1.LabelSelector) *metav1.LabelSelector {
	if s == nil {
		return &metav1.LabelSelector{}
	}
	return s
}

// hostMatches reports whether host matches pattern (which may be *.suffix).
func hostMatches(pattern, host string) bool {
	if suffix, ok := strings.CutPrefix(pattern, "*"); ok {
		return strings.HasSuffix(host, suffix) && len(host) > len(suffix)
	}
	return pattern == host
}
