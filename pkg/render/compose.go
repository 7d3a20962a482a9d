package render

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/synctl/synctl/pkg/target/platform"
	"github.com/synctl/synctl/pkg/topology"
)

// ComposeFileName is the compose file of every compose bundle.
const ComposeFileName = "compose.yaml"

// HostGatewayName is the name containers on the default bridge use for the
// docker host; on Linux it resolves only with an extra_hosts host-gateway
// entry, which Compose adds to every service whose URLs use it.
const HostGatewayName = platform.HostGateway

// hostGateway is docker's special extra_hosts value for the host's address
// on the container's network.
const hostGateway = platform.HostGatewayTarget

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
		for _, port := range s.Ports {
			if o.Publish(s) && port.HostPort != 0 {
				sc.Ports = append(sc.Ports, types.ServicePortConfig{Name: namedPort(s, port), Target: uint32(port.Number), Published: strconv.Itoa(port.HostPort), Protocol: "tcp"})
			} else {
				// Not published: expose says which port the container
				// listens on, for the other containers and for readers.
				sc.Expose = append(sc.Expose, strconv.Itoa(port.Number))
			}
		}
		if s.Job {
			sc.Restart = types.RestartPolicyNo
		}
		if len(s.Command) > 0 {
			sc.Entrypoint = types.ShellCommand(s.Command)
		}
		if len(s.Args) > 0 {
			sc.Command = types.ShellCommand(s.Args)
		}
		sc.WorkingDir = s.WorkingDir
		sc.Tmpfs = types.StringList(s.Scratch)
		sc.HealthCheck = composeHealth(s.Readiness)
		for _, u := range s.Secrets {
			if u.File == "" {
				continue
			}
			sc.Secrets = append(sc.Secrets, types.ServiceSecretConfig{Source: u.Secret, Target: u.File})
			if p.Secrets == nil {
				p.Secrets = types.Secrets{}
			}
			p.Secrets[u.Secret] = types.SecretConfig{Environment: ComposeSecretVar(u.Secret)}
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
		// Start what a service links to first: once it is healthy where
		// compose can check that (a health command), once a job has
		// completed, and otherwise once it has started.
		for _, name := range deps[s.Name] {
			if sc.DependsOn == nil {
				sc.DependsOn = types.DependsOnConfig{}
			}
			to, _ := m.Service(name)
			sc.DependsOn[name] = types.ServiceDependency{Condition: startCondition(to), Required: true}
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
		for i := range m.Services {
			if s := &m.Services[i]; s.Routed() {
				sc.DependsOn[s.Name] = types.ServiceDependency{Condition: startCondition(s), Required: true}
			}
		}
		p.Services[px.Name] = sc
	}
	return p
}

// namedPort names a published port in the compose file when the service
// has several: gitlab's 80, 443 and 22 read better by name.
func namedPort(s *topology.Service, p topology.Port) string {
	if len(s.Ports) > 1 {
		return p.Name
	}
	return ""
}

// startCondition is what compose waits for before starting a service that
// depends on s.
func startCondition(s *topology.Service) string {
	switch {
	case s.Job:
		return types.ServiceConditionCompletedSuccessfully
	case s.Readiness != nil && len(s.Readiness.Command) > 0:
		return types.ServiceConditionHealthy
	}
	return types.ServiceConditionStarted
}

// composeHealth is a readiness command as a compose health check. Compose
// runs checks inside the container, so an HTTP or TCP check would need a
// client in the image: those are left to the orchestrators that probe from
// outside (Kubernetes).
func composeHealth(p *topology.Probe) *types.HealthCheckConfig {
	if p == nil || len(p.Command) == 0 {
		return nil
	}
	interval, timeout, retries := types.Duration(5*time.Second), types.Duration(3*time.Second), uint64(10)
	return &types.HealthCheckConfig{
		Test:     append(types.HealthCheckTest{"CMD"}, p.Command...),
		Interval: &interval,
		Timeout:  &timeout,
		Retries:  &retries,
	}
}

// usesHostGateway reports whether a service's own URLs go through the docker
// host, which on Linux needs the host-gateway mapping.
func usesHostGateway(s *topology.Service, w topology.Wiring) bool {
	for _, u := range w.URLs {
		if u.Service == s.Name && u.ResolvedBy == topology.ResolvedByService && u.Endpoint.Host == HostGatewayName {
			return true
		}
	}
	return false
}

// ContainerEnv is a service's full environment in a fixed order: ports,
// links (and the ports of host links), storage, static variables sorted by
// name, then the secrets it receives as variables.
func ContainerEnv(s *topology.Service, w topology.Wiring) []topology.EnvVar {
	var env []topology.EnvVar
	for _, p := range s.Ports {
		if p.Env != "" {
			env = append(env, topology.EnvVar{Name: p.Env, Value: strconv.Itoa(p.Number)})
		}
	}
	for _, l := range s.Links {
		env = append(env, topology.EnvVar{Name: l.Env, Value: w.Link(s.Name, l.Env), Expand: l.Password != ""})
		if l.PortEnv != "" {
			env = append(env, topology.EnvVar{Name: l.PortEnv, Value: w.Link(s.Name, l.PortEnv)})
		}
	}
	if st := s.Storage; st != nil && st.Env != "" {
		env = append(env, topology.EnvVar{Name: st.Env, Value: st.Path()})
	}
	env = append(env, s.Env...)
	for _, u := range s.Secrets {
		if u.Env != "" {
			env = append(env, topology.EnvVar{Name: u.Env, Secret: u.Secret})
		}
	}
	return env
}

// ComposeEnvValue is how an env var's value is written in a compose file:
// a secret as an interpolation of the bundle's .env file, a value that
// refers to a secret as it is, and any other with its $ doubled (compose
// interpolates $VAR in values; $$ is a literal dollar).
func ComposeEnvValue(e topology.EnvVar) string {
	switch {
	case e.Secret != "":
		return ComposeSecretRef(e.Secret)
	case e.Expand:
		return e.Value
	}
	return strings.ReplaceAll(e.Value, "$", "$$")
}

func composeEnv(s *topology.Service, w topology.Wiring) types.MappingWithEquals {
	env := types.MappingWithEquals{}
	for _, e := range ContainerEnv(s, w) {
		v := ComposeEnvValue(e)
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

// ComposeFile marshals the project as the bundle's compose file: the bytes
// compose-go's Project.MarshalYAML writes, by this package's emitter where
// it covers the project (composeDocOf, appendYAMLv4), by
// Project.MarshalYAML where it does not.
func ComposeFile(p *types.Project, cmd string) (File, error) {
	data := Header("#", cmd)
	if doc, ok := composeDocOf(reflect.ValueOf(p).Elem()); ok {
		if out, ok := appendYAMLv4(data, doc); ok {
			out = colonExtraHosts(out)
			if composeHook != nil {
				composeHook(p, out, true)
			}
			return File{Path: ComposeFileName, Data: out, Mode: 0o644, Kind: KindCompose}, nil
		}
	}
	b, err := p.MarshalYAML()
	if err != nil {
		return File{}, err
	}
	data = append(data, colonExtraHosts(b)...)
	if composeHook != nil {
		composeHook(p, data, false)
	}
	return File{Path: ComposeFileName, Data: data, Mode: 0o644, Kind: KindCompose}, nil
}

// composeHook, when set (by tests), sees every compose file ComposeFile
// writes, and whether this package's emitter wrote it.
var composeHook func(p *types.Project, data []byte, emitted bool)

// colonExtraHosts writes the extra_hosts entry synctl adds in the HOST:IP
// form: compose-go writes every entry as HOST=IP, which Compose accepts
// only from v2.24.1, where the colon form works with every Compose v2 (and
// docker run's --add-host). Both forms are plain YAML scalars, so swapping
// the one entry synctl writes is exact; no other entry can be in the file.
func colonExtraHosts(b []byte) []byte {
	return bytes.ReplaceAll(b, []byte("- "+HostGatewayName+"="+hostGateway+"\n"), []byte("- "+HostGatewayName+":"+hostGateway+"\n"))
}

// ComposeSecretVar is the variable of the bundle's .env file that holds a
// secret's value: its name in upper case, '-' as '_'.
func ComposeSecretVar(secret string) string {
	return strings.ToUpper(strings.ReplaceAll(secret, "-", "_"))
}

// ComposeSecretRef is compose's interpolation of a secret's variable,
// failing the load when the variable is missing rather than leaving it
// empty.
func ComposeSecretRef(secret string) string { return "${" + ComposeSecretVar(secret) + ":?}" }

// EnvFileName is the compose bundle's file of secret values: compose reads
// it for interpolation, the docker run script sources it.
const EnvFileName = ".env"

// EnvFile makes the bundle's .env file: each secret of the app with a
// random value (128 bits, hex, so that it also fits a URL's password
// unescaped). It is key material: kept when it exists, never compared.
func EnvFile(m *topology.Model) (File, bool, error) {
	if len(m.Secrets) == 0 {
		return File{}, false, nil
	}
	var b bytes.Buffer
	b.WriteString("# Secrets of " + m.Name + ", made by synctl with random values and kept when it\n" +
		"# renders again. Keep this file out of version control. To use your own\n" +
		"# values, edit them here before the first start.\n")
	for _, name := range m.Secrets {
		v := make([]byte, 16)
		if _, err := rand.Read(v); err != nil {
			return File{}, false, err
		}
		fmt.Fprintf(&b, "%s=%x\n", ComposeSecretVar(name), v)
	}
	return File{Path: EnvFileName, Data: b.Bytes(), Mode: 0o600, Kind: KindKey}, true, nil
}
