//go:build tools

// Package tools pins the kube-apiserver that synctl's control-plane tests
// (internal/kubetest) run. It is a separate module because k8s.io/kubernetes
// cannot be a dependency of synctl itself: its go.mod replaces every staging
// module with a relative path, so `go install k8s.io/kubernetes/...@v` and a
// plain require both fail. This module repeats those replaces with versions.
//
// Build the binary with `bash .ci/kube-tools.sh` from the repository root.
package tools

import _ "k8s.io/kubernetes/cmd/kube-apiserver"
