package render

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/synctl/synctl/pkg/topology"
)

// ComposeFileName is the compose file of every compose bundle.
const ComposeFileName = "compose.yaml"

// HostGatewayName is the name containers on the default bridge use for the
// docker host; on Linux it resolves only with an extra_hosts host-gateway
// entry, which Compose adds to every service whose URLs use it.
const HostGatewayName = "host.docker.internal"

// hostGateway is docker's special extra_hosts value for the host's address
// on the container's network.
const hostGateway = "host-gateway"

// BrowserEnvKey labels a compose service (and annotates a pod template) with
// the env vars whose URLs the browser resolves, so that `synctl validate`
// checks them from the user's machine rather than from inside the container.
const BrowserEnvKey = "synctl.dev/browser-env"

// ComposeOptions are what one compose target decides about the project.
type ComposeOptions struct {
	// Project is the compose project name. It also prefixes volume and
	// network names, so that two setups of one app never share them.
	Project string
	// Network is the user-defined network every service joins; empty puts
	// each service on the default bridge, as plain `docker run` does.
	Network string
	// Publish reports whether a service publishes its port on the host.
	Publish func(s *topology.Service) bool
	// Proxy, when set, is a reverse proxy in front of the public services.
	Proxy *ComposeProxy
}

// ComposeProxy is a reverse-proxy service: the only entry point.
type ComposeProxy struct {
	Name, Image string
	// Ports maps host ports to container ports.
	Ports [][2]int
	// Mounts are read-only bind mounts, bundle-relative source to target.
	Mounts [][2]string
}

// VolumeName is the docker volume holding a service's storage, shared by
// the compose file and the docker run script so that data carries over.
func VolumeName(project string, s *topology.Service) string {
	return project + "-" + s.Name + "-data"
}

// ComposeProject builds the compose project of an app for one target.
func ComposeProject(m *topology.Model, w topology.Wiring, o ComposeOptions) *types.Project {
	p := &types.Project{Name: o.Project, Services: types.Services{}}
	if o.Network != "" {
		p.Networks = types.Networks{o.Network: types.NetworkConfig{Name: o.Network, Driver: "bridge"}}
	}
	deps := m.DependsOn()
	for i := range m.Services {
		s := &m.Services[i]
		sc := types.ServiceConfig{Name: s.Name, Restart: types.RestartPolicyUnlessStopped}
		sc.Image = s.Image
		sc.Environment = composeEnv(s, w)
		if b := BrowserEnv(s); b != "" {
			sc.Labels = types.Labels{BrowserEnvKey: b}
		}
		if o.Network == "" {
			// The default bridge: no name resolution between containers.
			sc.NetworkMode = "bridge"
		} else {
			sc.Networks = map[string]*types.ServiceNetworkConfig{o.Network: nil}
		}
		if o.Publish(s) {
			sc.Ports = []types.ServicePortConfig{{Target: uint32(s.Port), Published: strconv.Itoa(s.HostPort), Protocol: "tcp"}}
		}
		if usesHostGateway(s, w) {
			sc.ExtraHosts = types.HostsList{HostGatewayName: {hostGateway}}
		}
		if st := s.Storage; st != nil {
			key := s.Name + "-data"
			sc.Volumes = []types.ServiceVolumeConfig{{Type: types.VolumeTypeVolume, Source: key, Target: st.MountPath}}
			if p.Volumes == nil {
				p.Volumes = types.Volumes{}
			}
			p.Volumes[key] = types.VolumeConfig{Name: VolumeName(o.Project, s)}
		}
		// Start what a service links to first. Without health checks in the
		// images, "started" is the strongest condition compose can wait for.
		for _, to := range deps[s.Name] {
			if sc.DependsOn == nil {
				sc.DependsOn = types.DependsOnConfig{}
			}
			sc.DependsOn[to] = types.ServiceDependency{Condition: types.ServiceConditionStarted, Required: true}
		}
		p.Services[s.Name] = sc
	}
	if px := o.Proxy; px != nil {
		sc := types.ServiceConfig{Name: px.Name, Restart: types.RestartPolicyUnlessStopped}
		sc.Image = px.Image
		sc.Networks = map[string]*types.ServiceNetworkConfig{o.Network: nil}
		for _, pt := range px.Ports {
			sc.Ports = append(sc.Ports, types.ServicePortConfig{Target: uint32(pt[1]), Published: strconv.Itoa(pt[0]), Protocol: "tcp"})
		}
		for _, mt := range px.Mounts {
			sc.Volumes = append(sc.Volumes, types.ServiceVolumeConfig{Type: types.VolumeTypeBind, Source: mt[0], Target: mt[1], ReadOnly: true})
		}
		sc.DependsOn = types.DependsOnConfig{}
		for _, s := range m.Services {
			if s.Role.Public() {
				sc.DependsOn[s.Name] = types.ServiceDependency{Condition: types.ServiceConditionStarted, Required: true}
			}
		}
		p.Services[px.Name] = sc
	}
	return p
}

// usesHostGateway reports whether a service's own URLs go through the docker
// host, which on Linux needs the host-gateway mapping.
func usesHostGateway(s *topology.Service, w topology.Wiring) bool {
	for _, l := range s.Links {
		if l.ResolvedBy == topology.ResolvedByService && strings.Contains(w.Link(s.Name, l.Env), "://"+HostGatewayName+":") {
			return true
		}
	}
	return false
}

// ContainerEnv is a service's full environment in a fixed order: port,
// links, storage, then static variables sorted by name.
func ContainerEnv(s *topology.Service, w topology.Wiring) []topology.EnvVar {
	var env []topology.EnvVar
	if s.PortEnv != "" {
		env = append(env, topology.EnvVar{Name: s.PortEnv, Value: strconv.Itoa(s.Port)})
	}
	for _, l := range s.Links {
		env = append(env, topology.EnvVar{Name: l.Env, Value: w.Link(s.Name, l.Env)})
	}
	if st := s.Storage; st != nil && st.Env != "" {
		env = append(env, topology.EnvVar{Name: st.Env, Value: st.Path()})
	}
	return append(env, s.Env...)
}

func composeEnv(s *topology.Service, w topology.Wiring) types.MappingWithEquals {
	env := types.MappingWithEquals{}
	for _, e := range ContainerEnv(s, w) {
		// Compose interpolates $VAR in values; $$ is a literal dollar.
		v := strings.ReplaceAll(e.Value, "$", "$$")
		env[e.Name] = &v
	}
	return env
}

// BrowserEnv lists the env vars of s that carry browser-resolved URLs.
func BrowserEnv(s *topology.Service) string {
	var names []string
	for _, l := range s.Links {
		if l.ResolvedBy == topology.ResolvedByBrowser {
			names = append(names, l.Env)
		}
	}
	return strings.Join(names, ",")
}

// ComposeFile marshals the project as the bundle's compose file.
func ComposeFile(p *types.Project, cmd string) (File, error) {
	b, err := p.MarshalYAML()
	if err != nil {
		return File{}, err
	}
	return File{Path: ComposeFileName, Data: append(Header("#", cmd), colonExtraHosts(b)...), Mode: 0o644, Kind: KindCompose}, nil
}

// colonExtraHosts writes the extra_hosts entry synctl adds in the HOST:IP
// form: compose-go writes every entry as HOST=IP, which Compose accepts
// only from v2.24.1, where the colon form works with every Compose v2 (and
// docker run's --add-host). Both forms are plain YAML scalars, so swapping
// the one entry synctl writes is exact; no other entry can be in the file.
func colonExtraHosts(b []byte) []byte {
	return bytes.ReplaceAll(b, []byte("- "+HostGatewayName+"="+hostGateway+"\n"), []byte("- "+HostGatewayName+":"+hostGateway+"\n"))
}
