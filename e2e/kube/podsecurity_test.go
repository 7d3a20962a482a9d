package kube

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/synctl/synctl/internal/kubetest"
)

// podsAdmitted: the API server admits a Deployment whose pod template
// breaks the namespace's Pod Security level with a warning only; it
// rejects the Pods. So a Pod made from each pod template of the bundle in
// dir (Deployments, StatefulSets, Jobs; a database with its own user and
// scratch paths among them) is created with --dry-run=server in its
// namespace on c, where the bundle is applied and its namespace enforces
// `restricted`. No Pod may draw a Pod Security complaint, and a control
// Pod with no securityContext must be refused.
func podsAdmitted(t *testing.T, c *kubetest.Cluster, dir string) {
	t.Helper()
	pods := 0
	accounts := map[string]bool{}
	for f, docs := range bundleDocs(t, dir) {
		for _, doc := range docs {
			pod, name, ok := podOf(t, f, doc)
			if !ok {
				continue
			}
			pods++
			// No controller manager runs here to make each
			// namespace's default ServiceAccount, which Pod
			// admission looks up: make the one the Pod uses.
			ns, sa := podAccount(t, pod)
			if !accounts[ns+"/"+sa] {
				accounts[ns+"/"+sa] = true
				if out, errOut, err := c.Kubectl(t, "create", "serviceaccount", sa, "-n", ns); err != nil && !strings.Contains(errOut, "AlreadyExists") {
					t.Fatalf("kubectl create serviceaccount %s -n %s: %v\n%s%s", sa, ns, err, out, errOut)
				}
			}
			pf := filepath.Join(t.TempDir(), name+".yaml")
			if err := os.WriteFile(pf, pod, 0o644); err != nil {
				t.Fatal(err)
			}
			out, errOut, err := c.Kubectl(t, "create", "--dry-run=server", "-f", pf)
			if err != nil || strings.Contains(errOut, "PodSecurity") {
				t.Errorf("a Pod of %s is not admitted under its namespace's Pod Security level: %v\n%s%s", name, err, out, errOut)
			}
		}
	}
	if pods == 0 {
		t.Fatal("no pod templates in the bundle")
	}
	// The control: a Pod with no securityContext (root allowed,
	// privilege escalation, every default capability, no
	// seccomp profile) in the same namespace must be refused by
	// Pod Security, or the passes above prove nothing.
	for a := range accounts {
		ns, _, _ := strings.Cut(a, "/")
		bad := fmt.Sprintf("apiVersion: v1\nkind: Pod\nmetadata: {name: pss-control, namespace: %s}\nspec:\n  containers:\n  - name: c\n    image: example/c:1\n", ns)
		_, errOut, err := c.KubectlStdin(t, []byte(bad), "create", "--dry-run=server", "-f", "-")
		if err == nil || !strings.Contains(errOut, "PodSecurity") {
			t.Errorf("a Pod with no securityContext in namespace %s was not refused by Pod Security (err %v): %s", ns, err, errOut)
		}
		break
	}
	t.Logf("%d pod templates admitted as Pods (dry run)", pods)
}

// podOf makes a Pod of the pod template of a Deployment, StatefulSet or Job
// document, in the same namespace.
func podOf(t *testing.T, file string, doc []byte) (pod []byte, name string, ok bool) {
	t.Helper()
	var o struct {
		Kind     string `json:"kind"`
		Metadata struct {
			Name, Namespace string
		} `json:"metadata"`
		Spec struct {
			Template struct {
				Metadata map[string]any `json:"metadata"`
				Spec     map[string]any `json:"spec"`
			} `json:"template"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(doc, &o); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	switch o.Kind {
	case "Deployment", "StatefulSet", "Job":
	default:
		return nil, "", false
	}
	name = strings.ToLower(o.Kind) + "-" + o.Metadata.Name
	p := map[string]any{
		"apiVersion": "v1",
		"kind":       "Pod",
		"metadata":   map[string]any{"name": name, "namespace": o.Metadata.Namespace, "labels": o.Spec.Template.Metadata["labels"]},
		"spec":       o.Spec.Template.Spec,
	}
	b, err := yaml.Marshal(p)
	if err != nil {
		t.Fatal(fmt.Errorf("%s: %w", file, err))
	}
	return b, name, true
}

// podAccount is the namespace and ServiceAccount of a Pod manifest.
func podAccount(t *testing.T, pod []byte) (ns, sa string) {
	t.Helper()
	var p struct {
		Metadata struct{ Namespace string } `json:"metadata"`
		Spec     struct {
			ServiceAccountName string `json:"serviceAccountName"`
		} `json:"spec"`
	}
	if err := yaml.Unmarshal(pod, &p); err != nil {
		t.Fatal(err)
	}
	sa = p.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	return p.Metadata.Namespace, sa
}
