package target

import (
	"cmp"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/topology"
)

// dockerNetwork puts the containers on one user-defined network, where they
// resolve each other by name; only the frontend and the apis publish ports.
type dockerNetwork struct{}

type dockerNetworkSpec struct {
	// Host is how the user's browser reaches published ports (default localhost).
	Host string `yaml:"host"`
	// Network is the user-defined network (default <app>-docker-network).
	Network string `yaml:"network"`
}

func (dockerNetwork) Name() string { return "docker-network" }
func (dockerNetwork) Description() string {
	return "The same containers on one user-defined network; services call each other by name, and only the frontend and apis publish ports"
}
func (dockerNetwork) Spec() any           { return &dockerNetworkSpec{} }
func (dockerNetwork) Flags() []Flag       { return nil }
func (dockerNetwork) Stdout() render.Kind { return render.KindCompose }

func (t dockerNetwork) Configure(sec *topology.Section, _ Overrides) Config {
	var s dockerNetworkSpec
	sec.Decode(&s)
	s.Host = cmp.Or(s.Host, "localhost")
	sec.Hostname("host", s.Host)
	if s.Network != "" {
		sec.Label("network", s.Network, 63)
	} else if sec.Model != nil {
		s.Network = sec.Model.Name + "-" + t.Name()
	}
	return &dockerNetworkConfig{s}
}

type dockerNetworkConfig struct{ dockerNetworkSpec }

func (c *dockerNetworkConfig) EntryURL(fe *topology.Service) string {
	return topology.HostURL("http", c.Host, fe.HostPort)
}

func (c *dockerNetworkConfig) BrowserURL(to *topology.Service) string {
	return topology.HostURL("http", c.Host, to.HostPort)
}

// Internal uses the callee's name on the shared network.
func (c *dockerNetworkConfig) Internal(_, to *topology.Service, p topology.Port) topology.Endpoint {
	return topology.Endpoint{Host: to.Name, Port: p.Number}
}

// SecretRef is compose's interpolation of the bundle's .env file.
func (c *dockerNetworkConfig) SecretRef(_ *topology.Service, secret string) string {
	return render.ComposeSecretRef(secret)
}

func (c *dockerNetworkConfig) Files(b *Build) ([]render.File, error) {
	files, _, err := composeFiles(b, render.ComposeOptions{Project: project(b), Network: c.Network, Publish: publishPublic}, true)
	return files, err
}

func (c *dockerNetworkConfig) Readme(b *Build) render.Readme {
	return render.Readme{
		BringUp: composeSteps(b, true),
		Verify:  b.Verify(),
		Notes: append(composeNotes(b),
			"Services on the user-defined network `"+c.Network+"` reach each other by service name; internal services publish no port.",
			"Data lives in named volumes, shared by compose.yaml and docker-run.sh, rather than in bind-mounted host directories, so no host directory needs the container user's permissions.",
		),
	}
}

// Front: the browser reaches the frontend and apis on their published ports.
func (c *dockerNetworkConfig) Front() (string, string) { return "", "" }
