package target

import (
	"fmt"
	"strings"
)

// registry lists every target, from the simplest setup (containers on one
// host) to the cloud ones; reports and READMEs keep this order. A new target is a file of its own and one line here.
var registry = []Target{
	docker{},
	dockerNetwork{},
	nginx{},
	minikube{},
	gke{},
	ingress{},
}

// PlainCompose is the target whose compose file wires the services as a
// hand-written compose file does: one network, each service reached by its
// name. Its wiring is what a compose file's own URLs are compared with.
func PlainCompose() Target { return dockerNetwork{} }

// ReservedServiceNames are the names a target gives services of its own
// (the nginx target's proxy), which an app's services cannot have.
func ReservedServiceNames() []string { return []string{proxyName} }

// All returns every target in order.
func All() []Target { return append([]Target(nil), registry...) }

// Lookup returns the target called name.
func Lookup(name string) (Target, error) {
	for _, t := range registry {
		if t.Name() == name {
			return t, nil
		}
	}
	return nil, fmt.Errorf("unknown target %q: choose one of %s", name, Names())
}

// Names lists the targets as "docker, docker-network, ...".
func Names() string { return strings.Join(names(), ", ") }

func names() []string {
	n := make([]string, len(registry))
	for i, t := range registry {
		n[i] = t.Name()
	}
	return n
}
