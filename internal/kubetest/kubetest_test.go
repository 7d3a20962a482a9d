package kubetest

import (
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestAPIServerVersionIsToolsModules keeps the version Start looks for equal
// to the one .ci/kube-tools.sh builds (tools/kube/go.mod's).
func TestAPIServerVersionIsToolsModules(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "tools", "kube", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	var got string
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if len(f) >= 2 && f[0] == "k8s.io/kubernetes" {
			got = f[1]
		}
	}
	if got != APIServerVersion {
		t.Errorf("tools/kube/go.mod requires k8s.io/kubernetes %q, APIServerVersion is %q: change both together, then run `bash .ci/kube-tools.sh`", got, APIServerVersion)
	}
}

// TestPKI checks the certificates kube-apiserver and kubectl will be given:
// the serving certificate is valid for 127.0.0.1, the client certificate
// makes its holder system:masters, both chain to the CA.
func TestPKI(t *testing.T) {
	dir := t.TempDir()
	p, err := newPKI(dir)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(p.caPEM) {
		t.Fatal("CA PEM does not parse")
	}
	serving := readCert(t, p.servingCert)
	if _, err := serving.Verify(x509.VerifyOptions{Roots: roots, DNSName: "127.0.0.1", KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}); err != nil {
		t.Errorf("serving certificate for 127.0.0.1: %v", err)
	}
	if !slices.ContainsFunc(serving.IPAddresses, func(ip net.IP) bool { return ip.Equal(net.ParseIP("127.0.0.1")) }) {
		t.Errorf("serving certificate IP SANs %v lack 127.0.0.1", serving.IPAddresses)
	}
	client := readCert(t, p.clientCert)
	if _, err := client.Verify(x509.VerifyOptions{Roots: roots, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate: %v", err)
	}
	if !slices.Equal(client.Subject.Organization, []string{"system:masters"}) {
		t.Errorf("client certificate O=%v, want system:masters (the group kube-apiserver allows everything)", client.Subject.Organization)
	}
	for _, f := range []string{p.servingKey, p.clientKey, p.saPrivateKey, p.saPublicKey} {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if b, _ := pem.Decode(data); b == nil {
			t.Errorf("%s is not PEM", f)
		}
		if fi, _ := os.Stat(f); fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f, fi.Mode().Perm())
		}
	}
}

func readCert(t *testing.T, path string) *x509.Certificate {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := pem.Decode(data)
	if b == nil {
		t.Fatalf("%s: no PEM block", path)
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestStartStop starts a control plane, talks to it with kubectl, stops it,
// and checks that both processes are gone and their ports closed.
func TestStartStop(t *testing.T) {
	c := Start(t)
	out := c.MustKubectl(t, "version", "-o", "json")
	var v struct {
		ServerVersion struct{ GitVersion string } `json:"serverVersion"`
	}
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("kubectl version -o json: %v\n%s", err, out)
	}
	if v.ServerVersion.GitVersion != APIServerVersion {
		t.Errorf("server reports %q, want %q: kube-apiserver was built without the version ldflags of .ci/kube-tools.sh", v.ServerVersion.GitVersion, APIServerVersion)
	}
	// The admin is system:masters, and the namespace lifecycle admission
	// runs: objects in a namespace that does not exist are refused.
	if _, errOut, err := c.Kubectl(t, "create", "configmap", "x", "-n", "nowhere"); err == nil || !strings.Contains(errOut, `namespaces "nowhere" not found`) {
		t.Errorf("creating in a missing namespace: err %v, stderr %q; want namespaces \"nowhere\" not found", err, errOut)
	}
	c.MustKubectl(t, "create", "configmap", "x", "-n", "default", "--from-literal=k=v")

	addr := strings.TrimPrefix(c.Server, "https://")
	if err := c.Stop(); err != nil {
		t.Fatal(err)
	}
	for _, p := range c.procs {
		if err := syscall.Kill(p.cmd.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("%s (pid %d) still exists after Stop: kill -0 gave %v", p.name, p.cmd.Process.Pid, err)
		}
	}
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after Stop", addr)
	}
	if err := c.Stop(); err != nil {
		t.Errorf("a second Stop: %v", err)
	}
}

// helperEnv makes the test binary run TestMissingToolHelper for real.
const helperEnv = "SYNCTL_KUBETEST_HELPER"

// TestMissingToolHelper is run by TestMissingTool in a child process.
func TestMissingToolHelper(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("run by TestMissingTool")
	}
	Start(t)
	t.Error("Start returned although kube-apiserver is missing")
}

// TestMissingTool checks what a missing binary does: skip with the command
// that gets it, or under CI=true fail, since CI installs everything.
func TestMissingTool(t *testing.T) {
	for _, ci := range []string{"", "true"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestMissingToolHelper$", "-test.v")
		cmd.Env = append(os.Environ(), helperEnv+"=1", EnvAPIServer+"=/nonexistent/kube-apiserver", "CI="+ci)
		out, err := cmd.CombinedOutput()
		if !strings.Contains(string(out), "$SYNCTL_KUBE_APISERVER=/nonexistent/kube-apiserver") {
			t.Errorf("CI=%q: the message does not name the missing binary:\n%s", ci, out)
		}
		if ci == "" {
			if err != nil || !strings.Contains(string(out), "--- SKIP: TestMissingToolHelper") {
				t.Errorf("without CI: want a skip, got err %v:\n%s", err, out)
			}
		} else if err == nil || !strings.Contains(string(out), "--- FAIL: TestMissingToolHelper") || !strings.Contains(string(out), "CI=true") {
			t.Errorf("with CI=true: want a failure that says why, got err %v:\n%s", err, out)
		}
	}
}

// widgetCRD is a minimal CRD for the seed test.
const widgetCRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.kubetest.synctl.dev}
spec:
  group: kubetest.synctl.dev
  names: {kind: Widget, plural: widgets, singular: widget}
  scope: Namespaced
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, minimum: 1}
`

// TestSeed builds a seed with a CRD and starts two clusters from it: both
// serve the CRD (its schema enforced) at once, and what one stores the
// other does not see.
func TestSeed(t *testing.T) {
	seed := NewSeed(func(t testing.TB, c *Cluster) { c.InstallCRDYAML(t, []byte(widgetCRD)) })
	t.Cleanup(func() {
		if err := seed.Remove(); err != nil {
			t.Error(err)
		}
	})
	a, b := seed.Start(t), seed.Start(t)
	if a.Server == b.Server {
		t.Fatalf("both clusters at %s", a.Server)
	}
	widget := func(size int) []byte {
		return fmt.Appendf(nil, "apiVersion: kubetest.synctl.dev/v1\nkind: Widget\nmetadata: {name: w, namespace: default}\nspec: {size: %d}\n", size)
	}
	if _, errOut, err := a.KubectlStdin(t, widget(0), "apply", "--server-side", "-f", "-"); err == nil || !strings.Contains(errOut, "spec.size: Invalid value: 0") {
		t.Errorf("a widget of size 0 on a seeded cluster: err %v, stderr %q; want the CRD's minimum enforced", err, errOut)
	}
	if _, errOut, err := a.KubectlStdin(t, widget(3), "apply", "--server-side", "-f", "-"); err != nil {
		t.Fatalf("applying a widget right after a seeded start: %v\n%s", err, errOut)
	}
	if _, errOut, err := b.Kubectl(t, "get", "widget", "w", "-n", "default"); err == nil || !strings.Contains(errOut, "NotFound") {
		t.Errorf("the widget applied to one seeded cluster is visible in the other: err %v, %s", err, errOut)
	}
	seedDir := seed.data
	if err := seed.Remove(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(seedDir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("seed data %s still there after Remove: %v", seedDir, err)
	}
}
