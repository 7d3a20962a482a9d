// Package node runs the rendered Kubernetes bundles (minikube, gke,
// ingress) of every app that has stand-ins — the built-in app and every
// testdata/apps/*.yaml — on a real single-node cluster (internal/nodetest):
// pods scheduled, started by containerd, probed by the kubelet, given
// volumes, addresses, Service DNS and ClusterIPs. One node serves every
// app and target, each bundle in a namespace of its own (`synctl render
// --namespace APP-TARGET`), as many at once as the node's CPU holds: the
// gke bundles request 250m per container, as Autopilot requires, and two
// cores hold one such app at a time. A bundle's namespace is deleted when
// its checks are done.
//
// For each bundle, applied by its README's own kubectl commands:
//
//   - every Deployment rolls out and every pod is Ready under Pod Security
//     "restricted", as rendered, with its probes passing;
//   - every volume is writable by the pod's user, and what was written to a
//     persistent one survives `kubectl rollout restart`;
//   - every link a service's own process follows resolves through Service
//     DNS and answers, asked from inside the owner's pod in the link's own
//     form (a URL, host:port, a host beside its port, a postgres URL);
//   - `synctl verify --forward` passes through a `kubectl port-forward` to
//     each public Service, before and after the restart.
//
// A Job (voting's seed) must complete: the stand-in job exits non-zero
// unless every link it follows answers.
//
// Then the faults, on the minikube bundles, before their namespaces go: a
// deleted pod comes back with its data, and a rolling update after a spec
// change (render again, apply again) keeps verify passing throughout,
// without a single failed walk (the rendered preStop sleep keeps an old
// pod serving while the endpoints move; without it connections were
// refused for 1-4 s).
//
// A failed bundle's subtest says which step failed first, and the suite
// ends with one line per failed bundle.
//
// What this does not prove: the routes. No Gateway API or Ingress
// implementation runs here, so the Gateways, HTTPRoutes and Ingresses are
// proven by admission only (e2e/kube), and verify reaches the public
// services through port-forwards, which its report says. (The opt-in
// TestRoutesThroughTraefik, SYNCTL_TRAEFIK_TESTS=1 and not run by CI, does
// walk the built-in app's minikube and ingress routes through Traefik,
// with only the class's controller swapped: see its doc comment.)
// NetworkPolicies are not enforced either (the bridge CNI plugin has no policy engine), so
// a link that passes here could still be blocked by a policy on a cluster
// that enforces them.
//
// Images: the bundles name registry images, which cannot be pulled here.
// Each service gets a FROM-scratch stand-in image imported into the node
// under synctl-nodetest/APP-SERVICE:HASH, and the bundle is rendered with
// `--image SERVICE=synctl-nodetest/APP-SERVICE:HASH`, the flag a user points
// at their own registry with. The tag is not "latest", so the kubelet's
// default pull policy (IfNotPresent; Always for :latest) uses the imported
// image, and the rendered imagePullPolicy is left as it is.
//
// CI runs them (.ci/run's `go test -timeout 40m ./...` under CI=true);
// elsewhere they skip unless SYNCTL_NODE_TESTS=1, since they need root and
// take the host's network rules for minutes:
//
//	SYNCTL_NODE_TESTS=1 go test -timeout 30m ./internal/nodetest ./e2e/node
//
// They need root and the node's parts (`bash .ci/node-tools.sh`, see
// internal/nodetest); without them they skip, and under CI=true they fail.
package node
