package kube

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/synctl/synctl/internal/kubetest"
)

// readmeCommands runs every kubectl line of the bundle's README "Bring it
// up" section, word for word, in the bundle directory dir, on c, a fresh
// control plane: the commands a user copies must work, bring every object
// of the bundle, and draw no Pod Security warning. Lines for other
// programs (minikube, helm, gcloud) need a real cloud or VM and are logged
// as not run; `kubectl wait` for a controller's Deployment waits on a
// kubelet this control plane has not, so it is not run either (the node
// tests run it).
func readmeCommands(t *testing.T, c *kubetest.Cluster, dir string) {
	t.Helper()
	// What the cloud or add-on provides before the bundle is applied:
	// GKE's GatewayClass, which the README checks for.
	provideClasses(t, c, dir)
	ran := 0
	for _, line := range bringUpLines(t, dir) {
		cmd := strings.TrimSpace(strings.SplitN(line, "#", 2)[0])
		switch {
		case cmd == "" || !strings.HasPrefix(cmd, "kubectl "):
			t.Logf("not run here (needs a real VM or cloud): %s", line)
			continue
		case strings.HasPrefix(cmd, "kubectl wait "):
			t.Logf("not run here (waits for a controller's pods, which need a kubelet): %s", line)
			continue
		}
		out, err := runShell(t, c, dir, cmd)
		if err != nil {
			t.Fatalf("README command %q failed: %v\n%s", cmd, err, out)
		}
		if strings.Contains(out, "PodSecurity") {
			t.Errorf("README command %q drew Pod Security warnings:\n%s", cmd, out)
		}
		t.Logf("$ %s\n%s", cmd, out)
		ran++
	}
	if ran == 0 {
		t.Fatal("the README has no kubectl command to run")
	}
	serverState(t, c, dir, bundleObjects(t, dir))
	diffEmpty(t, c, dir)
}

// bringUpLines are the lines of the README's shell blocks under "Bring it up".
func bringUpLines(t *testing.T, dir string) []string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	section := regexp.MustCompile("(?s)## Bring it up\n(.*?)\n## ").FindSubmatch(readme)
	if section == nil {
		t.Fatal("README.md has no \"## Bring it up\" section")
	}
	var lines []string
	for _, block := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllSubmatch(section[1], -1) {
		lines = append(lines, strings.Split(strings.TrimSpace(string(block[1])), "\n")...)
	}
	return lines
}

// runShell runs a README line with sh in dir, kubectl pointed at c.
func runShell(t *testing.T, c *kubetest.Cluster, dir, line string) (string, error) {
	t.Helper()
	cmd := exec.Command("sh", "-eu", "-c", line)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "KUBECONFIG="+c.Kubeconfig)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// provideClasses creates the GatewayClass a bundle's Gateway names when the
// bundle does not bring it (on GKE the cloud provides it).
func provideClasses(t *testing.T, c *kubetest.Cluster, dir string) {
	t.Helper()
	own := map[string]bool{}
	var wanted []string
	for _, docs := range bundleDocs(t, dir) {
		for _, doc := range docs {
			var o struct {
				Kind     string
				Metadata struct{ Name string }
				Spec     struct{ GatewayClassName string }
			}
			if err := yaml.Unmarshal(doc, &o); err != nil {
				t.Fatal(err)
			}
			switch o.Kind {
			case "GatewayClass":
				own[o.Metadata.Name] = true
			case "Gateway":
				wanted = append(wanted, o.Spec.GatewayClassName)
			}
		}
	}
	for _, name := range wanted {
		if own[name] {
			continue
		}
		class := gwv1.GatewayClass{}
		class.APIVersion, class.Kind, class.Name = gwv1.GroupVersion.String(), "GatewayClass", name
		class.Spec.ControllerName = "example.com/cloud-provided"
		data, err := yaml.Marshal(class)
		if err != nil {
			t.Fatal(err)
		}
		if out, errOut, err := c.KubectlStdin(t, data, "apply", "--server-side", "-f", "-"); err != nil {
			t.Fatalf("providing GatewayClass %s: %v\n%s%s", name, err, out, errOut)
		}
	}
}
