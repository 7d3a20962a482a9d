package render

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	"github.com/synctl/synctl/internal/benchapp"
	"github.com/synctl/synctl/pkg/topology"
)

// jsonDoc is what docOf mirrors: the JSON round trip, numbers as int.
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
	doc, ok := yamlValue(doc)
	if !ok {
		t.Fatalf("yamlValue refused %s", j)
	}
	return doc
}

// Every object synctl renders takes docOf's path and gets exactly the
// document of the JSON round trip.
// TestDocOfMatchesJSON: for every object the Kubernetes builder makes, of
// three apps, docOf gives what the JSON round trip gives.
func TestDocOfMatchesJSON(t *testing.T) {
	var specs [][]byte
	for _, app := range []string{"shop", "transit", "voting"} {
		b, err := os.ReadFile("../../testdata/apps/" + app + ".yaml")
		if err != nil {
			t.Fatal(err)
		}
		specs = append(specs, b)
	}
	specs = append(specs, topology.DefaultSpec(), benchapp.Spec(30))
	for _, spec := range specs {
		m, err := topology.Decode("app.yaml", spec)
		if err != nil {
			t.Fatal(err)
		}
		k := &Kube{M: m, W: topology.Wire(m, flatRules{}), Namespace: "ns", Resources: func(*topology.Service) corev1.ResourceRequirements {
			return corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}}
		}}
		objs := append(k.Namespaces("other"), k.NetworkPolicies()...)
		for i := range m.Services {
			objs = append(objs, k.Workload(&m.Services[i])...)
		}
		for _, o := range objs {
			got, ok := docOf(reflect.ValueOf(o.Obj))
			got = plainDoc(got)
			if !ok {
				t.Errorf("%s %s: docOf refused it", m.Name, o.File)
				continue
			}
			if want := jsonDoc(t, o.Obj); !reflect.DeepEqual(got, want) {
				t.Errorf("%s %s:\n got %#v\nwant %#v", m.Name, o.File, got, want)
			}
		}
	}
}

// flatRules wire every URL to a name-derived address, for builder tests.
type flatRules struct{}

func (flatRules) EntryURL(fe *topology.Service) string   { return "http://" + fe.Name }
func (flatRules) BrowserURL(to *topology.Service) string { return "http://" + to.Name }
func (flatRules) Internal(_, to *topology.Service, p topology.Port) topology.Endpoint {
	return topology.Endpoint{Host: to.Name + "-internal", Port: p.Number}
}
func (flatRules) SecretRef(_ *topology.Service, secret string) string { return "$(" + secret + ")" }

type docInner struct {
	A string `json:"a,omitempty"`
	B int    `json:"b"`
}

type docEmbedded struct {
	E string `json:"e"`
}

type docSample struct {
	docEmbedded
	*docInner
	metav1.TypeMeta `json:",inline"`
	Named           docInner                     `json:"named"`
	Time            metav1.Time                  `json:"time,omitempty,omitzero"`
	TimeKept        metav1.Time                  `json:"timeKept"`
	Q               resource.Quantity            `json:"q"`
	QP              *resource.Quantity           `json:"qp"`
	Port            intstr.IntOrString           `json:"port"`
	Res             corev1.ResourceList          `json:"res,omitempty"`
	NilMap          map[string]string            `json:"nilMap"`
	EmptyMap        map[string]string            `json:"emptyMap"`
	NilSlice        []string                     `json:"nilSlice"`
	Ptrs            []*int32                     `json:"ptrs"`
	Iface           any                          `json:"iface"`
	Skipped         string                       `json:"-"`
	Untagged        bool                         //nolint:revive // as encoding/json names it
	unexported      string                       //nolint:unused
	Nested          map[string]map[string]string `json:"nested"`
}

func TestDocOfRules(t *testing.T) {
	one := int32(1)
	qp := resource.MustParse("1Gi")
	v := &docSample{
		docEmbedded: docEmbedded{E: "e"},
		docInner:    &docInner{B: 2},
		TypeMeta:    metav1.TypeMeta{Kind: "K", APIVersion: "v1"},
		Named:       docInner{A: "x"},
		Q:           resource.MustParse("250m"),
		QP:          &qp,
		Port:        intstr.FromString("http"),
		Res:         corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")},
		EmptyMap:    map[string]string{},
		Ptrs:        []*int32{&one, nil},
		Iface:       map[string]any{"k": []any{"v", 3}},
		Nested:      map[string]map[string]string{"a": {"b": "<&>"}},
		unexported:  "no",
	}
	got, ok := docOf(reflect.ValueOf(v))
	if !ok {
		t.Fatal("docOf refused it")
	}
	got = plainDoc(got)
	if want := jsonDoc(t, v); !reflect.DeepEqual(got, want) {
		t.Errorf("\n got %#v\nwant %#v", got, want)
	}
	// A nil embedded pointer drops its fields, as in encoding/json.
	v.docInner = nil
	got, _ = docOf(reflect.ValueOf(v))
	got = plainDoc(got)
	if want := jsonDoc(t, v); !reflect.DeepEqual(got, want) {
		t.Errorf("nil embedded pointer:\n got %#v\nwant %#v", got, want)
	}
}

// What docOf does not mirror, it refuses, and marshalObject falls back.
func TestDocOfRefuses(t *testing.T) {
	type quoted struct {
		N int `json:"n,string"`
	}
	type clash struct {
		docEmbedded
		E string `json:"e"`
	}
	for name, v := range map[string]any{
		"float":        struct{ F float64 }{1.5},
		"bytes":        struct{ B []byte }{[]byte("x")},
		"string opt":   quoted{N: 1},
		"clash":        clash{},
		"int map key":  map[int]string{1: "a"},
		"invalid utf8": struct{ S string }{"\xff"},
	} {
		if _, ok := docOf(reflect.ValueOf(v)); ok {
			t.Errorf("%s: docOf accepted it", name)
		}
	}
}
