package render

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/synctl/synctl/pkg/topology"
	"github.com/synctl/synctl/templates"
)

// DockerRunFileName is the script that does what compose.yaml does with
// plain `docker run`.
const DockerRunFileName = "docker-run.sh"

// Templates are parsed once per process; executing one is safe concurrently.
var dockerRunTemplate = sync.OnceValues(func() (*templates.Template, error) {
	return templates.Parse("docker-run.sh.tmpl", templates.FuncMap{"quote": templates.ShellQuote})
})

type runContainer struct {
	Name, Alias, Image, Restart, Entrypoint, Workdir string
	Ports, ExtraHosts, Volumes, Tmpfs, Args          []string
	// Env are -e arguments, each already quoted for the shell: a secret
	// (or a value that refers to one) in double quotes, so that the shell
	// expands it from the bundle's .env file.
	Env []string
}

// DockerRunScript writes the compose project as `docker run` commands, in
// start order so that a container starts after what it links to. Names
// match the compose file's: the same network and volumes, so data carries
// between the two.
func DockerRunScript(target string, m *topology.Model, w topology.Wiring, p *types.Project, cmd string) (File, error) {
	tmpl, err := dockerRunTemplate()
	if err != nil {
		return File{}, err
	}
	data := struct {
		Header, Target, Network, EntryURL, Teardown, Volumes, EnvFile string
		Containers                                                    []runContainer
	}{Header: string(Header("#", cmd)), Target: target, EntryURL: w.EntryURL}
	if len(m.Secrets) > 0 {
		data.EnvFile = EnvFileName
	}
	for _, n := range p.Networks {
		data.Network = n.Name
	}
	order, _ := m.StartOrder()
	var names, volumes []string
	for _, name := range order {
		s := p.Services[name]
		svc, _ := m.Service(name)
		c := runContainer{Name: p.Name + "-" + name, Alias: name, Image: s.Image, Restart: "unless-stopped", Workdir: s.WorkingDir, Tmpfs: svc.Scratch}
		if svc.Job {
			c.Restart = "no"
		}
		if len(s.Entrypoint) > 0 {
			// --entrypoint takes one word; the rest come before the args.
			c.Entrypoint = s.Entrypoint[0]
			c.Args = append(c.Args, s.Entrypoint[1:]...)
		}
		c.Args = append(c.Args, s.Command...)
		names = append(names, c.Name)
		for _, port := range s.Ports {
			c.Ports = append(c.Ports, port.Published+":"+strconv.Itoa(int(port.Target)))
		}
		c.ExtraHosts = s.ExtraHosts.AsList(":")
		slices.Sort(c.ExtraHosts)
		for _, v := range s.Volumes {
			vol := p.Volumes[v.Source].Name
			c.Volumes = append(c.Volumes, vol+":"+v.Target)
			volumes = append(volumes, vol)
		}
		for _, e := range ContainerEnv(svc, w) {
			if e.Secret != "" || e.Expand {
				// Names, hosts, users and paths are validated to letters,
				// digits and "._~-/:@", so the double quotes hold nothing the
				// shell would take but the ${VAR:?} reference.
				c.Env = append(c.Env, `"`+e.Name+"="+ComposeEnvValue(e)+`"`)
				continue
			}
			c.Env = append(c.Env, templates.ShellQuote(e.Name+"="+e.Value))
		}
		data.Containers = append(data.Containers, c)
	}
	quoted := func(words []string) string {
		q := make([]string, len(words))
		for i, w := range words {
			q[i] = templates.ShellQuote(w)
		}
		return strings.Join(q, " ")
	}
	td := "docker rm -f " + quoted(names)
	if data.Network != "" {
		td += " && docker network rm " + templates.ShellQuote(data.Network)
	}
	data.Teardown = td
	data.Volumes = strings.Join(volumes, " ")
	var b bytes.Buffer
	if err := tmpl.Execute(&b, data); err != nil {
		return File{}, err
	}
	return File{Path: DockerRunFileName, Data: b.Bytes(), Mode: 0o755, Kind: KindScript}, nil
}
