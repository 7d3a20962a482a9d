package validate

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestLayouts checks synctl's own Kustomize layout and Helm charts the way a
// user's copy is checked: each overlay is built and checked as one
// deployment, their base and patches are not checked as if complete, and a
// chart is listed as not checked with the command that checks what it
// renders.
func TestLayouts(t *testing.T) {
	r, err := Paths([]string{"../../testdata/layout"}, Options{SkipNginx: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems {
		t.Errorf("problem: %s", p)
	}
	var built []string
	kustomized := 0
	for _, f := range r.Files {
		switch {
		case f.Kind == KindKustomization:
			built = append(built, filepath.ToSlash(f.Path))
		case f.Kind == KindKustomized:
			kustomized++
			if !strings.HasPrefix(filepath.ToSlash(f.Path), "../../testdata/layout/kustomize/") || strings.HasSuffix(f.Path, ".md") {
				t.Errorf("%s: listed as read by a kustomization", f.Path)
			}
		case f.Kind != KindRecord:
			t.Errorf("%s was checked on its own as %s; it is part of a layout", f.Path, f.Kind)
		}
	}
	want := []string{
		"../../testdata/layout/kustomize/overlays/gke/kustomization.yaml",
		"../../testdata/layout/kustomize/overlays/ingress/kustomization.yaml",
		"../../testdata/layout/kustomize/overlays/minikube/kustomization.yaml",
	}
	if !slices.Equal(built, want) {
		t.Errorf("kustomizations built:\n%s\nwant the overlays (the base is part of each):\n%s", strings.Join(built, "\n"), strings.Join(want, "\n"))
	}
	if kustomized < 10 {
		t.Errorf("%d files listed as read by the overlays' builds: the base and the patches are missing", kustomized)
	}
	charts := 0
	for _, u := range r.Unchecked {
		if !strings.HasPrefix(u.Resource, "Helm chart ") || !u.Chart {
			t.Errorf("unchecked: %s", u)
			continue
		}
		charts++
		if !strings.Contains(u.Reason, "helm template "+strings.TrimPrefix(u.Resource, "Helm chart ")+" "+filepath.Dir(u.File)) {
			t.Errorf("%s: the reason does not give the helm template command for this chart", u)
		}
	}
	if charts != 3 {
		t.Errorf("%d charts listed as not checked, want 3 (gke, ingress, minikube)", charts)
	}
}

// TestKustomizationDoesNotBuild reports a kustomization Kustomize refuses,
// naming the file and Kustomize's reason.
func TestKustomizationDoesNotBuild(t *testing.T) {
	dir := t.TempDir()
	k := filepath.Join(dir, "kustomization.yaml")
	if err := os.WriteFile(k, []byte("resources:\n  - missing.yaml\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Paths([]string{dir}, Options{SkipNginx: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 1 || r.Problems[0].File != k || !strings.Contains(r.Problems[0].Message, "does not build") || !strings.Contains(r.Problems[0].Message, "missing.yaml") {
		t.Fatalf("problems = %v, want one: %s does not build, naming missing.yaml", r.Problems, k)
	}
}

// TestRecordLayout accepts the records of both layouts and names an
// unknown one.
func TestRecordLayout(t *testing.T) {
	for _, tc := range []struct{ record, want string }{
		{"target: minikube,gke\nlayout: kustomize\n", ""},
		{"target: gke\nlayout: helm\n", ""},
		{"target: gke\nlayout: kustomise\n", `Bundle: layout: unknown layout "kustomise": choose kustomize or helm`},
		{"target: gke,minkube\nlayout: kustomize\n", `Bundle: target: unknown target "minkube"`},
	} {
		data := "apiVersion: synctl.dev/v1alpha1\nkind: Bundle\napp: shop\ncommand: synctl render\n" + tc.record
		var got []string
		for _, p := range checkRecord("r", []byte(data)) {
			got = append(got, p.String())
		}
		if tc.want == "" && len(got) > 0 || tc.want != "" && (len(got) != 1 || !strings.Contains(got[0], tc.want)) {
			t.Errorf("%q: problems %q, want %q", tc.record, got, tc.want)
		}
	}
}
