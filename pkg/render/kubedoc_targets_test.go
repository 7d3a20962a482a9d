package render_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"reflect"
	"testing"

	yamlv3 "gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"

	"github.com/synctl/synctl/internal/bundletest"
	"github.com/synctl/synctl/pkg/gkeapi"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
)

// typed are the structs a rendered manifest decodes into, by "apiVersion
// Kind". A kind rendered but missing here fails TestDocOfEveryRenderedKind:
// add it, so that its objects are checked too.
var typed = map[string]func() any{
	"v1 Namespace":                              func() any { return &corev1.Namespace{} },
	"v1 ConfigMap":                              func() any { return &corev1.ConfigMap{} },
	"v1 Secret":                                 func() any { return &corev1.Secret{} },
	"v1 Service":                                func() any { return &corev1.Service{} },
	"v1 PersistentVolumeClaim":                  func() any { return &corev1.PersistentVolumeClaim{} },
	"apps/v1 Deployment":                        func() any { return &appsv1.Deployment{} },
	"batch/v1 Job":                              func() any { return &batchv1.Job{} },
	"autoscaling/v2 HorizontalPodAutoscaler":    func() any { return &autoscalingv2.HorizontalPodAutoscaler{} },
	"policy/v1 PodDisruptionBudget":             func() any { return &policyv1.PodDisruptionBudget{} },
	"networking.k8s.io/v1 NetworkPolicy":        func() any { return &networkingv1.NetworkPolicy{} },
	"networking.k8s.io/v1 Ingress":              func() any { return &networkingv1.Ingress{} },
	"gateway.networking.k8s.io/v1 GatewayClass": func() any { return &gwv1.GatewayClass{} },
	"gateway.networking.k8s.io/v1 Gateway":      func() any { return &gwv1.Gateway{} },
	"gateway.networking.k8s.io/v1 HTTPRoute":    func() any { return &gwv1.HTTPRoute{} },
	"networking.gke.io/v1 HealthCheckPolicy":    func() any { return &gkeapi.HealthCheckPolicy{} },
}

// TestDocOfEveryRenderedKind: every object of every manifest any target
// renders, for every app under testdata/apps and the built-in one, read
// back into its typed struct, gets from docOf exactly the document of the
// JSON round trip. TestDocOfMatchesJSON covers the objects render.Kube
// builds as they are built; this covers what the targets add (Gateway,
// HTTPRoute, GatewayClass, Ingress, HealthCheckPolicy) and any kind to come.
func TestDocOfEveryRenderedKind(t *testing.T) {
	seen := map[string]int{}
	for _, app := range bundletest.Apps(t) {
		for _, tg := range target.All() {
			b := app.Render(t, tg.Name(), target.Overrides{})
			for _, f := range b.Files {
				if f.Kind != render.KindManifest {
					continue
				}
				dec := yamlv3.NewDecoder(bytes.NewReader(f.Data))
				for i := 0; ; i++ {
					var doc map[string]any
					err := dec.Decode(&doc)
					if errors.Is(err, io.EOF) {
						break
					}
					if err != nil {
						t.Fatalf("%s/%s/%s: %v", app.Name, tg.Name(), f.Path, err)
					}
					key, _ := doc["apiVersion"].(string)
					kind, _ := doc["kind"].(string)
					key += " " + kind
					where := app.Name + "/" + tg.Name() + "/" + f.Path
					newObj, ok := typed[key]
					if !ok {
						t.Errorf("%s: %s is rendered but not checked: add its typed struct to this test", where, key)
						continue
					}
					seen[key]++
					obj := newObj()
					j, err := json.Marshal(doc)
					if err != nil {
						t.Fatal(err)
					}
					jd := json.NewDecoder(bytes.NewReader(j))
					jd.DisallowUnknownFields()
					if err := jd.Decode(obj); err != nil {
						t.Errorf("%s: document %d does not decode as %s: %v", where, i, key, err)
						continue
					}
					got, ok := render.DocOf(obj)
					if !ok {
						t.Errorf("%s: %s: docOf refused it", where, key)
						continue
					}
					if want := jsonDoc(t, obj); !reflect.DeepEqual(got, want) {
						t.Errorf("%s: %s:\n got %#v\nwant %#v", where, key, got, want)
					}
				}
			}
		}
	}
	for _, k := range []string{"gateway.networking.k8s.io/v1 Gateway", "gateway.networking.k8s.io/v1 HTTPRoute", "networking.k8s.io/v1 Ingress",
		"networking.gke.io/v1 HealthCheckPolicy", "networking.k8s.io/v1 NetworkPolicy", "policy/v1 PodDisruptionBudget"} {
		if seen[k] == 0 {
			t.Errorf("no %s was rendered: the test no longer covers it", k)
		}
	}
}

// jsonDoc is the document of the JSON round trip, numbers as int.
func jsonDoc(t *testing.T, v any) any {
	t.Helper()
	j, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	dec := json.NewDecoder(bytes.NewReader(j))
	dec.UseNumber()
	var doc any
	if err := dec.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	doc, ok := render.YAMLValue(doc)
	if !ok {
		t.Fatalf("yamlValue refused %s", j)
	}
	return doc
}
