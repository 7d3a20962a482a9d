package node

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/synctl/synctl/internal/bundletest"
	"github.com/synctl/synctl/internal/nodetest"
	"github.com/synctl/synctl/pkg/gkeapi"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/topology"
)

// kubeTargets are the targets whose bundles are Kubernetes manifests.
func kubeTargets() []string {
	var names []string
	for _, t := range target.All() {
		if t.Stdout() == render.KindManifest {
			names = append(names, t.Name())
		}
	}
	return names
}

// testAddress stands for the load balancer's address where a target needs
// one (gke): with --forward it only names the entry URL's origin.
const testAddress = "203.0.113.10"

// bundle is one app's bundle of one target, running in its own namespace.
type bundle struct {
	app    bundletest.App
	target string
	ns     string
	spec   []byte // the spec file's content (the built-in spec for builtin)
	model  *topology.Model
	refs   map[string]string // service -> imported image
	dir    string
	// specPath is the spec file the bundle is rendered from ("" for the
	// built-in app); need the CPU its pods request, in millicores.
	specPath string
	need     int
	// kept is what was written to each persistent volume, by service.
	kept map[string]string
	// step is what the bundle's test is doing, for the summary of
	// failures: a failure deep in a helper still says which check it was.
	step, failedAt string
	failed         bool
	// deploys caches the Deployment of each service, by service.
	deploys map[string]string
}

// at records the step the bundle's test has come to, and the step of its
// first failure (a t.Errorf lets the test go on to later steps).
func (b *bundle) at(t *testing.T, step string) {
	t.Helper()
	if t.Failed() && b.failedAt == "" {
		b.failedAt = b.step
	}
	b.step = step
}

// flags are the render (and verify) flags that make this bundle.
func (b *bundle) flags(specPath string) []string {
	f := []string{"--target", b.target, "--namespace", b.ns}
	if specPath != "" {
		f = append(f, "-f", specPath)
	}
	for _, svc := range b.model.Services {
		f = append(f, "--image", svc.Name+"="+b.refs[svc.Name])
	}
	if takes(b.target, target.FlagAddress) {
		f = append(f, "--address", testAddress)
	}
	return f
}

func takes(name string, flag target.Flag) bool {
	tg, err := target.Lookup(name)
	return err == nil && slices.Contains(tg.Flags(), flag)
}

// TestBundlesRun is the node suite: one node, every app's bundle of every
// Kubernetes target, as many at once as the node's CPU holds, the faults
// on faultTarget's. See the package doc.
func TestBundlesRun(t *testing.T) {
	suite := time.Now()
	n := nodetest.Start(t)
	t.Logf("TIMING node up in %s", time.Since(suite).Round(time.Millisecond))
	n.InstallGatewayAPI(t)
	n.InstallCRDYAML(t, gkeapi.CRD())
	synctl := buildSynctl(t)

	var bundles []*bundle
	var images []nodetest.Image
	volumes := 0
	for _, app := range bundletest.Apps(t) {
		spec := topology.DefaultSpec()
		if app.Path != "" {
			var err error
			if spec, err = os.ReadFile(app.Path); err != nil {
				t.Fatal(err)
			}
		}
		m := app.Plan(t, target.Overrides{}).Model
		var imgs []nodetest.Image
		var refs map[string]string
		if app.Path == "" {
			refs, imgs = nodetest.AppImages(t, m, nil)
		} else {
			refs, imgs = nodetest.AppImages(t, m, spec)
		}
		images = append(images, imgs...)
		for _, tg := range kubeTargets() {
			bundles = append(bundles, &bundle{app: app, target: tg, ns: m.Name + "-" + tg, spec: spec, model: m, refs: refs, kept: map[string]string{}})
			for _, svc := range m.Services {
				if svc.Storage != nil && svc.Storage.Persistent {
					volumes++
				}
			}
		}
	}
	n.Import(t, images)
	n.AddVolumes(t, volumes, "100Gi")
	cpu := newBudget(t, n)
	for _, b := range bundles {
		b.render(t, synctl)
		b.need = b.cpuNeed(t)
	}
	// The largest first: they can only run alone, and the small ones fill
	// the CPU they leave.
	slices.SortStableFunc(bundles, func(x, y *bundle) int { return y.need - x.need })
	for i, b := range bundles {
		cpu.waiting[i] = b.need // every rank known before any starts
	}

	t.Run("bundles", func(t *testing.T) {
		// Each bundle's subtest in a goroutine of its own rather than
		// t.Parallel, which go test limits to GOMAXPROCS (2 here) at once:
		// the CPU budget decides how many run.
		var wg sync.WaitGroup
		for i, b := range bundles {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Forgotten when the subtest ends, and also when -run
				// leaves it out: a bundle that never asks must not hold a
				// smaller one back.
				defer cpu.forget(i)
				t.Run(b.app.Name+"/"+b.target, func(t *testing.T) {
					// A cleanup registered first runs last: after the
					// namespace's deletion, which may fail too.
					t.Cleanup(func() {
						if t.Failed() {
							b.failed = true
							if b.failedAt == "" {
								b.failedAt = b.step
							}
							t.Logf("FAILED %s/%s first during: %s", b.app.Name, b.target, b.failedAt)
						}
					})
					b.run(t, n, synctl, cpu, i)
				})
			}()
		}
		wg.Wait()
	})
	// Every namespace must go: a finalizer that never clears (a claim, a
	// bundle's own object) would leave one Terminating for ever.
	deadline := time.Now().Add(120 * time.Second)
	for {
		out, errOut, err := n.Kubectl(t, "get", "namespaces", "-o", "name")
		var left []string
		for _, b := range bundles {
			if strings.Contains(out, "namespace/"+b.ns+"\n") {
				left = append(left, b.ns)
			}
		}
		if err == nil && len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("namespaces %v still there 120 s after the last bundle (%v %s)", left, err, errOut)
			break
		}
		time.Sleep(time.Second)
	}
	// One line per failed bundle, whatever the interleaving of the
	// subtests' logs above.
	for _, b := range bundles {
		if b.failed {
			t.Errorf("%s/%s (namespace %s) failed, first during: %s (its subtest's log says why)", b.app.Name, b.target, b.ns, b.failedAt)
		}
	}
	t.Logf("TIMING whole node suite %s (node up, %d bundles, faults on %s)", time.Since(suite).Round(time.Second), len(bundles), faultTarget)
}

// faultTarget is the target whose bundles also go through the faults.
const faultTarget = "minikube"

// render writes the bundle as a user would: `synctl render` with the
// spec, the namespace, the imported images and (gke) an address.
func (b *bundle) render(t *testing.T, synctl string) {
	t.Helper()
	b.specPath = filepath.Join(t.TempDir(), b.model.Name+"-"+b.target+".yaml")
	if err := os.WriteFile(b.specPath, b.spec, 0o644); err != nil {
		t.Fatal(err)
	}
	if b.app.Path == "" {
		b.specPath = "" // the built-in app, as a user renders it
	}
	b.dir = filepath.Join(t.TempDir(), b.model.Name+"-"+b.target)
	mustRun(t, "", synctl, append([]string{"render", "--out", b.dir}, b.flags(b.specPath)...)...)
}

// run brings the bundle up by its README, checks it, goes through the
// faults (on faultTarget) and deletes its namespace.
func (b *bundle) run(t *testing.T, n *nodetest.Node, synctl string, cpu *budget, rank int) {
	specPath := b.specPath
	b.at(t, "providing the GatewayClasses")
	provideClasses(t, n, b.dir)
	b.at(t, "waiting for CPU")
	waited := time.Now()
	cpu.acquire(t, rank, b.need)
	t.Cleanup(func() { cpu.release(b.need) })
	t.Logf("%dm of the node's %dm CPU for this bundle's pods (waited %s)", b.need, cpu.capacity, time.Since(waited).Round(time.Millisecond))
	acquired := time.Now()
	t.Cleanup(func() {
		// The namespace goes, and its pods with it, before the CPU is
		// handed to the next bundle. The pods go at once rather than
		// after their preStop sleep: nothing is sent to them any more.
		// The rest of the namespace (claims, the namespace itself) goes
		// on without holding CPU; the suite checks at its end that every
		// namespace has gone.
		deleted := time.Now()
		if _, errOut, err := n.Kubectl(t, "delete", "namespace", b.ns, "--wait=false"); err != nil {
			t.Errorf("deleting namespace %s: %v: %s", b.ns, err, errOut)
			return
		}
		_, _, _ = n.Kubectl(t, "delete", "pods", "--all", "-n", b.ns, "--grace-period=1", "--wait=false")
		// One watching kubectl rather than a poll: on two shared cores
		// every kubectl process counts. It says "no matching resources"
		// when the pods are already gone.
		if _, errOut, err := n.Kubectl(t, "wait", "--for=delete", "pods", "--all", "-n", b.ns, "--timeout=120s"); err != nil && !strings.Contains(errOut, "no matching resources") {
			t.Errorf("pods of namespace %s still there 120 s after its deletion: %v: %s\n%s", b.ns, err, errOut, b.state(t, n))
		}
		t.Logf("TIMING %s/%s: pods gone %s after the namespace's deletion; %s on the node in all", b.app.Name, b.target, time.Since(deleted).Round(time.Millisecond), time.Since(acquired).Round(time.Second))
	})

	applied := time.Now()
	b.at(t, "applying by the README")
	b.bringUp(t, n)
	b.at(t, "waiting for every Deployment to roll out and every Job to complete")
	b.waitRolledOut(t, n)
	t.Logf("TIMING %s/%s: apply to every pod Ready %s", b.app.Name, b.target, time.Since(applied).Round(time.Millisecond))
	b.at(t, "checking pods Ready under restricted")
	b.podsReadyRestricted(t, n)
	b.at(t, "following links from inside the pods")
	b.linksResolve(t, n)
	b.at(t, "writing the volumes")
	b.writeVolumes(t, n)
	b.at(t, "verify --forward")
	b.verifyForwarded(t, n, synctl, specPath)

	// What a persistent volume holds must outlive its pod: restart the
	// Deployments that have one (the others have nothing to keep; the
	// rolling update below restarts one of them).
	if len(b.kept) > 0 {
		restarted := time.Now()
		args := []string{"rollout", "restart", "-n", b.ns}
		for _, svc := range slices.Sorted(maps.Keys(b.kept)) {
			args = append(args, b.deployment(t, n, svc))
		}
		b.at(t, "rollout restart")
		n.MustKubectl(t, args...)
		b.waitRolledOut(t, n)
		t.Logf("TIMING %s/%s: rollout restart of %s to Ready %s", b.app.Name, b.target, strings.Join(args[4:], ", "), time.Since(restarted).Round(time.Millisecond))
		b.podsReadyRestricted(t, n)
		b.at(t, "reading the volumes after the restart")
		b.volumesKept(t, n)
		b.at(t, "verify --forward after the restart")
		b.verifyForwarded(t, n, synctl, specPath)
	}

	if b.target == faultTarget && !t.Failed() {
		b.at(t, "fault: deleting pods")
		b.deletedPodKeepsData(t, n)
		b.at(t, "fault: rolling update")
		b.rollingUpdate(t, n, synctl)
	}
	b.at(t, "deleting the namespace")
}

// bringUp runs the kubectl lines of the README's "Bring it up" section,
// word for word, in the bundle directory. The lines for other programs
// (minikube, helm, gcloud) and `kubectl wait` for an add-on's controller
// stand for what this node does not have: a VM, a cloud, a Gateway or
// Ingress controller.
func (b *bundle) bringUp(t *testing.T, n *nodetest.Node) {
	t.Helper()
	ran := 0
	for _, line := range bringUpLines(t, b.dir) {
		cmd := strings.TrimSpace(strings.SplitN(line, "#", 2)[0])
		if cmd == "" || !strings.HasPrefix(cmd, "kubectl ") || strings.HasPrefix(cmd, "kubectl wait ") {
			continue
		}
		c := exec.Command("sh", "-eu", "-c", cmd)
		c.Dir = b.dir
		c.Env = append(os.Environ(), "KUBECONFIG="+n.Kubeconfig)
		if out, err := c.CombinedOutput(); err != nil {
			t.Fatalf("README command %q: %v\n%s", cmd, err, out)
		}
		ran++
	}
	if ran == 0 {
		t.Fatal("the README has no kubectl command to run")
	}
}

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

// provideClasses creates the GatewayClass a bundle's Gateway names when the
// bundle does not bring it (GKE provides its own), so that the README's
// check for it passes.
func provideClasses(t *testing.T, n *nodetest.Node, dir string) {
	t.Helper()
	own := map[string]bool{}
	var wanted []string
	for _, o := range bundleObjects(t, dir) {
		switch o.Kind {
		case "GatewayClass":
			own[o.Metadata.Name] = true
		case "Gateway":
			wanted = append(wanted, o.Spec.GatewayClassName)
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
		if out, errOut, err := n.KubectlStdin(t, data, "apply", "--server-side", "--field-manager=nodetest", "-f", "-"); err != nil {
			t.Fatalf("providing GatewayClass %s: %v\n%s%s", name, err, out, errOut)
		}
	}
}

// object is the part of a manifest the tests read.
type object struct {
	Kind     string
	Metadata struct{ Name, Namespace string }
	Spec     struct {
		GatewayClassName string
		Replicas         *int
		MinReplicas      int
		ScaleTargetRef   struct{ Name string }
		Strategy         struct{ Type string }
		Template         struct {
			Spec struct {
				Containers []struct {
					ReadinessProbe *struct{ PeriodSeconds int }
					Resources      struct {
						Requests struct {
							CPU string `json:"cpu"`
						}
					}
				}
			}
		}
	}
}

func bundleObjects(t *testing.T, dir string) []object {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var objs []object
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(string(data), -1) {
			var o object
			if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			if o.Kind != "" {
				objs = append(objs, o)
			}
		}
	}
	return objs
}

// waitRolledOut waits until every Deployment of the namespace has rolled
// out, and shows the pods and events when one does not.
func (b *bundle) waitRolledOut(t *testing.T, n *nodetest.Node) {
	t.Helper()
	deploys := strings.Fields(n.MustKubectl(t, "get", "deployments", "-n", b.ns, "-o", "name"))
	jobs := strings.Fields(n.MustKubectl(t, "get", "jobs", "-n", b.ns, "-o", "name"))
	var wantDeploys, wantJobs int
	for _, s := range b.model.Services {
		if s.Job {
			wantJobs++
		} else {
			wantDeploys++
		}
	}
	if len(deploys) != wantDeploys || len(jobs) != wantJobs {
		t.Fatalf("namespace %s has %d Deployments %v and %d Jobs %v; the app has %d long-running services and %d jobs", b.ns, len(deploys), deploys, len(jobs), jobs, wantDeploys, wantJobs)
	}
	// An autoscaled Deployment is rendered without replicas (the
	// autoscaler owns the count), so it starts with one pod and the
	// autoscaler raises it to its minimum within a sync period (15 s):
	// `rollout status` could pass before that, with the minimum's other
	// pods not yet Ready.
	for _, o := range bundleObjects(t, b.dir) {
		if o.Kind != "HorizontalPodAutoscaler" {
			continue
		}
		deadline := time.Now().Add(90 * time.Second)
		for {
			out, _, err := n.Kubectl(t, "get", "deployment", o.Spec.ScaleTargetRef.Name, "-n", b.ns, "-o", "jsonpath={.spec.replicas}")
			var replicas int
			if err == nil {
				_, err = fmt.Sscan(out, &replicas)
			}
			if err == nil && replicas >= o.Spec.MinReplicas {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("deployment %s has %q replicas 90 s after apply; its HorizontalPodAutoscaler %s wants at least %d (%v)\n%s", o.Spec.ScaleTargetRef.Name, out, o.Metadata.Name, o.Spec.MinReplicas, err, b.state(t, n))
			}
			time.Sleep(time.Second)
		}
	}
	for _, d := range deploys {
		if out, errOut, err := n.Kubectl(t, "rollout", "status", "-n", b.ns, d, "--timeout=180s"); err != nil {
			t.Fatalf("%s did not roll out: %v\n%s%s\n%s", d, err, out, errOut, b.state(t, n))
		}
	}
	// A job (voting's seed) runs once its links answer: it must complete.
	for _, j := range jobs {
		if out, errOut, err := n.Kubectl(t, "wait", "-n", b.ns, j, "--for=condition=Complete", "--timeout=180s"); err != nil {
			logs, _, _ := n.Kubectl(t, "logs", "-n", b.ns, j, "--all-containers", "--tail=20")
			t.Fatalf("%s did not complete: %v\n%s%s\nits log:\n%s\n%s", j, err, out, errOut, logs, b.state(t, n))
		}
	}
}

// state is the namespace's pods and events, for a failure message.
func (b *bundle) state(t *testing.T, n *nodetest.Node) string {
	t.Helper()
	pods, _, _ := n.Kubectl(t, "get", "pods", "-n", b.ns, "-o", "wide")
	events, _, _ := n.Kubectl(t, "get", "events", "-n", b.ns, "--sort-by=.lastTimestamp")
	return "pods:\n" + pods + "\nevents:\n" + events
}

// isJob says whether service svc runs once (a Job) rather than for ever.
func (b *bundle) isJob(svc string) bool {
	s, ok := b.model.Service(svc)
	return ok && s.Job
}

// podsReadyRestricted checks that every pod is Ready and that the
// namespace enforces Pod Security "restricted", so the pods were admitted
// under it.
func (b *bundle) podsReadyRestricted(t *testing.T, n *nodetest.Node) {
	t.Helper()
	level := n.MustKubectl(t, "get", "namespace", b.ns, "-o", `jsonpath={.metadata.labels.pod-security\.kubernetes\.io/enforce}`)
	if level != "restricted" {
		t.Errorf("namespace %s enforces Pod Security %q, want restricted", b.ns, level)
	}
	var pods struct {
		Items []struct {
			Metadata struct {
				Name              string
				Labels            map[string]string
				DeletionTimestamp *string
			}
			Status struct {
				Conditions []struct{ Type, Status string }
			}
		}
	}
	if err := json.Unmarshal([]byte(n.MustKubectl(t, "get", "pods", "-n", b.ns, "-o", "json")), &pods); err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, s := range b.model.Services {
		if !s.Job {
			want += max(s.MinReplicas(), 1)
		}
	}
	ready := 0
	for _, p := range pods.Items {
		// A job's pod has completed (waitRolledOut saw to it): it is
		// admitted under the same level, and never Ready again.
		if p.Metadata.DeletionTimestamp != nil || b.isJob(p.Metadata.Labels["app.kubernetes.io/name"]) {
			continue
		}
		ok := false
		for _, c := range p.Status.Conditions {
			ok = ok || c.Type == "Ready" && c.Status == "True"
		}
		if !ok {
			t.Errorf("pod %s/%s is not Ready", b.ns, p.Metadata.Name)
			continue
		}
		ready++
	}
	if ready < want {
		t.Errorf("%d pods Ready in %s, want at least %d (the services' replicas)", ready, b.ns, want)
	}
}

// deployment is the Deployment of service svc, looked up once.
func (b *bundle) deployment(t *testing.T, n *nodetest.Node, svc string) string {
	t.Helper()
	if d, ok := b.deploys[svc]; ok {
		return d
	}
	out := strings.Fields(n.MustKubectl(t, "get", "deployments", "-n", b.ns, "-l", "app.kubernetes.io/name="+svc, "-o", "name"))
	if len(out) != 1 {
		t.Fatalf("service %s: %d Deployments labelled app.kubernetes.io/name=%s in %s, want 1", svc, len(out), svc, b.ns)
	}
	if b.deploys == nil {
		b.deploys = map[string]string{}
	}
	b.deploys[svc] = out[0]
	return out[0]
}

// exec runs the stand-in binary in a pod of svc, as the pod's user.
func (b *bundle) exec(t *testing.T, n *nodetest.Node, svc string, args ...string) (string, error) {
	t.Helper()
	out, errOut, err := n.Kubectl(t, append([]string{"exec", "-n", b.ns, b.deployment(t, n, svc), "--", nodetest.StandinBinary}, args...)...)
	if err != nil {
		return out + errOut, err
	}
	return out, nil
}

// linksResolve asks, from inside each service's pod, every service it
// links to, through the URL the deployment gave the process: the Service
// name must resolve through the cluster's DNS and the ClusterIP answer.
func (b *bundle) linksResolve(t *testing.T, n *nodetest.Node) {
	t.Helper()
	for _, svc := range b.model.Services {
		if svc.Job {
			// Its pod has exited: the Job's completion (waitRolledOut)
			// is the proof, since the stand-in job fails unless every
			// link answers.
			continue
		}
		for _, l := range svc.Links {
			if l.ResolvedBy == topology.ResolvedByBrowser {
				continue
			}
			to, _ := b.model.Service(l.To)
			// The built-in app's links are URLs its role stand-ins GET;
			// another app's stand-in reads its spec and uses the link in
			// the link's own form (host:port, a host beside its port, a
			// postgres URL).
			args := []string{"get", l.Env, to.HealthPath}
			if b.app.Path != "" {
				args = []string{"link", l.Env}
			}
			var out string
			var err error
			for range 10 {
				if out, err = b.exec(t, n, svc.Name, args...); err == nil {
					break
				}
				time.Sleep(time.Second)
			}
			if err != nil {
				t.Errorf("%s -> %s through %s, from inside %s's pod: %v\n%s", svc.Name, l.To, l.Env, svc.Name, err, out)
				continue
			}
			t.Logf("in %s's pod: %s", svc.Name, strings.TrimSpace(out))
		}
	}
}

// writeVolumes writes into every volume of the app as the pod's user.
func (b *bundle) writeVolumes(t *testing.T, n *nodetest.Node) {
	t.Helper()
	for _, svc := range b.model.Services {
		if svc.Storage == nil || svc.Job {
			continue
		}
		text := fmt.Sprintf("kept by %s/%s at %s", b.ns, svc.Name, time.Now().Format(time.RFC3339Nano))
		if out, err := b.exec(t, n, svc.Name, "keep", svc.Storage.MountPath, text); err != nil {
			t.Errorf("%s: writing to its volume at %s as the pod's user: %v\n%s", svc.Name, svc.Storage.MountPath, err, out)
			continue
		}
		if svc.Storage.Persistent {
			b.kept[svc.Name] = text
		}
	}
}

// volumesKept reads back what writeVolumes wrote to persistent volumes.
func (b *bundle) volumesKept(t *testing.T, n *nodetest.Node) {
	t.Helper()
	for svc, want := range b.kept {
		got, err := b.exec(t, n, svc, "kept", b.storage(svc))
		if err != nil || got != want {
			t.Errorf("%s: its persistent volume holds %q (%v), want %q", svc, got, err, want)
		}
	}
}

func (b *bundle) storage(svc string) string {
	s, _ := b.model.Service(svc)
	return s.Storage.MountPath
}

// kubeService is the Kubernetes Service of one of the app's services.
type kubeService struct {
	name, port, clusterIP string
}

// services maps each of the app's services to its Kubernetes Service.
func (b *bundle) services(t *testing.T, n *nodetest.Node) map[string]kubeService {
	t.Helper()
	var list struct {
		Items []struct {
			Metadata struct {
				Name   string
				Labels map[string]string
			}
			Spec struct {
				ClusterIP string
				Ports     []struct{ Port int }
			}
		}
	}
	if err := json.Unmarshal([]byte(n.MustKubectl(t, "get", "services", "-n", b.ns, "-o", "json")), &list); err != nil {
		t.Fatal(err)
	}
	out := map[string]kubeService{}
	for _, s := range list.Items {
		if len(s.Spec.Ports) == 0 {
			continue
		}
		out[s.Metadata.Labels["app.kubernetes.io/name"]] = kubeService{s.Metadata.Name, fmt.Sprint(s.Spec.Ports[0].Port), s.Spec.ClusterIP}
	}
	return out
}

// wiring is the target's wiring of the app as this bundle renders it.
func (b *bundle) wiring(t *testing.T, specPath string) topology.Wiring {
	t.Helper()
	ov := target.Overrides{Namespace: b.ns, Images: b.refs}
	if takes(b.target, target.FlagAddress) {
		ov.Address = testAddress
	}
	var p *target.Plan
	if specPath == "" {
		p = b.app.Plan(t, ov)
	} else {
		p = bundletest.Load(t, specPath, ov)
	}
	return p.Wiring(bundletest.Target(t, b.target))
}

// verifyForwarded runs `synctl verify --forward` through a `kubectl
// port-forward` to each public Service, until it passes or 60 s are over
// (a Service's endpoints follow its pods' readiness with a delay).
func (b *bundle) verifyForwarded(t *testing.T, n *nodetest.Node, synctl, specPath string) {
	t.Helper()
	svcs := b.services(t, n)
	args := append([]string{"verify", "--timeout", "4s"}, b.flags(specPath)...)
	for _, r := range b.wiring(t, specPath).Routes {
		ks, ok := svcs[r.Service]
		if !ok {
			t.Fatalf("public service %s has no Kubernetes Service in %s", r.Service, b.ns)
		}
		addr := portForward(t, n, b.ns, ks.name, ks.port)
		args = append(args, "--forward", r.Service+"="+addr)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := run("", synctl, args...)
		if err == nil {
			t.Logf("synctl %s\n%s", strings.Join(args, " "), out)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("synctl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		time.Sleep(time.Second)
	}
}

var forwarding = regexp.MustCompile(`Forwarding from 127\.0\.0\.1:(\d+)`)

// portForward runs `kubectl port-forward` to a Service on a free local
// port until t ends, and returns its address.
func portForward(t *testing.T, n *nodetest.Node, ns, svc, port string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "kubectl", "--kubeconfig", n.Kubeconfig, "port-forward", "-n", ns, "--address", "127.0.0.1", "service/"+svc, ":"+port)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := forwarding.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(io.Discard, stdout)
	}()
	select {
	case p := <-found:
		return "127.0.0.1:" + p
	case <-time.After(30 * time.Second):
		t.Fatalf("kubectl port-forward -n %s service/%s :%s printed no address in 30 s: %s", ns, svc, port, stderr.String())
	}
	return ""
}

func buildSynctl(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "synctl")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/synctl")
	cmd.Dir = bundletest.RepoRoot(t)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/synctl: %v\n%s", err, out)
	}
	return bin
}

func run(dir, bin string, args ...string) (string, error) {
	cmd := exec.Command(bin, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func mustRun(t *testing.T, dir, bin string, args ...string) string {
	t.Helper()
	out, err := run(dir, bin, args...)
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", filepath.Base(bin), strings.Join(args, " "), err, out)
	}
	return out
}

// budget shares the node's allocatable CPU among the bundles: a bundle
// whose pods' requests do not fit would leave pods Pending (on GKE
// Autopilot, where every container requests 250m, nodes are added; here
// there is one node of 2 cores). A bundle waits while it does not fit, or
// while one ranked before it (larger) is waiting and fits.
type budget struct {
	mu       sync.Mutex
	cond     *sync.Cond
	capacity int // millicores
	used     int
	waiting  map[int]int // rank -> need
}

func newBudget(t *testing.T, n *nodetest.Node) *budget {
	t.Helper()
	q := strings.TrimSpace(n.MustKubectl(t, "get", "node", nodetest.NodeName, "-o", "jsonpath={.status.allocatable.cpu}"))
	b := &budget{capacity: milli(t, q), waiting: map[int]int{}}
	b.cond = sync.NewCond(&b.mu)
	return b
}

func (b *budget) acquire(t *testing.T, rank, need int) {
	t.Helper()
	if need > b.capacity {
		t.Fatalf("this bundle's pods request %dm CPU, more than the node's %dm: it cannot run here", need, b.capacity)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.waiting[rank] = need
	defer func() {
		delete(b.waiting, rank)
		b.cond.Broadcast()
	}()
	for !b.mayStart(rank, need) {
		b.cond.Wait()
	}
	b.used += need
}

func (b *budget) mayStart(rank, need int) bool {
	if b.used+need > b.capacity {
		return false
	}
	for r, n := range b.waiting {
		if r < rank && b.used+n <= b.capacity {
			return false
		}
	}
	return true
}

// forget drops a bundle that ends without acquiring (it failed first), so
// that it holds no smaller one back.
func (b *budget) forget(rank int) {
	b.mu.Lock()
	delete(b.waiting, rank)
	b.mu.Unlock()
	b.cond.Broadcast()
}

func (b *budget) release(need int) {
	b.mu.Lock()
	b.used -= need
	b.mu.Unlock()
	b.cond.Broadcast()
}

// milli parses a CPU quantity ("2", "250m", "0.5") into millicores.
func milli(t *testing.T, q string) int {
	t.Helper()
	if q == "" {
		return 0
	}
	if v, ok := strings.CutSuffix(q, "m"); ok {
		var n int
		if _, err := fmt.Sscan(v, &n); err != nil {
			t.Fatalf("CPU quantity %q: %v", q, err)
		}
		return n
	}
	var f float64
	if _, err := fmt.Sscan(q, &f); err != nil {
		t.Fatalf("CPU quantity %q: %v", q, err)
	}
	return int(f * 1000)
}

// cpuNeed is the CPU the bundle's pods request: every Deployment at its
// replicas (or its autoscaler's minimum, which the controller enforces
// without metrics), plus the largest surge of one rolling update (maxSurge
// 25%, rounded up; none for Recreate): the tests roll one Deployment at a
// time.
func (b *bundle) cpuNeed(t *testing.T) int {
	t.Helper()
	minReplicas := map[string]int{}
	for _, o := range bundleObjects(t, b.dir) {
		if o.Kind == "HorizontalPodAutoscaler" {
			minReplicas[o.Spec.ScaleTargetRef.Name] = o.Spec.MinReplicas
		}
	}
	sum, maxSurge := 0, 0
	for _, o := range bundleObjects(t, b.dir) {
		if o.Kind != "Deployment" && o.Kind != "Job" {
			continue
		}
		perPod := 0
		for _, c := range o.Spec.Template.Spec.Containers {
			perPod += milli(t, c.Resources.Requests.CPU)
		}
		replicas := 1
		if o.Spec.Replicas != nil {
			replicas = *o.Spec.Replicas
		}
		replicas = max(replicas, minReplicas[o.Metadata.Name])
		sum += perPod * replicas
		if o.Kind == "Deployment" && o.Spec.Strategy.Type != "Recreate" {
			maxSurge = max(maxSurge, perPod*((replicas+3)/4))
		}
	}
	return sum + maxSurge
}
