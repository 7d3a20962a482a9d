package render

import (
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/synctl/synctl/pkg/topology"
)

// Paths of the nginx bundle's files, relative to the bundle directory, and
// where the compose file mounts them in the nginx:alpine container.
const (
	NginxConfPath      = "nginx.conf"
	CertPath           = "certs/tls.crt"
	KeyPath            = "certs/tls.key"
	nginxConfMount     = "/etc/nginx/nginx.conf"
	nginxCertsMount    = "/etc/nginx/certs"
	nginxServiceName   = "nginx"
	composeFileName    = "compose.yaml"
	dockerRunFileName  = "docker-run.sh"
	composeVolumeLabel = "-data"
)

// composeProject builds the compose project of a docker-family target.
func composeProject(m *topology.Model, t topology.Target, w topology.Wiring) *types.Project {
	p := &types.Project{Name: m.Name, Services: types.Services{}}
	network := ""
	switch t {
	case topology.DockerNetwork:
		network = m.Targets.DockerNetwork.Network
	case topology.Nginx:
		network = m.Targets.Nginx.Network
	}
	if network != "" {
		p.Networks = types.Networks{network: types.NetworkConfig{Driver: "bridge"}}
	}
	for _, s := range m.Services {
		sc := types.ServiceConfig{Name: s.Name}
		sc.Image = s.Image
		sc.Restart = types.RestartPolicyUnlessStopped
		sc.Environment = composeEnv(s, w)
		if b := browserEnv(s); b != "" {
			sc.Labels = types.Labels{BrowserEnvKey: b}
		}
		if network == "" {
			// The default bridge, as plain `docker run` uses: no name
			// resolution between containers, which is the point of this setup.
			sc.NetworkMode = "bridge"
		} else {
			sc.Networks = map[string]*types.ServiceNetworkConfig{network: nil}
		}
		if published(s, t) {
			sc.Ports = []types.ServicePortConfig{{
				Target:    uint32(s.Port),
				Published: strconv.Itoa(s.HostPort),
				Protocol:  "tcp",
			}}
		}
		if needsHostGateway(s, w) {
			sc.ExtraHosts = types.HostsList{topology.HostGatewayName: {hostGateway}}
		}
		if st := s.Storage; st != nil {
			vol := s.Name + composeVolumeLabel
			sc.Volumes = []types.ServiceVolumeConfig{{Type: types.VolumeTypeVolume, Source: vol, Target: st.MountPath}}
			if p.Volumes == nil {
				p.Volumes = types.Volumes{}
			}
			p.Volumes[vol] = types.VolumeConfig{}
		}
		// Start what a service links to first. Without health checks in the
		// images (no curl or wget inside), "started" is the strongest
		// condition compose can wait for.
		for _, l := range s.Links {
			if l.ResolvedBy == topology.ResolvedByService {
				if sc.DependsOn == nil {
					sc.DependsOn = types.DependsOnConfig{}
				}
				sc.DependsOn[l.To] = types.ServiceDependency{Condition: types.ServiceConditionStarted, Required: true}
			}
		}
		p.Services[s.Name] = sc
	}
	if t == topology.Nginx {
		n := m.Targets.Nginx
		sc := types.ServiceConfig{Name: nginxServiceName}
		sc.Image = n.Image
		sc.Restart = types.RestartPolicyUnlessStopped
		sc.Networks = map[string]*types.ServiceNetworkConfig{network: nil}
		sc.Ports = []types.ServicePortConfig{
			{Target: 80, Published: strconv.Itoa(n.HTTPPort), Protocol: "tcp"},
			{Target: 443, Published: strconv.Itoa(n.HTTPSPort), Protocol: "tcp"},
		}
		sc.Volumes = []types.ServiceVolumeConfig{
			{Type: types.VolumeTypeBind, Source: "./" + NginxConfPath, Target: nginxConfMount, ReadOnly: true},
			{Type: types.VolumeTypeBind, Source: "./certs", Target: nginxCertsMount, ReadOnly: true},
		}
		sc.DependsOn = types.DependsOnConfig{}
		for _, s := range m.Services {
			if s.Role.Public() {
				sc.DependsOn[s.Name] = types.ServiceDependency{Condition: types.ServiceConditionStarted, Required: true}
			}
		}
		p.Services[nginxServiceName] = sc
	}
	return p
}

// published reports whether a service publishes its port on the host.
func published(s topology.Service, t topology.Target) bool {
	switch t {
	case topology.Docker:
		return true // everything, since internal calls loop through the host
	case topology.DockerNetwork:
		return s.Role.Public()
	}
	return false // nginx is the only entry point
}

// needsHostGateway reports whether a service's URLs go through the docker
// host, which on Linux needs the host-gateway mapping.
func needsHostGateway(s topology.Service, w topology.Wiring) bool {
	for _, l := range s.Links {
		if l.ResolvedBy == topology.ResolvedByService && strings.Contains(w.Link(s.Name, l.Env), "://"+topology.HostGatewayName+":") {
			return true
		}
	}
	return false
}

// containerEnv is a service's full environment in a fixed order: port, links,
// storage, then static variables sorted by name.
func containerEnv(s topology.Service, w topology.Wiring) []topology.EnvVar {
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

func composeEnv(s topology.Service, w topology.Wiring) types.MappingWithEquals {
	env := types.MappingWithEquals{}
	for _, e := range containerEnv(s, w) {
		// Compose interpolates $VAR in values; $$ is a literal dollar.
		v := strings.ReplaceAll(e.Value, "$", "$$")
		env[e.Name] = &v
	}
	return env
}

// renderCompose marshals the project with a generated-file header.
func renderCompose(p *types.Project, cmd string) ([]byte, error) {
	b, err := p.MarshalYAML()
	if err != nil {
		return nil, err
	}
	return append(header("#", cmd), b...), nil
}

// BrowserEnvKey labels a compose service (and annotates a pod template) with
// the env vars whose URLs the browser resolves, so that `synctl validate`
// checks them from the user's machine rather than from inside the container.
const BrowserEnvKey = "synctl.dev/browser-env"

// browserEnv lists the env vars of s that carry browser-resolved URLs.
func browserEnv(s topology.Service) string {
	var names []string
	for _, l := range s.Links {
		if l.ResolvedBy == topology.ResolvedByBrowser {
			names = append(names, l.Env)
		}
	}
	return strings.Join(names, ",")
}

// hostGateway is docker's special extra_hosts value for the host's address
// on the container's network.
const hostGateway = "host-gateway"
