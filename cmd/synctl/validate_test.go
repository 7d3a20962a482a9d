package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

func TestValidateCmd(t *testing.T) {
	broken := filepath.Join("..", "..", "testdata", "validate", "pvc-claim-typo", "api-deployment.yaml")
	dir := t.TempDir()
	spec := filepath.Join(t.TempDir(), "app.yaml")
	os.WriteFile(spec, []byte(strings.Replace(baseSpec, "      image: example/api:1.0\n      port: 8080", "      image: example/api:1.0\n      port: 70000", 1)+
		"      links: [{env: API_BASE, service: api}]\n"), 0o644)
	widget := filepath.Join(t.TempDir(), "widget.yaml")
	os.WriteFile(widget, []byte("apiVersion: example.com/v1\nkind: Widget\nmetadata:\n  name: w\n"), 0o644)
	tests := []struct {
		name     string
		args     []string
		code     int
		out, err string
	}{
		{
			name: "problem found",
			args: []string{"validate", broken},
			code: exitFailure,
			out: broken + ": Deployment synergychat-api: spec.template.spec.containers[0].envFrom[0].configMapRef.name: no ConfigMap \"synergychat-api-configmap\" in namespace \"default\" (ConfigMaps there: none); the container fails with CreateContainerConfigError\n" +
				broken + ": Deployment synergychat-api: spec.template.spec.volumes[0].persistentVolumeClaim.claimName: no PersistentVolumeClaim \"api-pvc\" in namespace \"default\" (claims there: none); the pod stays Pending\n",
			err: "1 file checked: 2 problems\n",
		},
		{
			name: "app spec",
			args: []string{"validate", spec},
			code: exitFailure,
			out:  spec + ": App: spec.services[1].port: 70000 is out of range 1-65535 (line 18, column 13)\n",
			err:  "1 file checked: 1 problem\n",
		},
		{
			name: "unknown kind is not checked",
			args: []string{"validate", widget},
			code: exitUsage,
			err:  widget + ": Widget w: not checked: example.com/v1 Widget is not a kind validate knows\nsynctl: no compose, nginx, Kubernetes or synctl files found in " + widget + " (1 document not checked)\n",
		},
		{
			name: "unknown kind beside known ones",
			args: []string{"validate", widget, broken},
			code: exitFailure,
			out: broken + ": Deployment synergychat-api: spec.template.spec.containers[0].envFrom[0].configMapRef.name: no ConfigMap \"synergychat-api-configmap\" in namespace \"default\" (ConfigMaps there: none); the container fails with CreateContainerConfigError\n" +
				broken + ": Deployment synergychat-api: spec.template.spec.volumes[0].persistentVolumeClaim.claimName: no PersistentVolumeClaim \"api-pvc\" in namespace \"default\" (claims there: none); the pod stays Pending\n",
			err: widget + ": Widget w: not checked: example.com/v1 Widget is not a kind validate knows\n1 file checked: 2 problems; 1 document not checked\n",
		},
		{
			name: "unreadable path",
			args: []string{"validate", "no/such/file.yaml"},
			code: exitUsage,
			err:  "synctl: cannot read no/such/file.yaml: no such file or directory\n",
		},
		{
			name: "nothing recognised",
			args: []string{"validate", dir},
			code: exitUsage,
			err:  "synctl: no compose, nginx, Kubernetes or synctl files found in " + dir + "\n",
		},
		{
			name: "no path",
			args: []string{"validate"},
			code: exitUsage,
			err:  "synctl: requires at least 1 arg(s), only received 0\n",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tt.args, streams{In: &bytes.Buffer{}, Out: &out, Err: &errb})
			if code != tt.code {
				t.Errorf("exit code = %d, want %d", code, tt.code)
			}
			if out.String() != tt.out {
				t.Errorf("stdout:\n%s\nwant:\n%s", out.String(), tt.out)
			}
			if errb.String() != tt.err {
				t.Errorf("stderr:\n%s\nwant:\n%s", errb.String(), tt.err)
			}
		})
	}
}

// TestValidateStdin: `synctl render ... | synctl validate -` checks what
// render printed, naming it <stdin>.
func TestValidateStdin(t *testing.T) {
	code, manifests, errs := runCLI(t, "render", "--target", "gke")
	if code != 0 {
		t.Fatal(errs)
	}
	for _, c := range []struct {
		name, in string
		code     int
		out, err string
	}{
		{name: "manifests", in: manifests, code: exitOK, err: "1 file checked: no problems\n"},
		{name: "broken", in: strings.Replace(manifests, "targetPort: http", "targetPort: htp", 1), code: exitFailure,
			out: "<stdin>: Service synergychat/web-service: spec.ports[0].targetPort: \"htp\" is not the name of a containerPort of the selected pods (named ports: http); name the container's port or use its number\n",
			err: "1 file checked: 1 problem\n"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			got := run([]string{"validate", "-"}, streams{In: strings.NewReader(c.in), Out: &out, Err: &errb})
			if got != c.code || out.String() != c.out || errb.String() != c.err {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nwant:\n%s\nstderr:\n%s\nwant:\n%s", got, c.code, out.String(), c.out, errb.String(), c.err)
			}
		})
	}
	var out, errb bytes.Buffer
	if code := run([]string{"validate", "-", "-"}, streams{In: strings.NewReader(manifests), Out: &out, Err: &errb}); code != exitUsage ||
		errb.String() != "synctl: - (standard input) is given twice; it can be read once\n" {
		t.Errorf("- twice: exit %d, %q", code, errb.String())
	}
}

// TestValidateCounts: the summary counts every file a check read: a
// Kustomize layout's base, resources and patches through the overlays
// that built them, not the overlays alone; Helm charts are counted as
// charts, not as documents (each chart's record is checked).
func TestValidateCounts(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "k8s")
	if code, _, errs := runCLI(t, "render", "--target", "minikube,gke,ingress", "--format", "kustomize", "--out", dir); code != 0 {
		t.Fatal(errs)
	}
	files := 0
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() != "README.md" {
			files++
		}
		return nil
	})
	code, _, errs := runCLI(t, "validate", dir)
	if want := strconv.Itoa(files) + " files checked: no problems\n"; code != 0 || errs != want {
		t.Errorf("kustomize layout of %d files besides READMEs: exit %d, stderr %q, want %q", files, code, errs, want)
	}
	charts := filepath.Join(t.TempDir(), "charts")
	if code, _, errs := runCLI(t, "render", "--target", "minikube,gke", "--format", "helm", "--out", charts); code != 0 {
		t.Fatal(errs)
	}
	code, _, errs = runCLI(t, "validate", charts)
	if !strings.HasSuffix(errs, "2 files checked: no problems; 2 Helm charts not checked\n") {
		t.Errorf("charts: exit %d\n%s", code, errs)
	}
}
