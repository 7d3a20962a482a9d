package nodetest

import (
	"encoding/json"
	"fmt"
	"os"
	"strconv"

	"sigs.k8s.io/yaml"
)

// writeConfigs writes containerd's, the CNI's, kube-proxy's and CoreDNS's
// configuration under Dir.
func (n *Node) writeConfigs() error {
	for _, d := range []string{"containerd", "cni/net.d", "cni/ipam", "kubelet", "pod-logs", "volumes"} {
		if err := os.MkdirAll(n.path(d), 0o755); err != nil {
			return err
		}
	}
	ports, err := freePorts(2)
	if err != nil {
		return err
	}
	files := map[string]string{
		"containerd/config.toml": n.containerdConfig(),
		"Corefile":               n.corefile(),
		"resolv.conf":            "# pods get the cluster's DNS (kubelet clusterDNS); nothing from the host\n",
	}
	cni, err := cniConfig(n.path("cni", "ipam"))
	if err != nil {
		return err
	}
	files["cni/net.d/10-"+cniNetwork+".conflist"] = cni
	proxy, err := n.kubeProxyConfig(ports[0], ports[1])
	if err != nil {
		return err
	}
	files["kube-proxy.yaml"] = proxy
	for name, content := range files {
		if err := os.WriteFile(n.path(name), []byte(content), 0o600); err != nil {
			return err
		}
	}
	return nil
}

// containerdConfig is containerd 1.6's configuration (version 2) with
// every path it accepts under Dir. restrict_oom_score_adj is what lets
// sandboxes start without CAP_SYS_RESOURCE (this VM's root lacks it):
// without it runc fails with "can't get final child's PID from pipe".
func (n *Node) containerdConfig() string {
	q := strconv.Quote
	return `version = 2
root = ` + q(n.path("containerd", "root")) + `
state = ` + q(n.path("containerd", "state")) + `
disabled_plugins = ["io.containerd.snapshotter.v1.aufs", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper"]

[grpc]
  address = ` + q(n.sock) + `

[ttrpc]
  address = ` + q(n.path("containerd", "containerd.sock.ttrpc")) + `

[debug]
  address = ""

[metrics]
  address = ""

[plugins."io.containerd.internal.v1.opt"]
  path = ` + q(n.path("containerd", "opt")) + `

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = ` + q(pauseRef()) + `
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false
  max_container_log_line_size = 16384

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = ` + q(n.parts.cniDir) + `
    conf_dir = ` + q(n.path("cni", "net.d")) + `
    max_conf_num = 1
`
}

// cniConfig is a bridge network on synctlnode0 with host-local addresses.
// The route sends the Service range through the node (where kube-proxy's
// rules are); there is no default route and no masquerading, so pods
// reach nothing outside the node.
func cniConfig(ipamDir string) (string, error) {
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       cniNetwork,
		"plugins": []any{
			map[string]any{
				"type":        "bridge",
				"bridge":      bridgeName,
				"isGateway":   true,
				"ipMasq":      false,
				"hairpinMode": true,
				"ipam": map[string]any{
					"type":    "host-local",
					"dataDir": ipamDir,
					"ranges":  []any{[]any{map[string]any{"subnet": podSubnet, "gateway": bridgeIP}}},
					"routes":  []any{map[string]any{"dst": serviceCIDR}},
				},
			},
		},
	}
	data, err := json.MarshalIndent(conf, "", "  ")
	return string(data), err
}

// corefile serves cluster.local from the API server, on the bridge
// address only. No cache: a name looked up before its Service exists must
// resolve as soon as it does. No forwarding: pods have no route out.
func (n *Node) corefile() string {
	return `.:53 {
    bind ` + bridgeIP + `
    errors
    kubernetes cluster.local in-addr.arpa ip6.arpa {
        kubeconfig ` + n.Kubeconfig + `
        fallthrough in-addr.arpa ip6.arpa
    }
}
`
}

// writeKubeletConfig writes the kubelet's configuration. failCgroupV1 and
// cgroupDriver cgroupfs: this VM has cgroup v1 controllers and no systemd.
func (n *Node) writeKubeletConfig(port, healthzPort int) error {
	cfg := map[string]any{
		"apiVersion":               "kubelet.config.k8s.io/v1beta1",
		"kind":                     "KubeletConfiguration",
		"address":                  "127.0.0.1",
		"port":                     port,
		"readOnlyPort":             0,
		"healthzBindAddress":       "127.0.0.1",
		"healthzPort":              healthzPort,
		"containerRuntimeEndpoint": "unix://" + n.sock,
		"cgroupDriver":             "cgroupfs",
		"failCgroupV1":             false,
		"failSwapOn":               false,
		"clusterDNS":               []string{clusterDNS},
		"clusterDomain":            "cluster.local",
		"resolvConf":               n.path("resolv.conf"),
		"podLogsDir":               n.path("pod-logs"),
		"volumePluginDir":          n.path("kubelet", "volume-plugins"),
		"serializeImagePulls":      false,
		"registerNode":             true,
		// kube-proxy runs in nftables mode; the kubelet's own iptables
		// chains would only be more to remove.
		"makeIPTablesUtilChains": false,
		"maxPods":                110,
		"authentication": map[string]any{
			"anonymous": map[string]any{"enabled": true},
			"webhook":   map[string]any{"enabled": false},
		},
		"authorization": map[string]any{"mode": "AlwaysAllow"},
		// The machine's disk and memory are shared: no eviction over
		// what other work uses.
		"evictionHard": map[string]string{
			"memory.available":  "1Mi",
			"nodefs.available":  "1%",
			"nodefs.inodesFree": "1%",
			"imagefs.available": "1%",
		},
		"imageGCHighThresholdPercent": 100,
		"imageGCLowThresholdPercent":  99,
		"nodeStatusUpdateFrequency":   "2s",
		"syncFrequency":               "5s",
		"fileCheckFrequency":          "5s",
		"shutdownGracePeriod":         "0s",
	}
	data, err := yaml.Marshal(cfg)
	if err != nil {
		return err
	}
	return os.WriteFile(n.path("kubelet.yaml"), data, 0o600)
}

// kubeProxyConfig: nftables mode, every conntrack setting 0 (kube-proxy
// then changes no sysctl), masquerading all Service traffic.
func (n *Node) kubeProxyConfig(healthzPort, metricsPort int) (string, error) {
	cfg := map[string]any{
		"apiVersion":         "kubeproxy.config.k8s.io/v1alpha1",
		"kind":               "KubeProxyConfiguration",
		"mode":               "nftables",
		"clientConnection":   map[string]any{"kubeconfig": n.Kubeconfig},
		"hostnameOverride":   NodeName,
		"bindAddress":        "127.0.0.1",
		"healthzBindAddress": fmt.Sprintf("127.0.0.1:%d", healthzPort),
		"metricsBindAddress": fmt.Sprintf("127.0.0.1:%d", metricsPort),
		"clusterCIDR":        podSubnet,
		"detectLocalMode":    "ClusterCIDR",
		"conntrack": map[string]any{
			"maxPerCore":            0,
			"min":                   0,
			"tcpEstablishedTimeout": "0s",
			"tcpCloseWaitTimeout":   "0s",
			"udpTimeout":            "0s",
			"udpStreamTimeout":      "0s",
		},
		"nftables": map[string]any{
			"masqueradeAll": true,
			"syncPeriod":    "30s",
			"minSyncPeriod": "0s",
		},
	}
	data, err := yaml.Marshal(cfg)
	return string(data), err
}
