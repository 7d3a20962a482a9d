package crd

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/synctl/synctl/pkg/gkeapi"
)

// The HealthCheckPolicies synctl renders pass the embedded schema.
func TestHealthCheckPolicyRendered(t *testing.T) {
	files, err := filepath.Glob("../../../testdata/*/gke/*-healthcheckpolicy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	more, _ := filepath.Glob("../../../testdata/gke/*-healthcheckpolicy.yaml")
	files = append(files, more...)
	if len(files) < 2 {
		t.Fatalf("found %d rendered HealthCheckPolicies under testdata; the test would check nothing", len(files))
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := Validate(decode(t, string(data)))
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		if len(got) > 0 {
			t.Errorf("%s: %q", f, got)
		}
	}
}

// Broken policies get the API server's messages: the same schema and the
// same validation code as a server with the CRD installed (e2e/kube).
func TestHealthCheckPolicySchema(t *testing.T) {
	const head = "apiVersion: networking.gke.io/v1\nkind: HealthCheckPolicy\nmetadata: {name: p, namespace: app}\n"
	tests := []struct {
		name, spec string
		want       []Error
	}{{
		name: "interval and timeout out of range, timeout over interval",
		spec: `{default: {checkIntervalSec: 301, timeoutSec: 302}, targetRef: {group: "", kind: Service, name: web}}`,
		want: []Error{
			{Field: "spec.default", Message: "Invalid value: timeoutSec must not be greater than checkIntervalSec"},
			{Field: "spec.default.checkIntervalSec", Message: "Invalid value: 301: spec.default.checkIntervalSec in body should be less than or equal to 300"},
			{Field: "spec.default.timeoutSec", Message: "Invalid value: 302: spec.default.timeoutSec in body should be less than or equal to 300"},
		},
	}, {
		name: "block does not match type",
		spec: `{default: {config: {type: HTTPS, httpHealthCheck: {requestPath: /healthz}}}, targetRef: {group: "", kind: Service, name: web}}`,
		want: []Error{
			{Field: "spec.default.config", Message: "Invalid value: httpHealthCheck must be set when type is HTTP, and only then"},
			{Field: "spec.default.config", Message: "Invalid value: httpsHealthCheck must be set when type is HTTPS, and only then"},
		},
	}, {
		name: "fixed port without a port, path without slash",
		spec: `{default: {config: {type: HTTP, httpHealthCheck: {portSpecification: USE_FIXED_PORT, requestPath: healthz}}}, targetRef: {group: "", kind: Service, name: web}}`,
		want: []Error{
			{Field: "spec.default.config.httpHealthCheck", Message: "Invalid value: port is required when portSpecification is USE_FIXED_PORT"},
			{Field: "spec.default.config.httpHealthCheck.requestPath", Message: `Invalid value: "healthz": spec.default.config.httpHealthCheck.requestPath in body should match '^/'`},
		},
	}, {
		name: "target is not a Service",
		spec: `{targetRef: {group: apps, kind: Deployment, name: web}}`,
		want: []Error{
			{Field: "spec.targetRef.group", Message: `Unsupported value: "apps": supported values: "", "net.gke.io"`},
			{Field: "spec.targetRef.kind", Message: `Unsupported value: "Deployment": supported values: "Service", "ServiceImport"`},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Validate(decode(t, head+"spec: "+tt.spec+"\n"))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got\n\t%q\nwant\n\t%q", got, tt.want)
			}
		})
	}
	if VersionOf(gkeapi.GroupVersion, "HealthCheckPolicy") != GKEVersion {
		t.Errorf("HealthCheckPolicy: VersionOf %q", VersionOf(gkeapi.GroupVersion, "HealthCheckPolicy"))
	}
}

const helperEnv = "SYNCTL_CRD_TEST_HELPER"

// TestHealthCheckPolicyWithoutGatewayAPIHelper runs in a child process
// whose Gateway API CRDs cannot be found.
func TestHealthCheckPolicyWithoutGatewayAPIHelper(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("run by TestHealthCheckPolicyWithoutGatewayAPI")
	}
	if Available() == nil {
		t.Fatal("Gateway API CRDs available although $" + EnvDir + " points nowhere")
	}
	got, err := Validate(decode(t, "apiVersion: networking.gke.io/v1\nkind: HealthCheckPolicy\nmetadata: {name: p}\nspec: {default: {healthyThreshold: 0}, targetRef: {group: \"\", kind: Service, name: web}}\n"))
	if err != nil || len(got) != 1 || got[0].Field != "spec.default.healthyThreshold" {
		t.Fatalf("Validate = %q, %v; want the healthyThreshold minimum", got, err)
	}
}

// The embedded schema needs nothing from the machine: HealthCheckPolicies
// are checked where the Gateway API CRDs are missing.
func TestHealthCheckPolicyWithoutGatewayAPI(t *testing.T) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHealthCheckPolicyWithoutGatewayAPIHelper$", "-test.v")
	cmd.Env = append(os.Environ(), helperEnv+"=1", EnvDir+"=/nonexistent")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "--- PASS: TestHealthCheckPolicyWithoutGatewayAPIHelper") {
		t.Fatalf("%v\n%s", err, out)
	}
}
