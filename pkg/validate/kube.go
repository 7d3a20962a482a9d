package validate

import (
	"bufio"
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	utilvalidation "k8s.io/apimachinery/pkg/util/validation"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"
	gatewayv1beta1 "sigs.k8s.io/gateway-api/apis/v1beta1"
	sigsjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/synctl/synctl/pkg/validate/crd"

	"github.com/synctl/synctl/pkg/gkeapi"
)

// kubeDoc is one YAML document of a Kubernetes file.
type kubeDoc struct {
	File       string
	JSON       []byte
	Raw        map[string]any
	APIVersion string
	Kind       string
	Name       string
	Namespace  string // as written; "" means kubectl's current namespace
}

// ns is the namespace used for cross-references ("default" when unset).
func (d *kubeDoc) ns() string {
	if d.Namespace == "" {
		return "default"
	}
	return d.Namespace
}

// resource names the object as problems show it.
func (d *kubeDoc) resource() string {
	name := cmp.Or(d.Name, "<unnamed>")
	if d.Namespace != "" {
		return d.Kind + " " + d.Namespace + "/" + name
	}
	return d.Kind + " " + name
}

// splitKube splits a file into documents, converting each to JSON.
func splitKube(path string, data []byte) ([]kubeDoc, []Problem) {
	var docs []kubeDoc
	var probs []Problem
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for i := 0; ; i++ {
		chunk, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			probs = append(probs, Problem{File: path, Resource: fmt.Sprintf("document %d", i+1), Field: "-", Message: "cannot read YAML: " + err.Error()})
			break
		}
		js, err := yaml.YAMLToJSONStrict(chunk)
		if err != nil {
			probs = append(probs, Problem{File: path, Resource: fmt.Sprintf("document %d", i+1), Field: "-", Message: "not valid YAML: " + strings.TrimPrefix(err.Error(), "error converting YAML to JSON: ")})
			continue
		}
		if bytes.Equal(bytes.TrimSpace(js), []byte("null")) {
			continue // empty document (comments only)
		}
		var raw map[string]any
		if err := utiljson.Unmarshal(js, &raw); err != nil {
			probs = append(probs, Problem{File: path, Resource: fmt.Sprintf("document %d", i+1), Field: "-", Message: "a Kubernetes document must be a mapping with apiVersion and kind"})
			continue
		}
		d := kubeDoc{File: path, JSON: js, Raw: raw}
		d.APIVersion, _ = raw["apiVersion"].(string)
		d.Kind, _ = raw["kind"].(string)
		if md, ok := raw["metadata"].(map[string]any); ok {
			d.Name, _ = md["name"].(string)
			d.Namespace, _ = md["namespace"].(string)
		}
		if d.APIVersion == "" || d.Kind == "" {
			probs = append(probs, Problem{File: path, Resource: fmt.Sprintf("document %d", i+1), Field: "-",
				Message: "apiVersion and kind are required in every document (for example apiVersion: apps/v1, kind: Deployment)"})
			continue
		}
		docs = append(docs, d)
	}
	return docs, probs
}

// kinds maps "apiVersion Kind" to a constructor of its typed struct.
var kinds = map[string]func() any{
	"v1 ConfigMap":                                     func() any { return &corev1.ConfigMap{} },
	"v1 Namespace":                                     func() any { return &corev1.Namespace{} },
	"v1 PersistentVolumeClaim":                         func() any { return &corev1.PersistentVolumeClaim{} },
	"v1 PersistentVolume":                              func() any { return &corev1.PersistentVolume{} },
	"v1 Pod":                                           func() any { return &corev1.Pod{} },
	"v1 Secret":                                        func() any { return &corev1.Secret{} },
	"v1 Service":                                       func() any { return &corev1.Service{} },
	"v1 ServiceAccount":                                func() any { return &corev1.ServiceAccount{} },
	"apps/v1 Deployment":                               func() any { return &appsv1.Deployment{} },
	"apps/v1 StatefulSet":                              func() any { return &appsv1.StatefulSet{} },
	"apps/v1 DaemonSet":                                func() any { return &appsv1.DaemonSet{} },
	"batch/v1 Job":                                     func() any { return &batchv1.Job{} },
	"autoscaling/v1 HorizontalPodAutoscaler":           func() any { return &autoscalingv1.HorizontalPodAutoscaler{} },
	"autoscaling/v2 HorizontalPodAutoscaler":           func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"gateway.networking.k8s.io/v1 GatewayClass":        func() any { return &gatewayv1.GatewayClass{} },
	"gateway.networking.k8s.io/v1 Gateway":             func() any { return &gatewayv1.Gateway{} },
	"gateway.networking.k8s.io/v1 HTTPRoute":           func() any { return &gatewayv1.HTTPRoute{} },
	"gateway.networking.k8s.io/v1beta1 ReferenceGrant": func() any { return &gatewayv1beta1.ReferenceGrant{} },
	"networking.gke.io/v1 HealthCheckPolicy":           func() any { return &gkeapi.HealthCheckPolicy{} },
	"networking.k8s.io/v1 NetworkPolicy":               func() any { return &networkingv1.NetworkPolicy{} },
	"networking.k8s.io/v1 Ingress":                     func() any { return &networkingv1.Ingress{} },
	"networking.k8s.io/v1 IngressClass":                func() any { return &networkingv1.IngressClass{} },
	"policy/v1 PodDisruptionBudget":                    func() any { return &policyv1.PodDisruptionBudget{} },
}

// checkedGroups are the API groups whose kinds synctl knows; any other
// apiVersion/kind in these groups is a mistake, not a kind to skip.
var checkedGroups = map[string]bool{"": true, "apps": true, "batch": true, "autoscaling": true, "gateway.networking.k8s.io": true, "networking.gke.io": true, "networking.k8s.io": true, "policy": true}

func knownInGroup(group string) string {
	var out []string
	for k := range kinds {
		av, kind, _ := strings.Cut(k, " ")
		g, _, found := strings.Cut(av, "/")
		if !found {
			g = ""
		}
		if g == group {
			out = append(out, av+" "+kind)
		}
	}
	return joinSorted(out)
}

var strictErr = regexp.MustCompile(`^(unknown|duplicate) field "(.*)"$`)

// decode turns d into its typed struct, strictly. obj is nil when the kind
// is not one synctl knows.
func decode(d *kubeDoc) (obj any, probs []Problem) {
	newObj, ok := kinds[d.APIVersion+" "+d.Kind]
	if !ok {
		group, _, found := strings.Cut(d.APIVersion, "/")
		if !found {
			group = ""
		}
		if checkedGroups[group] {
			return nil, []Problem{{File: d.File, Resource: d.resource(), Field: "apiVersion",
				Message: fmt.Sprintf("%s %s is not a kind synctl validates in this API group; use one of: %s", d.APIVersion, d.Kind, knownInGroup(group))}}
		}
		return nil, nil
	}
	obj = newObj()
	strict, err := sigsjson.UnmarshalStrict(d.JSON, obj)
	if err != nil {
		return nil, []Problem{{File: d.File, Resource: d.resource(), Field: "-", Message: "does not decode as " + d.APIVersion + " " + d.Kind + ": " + cleanJSONError(err)}}
	}
	for _, e := range strict {
		m := strictErr.FindStringSubmatch(e.Error())
		if m == nil {
			probs = append(probs, Problem{File: d.File, Resource: d.resource(), Field: "-", Message: e.Error()})
			continue
		}
		msg := fmt.Sprintf("unknown field: %s %s has no such field; check its spelling and indentation", d.APIVersion, d.Kind)
		if m[1] == "duplicate" {
			msg = "duplicate field: it is set twice; keep one"
		}
		probs = append(probs, Problem{File: d.File, Resource: d.resource(), Field: m[2], Message: msg})
	}
	if source := crd.VersionOf(d.APIVersion, d.Kind); strings.HasPrefix(d.APIVersion, "gateway.networking.k8s.io/") || source == crd.GKEVersion {
		if source != crd.GKEVersion {
			source += " CRD"
		}
		errs, err := crd.Validate(d.Raw)
		if err != nil && !errors.Is(err, crd.ErrUnavailable) { // unavailable: reported by Paths as skipped
			probs = append(probs, Problem{File: d.File, Resource: d.resource(), Field: "-", Message: err.Error()})
		}
		for _, e := range errs {
			probs = append(probs, Problem{File: d.File, Resource: d.resource(), Field: e.Field, Message: e.Message + " (" + source + ")"})
		}
	}
	if d.Name == "" {
		probs = append(probs, Problem{File: d.File, Resource: d.resource(), Field: "metadata.name", Message: "required"})
	} else if d.Kind == "Service" || d.Kind == "Namespace" {
		for _, msg := range utilvalidation.IsDNS1035Label(d.Name) {
			probs = append(probs, Problem{File: d.File, Resource: d.resource(), Field: "metadata.name", Message: "invalid " + d.Kind + " name: " + msg})
		}
	} else {
		for _, msg := range utilvalidation.IsDNS1123Subdomain(d.Name) {
			probs = append(probs, Problem{File: d.File, Resource: d.resource(), Field: "metadata.name", Message: "invalid name: " + msg})
		}
	}
	return obj, probs
}

var jsonTypeErr = regexp.MustCompile(`json: cannot unmarshal (\S+) into Go struct field \S+\.(\S+) of type (\S+)`)

func cleanJSONError(err error) string {
	if m := jsonTypeErr.FindStringSubmatch(err.Error()); m != nil {
		return fmt.Sprintf("field %s: got a %s, want %s", m[2], m[1], m[3])
	}
	return err.Error()
}

// object is a decoded document with its typed form.
type object struct {
	*kubeDoc
	obj any
}

// podTemplate returns the pod template of a workload, or nil.
func (o *object) podTemplate() (*metav1.ObjectMeta, *corev1.PodSpec, string) {
	switch w := o.obj.(type) {
	case *appsv1.Deployment:
		return &w.Spec.Template.ObjectMeta, &w.Spec.Template.Spec, "spec.template"
	case *appsv1.StatefulSet:
		return &w.Spec.Template.ObjectMeta, &w.Spec.Template.Spec, "spec.template"
	case *appsv1.DaemonSet:
		return &w.Spec.Template.ObjectMeta, &w.Spec.Template.Spec, "spec.template"
	case *batchv1.Job:
		return &w.Spec.Template.ObjectMeta, &w.Spec.Template.Spec, "spec.template"
	case *corev1.Pod:
		return &w.ObjectMeta, &w.Spec, ""
	}
	return nil, nil, ""
}
