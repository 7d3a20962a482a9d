package topology

import (
	"fmt"
	"strings"
)

// Overrides are the command-line changes applied to a spec before it is
// validated, so that a bad override is reported like a bad spec field.
type Overrides struct {
	// Images maps service name to image reference (--image api=reg/api:1.2).
	Images map[string]string
	// Namespace is the app namespace on the Kubernetes targets (--namespace).
	Namespace string
	// Hosts maps public service name to its Minikube hostname (--host).
	Hosts map[string]string
	// Address is the GKE Gateway's address used in CHAT_URL (--address).
	Address string
}

// ParseAssignments parses repeated NAME=VALUE flag values into a map.
func ParseAssignments(flag string, values []string) (map[string]string, error) {
	out := map[string]string{}
	for _, v := range values {
		name, val, ok := strings.Cut(v, "=")
		if !ok || name == "" || val == "" {
			return nil, fmt.Errorf("--%s %q: expected SERVICE=VALUE, e.g. --%s api=%s", flag, v, flag, flagExample(flag))
		}
		if _, dup := out[name]; dup {
			return nil, fmt.Errorf("--%s: service %q is given twice; give each service once", flag, name)
		}
		out[name] = val
	}
	return out, nil
}

func flagExample(flag string) string {
	if flag == "image" {
		return "registry.example/api:1.2"
	}
	return "api.example.test"
}

// apply changes the spec; names of services that do not exist are problems.
// It returns, for each spec path it set, the flag that set it, so that a bad
// value is reported against the flag rather than the file.
func (o Overrides) apply(a *App) (map[string]string, []Problem) {
	var problems []Problem
	set := map[string]string{}
	index := map[string]int{}
	for i, s := range a.Spec.Services {
		index[s.Name] = i
	}
	names := make([]string, len(a.Spec.Services))
	for i, s := range a.Spec.Services {
		names[i] = s.Name
	}
	for _, name := range sortedKeys(o.Images) {
		i, ok := index[name]
		if !ok {
			problems = append(problems, Problem{Path: "--image", Message: fmt.Sprintf("service %q is not in the app; choose one of %s", name, strings.Join(names, ", "))})
			continue
		}
		a.Spec.Services[i].Image = o.Images[name]
		set[fmt.Sprintf("spec.services[%d].image", i)] = "--image " + name + "=" + o.Images[name]
	}
	for _, name := range sortedKeys(o.Hosts) {
		if _, ok := index[name]; !ok {
			problems = append(problems, Problem{Path: "--host", Message: fmt.Sprintf("service %q is not in the app; choose one of %s", name, strings.Join(names, ", "))})
			continue
		}
		if a.Spec.Targets.Minikube.Hosts == nil {
			a.Spec.Targets.Minikube.Hosts = map[string]string{}
		}
		a.Spec.Targets.Minikube.Hosts[name] = o.Hosts[name]
		set["spec.targets.minikube.hosts."+name] = "--host " + name + "=" + o.Hosts[name]
	}
	if o.Namespace != "" {
		a.Spec.Targets.Minikube.Namespace = o.Namespace
		a.Spec.Targets.GKE.Namespace = o.Namespace
		set["spec.targets.minikube.namespace"] = "--namespace " + o.Namespace
		set["spec.targets.gke.namespace"] = "--namespace " + o.Namespace
	}
	if o.Address != "" {
		a.Spec.Targets.GKE.Address = o.Address
		set["spec.targets.gke.address"] = "--address " + o.Address
	}
	return set, problems
}
