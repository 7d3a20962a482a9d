package main

import (
	"bytes"
	"path/filepath"
	"testing"
)

func TestValidateCmd(t *testing.T) {
	broken := filepath.Join("..", "..", "testdata", "validate", "pvc-claim-typo", "api-deployment.yaml")
	dir := t.TempDir()
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
			err: "synctl: 2 problem(s) in 1 file(s) checked\n",
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
			err:  "synctl: no compose, nginx or Kubernetes files found in [" + dir + "]\n",
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
