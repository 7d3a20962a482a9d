package render

import (
	"bytes"
	"maps"
	"slices"
	"strings"
	"sync"
	"text/template"

	"github.com/synctl/synctl/pkg/topology"
	"github.com/synctl/synctl/templates"
)

var readmeTemplate = sync.OnceValues(func() (*template.Template, error) {
	return templates.Parse("README.md.tmpl", nil)
})

// renderReadme writes the bundle's README: its wiring table, the commands
// that bring it up, and where it deliberately departs from the hand-written
// setup in the seed note.
func renderReadme(m *topology.Model, t topology.Target, w topology.Wiring, files []File) ([]byte, error) {
	tmpl, err := readmeTemplate()
	if err != nil {
		return nil, err
	}
	data := struct {
		Header, App, Target, Description, Dir, ChatURL, VerifyURL string
		ServerName, GatewayNamespace, Gateway, GatewayClass       string
		URLs                                                      []topology.WiredURL
		Hosts, Notes                                              []string
	}{
		Header:           strings.TrimSpace(strings.TrimPrefix(string(header("", Command(t))), " ")),
		App:              m.Name,
		Target:           string(t),
		Description:      t.Description(),
		Dir:              ".",
		ChatURL:          w.CHATURL,
		VerifyURL:        w.CHATURL,
		ServerName:       m.Targets.Nginx.ServerName,
		GatewayNamespace: m.Targets.GKE.GatewayNamespace,
		Gateway:          m.Targets.GKE.Gateway,
		GatewayClass:     m.Targets.GKE.GatewayClass,
		URLs:             w.URLs,
		Notes:            notes(m, t),
	}
	if t == topology.Nginx {
		data.VerifyURL = "--insecure " + w.CHATURL
	}
	if t == topology.GKE && m.Targets.GKE.Address == topology.AddressPlaceholder {
		data.VerifyURL = "http://IP/"
	}
	for _, s := range m.Services {
		if h, ok := m.Targets.Minikube.Hosts[s.Name]; ok {
			data.Hosts = append(data.Hosts, h)
		}
	}
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// notes explain where synctl differs from the seed's hand-written files.
func notes(m *topology.Model, t topology.Target) []string {
	switch t {
	case topology.Docker:
		return []string{
			"The containers use the default bridge (`network_mode: bridge`), as plain `docker run` does: they cannot resolve each other by name, so the api reaches the crawler through the crawler's published host port.",
			"`host.docker.internal` resolves on Linux only with `extra_hosts: host.docker.internal:host-gateway`; synctl adds it to every service whose URLs go through the host.",
		}
	case topology.DockerNetwork:
		return []string{
			"Services on the user-defined network reach each other by compose service name; internal services publish no port.",
			"Data lives in named volumes rather than a bind-mounted `./crawler-db`, so no host directory needs the container user's permissions.",
		}
	case topology.Nginx:
		return []string{
			"API_URL is relative (`" + firstPath(m.Targets.Nginx.Paths) + "`): the browser reuses the scheme, host and port it loaded the page from, so there is no CORS and nothing but nginx is published.",
			"The key is ECDSA P-256 made in-process (no openssl step), and TLS keeps nginx's default cipher list: the seed's list named only ECDHE-RSA suites, which an ECDSA certificate cannot use.",
			"No `pid` directive and no `http2` line: nginx:alpine's compiled-in defaults apply, and the file also loads in older nginx builds.",
		}
	case topology.Minikube:
		return []string{
			"Hostnames follow the seed note (`" + m.Targets.Minikube.Hosts[m.Frontend().Name] + "`); the seed's files had drifted to `synchat.internal`.",
			"The crawler runs one container per pod; the seed's Deployment ran two crawler containers sharing one cache directory. Scale with replicas instead.",
			"The autoscaled Deployment sets a CPU request (the autoscaler measures use against it; without one it cannot scale) and no replica count, so an apply does not reset the autoscaler.",
			"Deployments with a ReadWriteOnce volume use the Recreate strategy: a rolling update would wait forever for the volume held by the old pod.",
			"Readiness and liveness probes use each service's health path; a pod template annotation carries a hash of its ConfigMap so a wiring change restarts the pods.",
		}
	case topology.GKE:
		return []string{
			"Every container requests CPU and memory, as Autopilot requires.",
			"A HealthCheckPolicy per public Service points the load balancer at the service's health path; without it GKE checks `GET /`, which the api answers with 404 (\"no healthy upstream\").",
			"The PVC names no storage class, so Autopilot's default (standard-rwo) applies; the seed's `standard` is not GKE's default.",
			"CRAWLER_BASE_URL uses the Service's short name: the api and the crawler share the `" + m.Targets.GKE.Namespace + "` namespace.",
		}
	}
	return nil
}

func firstPath(paths map[string]string) string {
	for _, k := range sortedKeys(paths) {
		return paths[k]
	}
	return ""
}

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }
