package render

import (
	"bytes"
	"strconv"
	"strings"
	"sync"
	"text/template"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/synctl/synctl/pkg/topology"
	"github.com/synctl/synctl/templates"
)

// Templates are parsed once per process; executing one is safe concurrently.
var dockerRunTemplate = sync.OnceValues(func() (*template.Template, error) {
	return templates.Parse("docker-run.sh.tmpl", template.FuncMap{"quote": templates.ShellQuote})
})

type runContainer struct {
	Name, Alias, Image              string
	Ports, ExtraHosts, Volumes, Env []string
}

// renderDockerRun writes the compose project as `docker run` commands, in
// dependency order so that a container starts after what it links to.
func renderDockerRun(m *topology.Model, t topology.Target, p *types.Project, w topology.Wiring) ([]byte, error) {
	tmpl, err := dockerRunTemplate()
	if err != nil {
		return nil, err
	}
	data := struct {
		Header, Target, Network, ChatURL, Teardown string
		Containers                                 []runContainer
	}{Header: string(header("#", Command(t))), Target: string(t), ChatURL: w.CHATURL}
	if t == topology.DockerNetwork {
		data.Network = m.Targets.DockerNetwork.Network
	}
	var names []string
	byName := servicesByName(m)
	for _, name := range startOrder(m) {
		s := p.Services[name]
		c := runContainer{Name: m.Name + "-" + name, Alias: name, Image: s.Image}
		names = append(names, c.Name)
		for _, port := range s.Ports {
			c.Ports = append(c.Ports, port.Published+":"+strconv.Itoa(int(port.Target)))
		}
		for _, h := range s.ExtraHosts.AsList(":") {
			c.ExtraHosts = append(c.ExtraHosts, h)
		}
		for _, v := range s.Volumes {
			c.Volumes = append(c.Volumes, m.Name+"-"+v.Source+":"+v.Target)
		}
		for _, e := range containerEnv(*byName[name], w) {
			c.Env = append(c.Env, e.Name+"="+e.Value)
		}
		data.Containers = append(data.Containers, c)
	}
	td := "docker rm -f " + strings.Join(names, " ")
	if data.Network != "" {
		td += " && docker network rm " + data.Network
	}
	data.Teardown = td
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// startOrder lists services so that each comes after the services it links
// to inside the deployment; ties keep the model's order.
func startOrder(m *topology.Model) []string {
	byName := servicesByName(m)
	done := map[string]bool{}
	var order []string
	var visit func(s *topology.Service)
	visit = func(s *topology.Service) {
		if done[s.Name] {
			return
		}
		done[s.Name] = true
		for _, l := range s.Links {
			if l.ResolvedBy == topology.ResolvedByService {
				visit(byName[l.To])
			}
		}
		order = append(order, s.Name)
	}
	for i := range m.Services {
		visit(&m.Services[i])
	}
	return order
}

// servicesByName indexes m's services (names are unique in a valid model).
func servicesByName(m *topology.Model) map[string]*topology.Service {
	idx := make(map[string]*topology.Service, len(m.Services))
	for i := range m.Services {
		idx[m.Services[i].Name] = &m.Services[i]
	}
	return idx
}
