package layout_test

import (
	"bytes"
	"slices"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/synctl/synctl/internal/helmtest"
	"github.com/synctl/synctl/pkg/layout"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
)

// TestLayoutsReadTypedObjects: the layouts arrange the typed objects the
// render holds, never its YAML re-parsed: with every manifest's text
// replaced by garbage, the layouts come out the same. And a kind the
// layouts were never told about (a Secret, a Job) goes through like any
// other, by apiVersion, kind, namespace and name.
func TestLayoutsReadTypedObjects(t *testing.T) {
	a := apps(t)[1]
	minikube, _ := target.Lookup("minikube")
	gke, _ := target.Lookup("gke")
	extra, err := render.Manifests([]render.Object{
		{File: "extra.yaml", Obj: &corev1.Secret{
			TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
			ObjectMeta: metav1.ObjectMeta{Name: "shop-token", Namespace: "shop"},
			StringData: map[string]string{"token": "t0ken"},
		}},
		{File: "extra.yaml", Obj: &batchv1.Job{
			TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "Job"},
			ObjectMeta: metav1.ObjectMeta{Name: "shop-migrate", Namespace: "shop"},
			Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "migrate", Image: "registry.example/shop/migrate:1"}},
			}}},
		}},
	}, "synctl render")
	if err != nil {
		t.Fatal(err)
	}
	bundles := func(garble bool) []*render.Bundle {
		var out []*render.Bundle
		for _, tg := range []target.Target{minikube, gke} {
			b := a.render(t, tg, target.Overrides{})
			b.Files = append(slices.Clone(b.Files), extra...)
			if garble {
				for i := range b.Files {
					if b.Files[i].Kind == render.KindManifest {
						b.Files[i].Data = []byte("{{ not: [YAML\n")
					}
				}
			}
			out = append(out, b)
		}
		return out
	}
	layouts := func(bs []*render.Bundle) []*render.Bundle {
		k, err := layout.Kustomize(bs, "synctl render --format kustomize")
		if err != nil {
			t.Fatal(err)
		}
		h, err := layout.Helm(bs[0], "synctl render --format helm")
		if err != nil {
			t.Fatal(err)
		}
		return []*render.Bundle{k, h}
	}
	plain, garbled := layouts(bundles(false)), layouts(bundles(true))
	for i := range plain {
		if len(plain[i].Files) != len(garbled[i].Files) {
			t.Fatalf("%s: %d files from the objects, %d with the text garbled", plain[i].Layout, len(plain[i].Files), len(garbled[i].Files))
		}
		for j, f := range plain[i].Files {
			if g := garbled[i].Files[j]; g.Path != f.Path || !bytes.Equal(g.Data, f.Data) {
				t.Errorf("%s: %s differs when the manifests' text is garbled: the layout read the YAML", plain[i].Layout, f.Path)
			}
		}
	}
	k := plain[0]
	if !slices.ContainsFunc(k.Files, func(f render.File) bool {
		return f.Path == "base/extra.yaml" && bytes.Contains(f.Data, []byte("kind: Secret")) && bytes.Contains(f.Data, []byte("kind: Job"))
	}) {
		t.Errorf("the Kustomize base lacks the Secret and the Job both targets have")
	}
	got := parseObjects(t, "helm template", helmtest.Template(t, writeChart(t, plain[1]), nil, nil))
	for _, want := range []id{{"v1", "Secret", "shop", "shop-token"}, {"batch/v1", "Job", "shop", "shop-migrate"}} {
		if _, ok := got[want]; !ok {
			t.Errorf("the chart does not render %s", want)
		}
	}
}
