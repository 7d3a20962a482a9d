package validate

import (
	"fmt"
	"maps"
	"net"
	"net/url"
	"slices"
	"strconv"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// NetworkPolicies are checked against what the other objects say flows:
// each policy's selectors select pods; each link a pod's environment names
// (a Service, on one of its ports, by URL, host:port or a *_HOST name) is
// allowed out of the caller and into the callee, on the port the Service
// sends it to; a pod whose egress is limited and that reaches a Service by
// name may look names up (DNS, port 53); and pods behind an HTTPRoute or an
// Ingress admit traffic from outside their namespace, where the gateway or
// ingress controller runs. Ports come from the Services and containers, so
// a link to a database on 5432 is checked as one to a web api on 8080.

// pod is a workload's pod template: what NetworkPolicies select.
type pod struct {
	o      *object
	labels labels.Set
	spec   *corev1.PodSpec
}

// netpols checks the NetworkPolicies of one cluster, with what the checks
// ask again and again (pods, parsed selectors, the policies isolating a
// pod) computed once: an app of a thousand services has a thousand
// policies and as many links.
type netpols struct {
	*cluster
	all       []pod
	byNS      map[string][]pod
	policies  map[string][]*object // by namespace
	selectors map[*metav1.LabelSelector]labels.Selector
	isolated  map[isolation][]*object
}

type isolation struct {
	o      *object
	egress bool
}

func newNetpols(c *cluster) *netpols {
	n := &netpols{cluster: c, byNS: map[string][]pod{}, policies: map[string][]*object{},
		selectors: map[*metav1.LabelSelector]labels.Selector{}, isolated: map[isolation][]*object{}}
	for _, o := range c.objs {
		if meta, spec, _ := o.podTemplate(); meta != nil {
			p := pod{o: o, labels: labels.Set(meta.Labels), spec: spec}
			n.all = append(n.all, p)
			n.byNS[o.ns()] = append(n.byNS[o.ns()], p)
		}
		if o.Kind == "NetworkPolicy" {
			n.policies[o.ns()] = append(n.policies[o.ns()], o)
		}
	}
	return n
}

// pods are the pod templates of namespace ns ("": of all).
func (c *netpols) pods(ns string) []pod {
	if ns == "" {
		return c.all
	}
	return c.byNS[ns]
}

// podLabelList lists the pod labels of a namespace, for messages.
func (c *netpols) podLabelList(ns string) string {
	var seen []string
	for _, p := range c.pods(ns) {
		seen = append(seen, p.o.Kind+" "+p.o.Name+" ("+formatLabels(p.labels)+")")
	}
	return orNone(strings.Join(seen, ", "))
}

// namespaceLabels are the labels a namespaceSelector sees: the automatic
// kubernetes.io/metadata.name and those of a Namespace in these files.
func (c *netpols) namespaceLabels(ns string) labels.Set {
	out := labels.Set{"kubernetes.io/metadata.name": ns}
	if n := c.get("Namespace", "default", ns); n != nil {
		maps.Copy(out, n.obj.(*corev1.Namespace).Labels)
	}
	return out
}

// selects reports whether sel (nil: everything) matches set; a selector
// that does not parse matches nothing (the API server rejects it).
func (c *netpols) selects(sel *metav1.LabelSelector, set labels.Set) bool {
	if sel == nil {
		return true
	}
	s, ok := c.selectors[sel]
	if !ok {
		var err error
		if s, err = metav1.LabelSelectorAsSelector(sel); err != nil {
			s = labels.Nothing()
		}
		c.selectors[sel] = s
	}
	return s.Matches(set)
}

// policyTypes are the directions a policy isolates: as the API server
// defaults them when unset.
func policyTypes(np *networkingv1.NetworkPolicy) (ingress, egress bool) {
	if len(np.Spec.PolicyTypes) == 0 {
		return true, len(np.Spec.Egress) > 0
	}
	return slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeIngress), slices.Contains(np.Spec.PolicyTypes, networkingv1.PolicyTypeEgress)
}

// isolating returns the policies that select p for one direction. None:
// that direction is open.
func (c *netpols) isolating(p pod, egress bool) []*object {
	key := isolation{p.o, egress}
	if out, ok := c.isolated[key]; ok {
		return out
	}
	var out []*object
	for _, o := range c.policies[p.o.ns()] {
		np := o.obj.(*networkingv1.NetworkPolicy)
		in, eg := policyTypes(np)
		if (egress && eg || !egress && in) && c.selects(&np.Spec.PodSelector, p.labels) {
			out = append(out, o)
		}
	}
	c.isolated[key] = out
	return out
}

// peerMatches reports whether peer, in a policy of namespace policyNS,
// matches pod p. An ipBlock matches pods only when it is the whole address
// space: pod addresses are not in these files.
func (c *netpols) peerMatches(policyNS string, peer networkingv1.NetworkPolicyPeer, p pod) bool {
	if b := peer.IPBlock; b != nil {
		return (b.CIDR == "0.0.0.0/0" || b.CIDR == "::/0") && len(b.Except) == 0
	}
	if peer.NamespaceSelector == nil {
		if p.o.ns() != policyNS {
			return false
		}
	} else if !c.selects(peer.NamespaceSelector, c.namespaceLabels(p.o.ns())) {
		return false
	}
	return c.selects(peer.PodSelector, p.labels)
}

// portAllowed reports whether ports (empty: all) allow protocol to port
// number num, called name on the destination pod ("" when unnamed).
func portAllowed(ports []networkingv1.NetworkPolicyPort, protocol corev1.Protocol, num int32, name string) bool {
	if len(ports) == 0 {
		return true
	}
	for _, pp := range ports {
		proto := corev1.ProtocolTCP // the API server's default
		if pp.Protocol != nil {
			proto = *pp.Protocol
		}
		if proto != protocol {
			continue
		}
		switch {
		case pp.Port == nil:
			return true
		case pp.Port.Type == intstr.String:
			if name != "" && pp.Port.StrVal == name {
				return true
			}
		default:
			hi := pp.Port.IntVal
			if pp.EndPort != nil {
				hi = *pp.EndPort
			}
			if num >= pp.Port.IntVal && num <= hi {
				return true
			}
		}
	}
	return false
}

// allows reports whether the policies let from reach to on port (num, name).
// It returns the policies that isolate the direction that refuses it.
func (c *netpols) allows(from, to pod, num int32, name string) (egressOK, ingressOK bool, egressBy, ingressBy []*object) {
	egressBy = c.isolating(from, true)
	egressOK = len(egressBy) == 0
	for _, o := range egressBy {
		for _, r := range o.obj.(*networkingv1.NetworkPolicy).Spec.Egress {
			if portAllowed(r.Ports, corev1.ProtocolTCP, num, name) && c.anyPeer(o.ns(), r.To, to) {
				egressOK = true
			}
		}
	}
	ingressBy = c.isolating(to, false)
	ingressOK = len(ingressBy) == 0
	for _, o := range ingressBy {
		for _, r := range o.obj.(*networkingv1.NetworkPolicy).Spec.Ingress {
			if portAllowed(r.Ports, corev1.ProtocolTCP, num, name) && c.anyPeer(o.ns(), r.From, from) {
				ingressOK = true
			}
		}
	}
	return egressOK, ingressOK, egressBy, ingressBy
}

// anyPeer: an empty list of peers matches every pod.
func (c *netpols) anyPeer(policyNS string, peers []networkingv1.NetworkPolicyPeer, p pod) bool {
	if len(peers) == 0 {
		return true
	}
	for _, peer := range peers {
		if c.peerMatches(policyNS, peer, p) {
			return true
		}
	}
	return false
}

// targetPort resolves a Service port to the port number (and name) it
// reaches on pod p's containers: targetPort as a number, or a named
// containerPort; ok is false when p has no such named port.
func targetPort(sp corev1.ServicePort, p pod) (int32, string, bool) {
	tp := sp.TargetPort
	if tp.Type == intstr.String {
		for _, ctr := range p.spec.Containers {
			for _, cp := range ctr.Ports {
				if cp.Name == tp.StrVal {
					return cp.ContainerPort, cp.Name, true
				}
			}
		}
		return 0, "", false
	}
	num := tp.IntVal
	if num == 0 {
		num = sp.Port
	}
	for _, ctr := range p.spec.Containers {
		for _, cp := range ctr.Ports {
			if cp.ContainerPort == num {
				return num, cp.Name, true
			}
		}
	}
	return num, "", true
}

// limit names the policies that limit a direction: "NetworkPolicy a
// limits", "NetworkPolicies a, b limit".
func limit(policies []*object) string {
	var n []string
	for _, o := range policies {
		n = append(n, o.Name)
	}
	if len(n) == 1 {
		return "NetworkPolicy " + n[0] + " limits"
	}
	return "NetworkPolicies " + joinSorted(n) + " limit"
}

// podLabels are the labels a rule should select p by: its workload's
// matchLabels, or all of its labels.
func podLabels(p pod) string {
	if sel := workloadSelector(p.o); sel != nil && len(sel.MatchLabels) > 0 && len(sel.MatchExpressions) == 0 {
		return formatLabels(sel.MatchLabels)
	}
	return formatLabels(p.labels)
}

// checkNetworkPolicies checks the cluster's policies; spec, when not nil,
// is the app the objects were rendered from.
func checkNetworkPolicies(cl *cluster, spec *specOf) {
	if len(cl.list("NetworkPolicy", "")) == 0 {
		return
	}
	c := newNetpols(cl)
	c.checkPolicySelectors()
	c.checkLinksAllowed()
	c.checkRoutedAdmitted()
	c.checkOutbound(spec)
}

// checkPolicySelectors reports a policy, or a peer of one, whose pod
// selector selects no pod of these files: a typo in a label makes a rule
// that allows nothing, or a policy that protects nothing.
func (c *netpols) checkPolicySelectors() {
	for _, o := range c.list("NetworkPolicy", "") {
		np := o.obj.(*networkingv1.NetworkPolicy)
		if sel := &np.Spec.PodSelector; len(sel.MatchLabels)+len(sel.MatchExpressions) > 0 && !c.selectsAny(o.ns(), sel) {
			c.add(o, "spec.podSelector", "%s selects no pod in namespace %q (pod labels there: %s): the policy applies to nothing; set it to a workload's pod template labels",
				formatSelector(sel), o.ns(), c.podLabelList(o.ns()))
		}
		check := func(field string, peers []networkingv1.NetworkPolicyPeer, what string) {
			for j, peer := range peers {
				sel := peer.PodSelector
				if sel == nil || peer.NamespaceSelector != nil || len(sel.MatchLabels)+len(sel.MatchExpressions) == 0 || c.selectsAny(o.ns(), sel) {
					continue
				}
				c.add(o, fmt.Sprintf("%s[%d].podSelector", field, j), "%s selects no pod in namespace %q (pod labels there: %s): the rule allows %s no pod; set it to the pod template labels of the workload it means",
					formatSelector(sel), o.ns(), c.podLabelList(o.ns()), what)
			}
		}
		for i, r := range np.Spec.Ingress {
			check(fmt.Sprintf("spec.ingress[%d].from", i), r.From, "traffic from")
		}
		for i, r := range np.Spec.Egress {
			check(fmt.Sprintf("spec.egress[%d].to", i), r.To, "traffic to")
		}
	}
}

func (c *netpols) selectsAny(ns string, sel *metav1.LabelSelector) bool {
	for _, p := range c.pods(ns) {
		if c.selects(sel, p.labels) {
			return true
		}
	}
	return false
}

// envLink is a Service a container's environment names, on some of its ports.
type envLink struct {
	name  string // the variable
	src   envSource
	host  string
	svc   *object
	ports []corev1.ServicePort
}

// linkOf reads a variable's value as a link to a Service of these files:
// scheme://host[:port]/..., host:port, or a bare host in a *_HOST
// variable. A URL without a port uses its scheme's (http 80, https 443) or,
// for another scheme, every port of the Service; so does a bare host.
func (c *netpols) linkOf(o *object, name string, src envSource) (envLink, bool) {
	v := strings.TrimSpace(src.value)
	var host, port string
	if u, err := url.Parse(v); err == nil && u.Scheme != "" && u.Host != "" {
		host, port = u.Hostname(), u.Port()
		if port == "" {
			port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
		}
	} else if h, p, err := net.SplitHostPort(v); err == nil && p != "" {
		host, port = h, p
	} else if strings.HasSuffix(name, "_HOST") && v != "" && !strings.ContainsAny(v, ":/ ") {
		host = v
	}
	if host == "" {
		return envLink{}, false
	}
	svcName, ns, ok := c.serviceHost(host, o.ns())
	if !ok {
		return envLink{}, false
	}
	s := c.get("Service", ns, svcName)
	if s == nil {
		return envLink{}, false // checkEnvURLs says so
	}
	l := envLink{name: name, src: src, host: host, svc: s}
	for _, sp := range s.obj.(*corev1.Service).Spec.Ports {
		if port == "" || strconv.Itoa(int(sp.Port)) == port {
			l.ports = append(l.ports, sp)
		}
	}
	return l, len(l.ports) > 0
}

// checkLinksAllowed checks every link of every pod against the policies.
func (c *netpols) checkLinksAllowed() {
	for _, from := range c.pods("") {
		_, spec, base := from.o.podTemplate()
		if base != "" {
			base += "."
		}
		meta, _, _ := from.o.podTemplate()
		browser := browserVars(meta.Annotations[BrowserEnvKey])
		var dnsMissing []string
		dnsBy := c.isolating(from, true)
		dnsOK := len(dnsBy) == 0
		for _, o := range dnsBy {
			for _, r := range o.obj.(*networkingv1.NetworkPolicy).Spec.Egress {
				dnsOK = dnsOK || portAllowed(r.Ports, corev1.ProtocolUDP, 53, "")
			}
		}
		for ci := range spec.Containers {
			ctr := &spec.Containers[ci]
			path := fmt.Sprintf("%sspec.containers[%d]", base, ci)
			env := c.resolveEnv(from.o, ctr, path)
			for _, name := range slices.Sorted(maps.Keys(env)) {
				if browser[name] {
					continue
				}
				l, ok := c.linkOf(from.o, name, env[name])
				if !ok {
					continue
				}
				if net.ParseIP(l.host) == nil && !dnsOK && !slices.Contains(dnsMissing, l.host) {
					dnsMissing = append(dnsMissing, l.host)
					c.reportEnv(from.o, l, "%s looks up %q, but %s its egress and none allows DNS (UDP port 53): the name does not resolve; allow egress on port 53, UDP and TCP, to kube-dns (namespace kube-system, pods k8s-app=kube-dns)",
						from.o.resource(), l.host, limit(dnsBy))
				}
				c.checkLink(from, l)
			}
		}
	}
}

// checkLink checks one link to every pod its Service selects, on each
// port the link may use.
func (c *netpols) checkLink(from pod, l envLink) {
	svc := l.svc.obj.(*corev1.Service)
	if len(svc.Spec.Selector) == 0 {
		return
	}
	sel := labels.SelectorFromSet(svc.Spec.Selector)
	for _, to := range c.pods(l.svc.ns()) {
		if !sel.Matches(to.labels) {
			continue
		}
		for _, sp := range l.ports {
			num, pname, ok := targetPort(sp, to)
			if !ok {
				continue // checkService reports the unknown port name
			}
			egressOK, ingressOK, egressBy, ingressBy := c.allows(from, to, num, pname)
			port := strconv.Itoa(int(num))
			if pname != "" {
				port += " (" + pname + ")"
			}
			if !egressOK {
				c.reportEnv(from.o, l, "%s calls %s on port %s of %s, but %s its egress and none allows that port there; add an egress rule to pods %s on TCP port %d",
					from.o.resource(), l.svc.resource(), port, to.o.resource(), limit(egressBy), podLabels(to), num)
			}
			if !ingressOK {
				c.reportEnv(from.o, l, "%s calls %s on port %s of %s, but %s ingress to those pods and none allows that port from the caller; add an ingress rule from pods %s on TCP port %d",
					from.o.resource(), l.svc.resource(), port, to.o.resource(), limit(ingressBy), podLabels(from), num)
			}
		}
	}
}

// reportEnv reports a problem with a link where its value is set.
func (c *netpols) reportEnv(o *object, l envLink, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	if l.src.configMap != nil {
		c.add(l.src.configMap, "data."+l.src.key, "%s (read by %s as %s): %s", l.src.value, o.resource(), l.name, msg)
		return
	}
	c.add(o, l.src.field, "%s=%s: %s", l.name, l.src.value, msg)
}

// checkRoutedAdmitted: the gateway's or ingress controller's proxies run
// outside the app's namespace (GKE's front ends outside the cluster), so a
// routed Service's pods must admit traffic from another namespace or an
// address range on the port the Service sends to.
func (c *netpols) checkRoutedAdmitted() {
	type key struct {
		svc  *object
		port int
	}
	done := map[key]bool{}
	for _, rr := range c.routedRules() {
		for bi, s := range rr.backends {
			svc := s.obj.(*corev1.Service)
			if len(svc.Spec.Selector) == 0 {
				continue
			}
			sel := labels.SelectorFromSet(svc.Spec.Selector)
			for i, sp := range svc.Spec.Ports {
				if !rr.sendsTo(bi, sp) || done[key{s, i}] {
					continue
				}
				done[key{s, i}] = true
				for _, to := range c.pods(s.ns()) {
					if !sel.Matches(to.labels) {
						continue
					}
					num, pname, ok := targetPort(sp, to)
					if !ok {
						continue
					}
					by := c.isolating(to, false)
					if len(by) == 0 || c.admitsOutside(by, num, pname) {
						continue
					}
					proxy := "ingress controller"
					if rr.gateway != nil {
						proxy = "gateway"
					}
					c.add(s, fmt.Sprintf("spec.ports[%d]", i), "%s routes to it, but %s ingress to %s and none admits port %d from another namespace or an address range: the %s's proxies run outside namespace %q and are refused; allow ingress on that port from their namespace (namespaceSelector) or address ranges (ipBlock)",
						rr.route.resource(), limit(by), to.o.resource(), num, proxy, to.o.ns())
				}
			}
		}
	}
}

// admitsOutside reports whether one of the policies admits, on the port,
// traffic from outside the namespace: any source, another namespace or an
// address range.
func (c *netpols) admitsOutside(policies []*object, num int32, name string) bool {
	for _, o := range policies {
		for _, r := range o.obj.(*networkingv1.NetworkPolicy).Spec.Ingress {
			if !portAllowed(r.Ports, corev1.ProtocolTCP, num, name) {
				continue
			}
			if len(r.From) == 0 {
				return true
			}
			for _, peer := range r.From {
				if peer.IPBlock != nil || peer.NamespaceSelector != nil {
					return true
				}
			}
		}
	}
	return false
}

// workloadSelector is a workload's pod selector (nil for a bare Pod).
func workloadSelector(o *object) *metav1.LabelSelector {
	switch w := o.obj.(type) {
	case *appsv1.Deployment:
		return w.Spec.Selector
	case *appsv1.StatefulSet:
		return w.Spec.Selector
	case *appsv1.DaemonSet:
		return w.Spec.Selector
	}
	return nil
}
