package kubetest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"testing"
)

// Kubectl runs kubectl against the cluster and returns what it printed.
// A non-zero exit is returned as err (an *exec.ExitError), not reported to
// t, because tests of rejected input expect one.
func (c *Cluster) Kubectl(t testing.TB, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return c.KubectlStdin(t, nil, args...)
}

// KubectlStdin is Kubectl with stdin, for `kubectl apply -f -`.
func (c *Cluster) KubectlStdin(t testing.TB, stdin []byte, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), kubectlTimeout)
	defer cancel()
	// The cluster's own discovery cache: the user's ~/.kube/cache may hold
	// another server on the same port from an earlier run.
	full := append([]string{"--kubeconfig=" + c.Kubeconfig, "--cache-dir=" + c.cacheDir}, args...)
	cmd := exec.CommandContext(ctx, c.kubectl, full...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	// KUBECONFIG from the environment would be merged in and could point
	// kubectl at a real cluster.
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig)
	err = cmd.Run()
	if ctx.Err() != nil {
		err = fmt.Errorf("kubectl %s: timed out after %s: %w", strings.Join(args, " "), kubectlTimeout, err)
	}
	return out.String(), errb.String(), err
}

// MustKubectl runs kubectl and fails t, with kubectl's stderr, unless it
// exits 0. It returns stdout.
func (c *Cluster) MustKubectl(t testing.TB, args ...string) string {
	t.Helper()
	out, errOut, err := c.Kubectl(t, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, errOut)
	}
	return out
}

// InstallCRDs applies the CustomResourceDefinitions (and any other objects)
// in the given files or directories server-side and waits until every CRD
// among them is Established, so that objects of their kinds can be applied
// next.
func (c *Cluster) InstallCRDs(t testing.TB, paths ...string) {
	t.Helper()
	args := []string{"apply", "--server-side", "--field-manager=kubetest", "-o", "name"}
	for _, p := range paths {
		args = append(args, "-f", p)
	}
	c.waitEstablished(t, c.MustKubectl(t, args...))
}

// InstallCRDYAML is InstallCRDs for manifests held in memory, such as a
// CRD embedded in a Go package.
func (c *Cluster) InstallCRDYAML(t testing.TB, manifests []byte) {
	t.Helper()
	out, errOut, err := c.KubectlStdin(t, manifests, "apply", "--server-side", "--field-manager=kubetest", "-o", "name", "-f", "-")
	if err != nil {
		t.Fatalf("kubectl apply of CRDs: %v\n%s", err, errOut)
	}
	c.waitEstablished(t, out)
}

// waitEstablished waits for the CRDs among `kubectl apply -o name` output.
func (c *Cluster) waitEstablished(t testing.TB, applied string) {
	t.Helper()
	var crds []string
	for line := range strings.Lines(applied) {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "customresourcedefinition.apiextensions.k8s.io/") {
			crds = append(crds, line)
		}
	}
	if len(crds) == 0 {
		t.Fatalf("kubetest: no CustomResourceDefinition among the applied objects:\n%s", applied)
	}
	c.MustKubectl(t, append([]string{"wait", "--for=condition=Established", "--timeout=60s"}, crds...)...)
}

// InstallGatewayAPI installs the standard channel of the Gateway API
// release in synctl's go.mod, the one the renderer builds objects from.
func (c *Cluster) InstallGatewayAPI(t testing.TB) {
	t.Helper()
	dir, err := GatewayAPIStandardCRDs()
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	c.InstallCRDs(t, dir)
}

const gatewayAPIModule = "sigs.k8s.io/gateway-api"

// GatewayAPIStandardCRDs returns the config/crd/standard directory of the
// sigs.k8s.io/gateway-api module at the version this test binary was built
// with, downloading the module into the Go module cache when needed.
var GatewayAPIStandardCRDs = sync.OnceValues(func() (string, error) {
	version := depVersion(gatewayAPIModule)
	if version == "" {
		// Build info lacks dependencies in some builds; ask the go
		// command about the module the tests run in.
		out, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", gatewayAPIModule).Output()
		if err != nil {
			return "", fmt.Errorf("cannot tell which %s version to install: not in the test binary's build info, and `go list -m %s` failed: %v", gatewayAPIModule, gatewayAPIModule, err)
		}
		version = strings.TrimSpace(string(out))
	}
	mod := gatewayAPIModule + "@" + version
	out, err := exec.Command("go", "mod", "download", "-json", mod).Output()
	var info struct{ Dir, Error string }
	if jerr := json.Unmarshal(out, &info); jerr != nil || err != nil || info.Dir == "" {
		return "", fmt.Errorf("`go mod download -json %s` did not give the module's directory (%v %s); run it by hand to see why (it needs the Go module proxy or a warm module cache)", mod, err, info.Error)
	}
	dir := filepath.Join(info.Dir, "config", "crd", "standard")
	if _, err := os.Stat(dir); err != nil {
		return "", fmt.Errorf("%s has no standard-channel CRDs: %w", mod, err)
	}
	return dir, nil
})

// depVersion is the version of module path in the binary's build info.
func depVersion(path string) string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return ""
	}
	for _, d := range bi.Deps {
		if d.Path == path {
			if d.Replace != nil {
				return d.Replace.Version
			}
			return d.Version
		}
	}
	return ""
}
