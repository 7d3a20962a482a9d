package node

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/synctl/synctl/internal/nodetest"
	"github.com/synctl/synctl/pkg/topology"
	"github.com/synctl/synctl/pkg/verify"
)

// podNames lists the live pods of service svc.
func (b *bundle) podNames(t *testing.T, n *nodetest.Node, svc string) []string {
	t.Helper()
	var pods struct {
		Items []struct {
			Metadata struct {
				Name              string
				DeletionTimestamp *string
			}
			Status struct {
				Conditions []struct{ Type, Status string }
			}
		}
	}
	if err := json.Unmarshal([]byte(n.MustKubectl(t, "get", "pods", "-n", b.ns, "-l", "app.kubernetes.io/name="+svc, "-o", "json")), &pods); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range pods.Items {
		if p.Metadata.DeletionTimestamp != nil {
			continue
		}
		ready := false
		for _, c := range p.Status.Conditions {
			ready = ready || c.Type == "Ready" && c.Status == "True"
		}
		if ready {
			names = append(names, p.Metadata.Name)
		}
	}
	return names
}

// deletedPodKeepsData deletes the pods of every service with a persistent
// volume (of the frontend where the app has none): the Deployment must
// bring a new pod up, Ready, holding what the old one wrote.
func (b *bundle) deletedPodKeepsData(t *testing.T, n *nodetest.Node) {
	var victims []string
	for _, s := range b.model.Services {
		if _, ok := b.kept[s.Name]; ok {
			victims = append(victims, s.Name)
		}
	}
	if len(victims) == 0 {
		for _, s := range b.model.Services {
			if s.Role == topology.RoleFrontend {
				victims = append(victims, s.Name)
			}
		}
	}
	for _, svc := range victims {
		old := b.podNames(t, n, svc)
		begin := time.Now()
		n.MustKubectl(t, "delete", "pods", "-n", b.ns, "-l", "app.kubernetes.io/name="+svc, "--wait=true", "--timeout=60s")
		deadline := time.Now().Add(120 * time.Second)
		for {
			now := b.podNames(t, n, svc)
			if len(now) >= len(old) && !slices.ContainsFunc(now, func(p string) bool { return slices.Contains(old, p) }) {
				break
			}
			if time.Now().After(deadline) {
				pods, _, _ := n.Kubectl(t, "get", "pods", "-n", b.ns, "-o", "wide")
				t.Fatalf("%s: no new Ready pod 120 s after its pods %v were deleted:\n%s", svc, old, pods)
			}
			time.Sleep(time.Second)
		}
		t.Logf("TIMING %s/%s: %s's pods deleted, a new one Ready in %s", b.app.Name, b.target, svc, time.Since(begin).Round(time.Millisecond))
	}
	b.volumesKept(t, n)
}

// rollingUpdate changes the spec (an environment variable of the
// frontend), renders again and applies by the README: the frontend's
// Deployment rolls its pods while verify walks the app every half second
// through the Services' ClusterIPs (a port-forward would die with the pod
// it is bound to).
//
// What the rollout may cost is the bound: verify never fails for
// longer than one readiness-probe interval. Within that bound, a failed
// walk is still a defect when a connection was refused or reset: that is
// an old pod that stopped serving while it was still an endpoint, what the
// rendered preStop sleep prevents (without it, connections were refused
// for 1-4 s). A walk whose every failure is a timeout is a stall: on a
// loaded 2-core CI machine (load average above 10 with e2e/kube beside
// this suite) services the rollout does not touch time out in the same
// walk, so a stall is logged and tolerated within the bound.
func (b *bundle) rollingUpdate(t *testing.T, n *nodetest.Node, synctl string) {
	var spec map[string]any
	if err := yaml.Unmarshal(b.spec, &spec); err != nil {
		t.Fatal(err)
	}
	var frontend string
	for _, s := range spec["spec"].(map[string]any)["services"].([]any) {
		svc := s.(map[string]any)
		if svc["role"] == string(topology.RoleFrontend) {
			frontend = svc["name"].(string)
			env, _ := svc["env"].(map[string]any)
			if env == nil {
				env = map[string]any{}
			}
			env["SYNCTL_NODETEST_ROLLOUT"] = "2"
			svc["env"] = env
		}
	}
	if frontend == "" {
		t.Fatal("the spec has no frontend")
	}
	data, err := yaml.Marshal(spec)
	if err != nil {
		t.Fatal(err)
	}
	specPath := filepath.Join(t.TempDir(), b.model.Name+"-changed.yaml")
	if err := os.WriteFile(specPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	changed := *b
	changed.dir = filepath.Join(t.TempDir(), b.target)
	mustRun(t, "", synctl, append([]string{"render", "--out", changed.dir}, b.flags(specPath)...)...)
	period := 10
	for _, o := range bundleObjects(t, changed.dir) {
		if o.Kind == "Deployment" && strings.HasSuffix(o.Metadata.Name, "-"+frontend) {
			for _, c := range o.Spec.Template.Spec.Containers {
				if c.ReadinessProbe != nil && c.ReadinessProbe.PeriodSeconds > 0 {
					period = c.ReadinessProbe.PeriodSeconds
				}
			}
		}
	}

	svcs := b.services(t, n)
	w := changed.wiring(t, specPath)
	forward := map[string]string{}
	for _, r := range w.Routes {
		ks := svcs[r.Service]
		forward[r.Service] = net.JoinHostPort(ks.clusterIP, ks.port)
	}
	m := bundleModel(t, specPath, &changed)
	// walk reports whether verify passed, and on failure whether every
	// failed hop timed out (a stall) and what verify printed.
	walk := func() (ok, stall bool, report string) {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		rep, err := verify.Run(ctx, m, w, "", verify.Options{Timeout: 4 * time.Second, Forward: forward})
		if err != nil {
			t.Error(err)
			return false, false, err.Error()
		}
		if rep.OK() {
			return true, false, ""
		}
		var sb strings.Builder
		_ = rep.Write(&sb)
		return false, stalled(rep), sb.String()
	}
	// The Services' endpoints follow the pods (the deleted one's
	// successor) with a delay: walk until one passes, for up to 60 s.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(time.Second) {
		ok, _, report := walk()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("verify through the ClusterIPs fails before the update, for 60 s:\n%s", report)
		}
	}

	old := b.podNames(t, n, frontend)
	type sample struct {
		at        time.Time // when the walk began
		ok, stall bool
		report    string
	}
	var mu sync.Mutex
	var samples []sample
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			at := time.Now()
			ok, stall, report := walk()
			mu.Lock()
			samples = append(samples, sample{at, ok, stall, report})
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(500 * time.Millisecond):
			}
		}
	}()
	begin := time.Now()
	changed.bringUp(t, n)
	changed.waitRolledOut(t, n)
	// The Services' endpoints follow the last pod change with a delay:
	// walk on until a walk passes, within one probe interval.
	settle := time.Now().Add(time.Duration(period) * time.Second)
	for time.Now().Before(settle) {
		time.Sleep(500 * time.Millisecond)
		mu.Lock()
		passed := len(samples) > 0 && samples[len(samples)-1].ok
		mu.Unlock()
		if passed {
			break
		}
	}
	close(stop)
	<-done
	rolled := time.Since(begin)
	if now := b.podNames(t, n, frontend); slices.ContainsFunc(now, func(p string) bool { return slices.Contains(old, p) }) {
		t.Fatalf("the frontend's pods %v are the old ones %v: the change did not roll the Deployment", now, old)
	}

	var worst time.Duration
	var worstReport, defectReport string
	passes, stalls := 0, 0
	var failStart time.Time
	for _, s := range samples {
		if s.ok {
			passes++
			if !failStart.IsZero() {
				if d := s.at.Sub(failStart); d > worst {
					worst = d
				}
				failStart = time.Time{}
			}
			continue
		}
		if s.stall {
			stalls++
		} else if defectReport == "" {
			defectReport = s.report
		}
		t.Logf("%s/%s: a walk %s into the rolling update failed:\n%s", b.app.Name, b.target, s.at.Sub(begin).Round(time.Millisecond), s.report)
		if failStart.IsZero() {
			failStart = s.at
			worstReport = s.report
		}
	}
	if !failStart.IsZero() {
		t.Fatalf("verify still failing at the end of the rollout:\n%s", samples[len(samples)-1].report)
	}
	bound := time.Duration(period) * time.Second
	t.Logf("TIMING %s/%s: rolling update of %s done in %s; %d walks, %d passed, %d stalled (every failure a timeout), longest failure %s (probe interval %s)", b.app.Name, b.target, frontend, rolled.Round(time.Millisecond), len(samples), passes, stalls, worst.Round(time.Millisecond), bound)
	if defectReport != "" {
		t.Errorf("during the rolling update of %s a walk failed other than by a timeout (a refused or reset connection is an old pod that stopped serving while still an endpoint); the first such walk:\n%s", frontend, defectReport)
	}
	if worst >= bound {
		t.Errorf("verify failed for %s during the rolling update of %s, not less than one probe interval (%s); the first failure:\n%s", worst.Round(time.Millisecond), frontend, bound, worstReport)
	}
}

// stalled reports whether every failed hop of rep timed out: no answer in
// time from a route, or a check whose own request got no answer in time
// (verify's link-unreachable diagnosis of a service left waiting on its
// link; net/http's timeout is in the hop's detail). A refused or reset
// connection, or a wrong answer (a link the service reports unreachable
// among them), is no stall.
func stalled(rep *verify.Report) bool {
	for _, h := range rep.Hops {
		if h.Status != verify.Fail {
			continue
		}
		timedOut := strings.Contains(h.Detail, "Timeout exceeded") || strings.Contains(h.Detail, "deadline exceeded")
		if h.Cause != verify.CauseTimeout && !(h.Cause == verify.CauseLinkUnreachable && timedOut) {
			return false
		}
	}
	return true
}

// bundleModel is the model of the changed spec, as the render saw it.
func bundleModel(t *testing.T, specPath string, b *bundle) *topology.Model {
	t.Helper()
	data, err := os.ReadFile(specPath)
	if err != nil {
		t.Fatal(err)
	}
	m, err := topology.Decode(specPath, data)
	if err != nil {
		t.Fatal(fmt.Errorf("%s: %w", specPath, err))
	}
	return m
}
