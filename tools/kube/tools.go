//go:build tools

// Package tools pins the Kubernetes binaries that synctl's tests run: the
// kube-apiserver of the control-plane tests (internal/kubetest), and the
// kubelet, kube-controller-manager, kube-scheduler and kube-proxy of the
// node tests (internal/nodetest). It is a separate module because
// k8s.io/kubernetes cannot be a dependency of synctl itself: its go.mod
// replaces every staging module with a relative path, so
// `go install k8s.io/kubernetes/...@v` and a plain require both fail. This
// module repeats those replaces with versions.
//
// Build the binaries with `bash .ci/kube-tools.sh` and
// `bash .ci/node-tools.sh` from the repository root.
package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
