package diff

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// How each side checks a service's health and hands it secrets, read from
// the compose services and pod templates that changed, so that a move
// between setups says in words what happens to probes, TCP services and
// secrets.

// sideFacts is what one side of a comparison does for each service.
type sideFacts struct {
	platform string
	// health maps a service to how its readiness (and liveness, where it
	// differs) is checked.
	health map[string]string
	// secrets describes where secret values come from; "" for none.
	secrets []string
}

func factsOf(r *Result, before bool) sideFacts {
	f := sideFacts{health: map[string]string{}}
	var secretVars, secretRefs, expanded int
	secretNames := map[string]bool{}
	for _, c := range r.Changes {
		v := c.after
		if before {
			v = c.before
		}
		if v == nil {
			continue
		}
		switch {
		case c.Type == TypeCompose && c.Kind == "service":
			f.platform = "compose"
			f.health[c.Name] = composeHealth(v)
			env, _ := lookup(v, "environment").(map[string]any)
			for _, val := range env {
				if s := str(val); strings.Contains(s, "${") && strings.Contains(s, ":?}") {
					secretVars++
				}
			}
		case c.Type == TypeKubernetes && (c.Kind == "Deployment" || c.Kind == "Job"):
			f.platform = "Kubernetes"
			ctrs, _ := lookup(v, "spec", "template", "spec", "containers").([]any)
			for _, ctr := range ctrs {
				name := str(lookup(ctr, "name"))
				f.health[name] = kubeHealth(ctr)
				env, _ := lookup(ctr, "env").([]any)
				for _, e := range env {
					if ref := lookup(e, "valueFrom", "secretKeyRef"); ref != nil {
						secretRefs++
						secretNames[str(lookup(ref, "name"))] = true
					}
					if strings.Contains(str(lookup(e, "value")), "$(") {
						expanded++
					}
				}
			}
		}
	}
	if secretVars > 0 {
		f.secrets = append(f.secrets, fmt.Sprintf("%s from the bundle's .env file, interpolated by compose (`${VAR:?}`)", plural(secretVars, "variable")))
	}
	if secretRefs > 0 {
		f.secrets = append(f.secrets, fmt.Sprintf("%s by `secretKeyRef` from Secret %s", plural(secretRefs, "variable"), strings.Join(slices.Sorted(maps.Keys(secretNames)), ", ")))
	}
	if expanded > 0 {
		f.secrets = append(f.secrets, fmt.Sprintf("%s that Kubernetes expands in the container (`$(VAR)`)", plural(expanded, "URL")))
	}
	return f
}

func composeHealth(svc any) string {
	test, _ := lookup(svc, "healthcheck", "test").([]any)
	if len(test) < 2 {
		return "not checked"
	}
	var words []string
	for _, w := range test[1:] {
		words = append(words, str(w))
	}
	return "command `" + strings.Join(words, " ") + "`"
}

func kubeHealth(ctr any) string {
	probe := func(p any) string {
		switch {
		case p == nil:
			return ""
		case lookup(p, "httpGet") != nil:
			return "HTTP GET " + str(lookup(p, "httpGet", "path"))
		case lookup(p, "tcpSocket") != nil:
			return "TCP connection to port " + str(lookup(p, "tcpSocket", "port"))
		case lookup(p, "exec") != nil:
			cmd, _ := lookup(p, "exec", "command").([]any)
			var words []string
			for _, w := range cmd {
				words = append(words, str(w))
			}
			return "command `" + strings.Join(words, " ") + "`"
		}
		return "a probe"
	}
	ready, live := probe(lookup(ctr, "readinessProbe")), probe(lookup(ctr, "livenessProbe"))
	switch {
	case ready == "" && live == "":
		return "not checked"
	case ready == live:
		return ready
	case live == "":
		return "ready: " + ready
	}
	return "ready: " + ready + ", alive: " + live
}

// healthAndSecrets are the summary's sentences on probes and secrets.
func healthAndSecrets(r *Result) []string {
	from, to := factsOf(r, true), factsOf(r, false)
	var out []string
	if from.platform != "" && to.platform != "" {
		var moves []string
		for _, name := range slices.Sorted(maps.Keys(to.health)) {
			a, ok := from.health[name]
			if b := to.health[name]; ok && a != b {
				moves = append(moves, fmt.Sprintf("%s %s -> %s", name, a, b))
			}
		}
		if len(moves) > 0 {
			out = append(out, fmt.Sprintf("Health checks (%s -> %s): %s.", from.platform, to.platform, strings.Join(moves, "; ")))
		}
	}
	if a, b := strings.Join(from.secrets, "; "), strings.Join(to.secrets, "; "); a != b && (a != "" || b != "") {
		out = append(out, fmt.Sprintf("Secrets: %s -> %s; no value is written in either bundle.", orNone(a), orNone(b)))
	}
	return out
}
