// Package nodetest runs a real single-node Kubernetes cluster for tests: the
// control plane of internal/kubetest (etcd, kube-apiserver) plus
// containerd, kubelet, kube-controller-manager, kube-scheduler, kube-proxy
// (nftables mode) and CoreDNS, all child processes of the test binary, on
// private paths and ports. Pods really run: probes, volumes, Service DNS
// and ClusterIPs, Pod Security admission, rollouts.
//
// What it needs (HowTo says how to get each):
//
//   - root (network namespaces, mounts, cgroups);
//   - from Debian: containerd (with ctr), runc, containernetworking-plugins,
//     etcd-server, nftables (kube-proxy drives nft);
//   - kubectl on $PATH;
//   - built by `bash .ci/kube-tools.sh && bash .ci/node-tools.sh` into
//     ${SYNCTL_TOOLS_DIR:-$HOME/.cache/synctl/tools}: kube-apiserver, kubelet,
//     kube-controller-manager, kube-scheduler, kube-proxy, CoreDNS and the
//     pause binary.
//
// Start runs a node under CI=true or with SYNCTL_NODE_TESTS=1, and skips
// otherwise with the command that runs the tests: a node takes root, the
// host's network rules and some fixed paths for minutes, which a plain
// `go test ./...` on a developer's machine should not do unasked. When it
// runs, a test skips with the command that builds the parts when one is
// missing, and fails under CI=true.
//
// One node runs on a host at a time: Start takes a lock in
// /run/synctl-nodetest and waits while another test binary's node holds
// it (go test runs internal/nodetest and e2e/node side by side). Before it
// changes anything it records the host's state there (the sysctls, which
// fixed paths existed); Stop removes the record once everything is undone.
// A test binary killed before its cleanups leaves the record, and the next
// Start undoes that node's changes first: the sysctls restored, its
// containers' processes killed, its bridge, tables, mounts, cgroups and
// paths removed. It refuses to start where another kubelet, kube-proxy or
// system containerd is running, or another network holds its pod subnet,
// because some paths and addresses cannot be moved (below). Its ports are
// the kernel's free ones and its paths private, so it runs beside
// internal/kubetest's control planes and a private dockerd
// (.ci/dockerd.sh), whose containerd has its own socket and namespace.
//
// The layout, for whoever debugs it:
//
//   - Everything the node writes is under one temporary directory ([Node.Dir]):
//     containerd's root, state and socket, the kubelet's root and pod logs,
//     the CNI configuration and IPAM state, the local volumes, the logs.
//   - Pods get addresses from 10.244.0.0/24 on the bridge synctlnode0
//     (10.244.0.1, made before the kubelet starts); the CNI route sends the
//     Service range 10.96.0.0/16 through the bridge, and no default route:
//     pods reach each other, Services and the node, not the internet.
//   - CoreDNS runs on the node, listening on 10.244.0.1:53, which the
//     kubelet gives pods as their nameserver; it resolves cluster.local
//     from the API server.
//   - kube-proxy programs table ip/ip6 kube-proxy, masquerading all Service
//     traffic (so a pod that calls its own Service gets the answer back
//     through the node) and setting no sysctl.
//   - The kubelet listens on 127.0.0.1 only, with anonymous access (the API
//     server has no client certificate to show it). The node is called
//     localhost, and the API server reaches the kubelet by that name
//     (kubectl exec, logs, port-forward); the kubelet refuses a loopback
//     node IP.
//   - Images are imported with `ctr images import` from docker-archive
//     tarballs written here ([WriteArchive]); nothing is pulled.
//   - Storage: a default StorageClass "nodetest-local" (no provisioner,
//     WaitForFirstConsumer) and pre-made local PersistentVolumes on this
//     node ([Node.AddVolumes]); the kubelet applies the pod's fsGroup to a
//     local volume, as a cloud disk's driver does, so a non-root pod can
//     write it. A provisioner would need an image of its own (the common
//     ones run a helper pod from a registry image to make each directory),
//     and nothing can be pulled here.
//
// Some paths ignore every setting: /var/lib/kubelet/{device-plugins,
// pod-resources}, /var/log/containers, /var/log/pods, /var/lib/cni,
// /run/containerd and the network namespaces in /run/netns. Stop removes
// what the node made there (what existed before is left), the bridge, the
// nft tables, the kubepods cgroups, and restores every sysctl it touched
// (the kubelet sets vm.overcommit_memory, kernel.panic and
// kernel.panic_on_oops; the bridge plugin sets net.ipv4.ip_forward).
package nodetest

import (
	"bytes"
	"context"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/synctl/synctl/internal/kubetest"
)

// EnvOptIn set to "1" runs the node tests outside CI; under CI=true they
// always run.
const EnvOptIn = "SYNCTL_NODE_TESTS"

// CoreDNSVersion is the CoreDNS release .ci/node-tools.sh builds.
const CoreDNSVersion = "v1.15.0"

// The node's fixed addresses and names.
const (
	// NodeName is also the node's Hostname address, which the API server
	// dials to reach the kubelet (exec, logs, port-forward): "localhost",
	// because the kubelet listens on 127.0.0.1 only and refuses a loopback
	// --node-ip.
	NodeName     = "localhost"
	StorageClass = "nodetest-local"
	bridgeName   = "synctlnode0"
	bridgeIP     = "10.244.0.1"
	podSubnet    = "10.244.0.0/24"
	serviceCIDR  = "10.96.0.0/16" // kubetest's --service-cluster-ip-range
	cniNetwork   = "synctl-nodetest"
	clusterDNS   = bridgeIP
)

//go:embed pause/main.go
var pauseSource []byte

// pauseHash keys the pause binary's cache directory, as .ci/node-tools.sh
// does: the first 12 hex digits of its source's SHA-256.
func pauseHash() string {
	sum := sha256.Sum256(pauseSource)
	return hex.EncodeToString(sum[:])[:12]
}

// Timeouts, generous for a small shared machine.
const (
	startTimeout = 2 * time.Minute
	stopTimeout  = 60 * time.Second // as kubetest's: a loaded machine
	drainTimeout = 60 * time.Second
)

// HowTo is the command that gets every part, for skip messages.
func HowTo() string {
	return "as root: `apt-get install -y containerd runc containernetworking-plugins etcd-server nftables && bash .ci/kube-tools.sh && bash .ci/node-tools.sh` (≈20 min cold, then cached)"
}

func toolsDir() string {
	if d := os.Getenv(kubetest.EnvToolsDir); d != "" {
		return d
	}
	home, err := os.UserHomeDir()
	if err != nil {
		home = os.TempDir()
	}
	return filepath.Join(home, ".cache", "synctl", "tools")
}

// parts are the binaries a node runs.
type parts struct {
	kubelet, controllerManager, scheduler, proxy, coredns, pause string
	containerd, ctr, runc, nft, cniDir                           string
}

func findParts() (parts, error) {
	var p parts
	var missing []string
	tools := toolsDir()
	node := filepath.Join(tools, "node-"+kubetest.APIServerVersion)
	for _, b := range []struct {
		dst  *string
		path string
	}{
		{&p.kubelet, filepath.Join(node, "kubelet")},
		{&p.controllerManager, filepath.Join(node, "kube-controller-manager")},
		{&p.scheduler, filepath.Join(node, "kube-scheduler")},
		{&p.proxy, filepath.Join(node, "kube-proxy")},
		{&p.coredns, filepath.Join(tools, "coredns-"+CoreDNSVersion, "coredns")},
		{&p.pause, filepath.Join(tools, "pause-"+pauseHash(), "pause")},
	} {
		*b.dst = b.path
		if _, err := os.Stat(b.path); err != nil {
			missing = append(missing, b.path)
		}
	}
	for _, b := range []struct {
		dst       *string
		name, pkg string
	}{
		{&p.containerd, "containerd", "containerd"},
		{&p.ctr, "ctr", "containerd"},
		{&p.runc, "runc", "runc"},
		{&p.nft, "nft", "nftables"},
	} {
		path, err := exec.LookPath(b.name)
		if err != nil {
			missing = append(missing, b.name+" (Debian package "+b.pkg+")")
		}
		*b.dst = path
	}
	for _, d := range []string{"/usr/lib/cni", "/opt/cni/bin"} {
		if _, err := os.Stat(filepath.Join(d, "bridge")); err == nil {
			p.cniDir = d
			break
		}
	}
	if p.cniDir == "" {
		missing = append(missing, "the CNI plugins bridge, host-local, loopback (Debian package containernetworking-plugins)")
	}
	if len(missing) > 0 {
		return p, fmt.Errorf("missing: %s; get them %s", strings.Join(missing, ", "), HowTo())
	}
	return p, nil
}

// optIn skips t unless the node tests are to run: under CI=true, or with
// SYNCTL_NODE_TESTS=1. A node takes root, the host's bridge, tables and
// fixed paths for minutes: not something a plain `go test ./...` on a
// developer's machine should do unasked.
func optIn(t testing.TB) {
	t.Helper()
	if os.Getenv(EnvOptIn) != "1" && os.Getenv("CI") != "true" {
		t.Skipf("nodetest: the node tests run under CI=true or with %s=1: run them as root with `%s=1 go test -timeout 30m ./internal/nodetest ./e2e/node`, after getting the parts %s", EnvOptIn, EnvOptIn, HowTo())
	}
}

// unavailable skips t, or fails it under CI=true, where the parts are
// installed and a skip would hide a hole.
func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("nodetest: %s (CI=true: engine tests must run, not skip)", why)
	}
	t.Skipf("nodetest: %s", why)
}

// Node is one running single-node cluster.
type Node struct {
	*kubetest.Cluster
	// Dir holds everything the node writes, and the logs.
	Dir string

	parts   parts
	sock    string // containerd's socket
	procs   []*proc
	sysctls map[string]string // value before the start, by name
	// made lists the fixed host paths that did not exist before the
	// start, to remove after.
	made        []string
	netnsBefore map[string]bool
	// iptablesBefore holds the KUBE-* chains that existed before the
	// start, as "iptables filter KUBE-FIREWALL".
	iptablesBefore map[string]bool
	volumes        int
	stopped        bool
}

// Start brings a node up for t and tears it down when t is done. It skips
// t (fails it under CI=true) when a part is missing or the host is not fit.
func Start(t testing.TB) *Node {
	t.Helper()
	optIn(t)
	if os.Geteuid() != 0 {
		unavailable(t, "a node needs root (mounts, network namespaces, cgroups); run the tests as root, after "+HowTo())
	}
	p, err := findParts()
	if err != nil {
		unavailable(t, err.Error())
	}
	begin := time.Now()
	// One node per host: go test runs test binaries side by side, and
	// the node's bridge, tables and fixed paths are the host's. The lock
	// goes after Stop (cleanups run last registered first).
	lockFile, err := lock(t)
	if err != nil {
		t.Fatalf("nodetest: %v", err)
	}
	t.Cleanup(func() { lockFile.Close() })
	if err := recoverHost(t, p.nft); err != nil {
		t.Fatalf("nodetest: %v", err)
	}
	if why := foreignOwner(); why != "" {
		unavailable(t, why)
	}
	// A short path: unix socket paths are limited to 108 bytes.
	dir, err := os.MkdirTemp("", "synctl-node-")
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{Dir: dir, parts: p, sock: filepath.Join(dir, "containerd", "containerd.sock")}
	n.sysctls = readSysctls()
	n.netnsBefore = listDir("/run/netns")
	n.iptablesBefore = kubeChains()
	for _, path := range append(fixedPaths, sharedPaths...) {
		if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
			n.made = append(n.made, path)
		}
	}
	// Written before anything changes, so that the next Start can undo
	// what this node did should this test binary die before Stop.
	if err := n.writeState(); err != nil {
		t.Fatalf("nodetest: recording the host's state: %v", err)
	}
	n.Cluster = kubetest.StartWith(t, kubetest.Options{APIServerArgs: []string{
		// The kubelet listens on 127.0.0.1 only: reach it by the node's
		// name, localhost.
		"--kubelet-preferred-address-types=Hostname",
	}})
	// Registered after kubetest's cleanup, so it runs first: the node
	// stops while its API server still answers.
	t.Cleanup(func() {
		begin := time.Now()
		if err := n.Stop(t); err != nil {
			t.Errorf("nodetest: stopping the node: %v", err)
		}
		t.Logf("nodetest: node stopped in %s", time.Since(begin).Round(time.Millisecond))
	})
	if err := n.start(t); err != nil {
		t.Fatalf("nodetest: %v", err)
	}
	t.Logf("nodetest: node %s Ready in %s (files in %s)", NodeName, time.Since(begin).Round(time.Millisecond), dir)
	return n
}

// fixedPaths are the host paths the kubelet, containerd and the CNI
// plugins use whatever they are told. Only a kubelet writes the first
// three, so the node removes them when it made them; the others may be
// shared with another containerd (dockerd's) or another user of network
// namespaces, so only the node's own entries go, then the directories
// left empty.
var fixedPaths = []string{
	"/var/lib/kubelet",
	"/var/log/containers",
	"/var/log/pods",
}

// sharedPaths are pruned: the node's entries removed, then empty
// directories.
var sharedPaths = []string{
	"/var/lib/cni",
	"/run/containerd",
	"/run/netns",
}

// foreignOwner says why the node must not start here: a kubelet,
// containerd or kube-proxy of someone else's is running (they own the
// paths above), or their leftovers are in the way.
func foreignOwner() string {
	procs, _ := os.ReadDir("/proc")
	for _, e := range procs {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		comm, err := os.ReadFile(filepath.Join("/proc", e.Name(), "comm"))
		if err != nil {
			continue
		}
		switch name := strings.TrimSpace(string(comm)); name {
		case "kubelet", "kube-proxy":
			return fmt.Sprintf("another %s is running (pid %d): it owns /var/lib/kubelet and the node's network rules; stop it first", name, pid)
		case "containerd":
			cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
			if !strings.Contains(string(cmdline), "synctl-node-") {
				// dockerd's own containerd runs with --config under its
				// exec root and never touches the k8s.io namespace; a
				// system containerd listens on the default socket.
				if c, err := net.DialTimeout("unix", "/run/containerd/containerd.sock", time.Second); err == nil {
					c.Close()
					return fmt.Sprintf("a containerd (pid %d) listens on /run/containerd/containerd.sock: its shims and runc state share /run/containerd with the node's; stop it first (service containerd stop)", pid)
				}
			}
		}
	}
	// The pods' subnet must be the node's alone (a kind or minikube
	// network, another CNI's bridge).
	_, subnet, _ := net.ParseCIDR(podSubnet)
	ifaces, _ := net.Interfaces()
	for _, ifc := range ifaces {
		if ifc.Name == bridgeName {
			continue // a killed run's, removed by the start
		}
		addrs, _ := ifc.Addrs()
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && subnet.Contains(ipn.IP) {
				return fmt.Sprintf("interface %s has %s, in the node's pod subnet %s: another cluster's network is in the way; remove it first", ifc.Name, ipn, podSubnet)
			}
		}
	}
	return ""
}

// start brings up everything after the control plane.
func (n *Node) start(t testing.TB) error {
	if err := n.bridge(); err != nil {
		return err
	}
	if err := n.writeConfigs(); err != nil {
		return err
	}
	if err := n.startContainerd(); err != nil {
		return err
	}
	if err := n.importPause(t); err != nil {
		return err
	}
	if err := n.startCoreDNS(); err != nil {
		return err
	}
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	if err := n.writeKubeletConfig(ports[0], ports[1]); err != nil {
		return err
	}
	if _, err := n.spawn("kubelet", n.parts.kubelet,
		"--config="+filepath.Join(n.Dir, "kubelet.yaml"),
		"--kubeconfig="+n.Kubeconfig,
		"--root-dir="+filepath.Join(n.Dir, "kubelet"),
		"--hostname-override="+NodeName,
		"--v=1",
	); err != nil {
		return err
	}
	if _, err := n.spawn("kube-proxy", n.parts.proxy, "--config="+filepath.Join(n.Dir, "kube-proxy.yaml"), "--v=1"); err != nil {
		return err
	}
	if _, err := n.spawn("kube-controller-manager", n.parts.controllerManager,
		"--kubeconfig="+n.Kubeconfig,
		"--leader-elect=false",
		"--secure-port=0",
		"--service-account-private-key-file="+n.ServiceAccountKey(),
		"--root-ca-file="+n.CACert(),
		"--use-service-account-credentials=false",
		"--cluster-name=nodetest",
		"--v=1",
	); err != nil {
		return err
	}
	if _, err := n.spawn("kube-scheduler", n.parts.scheduler,
		"--kubeconfig="+n.Kubeconfig,
		"--leader-elect=false",
		"--secure-port=0",
		"--v=1",
	); err != nil {
		return err
	}
	if err := n.applyBase(t); err != nil {
		return err
	}
	return n.waitReady(t)
}

// bridge makes the pods' bridge with the node's address on it before any
// pod exists, so that CoreDNS can listen there; the CNI bridge plugin takes
// it over as it is.
func (n *Node) bridge() error {
	if _, err := net.InterfaceByName(bridgeName); err == nil {
		// Left by a run that was killed: nothing else uses this name.
		if out, err := exec.Command("ip", "link", "delete", bridgeName).CombinedOutput(); err != nil {
			return fmt.Errorf("removing the leftover bridge %s: %v\n%s", bridgeName, err, out)
		}
	}
	for _, args := range [][]string{
		{"link", "add", "name", bridgeName, "type", "bridge"},
		{"addr", "add", bridgeIP + "/24", "dev", bridgeName},
		{"link", "set", bridgeName, "up"},
	} {
		if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	return nil
}

func (n *Node) path(elem ...string) string { return filepath.Join(append([]string{n.Dir}, elem...)...) }

func (n *Node) startContainerd() error {
	p, err := n.spawn("containerd", n.parts.containerd, "--config="+n.path("containerd", "config.toml"))
	if err != nil {
		return err
	}
	return waitFor(p, startTimeout, func() error {
		out, err := n.ctrOutput("version")
		if err != nil {
			return fmt.Errorf("ctr version: %v: %s", err, out)
		}
		return nil
	})
}

// ctrOutput runs ctr against the node's containerd, in the kubelet's
// namespace.
func (n *Node) ctrOutput(args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, n.parts.ctr, append([]string{"--address", n.sock, "--namespace", "k8s.io"}, args...)...).CombinedOutput()
	return string(out), err
}

// pauseRef is the sandbox image, named in containerd's config.
func pauseRef() string { return "synctl-nodetest/pause:" + pauseHash() }

func (n *Node) importPause(t testing.TB) error {
	data, err := os.ReadFile(n.parts.pause)
	if err != nil {
		return err
	}
	return n.importImages(t, []Image{{
		Ref:        pauseRef(),
		Layers:     []*Layer{{Files: map[string]File{"pause": {Data: data, Mode: 0o755}}}},
		Entrypoint: []string{"/pause"},
	}})
}

// Import makes images available to the node's pods under their Ref, as a
// registry would. Refs are tagged and not "latest", so the default
// imagePullPolicy (IfNotPresent) finds them; a pod that names another
// image fails with ErrImagePull, as it would on a node without access to
// its registry.
func (n *Node) Import(t testing.TB, images []Image) {
	t.Helper()
	if err := n.importImages(t, images); err != nil {
		t.Fatalf("nodetest: %v", err)
	}
}

func (n *Node) importImages(t testing.TB, images []Image) error {
	begin := time.Now()
	f, err := os.CreateTemp(n.Dir, "images-*.tar")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if err := WriteArchive(f, images); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if out, err := n.ctrOutput("images", "import", f.Name()); err != nil {
		return fmt.Errorf("ctr images import: %v\n%s", err, out)
	}
	var refs []string
	for _, img := range images {
		refs = append(refs, img.Ref)
	}
	t.Logf("nodetest: imported %s in %s", strings.Join(refs, ", "), time.Since(begin).Round(time.Millisecond))
	return nil
}

func (n *Node) startCoreDNS() error {
	p, err := n.spawn("coredns", n.parts.coredns, "-conf", n.path("Corefile"))
	if err != nil {
		return err
	}
	r := &net.Resolver{PreferGo: true, Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "udp", net.JoinHostPort(clusterDNS, "53"))
	}}
	return waitFor(p, startTimeout, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		addrs, err := r.LookupHost(ctx, "kubernetes.default.svc.cluster.local")
		if err != nil {
			return err
		}
		if len(addrs) == 0 {
			return errors.New("no address for kubernetes.default.svc.cluster.local")
		}
		return nil
	})
}

// applyBase creates what a cluster's add-ons would: the default
// StorageClass.
func (n *Node) applyBase(t testing.TB) error {
	sc := `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: ` + StorageClass + `
  annotations:
    storageclass.kubernetes.io/is-default-class: "true"
provisioner: kubernetes.io/no-provisioner
volumeBindingMode: WaitForFirstConsumer
reclaimPolicy: Delete
`
	if out, errOut, err := n.KubectlStdin(t, []byte(sc), "apply", "--server-side", "--field-manager=nodetest", "-f", "-"); err != nil {
		return fmt.Errorf("creating the StorageClass: %v\n%s%s", err, out, errOut)
	}
	return nil
}

// AddVolumes creates count more local PersistentVolumes of size each
// (e.g. "10Gi") on this node, in the default StorageClass, each a
// directory of its own under Dir. A PVC binds one when its pod is
// scheduled; a volume is not reused after its claim is deleted.
func (n *Node) AddVolumes(t testing.TB, count int, size string) {
	t.Helper()
	var docs []string
	for range count {
		n.volumes++
		name := fmt.Sprintf("nodetest-pv-%03d", n.volumes)
		dir := n.path("volumes", name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		docs = append(docs, `apiVersion: v1
kind: PersistentVolume
metadata:
  name: `+name+`
spec:
  capacity: {storage: `+size+`}
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: `+StorageClass+`
  volumeMode: Filesystem
  local: {path: `+dir+`}
  nodeAffinity:
    required:
      nodeSelectorTerms:
      - matchExpressions:
        - {key: kubernetes.io/hostname, operator: In, values: [`+NodeName+`]}
`)
	}
	if out, errOut, err := n.KubectlStdin(t, []byte(strings.Join(docs, "---\n")), "apply", "--server-side", "--field-manager=nodetest", "-f", "-"); err != nil {
		t.Fatalf("nodetest: creating %d PersistentVolumes: %v\n%s%s", count, err, out, errOut)
	}
}

// waitReady waits for the node to be Ready and for the service account
// controller to have made the default namespace's account (pods are
// refused before it exists).
func (n *Node) waitReady(t testing.TB) error {
	deadline := time.Now().Add(startTimeout)
	var last string
	for time.Now().Before(deadline) {
		for _, p := range n.procs {
			select {
			case <-p.done:
				return fmt.Errorf("%s exited (%v); its log: %s", p.name, p.err, p.logPath)
			default:
			}
		}
		out, errOut, err := n.Kubectl(t, "get", "node", NodeName, "-o", `jsonpath={.status.conditions[?(@.type=="Ready")].status}`)
		if err == nil && strings.TrimSpace(out) == "True" {
			if _, _, err := n.Kubectl(t, "get", "serviceaccount", "default", "-n", "default"); err == nil {
				return nil
			}
			last = "the default service account does not exist yet"
		} else {
			last = fmt.Sprintf("node Ready=%q %s", out, strings.TrimSpace(errOut))
		}
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("node not ready after %s: %s", startTimeout, last)
}

// Stop drains the node, stops every process by its PID and undoes every
// change to the host. It is safe to call more than once.
func (n *Node) Stop(t testing.TB) error {
	if n.stopped {
		return nil
	}
	n.stopped = true
	// The logs go with Dir: show them first.
	if t.Failed() {
		n.logTails(t.Logf)
	}
	var errs []error
	// No new pods: the controllers stop first.
	for _, name := range []string{"kube-controller-manager", "kube-scheduler"} {
		errs = append(errs, n.stopProc(name))
	}
	if n.running("kubelet") && n.running("containerd") {
		errs = append(errs, n.drain(t))
	}
	for _, name := range []string{"kubelet", "kube-proxy", "coredns"} {
		errs = append(errs, n.stopProc(name))
	}
	if n.running("containerd") {
		n.killTasks()
	}
	errs = append(errs, n.stopProc("containerd"))
	n.killShims()
	errs = append(errs, n.cleanHost()...)
	if err := errors.Join(errs...); err != nil {
		// The record stays: the next Start tries again.
		return err
	}
	if err := os.Remove(statePath()); err != nil {
		return fmt.Errorf("removing the host's record: %w", err)
	}
	return nil
}

// drain deletes every pod through the API and waits until containerd runs
// no container: the kubelet stops each sandbox, which releases its network
// through the CNI plugins.
func (n *Node) drain(t testing.TB) error {
	if _, errOut, err := n.Kubectl(t, "delete", "pods", "--all", "--all-namespaces", "--grace-period=1", "--wait=false"); err != nil {
		return fmt.Errorf("deleting the pods: %v: %s", err, errOut)
	}
	deadline := time.Now().Add(drainTimeout)
	for time.Now().Before(deadline) {
		out, err := n.ctrOutput("tasks", "list", "--quiet")
		if err == nil && strings.TrimSpace(out) == "" {
			return nil
		}
		time.Sleep(250 * time.Millisecond)
	}
	return fmt.Errorf("containers still running %s after the pods were deleted", drainTimeout)
}

// killTasks kills what the drain left, so that containerd can stop.
func (n *Node) killTasks() {
	out, err := n.ctrOutput("tasks", "list", "--quiet")
	if err != nil {
		return
	}
	for _, id := range strings.Fields(out) {
		_, _ = n.ctrOutput("tasks", "kill", "--signal", "SIGKILL", id)
		time.Sleep(100 * time.Millisecond)
		_, _ = n.ctrOutput("tasks", "delete", "--force", id)
	}
}

// killShims stops the containerd shims that served this node (their
// command line names its socket) and have not exited with containerd.
func (n *Node) killShims() {
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil || !bytes.HasPrefix(cmdline, []byte("/usr/bin/containerd-shim")) && !bytes.Contains(cmdline, []byte("containerd-shim")) {
			continue
		}
		if bytes.Contains(cmdline, []byte(n.sock)) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// cleanHost undoes what the node changed outside its processes.
func (n *Node) cleanHost() []error {
	var errs []error
	// Network namespaces the CNI left (a sandbox the drain missed).
	for name := range listDir("/run/netns") {
		if !n.netnsBefore[name] && strings.HasPrefix(name, "cni-") {
			p := filepath.Join("/run/netns", name)
			_ = syscall.Unmount(p, syscall.MNT_DETACH)
			_ = os.Remove(p)
		}
	}
	// Mounts under the node's directory (rootfs overlays, volumes, shm),
	// deepest first.
	errs = append(errs, unmountUnder(n.Dir))
	if _, err := net.InterfaceByName(bridgeName); err == nil {
		if out, err := exec.Command("ip", "link", "delete", bridgeName).CombinedOutput(); err != nil {
			errs = append(errs, fmt.Errorf("removing bridge %s: %v: %s", bridgeName, err, out))
		}
	}
	for _, family := range []string{"ip", "ip6"} {
		if out, err := exec.Command(n.parts.nft, "list", "table", family, "kube-proxy").CombinedOutput(); err == nil && len(out) > 0 {
			if out, err := exec.Command(n.parts.nft, "delete", "table", family, "kube-proxy").CombinedOutput(); err != nil {
				errs = append(errs, fmt.Errorf("nft delete table %s kube-proxy: %v: %s", family, err, out))
			}
		}
	}
	errs = append(errs, removeCgroups("kubepods"))
	errs = append(errs, n.removeKubeChains())
	made := map[string]bool{}
	for _, p := range n.made {
		made[p] = true
	}
	for _, p := range fixedPaths {
		if made[p] {
			errs = append(errs, unmountUnder(p))
			if err := os.RemoveAll(p); err != nil {
				errs = append(errs, err)
			}
		}
	}
	// The node's entries in the shared paths: the CNI plugins' records of
	// its network, runc's state of containerd's k8s.io namespace.
	for _, pattern := range []string{"/var/lib/cni/results/" + cniNetwork + "-*", "/var/lib/cni/networks/" + cniNetwork, "/run/containerd/runc/k8s.io"} {
		matches, _ := filepath.Glob(pattern)
		for _, m := range matches {
			errs = append(errs, unmountUnder(m))
			_ = os.RemoveAll(m)
		}
	}
	for _, p := range sharedPaths {
		if made[p] {
			pruneEmpty(p)
		}
	}
	errs = append(errs, n.restoreSysctls())
	if err := os.RemoveAll(n.Dir); err != nil {
		errs = append(errs, fmt.Errorf("removing %s: %w", n.Dir, err))
	}
	return errs
}

// pruneEmpty removes the empty directories at and below dir, deepest
// first; anything with a file in it stays.
func pruneEmpty(dir string) {
	var dirs []string
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.IsDir() {
			dirs = append(dirs, p)
		}
		return nil
	})
	for i := len(dirs) - 1; i >= 0; i-- {
		_ = syscall.Rmdir(dirs[i]) // fails, as it should, on a non-empty one
	}
}

// kubeChains lists the iptables chains named KUBE-* in the filter, nat and
// mangle tables, IPv4 and IPv6: the kubelet makes some (KUBE-FIREWALL,
// KUBE-KUBELET-CANARY, KUBE-IPTABLES-HINT) even when kube-proxy uses
// nftables.
func kubeChains() map[string]bool {
	chains := map[string]bool{}
	for _, ipt := range []string{"iptables", "ip6tables"} {
		for _, table := range []string{"filter", "nat", "mangle"} {
			out, err := exec.Command(ipt, "-t", table, "-S").Output()
			if err != nil {
				continue
			}
			for line := range strings.Lines(string(out)) {
				f := strings.Fields(line)
				if len(f) == 2 && f[0] == "-N" && strings.HasPrefix(f[1], "KUBE-") {
					chains[ipt+" "+table+" "+f[1]] = true
				}
			}
		}
	}
	return chains
}

// removeKubeChains deletes the KUBE-* chains the node made, and the rules
// that jump to them.
func (n *Node) removeKubeChains() error {
	var errs []error
	for c := range kubeChains() {
		if n.iptablesBefore[c] {
			continue
		}
		f := strings.Fields(c)
		ipt, table, chain := f[0], f[1], f[2]
		out, err := exec.Command(ipt, "-t", table, "-S").Output()
		if err != nil {
			continue
		}
		for line := range strings.Lines(string(out)) {
			// The rule as iptables printed it, a quoted comment one word.
			rule := splitRule(strings.TrimSpace(line))
			if j := slices.Index(rule, "-j"); len(rule) > 2 && rule[0] == "-A" && j > 0 && j+1 < len(rule) && rule[j+1] == chain {
				rule[0] = "-D"
				args := append([]string{"-t", table}, rule...)
				if out, err := exec.Command(ipt, args...).CombinedOutput(); err != nil {
					errs = append(errs, fmt.Errorf("%s %s: %v: %s", ipt, strings.Join(args, " "), err, out))
				}
			}
		}
		for _, op := range []string{"-F", "-X"} {
			if out, err := exec.Command(ipt, "-t", table, op, chain).CombinedOutput(); err != nil {
				errs = append(errs, fmt.Errorf("%s -t %s %s %s: %v: %s", ipt, table, op, chain, err, out))
			}
		}
	}
	return errors.Join(errs...)
}

// splitRule splits a line of `iptables -S` into words, keeping a quoted
// comment whole.
func splitRule(line string) []string {
	var words []string
	var cur strings.Builder
	quoted := false
	for _, r := range line {
		switch {
		case r == '"':
			quoted = !quoted
		case r == ' ' && !quoted:
			if cur.Len() > 0 {
				words = append(words, cur.String())
				cur.Reset()
			}
		default:
			cur.WriteRune(r)
		}
	}
	if cur.Len() > 0 {
		words = append(words, cur.String())
	}
	return words
}

// sysctlNames are the kernel settings the node's parts may change.
var sysctlNames = []string{
	"net/ipv4/ip_forward",
	"net/ipv6/conf/all/forwarding",
	"net/ipv4/conf/all/route_localnet",
	"net/bridge/bridge-nf-call-iptables",
	"net/bridge/bridge-nf-call-ip6tables",
	"vm/overcommit_memory",
	"vm/panic_on_oom",
	"kernel/panic",
	"kernel/panic_on_oops",
	"kernel/keys/root_maxkeys",
	"kernel/keys/root_maxbytes",
	"net/netfilter/nf_conntrack_max",
}

func readSysctls() map[string]string {
	m := map[string]string{}
	for _, name := range sysctlNames {
		if data, err := os.ReadFile("/proc/sys/" + name); err == nil {
			m[name] = strings.TrimSpace(string(data))
		}
	}
	return m
}

// restoreSysctls writes back every setting that changed since the start.
func (n *Node) restoreSysctls() error {
	var errs []error
	for name, before := range n.sysctls {
		data, err := os.ReadFile("/proc/sys/" + name)
		if err != nil || strings.TrimSpace(string(data)) == before {
			continue
		}
		if err := os.WriteFile("/proc/sys/"+name, []byte(before), 0o644); err != nil {
			errs = append(errs, fmt.Errorf("restoring %s to %s: %w", strings.ReplaceAll(name, "/", "."), before, err))
		}
	}
	return errors.Join(errs...)
}

// removeCgroups removes the cgroup named name at the top of every
// hierarchy, and everything below it, deepest first (a cgroup directory
// goes with rmdir once it has no children and no processes).
func removeCgroups(name string) error {
	roots, _ := filepath.Glob("/sys/fs/cgroup/*/" + name)
	if _, err := os.Stat("/sys/fs/cgroup/" + name); err == nil {
		roots = append(roots, "/sys/fs/cgroup/"+name)
	}
	var errs []error
	for _, root := range roots {
		var dirs []string
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			var err error
			for range 20 {
				if err = syscall.Rmdir(dirs[i]); err == nil || errors.Is(err, syscall.ENOENT) {
					err = nil
					break
				}
				time.Sleep(50 * time.Millisecond)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("removing cgroup %s: %w", dirs[i], err))
			}
		}
	}
	return errors.Join(errs...)
}

// unmountUnder detaches every mount at or below dir, deepest first.
func unmountUnder(dir string) error {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return err
	}
	var points []string
	for line := range strings.Lines(string(data)) {
		f := strings.Fields(line)
		if len(f) < 5 {
			continue
		}
		mp := unescapeMount(f[4])
		if mp == dir || strings.HasPrefix(mp, dir+"/") {
			points = append(points, mp)
		}
	}
	var errs []error
	for i := len(points) - 1; i >= 0; i-- {
		if err := syscall.Unmount(points[i], syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("unmounting %s: %w", points[i], err))
		}
	}
	return errors.Join(errs...)
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if v, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(v))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func listDir(dir string) map[string]bool {
	m := map[string]bool{}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		m[e.Name()] = true
	}
	return m
}

// freePorts asks the kernel for n distinct free ports on 127.0.0.1.
func freePorts(count int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range count {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
