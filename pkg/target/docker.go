package target

import (
	"cmp"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target/platform"
	"github.com/synctl/synctl/pkg/topology"
)

// docker runs each service in its own container on the default bridge,
// where containers cannot resolve each other's names: every service
// publishes its port on the host, and a service's own calls loop back
// through the host (host.docker.internal).
type docker struct{}

type dockerSpec struct {
	// Host is how the user's browser reaches published ports (default localhost).
	Host string `yaml:"host"`
}

func (docker) Name() string { return "docker" }
func (docker) Description() string {
	return "Each service in its own container on the default bridge, publishing a host port; services call each other through the host (" + render.HostGatewayName + ")"
}
func (docker) Spec() any           { return &dockerSpec{} }
func (docker) Flags() []Flag       { return nil }
func (docker) Stdout() render.Kind { return render.KindCompose }

func (docker) Configure(sec *topology.Section, _ Overrides) Config {
	var s dockerSpec
	sec.Decode(&s)
	s.Host = cmp.Or(s.Host, "localhost")
	sec.Hostname("host", s.Host)
	return &dockerConfig{s}
}

type dockerConfig struct{ dockerSpec }

func (c *dockerConfig) EntryURL(fe *topology.Service) string {
	return topology.HostURL("http", c.Host, fe.HostPort)
}

func (c *dockerConfig) BrowserURL(to *topology.Service) string {
	return topology.HostURL("http", c.Host, to.HostPort)
}

// Internal loops back through the port the callee publishes on the host:
// the default bridge has no name resolution.
func (c *dockerConfig) Internal(_, _ *topology.Service, p topology.Port) topology.Endpoint {
	return topology.Endpoint{Host: render.HostGatewayName, Port: p.HostPort}
}

// SecretRef is compose's interpolation of the bundle's .env file.
func (c *dockerConfig) SecretRef(_ *topology.Service, secret string) string {
	return render.ComposeSecretRef(secret)
}

func (c *dockerConfig) Files(b *Build) ([]render.File, error) {
	files, _, err := composeFiles(b, render.ComposeOptions{Project: project(b), Publish: publishAll}, true)
	return files, err
}

func (c *dockerConfig) Readme(b *Build) render.Readme {
	return render.Readme{
		BringUp: composeSteps(b, true),
		Verify:  b.Verify(),
		Notes: append(composeNotes(b),
			"The containers use the default bridge (`network_mode: bridge`), as plain `docker run` does: they cannot resolve each other by name, so a service's own calls go through the other service's published host port.",
			"`"+render.HostGatewayName+"` resolves on Linux only with `extra_hosts: "+render.HostGatewayName+":"+platform.HostGatewayTarget+"`; synctl adds it to every service whose URLs go through the host, in the colon form every Compose v2 accepts.",
		),
	}
}

// Front: the browser reaches each service on its published port.
func (c *dockerConfig) Front() (string, string) { return "", "" }
