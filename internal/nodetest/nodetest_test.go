package nodetest

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

func TestWriteArchive(t *testing.T) {
	shared := &Layer{Files: map[string]File{"bin/tool": {Data: []byte("binary"), Mode: 0o755}}}
	own := &Layer{Files: map[string]File{"app.yaml": {Data: []byte("spec"), Mode: 0o644}}}
	var buf bytes.Buffer
	err := WriteArchive(&buf, []Image{
		{Ref: "example/a:1", Layers: []*Layer{shared}, Entrypoint: []string{"/bin/tool", "a"}},
		{Ref: "example/b:2", Layers: []*Layer{shared, own}, Entrypoint: []string{"/bin/tool", "b"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(&buf)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, dup := files[h.Name]; dup {
			t.Errorf("%s is in the archive twice", h.Name)
		}
		files[h.Name], _ = io.ReadAll(tr)
	}
	var manifest []manifestEntry
	if err := json.Unmarshal(files["manifest.json"], &manifest); err != nil {
		t.Fatalf("manifest.json: %v", err)
	}
	if len(manifest) != 2 || manifest[0].RepoTags[0] != "example/a:1" || manifest[1].RepoTags[0] != "example/b:2" {
		t.Fatalf("manifest.json = %s", files["manifest.json"])
	}
	if len(manifest[1].Layers) != 2 || manifest[0].Layers[0] != manifest[1].Layers[0] {
		t.Errorf("the shared layer is not shared: %+v", manifest)
	}
	for _, m := range manifest {
		var cfg imageConfig
		if err := json.Unmarshal(files[m.Config], &cfg); err != nil {
			t.Fatalf("%s: %v", m.Config, err)
		}
		if sum := sha256.Sum256(files[m.Config]); hex.EncodeToString(sum[:])+".json" != m.Config {
			t.Errorf("config %s is not named by its digest", m.Config)
		}
		for i, l := range m.Layers {
			sum := sha256.Sum256(files[l])
			if want := "sha256:" + hex.EncodeToString(sum[:]); cfg.RootFS.DiffIDs[i] != want {
				t.Errorf("%s: diff_id %s, layer digest %s", m.RepoTags[0], cfg.RootFS.DiffIDs[i], want)
			}
		}
	}
	// The layer holds its parent directory, then the file, as root.
	lr := tar.NewReader(bytes.NewReader(files[manifest[0].Layers[0]]))
	var names []string
	for {
		h, err := lr.Next()
		if err != nil {
			break
		}
		names = append(names, h.Name)
		if h.Name == "bin/tool" && (h.Mode != 0o755 || h.Uid != 0) {
			t.Errorf("bin/tool: mode %o uid %d", h.Mode, h.Uid)
		}
	}
	if strings.Join(names, " ") != "bin/ bin/tool" {
		t.Errorf("layer entries = %v", names)
	}
}

func TestCheckRef(t *testing.T) {
	for ref, ok := range map[string]bool{
		"synctl-nodetest/x:0123":              true,
		"localhost:5000/x:1":                  true,
		"synctl-nodetest/x":                   false,
		"localhost:5000/x":                    false,
		"synctl-nodetest/x:latest":            false,
		"x@sha256:" + strings.Repeat("0", 64): false,
	} {
		if err := checkRef(ref); (err == nil) != ok {
			t.Errorf("checkRef(%q) = %v, want ok=%v", ref, err, ok)
		}
	}
}

// TestNodeRunsPods starts a node and runs a pod the way the bundles' pods
// run: restricted Pod Security, a non-root user, a read-only root, a
// PersistentVolumeClaim of the default StorageClass, a Service called by
// name from inside the pod. Then it stops the node and checks that the
// host is as it was.
func TestNodeRunsPods(t *testing.T) {
	n := Start(t)
	// As the node recorded them before it changed anything (after
	// undoing what a killed run may have left).
	before := n.sysctls
	n.AddVolumes(t, 1, "1Gi")
	bin := standinBin(t)
	img := Image{Ref: "synctl-nodetest/smoke-web:1", Layers: []*Layer{bin}, Entrypoint: []string{StandinBinary, "web"}}
	n.Import(t, []Image{img})
	manifest := `apiVersion: v1
kind: Namespace
metadata:
  name: smoke
  labels: {pod-security.kubernetes.io/enforce: restricted}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data, namespace: smoke}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: smoke}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: smoke}
spec:
  selector: {matchLabels: {app: web}}
  strategy: {type: Recreate}
  template:
    metadata: {labels: {app: web}}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: 65532
        runAsGroup: 65532
        fsGroup: 65532
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: web
        image: ` + img.Ref + `
        env:
        - {name: WEB_PORT, value: "8080"}
        - {name: SELF_URL, value: "http://web"}
        ports: [{containerPort: 8080}]
        readinessProbe:
          httpGet: {path: /, port: 8080}
          periodSeconds: 1
        securityContext:
          allowPrivilegeEscalation: false
          readOnlyRootFilesystem: true
          capabilities: {drop: [ALL]}
        volumeMounts: [{name: data, mountPath: /data}]
      volumes:
      - name: data
        persistentVolumeClaim: {claimName: data}
`
	if out, errOut, err := n.KubectlStdin(t, []byte(manifest), "apply", "--server-side", "-f", "-"); err != nil {
		t.Fatalf("apply: %v\n%s%s", err, out, errOut)
	}
	begin := time.Now()
	if out, errOut, err := n.Kubectl(t, "-n", "smoke", "rollout", "status", "deployment/web", "--timeout=120s"); err != nil {
		t.Log(n.MustKubectl(t, "-n", "smoke", "describe", "pods"))
		t.Fatalf("rollout: %v\n%s%s", err, out, errOut)
	}
	t.Logf("TIMING deployment ready %s after apply", time.Since(begin).Round(time.Millisecond))
	n.MustKubectl(t, "-n", "smoke", "exec", "deploy/web", "--", StandinBinary, "keep", "/data", "kept")
	if got := n.MustKubectl(t, "-n", "smoke", "exec", "deploy/web", "--", StandinBinary, "kept", "/data"); got != "kept" {
		t.Errorf("kept = %q", got)
	}
	// Service DNS and the ClusterIP, from inside the pod, to itself.
	var out, errOut string
	var err error
	for range 20 {
		if out, errOut, err = n.Kubectl(t, "-n", "smoke", "exec", "deploy/web", "--", StandinBinary, "get", "SELF_URL", "/"); err == nil {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("GET the pod's own Service by name: %v\n%s%s", err, out, errOut)
	}
	t.Logf("in-pod: %s", out)

	if err := n.Stop(t); err != nil {
		t.Fatal(err)
	}
	if after := readSysctls(); !mapsEqual(before, after) {
		t.Errorf("sysctls not restored: before %v, after %v", before, after)
	}
	if _, err := net.InterfaceByName(bridgeName); err == nil {
		t.Errorf("the bridge %s is still there", bridgeName)
	}
	if out, err := exec.Command("nft", "list", "table", "ip", "kube-proxy").CombinedOutput(); err == nil {
		t.Errorf("table ip kube-proxy is still there:\n%s", out)
	}
	if _, err := os.Stat(n.Dir); err == nil {
		t.Errorf("%s is still there", n.Dir)
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestRecoverHost plays the next Start after a test binary died with its
// node up: the record it left names a sysctl the node changed, a
// directory and the bridge; recoverHost must restore and remove them all,
// and the record with them.
func TestRecoverHost(t *testing.T) {
	optIn(t)
	if os.Geteuid() != 0 {
		unavailable(t, "recovering a node's host changes needs root; run the tests as root")
	}
	p, err := findParts()
	if err != nil {
		unavailable(t, err.Error())
	}
	// The host's lock, as a node's: the bridge is the host's one.
	lockFile, err := lock(t)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { lockFile.Close() })
	// The record in a directory of the test's own.
	real := stateDir
	stateDir = t.TempDir()
	t.Cleanup(func() { stateDir = real })
	const name = "kernel/panic_on_oops"
	data, err := os.ReadFile("/proc/sys/" + name)
	if err != nil {
		t.Skipf("no %s here: %v", name, err)
	}
	before := strings.TrimSpace(string(data))
	changed := "1"
	if before == "1" {
		changed = "0"
	}
	dir, err := os.MkdirTemp("", "synctl-node-")
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{Dir: dir, sock: dir + "/containerd/containerd.sock", sysctls: map[string]string{name: before}, netnsBefore: listDir("/run/netns"), iptablesBefore: kubeChains()}
	if err := n.writeState(); err != nil {
		t.Fatal(err)
	}
	// What the dead node left: the sysctl changed, its bridge, its files.
	if err := os.WriteFile("/proc/sys/"+name, []byte(changed), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.WriteFile("/proc/sys/"+name, []byte(before), 0o644) })
	if err := n.bridge(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = exec.Command("ip", "link", "delete", bridgeName).Run() })
	if err := os.WriteFile(dir+"/left", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}

	if err := recoverHost(t, p.nft); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile("/proc/sys/" + name); strings.TrimSpace(string(got)) != before {
		t.Errorf("%s = %s after the recovery, want %s as before the dead node", name, got, before)
	}
	if _, err := net.InterfaceByName(bridgeName); err == nil {
		t.Errorf("the bridge %s is still there", bridgeName)
	}
	if _, err := os.Stat(dir); err == nil {
		t.Errorf("the dead node's directory %s is still there", dir)
	}
	if s, err := readState(); err != nil || s != nil {
		t.Errorf("the record is still there (%v, %v)", s, err)
	}
	// With no record, there is nothing to do.
	if err := recoverHost(t, p.nft); err != nil {
		t.Errorf("recoverHost with no record: %v", err)
	}
}
