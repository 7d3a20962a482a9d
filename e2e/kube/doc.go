// Package kube applies the rendered Kubernetes bundles (of every target
// whose bundle is manifests: minikube, gke, ingress) to a real control
// plane — etcd and kube-apiserver started by internal/kubetest — and checks what only a server can: that every object is accepted with the
// server's own defaulting, validation, CRD schemas and CEL rules; that a
// second server-side apply changes nothing; that the stdout stream applies
// as the directory does; that the Kustomize overlays and Helm charts create
// exactly the plain render's objects; that each bundle README's kubectl
// commands run as written; and that a broken manifest is rejected with the
// server's message.
//
// The tests need kube-apiserver (`bash .ci/kube-tools.sh`), etcd
// (`apt-get install -y etcd-server`) and kubectl; without them they skip,
// and under CI=true they fail.
package kube
