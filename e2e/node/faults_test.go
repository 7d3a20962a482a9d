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
// it is bound to). No walk may fail: the old pods sleep in preStop, still
// serving, while the endpoints move to the new ones (without that hook,
// connections were refused for 1-4 s).
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
	walk := func() (bool, string) {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		rep, err := verify.Run(ctx, m, w, "", verify.Options{Timeout: 2 * time.Second, Forward: forward})
		if err != nil {
			t.Error(err)
			return false, err.Error()
		}
		if rep.OK() {
			return true, ""
		}
		var sb strings.Builder
		_ = rep.Write(&sb)
		return false, sb.String()
	}
	// The Services' endpoints follow the pods (the deleted one's
	// successor) with a delay: walk until one passes, for up to 60 s.
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(time.Second) {
		ok, report := walk()
		if ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("verify through the ClusterIPs fails before the update, for 60 s:\n%s", report)
		}
	}

	old := b.podNames(t, n, frontend)
	type sample struct {
		at     time.Time
		ok     bool
		report string
	}
	var mu sync.Mutex
	var samples []sample
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			ok, report := walk()
			mu.Lock()
			samples = append(samples, sample{time.Now(), ok, report})
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
	var worstReport string
	passes := 0
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
		if failStart.IsZero() {
			failStart = s.at
			worstReport = s.report
		}
	}
	if !failStart.IsZero() {
		t.Fatalf("verify still failing at the end of the rollout:\n%s", samples[len(samples)-1].report)
	}
	t.Logf("TIMING %s/%s: rolling update of %s done in %s; %d walks, %d passed, longest failure %s (probe interval %ds)", b.app.Name, b.target, frontend, rolled.Round(time.Millisecond), len(samples), passes, worst.Round(time.Millisecond), period)
	if failed := len(samples) - passes; failed > 0 {
		t.Errorf("verify failed %d of %d times during the rolling update of %s (for up to %s); a rolling update must lose no request; the first failure:\n%s", failed, len(samples), frontend, worst.Round(time.Millisecond), worstReport)
	}
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
