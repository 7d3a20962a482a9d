package kubetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// A Seed is the stored state of a control plane that was set up once — CRDs
// installed, say — from which any number of fresh clusters boot. Each such
// cluster gets its own copy of the seed's etcd data, its own processes, PKI
// and ports, so it is as fresh as one made by Start followed by the setup,
// but the setup's cost is paid once per test binary: installing the Gateway
// API's CRDs takes seconds on a small machine, copying the data takes
// milliseconds.
//
// The seed is built on first use, in the test that first calls Start. A
// test binary that uses a Seed removes its data from TestMain:
//
//	var seed = kubetest.NewSeed(func(t testing.TB, c *kubetest.Cluster) { c.InstallGatewayAPI(t) })
//
//	func TestMain(m *testing.M) {
//		code := m.Run()
//		seed.Remove()
//		os.Exit(code)
//	}
type Seed struct {
	setup func(testing.TB, *Cluster)

	mu     sync.Mutex
	data   string   // etcd data directory once built
	groups []string // "group/version" of every CRD version the setup served
	err    error    // why the seed cannot be built; sticks
}

// NewSeed returns a seed whose clusters start with what setup did to a
// fresh control plane. setup reports failures to the t it is given.
func NewSeed(setup func(t testing.TB, c *Cluster)) *Seed {
	return &Seed{setup: setup}
}

// Start starts a control plane of t's own from the seed, building the seed
// first if no test has yet. Like Start, it skips t (fails it under CI=true)
// when a binary is missing.
func (s *Seed) Start(t testing.TB) *Cluster {
	t.Helper()
	ts, err := findTools()
	if err != nil {
		unavailable(t, err.Error())
	}
	data, groups := s.build(t, ts)
	begin := time.Now()
	c, err := start(ts, t.TempDir(), data)
	t.Cleanup(func() {
		if t.Failed() {
			c.logTails(t.Logf)
		}
		if err := c.Stop(); err != nil {
			t.Errorf("kubetest: stopping the control plane: %v", err)
		}
	})
	if err == nil {
		err = c.waitDiscovery(groups, readyTimeout)
	}
	if err != nil {
		t.Fatalf("kubetest: starting from the seed: %v", err)
	}
	t.Logf("kubetest: control plane %s ready from the seed in %s (files in %s)", c.Server, time.Since(begin).Round(time.Millisecond), c.Dir)
	return c
}

// build runs the setup once, on a control plane that is stopped right
// after, and keeps its etcd data.
func (s *Seed) build(t testing.TB, ts tools) (string, []string) {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		t.Fatalf("kubetest: %v", s.err)
	}
	if s.data != "" {
		return s.data, s.groups
	}
	// Should setup call t.Fatal, this goroutine ends here and every later
	// Start reports the same failure instead of trying again.
	s.err = fmt.Errorf("building the seed failed in %s; see that test's log", t.Name())
	begin := time.Now()
	dir, err := os.MkdirTemp("", "synctl-kubetest-seed-")
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	defer os.RemoveAll(dir)
	c, err := start(ts, dir, "")
	defer c.Stop()
	if err != nil {
		c.logTails(t.Logf)
		t.Fatalf("kubetest: starting the seed's control plane: %v", err)
	}
	s.setup(t, c)
	groups, err := c.crdGroupVersions(t)
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	// Stop kube-apiserver first, then etcd, so that etcd's files are
	// complete and consistent; keep them instead of removing them.
	etcd := c.procs[0]
	data := etcd.cleanupDir
	etcd.cleanupDir = ""
	if err := c.Stop(); err != nil {
		os.RemoveAll(data)
		t.Fatalf("kubetest: stopping the seed's control plane: %v", err)
	}
	s.data, s.groups, s.err = data, groups, nil
	t.Logf("kubetest: built the seed (%s) in %s", strings.Join(groups, ", "), time.Since(begin).Round(time.Millisecond))
	return s.data, s.groups
}

// Remove deletes the seed's data. Call it once no test needs the seed,
// from TestMain after m.Run.
func (s *Seed) Remove() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.data == "" {
		return nil
	}
	err := os.RemoveAll(s.data)
	s.data, s.err = "", errors.New("the seed was removed")
	return err
}

// crdGroupVersions lists "group/version" for every served CRD version.
func (c *Cluster) crdGroupVersions(t testing.TB) ([]string, error) {
	out := c.MustKubectl(t, "get", "customresourcedefinitions", "-o", "json")
	var list struct {
		Items []struct {
			Spec struct {
				Group    string `json:"group"`
				Versions []struct {
					Name   string `json:"name"`
					Served bool   `json:"served"`
				} `json:"versions"`
			} `json:"spec"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		return nil, fmt.Errorf("listing CRDs: %w", err)
	}
	var gvs []string
	for _, it := range list.Items {
		for _, v := range it.Spec.Versions {
			if v.Served {
				gvs = append(gvs, it.Spec.Group+"/"+v.Name)
			}
		}
	}
	slices.Sort(gvs)
	return slices.Compact(gvs), nil
}

// waitDiscovery waits until the server's discovery lists resources for
// every group/version in gvs. /readyz does not wait for it: the CRDs from
// etcd are served a moment after the server turns ready, and kubectl, which
// maps kinds through discovery, would fail with "no matches for kind" in
// between.
func (c *Cluster) waitDiscovery(gvs []string, timeout time.Duration) error {
	if len(gvs) == 0 {
		return nil
	}
	client, err := c.adminClient()
	if err != nil {
		return err
	}
	deadline := time.Now().Add(timeout)
	for _, gv := range gvs {
		for {
			err := discovered(client, c.Server, gv)
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s not in discovery after %s: %v", gv, timeout, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nil
}

// discovered checks both kinds of discovery kubectl may use: the
// aggregated document at /apis, and the group/version's resource list.
func discovered(client *http.Client, server, gv string) error {
	group, version, _ := strings.Cut(gv, "/")
	req, err := http.NewRequest(http.MethodGet, server+"/apis", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json")
	var agg struct {
		Items []struct {
			Metadata struct{ Name string } `json:"metadata"`
			Versions []struct {
				Version   string            `json:"version"`
				Resources []json.RawMessage `json:"resources"`
			} `json:"versions"`
		} `json:"items"`
	}
	if err := getJSON(client, req, &agg); err != nil {
		return err
	}
	found := false
	for _, g := range agg.Items {
		for _, v := range g.Versions {
			found = found || g.Metadata.Name == group && v.Version == version && len(v.Resources) > 0
		}
	}
	if !found {
		return fmt.Errorf("%s has no resources in the aggregated discovery at /apis yet", gv)
	}
	if req, err = http.NewRequest(http.MethodGet, server+"/apis/"+gv, nil); err != nil {
		return err
	}
	var list struct {
		Resources []json.RawMessage `json:"resources"`
	}
	if err := getJSON(client, req, &list); err != nil {
		return err
	}
	if len(list.Resources) == 0 {
		return fmt.Errorf("GET /apis/%s lists no resources yet", gv)
	}
	return nil
}

func getJSON(client *http.Client, req *http.Request, v any) error {
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", req.URL.Path, resp.Status)
	}
	return json.Unmarshal(body, v)
}
