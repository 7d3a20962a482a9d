package importer

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/synctl/synctl/pkg/importer/imported"
	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/topology"
)

// Result is an imported app: its spec, as a typed App and as the YAML
// written for the user, and the report.
type Result struct {
	App    topology.App
	Spec   []byte
	Report *Report
	// Project is the compose project as compose-go loaded it.
	Project *types.Project
	// secrets maps the literal values taken out as secrets to their names.
	secrets map[string]string
}

// Mask hides the secret values the import found in an env value of the
// compose project: a value that is one, or a URL's password.
func (r *Result) Mask(v string) string {
	if name, ok := r.secrets[v]; ok {
		return "<secret " + name + ">"
	}
	if u, err := url.Parse(v); err == nil && u.User != nil {
		if pw, ok := u.User.Password(); ok {
			if name, ok := r.secrets[pw]; ok {
				return strings.Replace(v, ":"+pw+"@", ":<secret "+name+">@", 1)
			}
		}
	}
	return v
}

// RefusedError is an import stopped by fields no target can honour.
type RefusedError struct{ Lines []Line }

func (e *RefusedError) Error() string {
	var b strings.Builder
	b.WriteString("the compose project uses what no synctl target can give it:")
	for _, l := range e.Lines {
		b.WriteString("\n  ")
		b.WriteString(l.String())
	}
	b.WriteString("\nchange the compose file, or pass --allow-lossy to import without these fields (each stays in the report)")
	return b.String()
}

// InvalidError is an import whose spec does not validate: a compose value
// the spec cannot hold (an image reference, a path).
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string {
	return "the imported spec does not validate; fix these values in the compose file:\n" + e.Err.Error()
}
func (e *InvalidError) Unwrap() error { return e.Err }

// Import loads the compose project and converts it.
func Import(ctx context.Context, o Options) (*Result, error) {
	p, err := Load(ctx, o)
	if err != nil {
		return nil, err
	}
	cwd := o.ReportDir
	if cwd == "" {
		cwd, _ = os.Getwd()
	}
	if abs, err := filepath.Abs(cwd); err == nil {
		cwd = abs
	}
	var files []string
	for _, f := range p.ComposeFiles {
		if abs, err := filepath.Abs(f); err == nil {
			f = abs
		}
		files = append(files, f)
	}
	return Convert(p, readPositions(files, displayName(cwd)), o.AllowLossy)
}

// converter holds one conversion's state.
type converter struct {
	p    *types.Project
	pos  *positions
	r    *Report
	svcs []*service
	by   map[string]*service // by compose name
	// hosts maps every name a container answers to on the compose network
	// (service name, container_name, hostname, aliases) to its service.
	hosts   map[string]*service
	secrets *secretSet
}

// service is one compose service on its way to a ServiceSpec.
type service struct {
	name string // compose's
	cfg  types.ServiceConfig
	spec topology.ServiceSpec
	// ports in the order the spec lists them.
	ports []*port
	// env is what is left of the environment after links, port variables
	// and secrets took theirs.
	env   map[string]string
	links []*link
	// consumed are the env vars links took.
	consumed map[string]bool
	api      bool // a browser link points at it
}

type port struct {
	number   int
	protocol topology.Protocol
	// why says where the protocol came from ("" while unknown).
	why       string
	field     []string // the compose field that declared it
	published int
	name      string
	env       string
	// browser marks the port a browser link points at.
	browser bool
}

func (s *service) port(n int) *port {
	for _, p := range s.ports {
		if p.number == n {
			return p
		}
	}
	return nil
}

// Convert turns a loaded project into a spec. pos locates fields for the
// report; lossy turns refusals into drops.
func Convert(p *types.Project, pos *positions, lossy bool) (*Result, error) {
	c := &converter{p: p, pos: pos, r: &Report{}, by: map[string]*service{}, hosts: map[string]*service{}, secrets: newSecretSet()}
	for _, f := range pos.files {
		c.r.Files = append(c.r.Files, pos.display(f))
	}
	names := slices.Collect(func(yield func(string) bool) {
		for n := range p.Services {
			if !yield(n) {
				return
			}
		}
	})
	// By name, as compose-go writes them: importing a compose file that
	// synctl rendered gives back the same spec.
	slices.Sort(names)
	if len(names) == 0 {
		return nil, &InvalidError{fmt.Errorf("%s: the project has no service to import (with the active profiles %v)", pos.main, p.Profiles)}
	}
	app := topology.App{APIVersion: topology.APIVersion, Kind: topology.Kind}
	app.Metadata.Name = c.appName()
	used := map[string]bool{}
	for _, n := range target.ReservedServiceNames() {
		used[n] = true
	}
	for _, n := range names {
		s := &service{name: n, cfg: p.Services[n], env: map[string]string{}, consumed: map[string]bool{}}
		s.spec.Name = uniqueName(specName(n, 30), used)
		if s.spec.Name != n {
			c.line(s, Translated, fmt.Sprintf("renamed %s: a service name is a DNS label of lowercase letters, digits and '-' (at most 30), and not one a target gives its own services (%s); values that spell the old name keep it", s.spec.Name, strings.Join(target.ReservedServiceNames(), ", ")))
		}
		c.svcs = append(c.svcs, s)
		c.by[n] = s
	}
	c.project()
	for _, s := range c.svcs {
		c.hostNames(s)
	}
	for _, s := range c.svcs {
		c.portsOf(s)
	}
	for _, s := range c.svcs {
		c.environment(s)
	}
	for _, s := range c.svcs {
		c.plainEnv(s)
	}
	c.protocols()
	c.roles()
	c.hostPorts()
	c.namePorts()
	for _, s := range c.svcs {
		c.rest(s)
	}
	c.secretsOf()
	for _, s := range c.svcs {
		c.scrub(s)
	}
	for _, s := range c.svcs {
		c.finish(s)
		c.unmapped(s)
		app.Spec.Services = append(app.Spec.Services, s.spec)
		c.r.Services = append(c.r.Services, s.name)
	}
	app.Spec.Secrets = c.secrets.specs()
	c.r.Sort()
	if refused := c.r.Refusals(); len(refused) > 0 {
		if !lossy {
			return nil, &RefusedError{refused}
		}
		for i := range c.r.Lines {
			if c.r.Lines[i].Kind == Refused {
				c.r.Lines[i].Kind, c.r.Lines[i].Lossy = Dropped, true
			}
		}
	}
	data, err := marshal(app, c)
	if err != nil {
		return nil, err
	}
	doc, err := topology.Parse(pos.main, data)
	if err == nil {
		doc.Model()
		err = doc.Err()
	}
	if err != nil {
		return nil, &InvalidError{err}
	}
	return &Result{App: app, Spec: data, Report: c.r, Project: p, secrets: c.secrets.byLiteral}, nil
}

// line reports a field of service s; field is its path (environment, KEY).
func (c *converter) line(s *service, k Kind, why string, field ...string) {
	w := c.pos.service(s.name, field...)
	if len(field) == 2 && field[0] == "environment" {
		if _, written := c.pos.find(s.name, field); !written {
			w = c.envFileLine(s, field[1], w)
		}
	}
	c.r.Add(Line{File: w.File, Line: w.Line, Service: s.name, Field: fieldPath(field), Kind: k, Why: why})
}

// projectLine reports a project-level field.
func (c *converter) projectLine(k Kind, why string, field ...string) {
	w := c.pos.project(field...)
	c.r.Add(Line{File: w.File, Line: w.Line, Field: fieldPath(field), Kind: k, Why: why})
}

func fieldPath(field []string) string {
	var b strings.Builder
	for i, f := range field {
		if i > 0 && !strings.HasPrefix(f, "[") {
			b.WriteByte('.')
		}
		b.WriteString(f)
	}
	if b.Len() == 0 {
		return "(service)"
	}
	return b.String()
}

var nonLabel = regexp.MustCompile(`[^a-z0-9-]+`)

// specName turns a compose name into a DNS label of at most max
// characters, starting with a letter.
func specName(n string, max int) string {
	s := nonLabel.ReplaceAllString(strings.ToLower(n), "-")
	s = strings.TrimLeft(s, "-0123456789")
	if len(s) > max {
		s = s[:max]
	}
	s = strings.Trim(s, "-")
	if s == "" {
		s = "app"
	}
	return s
}

func uniqueName(n string, used map[string]bool) string {
	out := n
	for i := 2; used[out]; i++ {
		suffix := "-" + strconv.Itoa(i)
		out = n[:min(len(n), 30-len(suffix))] + suffix
	}
	used[out] = true
	return out
}

func (c *converter) appName() string {
	n := specName(c.p.Name, 40)
	if n != c.p.Name {
		c.projectLine(Translated, fmt.Sprintf("the project %q is app %s: an app name is a DNS label (at most 40 characters)", c.p.Name, n), "name")
	}
	return n
}

// project reports the project-level fields: networks, volumes, configs
// and what else the spec has no place for. Secrets are handled with the
// services that use them.
func (c *converter) project() {
	p := c.p
	var nets []string
	for n, cfg := range p.Networks {
		if n == "default" && !bool(cfg.External) && cfg.Driver == "" {
			continue
		}
		nets = append(nets, n)
	}
	slices.Sort(nets)
	for _, n := range nets {
		cfg := p.Networks[n]
		why := "every synctl target puts the app's services on one network; on Kubernetes only its links are allowed"
		if cfg.External {
			why = "an external network: " + why + ", and nothing outside the app joins it"
		}
		c.projectLine(Translated, why, "networks", n)
	}
	for _, n := range slices.Sorted(mapsKeys(p.Volumes)) {
		v := p.Volumes[n]
		var what []string
		if v.External {
			what = append(what, "external (synctl creates its own volume)")
		}
		if v.Driver != "" && v.Driver != "local" {
			what = append(what, "driver "+v.Driver)
		}
		if len(v.DriverOpts) > 0 {
			what = append(what, "driver_opts")
		}
		if len(v.Labels) > 0 {
			what = append(what, "labels")
		}
		if len(what) > 0 {
			c.projectLine(Dropped, strings.Join(what, ", ")+": synctl's volumes are plain named volumes (docker) and PersistentVolumeClaims of the default class (Kubernetes)", "volumes", n)
		}
	}
	for _, n := range slices.Sorted(mapsKeys(p.Configs)) {
		c.projectLine(Dropped, "the spec has no config files; the services that mount it are reported too: bake it into the image", "configs", n)
	}
	for _, n := range slices.Sorted(mapsKeys(p.Models)) {
		c.projectLine(Refused, "an AI model the compose provider runs; no synctl target runs one", "models", n)
	}
	for _, n := range slices.Sorted(mapsKeys(p.Jobs)) {
		c.projectLine(Dropped, "a compose job: give it as a service with restart: \"no\", which synctl imports as a job", "jobs", n)
	}
	for _, n := range slices.Sorted(mapsKeys(p.Extensions)) {
		c.projectLine(Dropped, "an extension field; synctl reads none", n)
	}
	for _, n := range slices.Sorted(mapsKeys(p.DisabledServices)) {
		c.projectLine(Dropped, fmt.Sprintf("service %s is in profiles %s, none of them active: not imported; pass --profile %s to import it", n, strings.Join(p.DisabledServices[n].Profiles, ", "), firstOr(p.DisabledServices[n].Profiles, "NAME")), "services", n)
	}
	for _, n := range slices.Sorted(mapsKeys(p.DisabledJobs)) {
		c.projectLine(Dropped, "a compose job of an inactive profile: not imported", "jobs", n)
	}
	for _, n := range slices.Sorted(mapsKeys(p.Secrets)) {
		used := false
		for _, s := range p.Services {
			for _, u := range s.Secrets {
				used = used || u.Source == n
			}
		}
		if !used {
			c.projectLine(Dropped, "no service uses this secret", "secrets", n)
		}
	}
}

func firstOr(s []string, def string) string {
	if len(s) > 0 {
		return s[0]
	}
	return def
}

// hostNames records every name s answers to on the compose network.
func (c *converter) hostNames(s *service) {
	add := func(h string) {
		h = strings.ToLower(h)
		if _, taken := c.hosts[h]; !taken && h != "" {
			c.hosts[h] = s
		}
	}
	add(s.name)
	add(s.cfg.ContainerName)
	add(s.cfg.Hostname)
	for _, n := range slices.Sorted(mapsKeys(s.cfg.Networks)) {
		if nc := s.cfg.Networks[n]; nc != nil {
			for _, a := range nc.Aliases {
				add(a)
			}
		}
	}
	for _, l := range s.cfg.Links {
		if target, alias, ok := strings.Cut(l, ":"); ok {
			if t, ok := c.by[target]; ok && c.hosts[strings.ToLower(alias)] == nil {
				c.hosts[strings.ToLower(alias)] = t
			}
		}
	}
}

// portsOf collects the container ports of s from ports, expose and its
// image.
func (c *converter) portsOf(s *service) {
	for i, pc := range s.cfg.Ports {
		f := []string{"ports", "[" + strconv.Itoa(i) + "]"}
		if pc.Protocol == "udp" || pc.Protocol == "sctp" {
			c.line(s, Refused, fmt.Sprintf("container port %d/%s: the spec's ports speak TCP (http or tcp), and no target routes %s", pc.Target, pc.Protocol, strings.ToUpper(pc.Protocol)), f...)
			continue
		}
		published := 0
		switch {
		case pc.Published == "":
		case strings.Contains(pc.Published, "-"):
			c.line(s, Dropped, fmt.Sprintf("the host port range %s: the spec publishes one host port per port; container port %d is imported unpublished", pc.Published, pc.Target), f...)
		default:
			published, _ = strconv.Atoi(pc.Published)
		}
		if pc.HostIP != "" && pc.HostIP != "0.0.0.0" && pc.HostIP != "::" {
			c.line(s, Translated, fmt.Sprintf("host address %s: synctl publishes on every address of the host", pc.HostIP), f...)
		}
		if prev := s.port(int(pc.Target)); prev != nil {
			c.line(s, Dropped, fmt.Sprintf("container port %d is already published; the spec publishes a port once", pc.Target), f...)
			continue
		}
		p := &port{number: int(pc.Target), field: f, published: published}
		switch pc.AppProtocol {
		case "http", "https", "http2", "ws", "wss", "grpc":
			p.protocol, p.why = topology.ProtocolHTTP, "app_protocol "+pc.AppProtocol
		case "":
		default:
			p.protocol, p.why = topology.ProtocolTCP, "app_protocol "+pc.AppProtocol
		}
		if pc.Name != "" {
			p.name = pc.Name
		}
		s.ports = append(s.ports, p)
	}
	for i, e := range s.cfg.Expose {
		f := []string{"expose", "[" + strconv.Itoa(i) + "]"}
		num, proto, _ := strings.Cut(e, "/")
		n, err := strconv.Atoi(num)
		switch {
		case proto == "udp" || proto == "sctp":
			c.line(s, Refused, fmt.Sprintf("port %s: the spec's ports speak TCP", e), f...)
		case err != nil || n < 1 || n > 65535:
			c.line(s, Dropped, fmt.Sprintf("%q is not one port; list the ports the service listens on one by one", e), f...)
		case s.port(n) == nil:
			s.ports = append(s.ports, &port{number: n, field: f})
		}
	}
	if len(s.ports) == 0 && !c.restartNo(s) {
		if k, name, ok := imageKnown(s.cfg.Image); ok {
			s.ports = append(s.ports, &port{number: k.port, protocol: k.protocol, field: []string{"image"},
				why: fmt.Sprintf("the %s image listens on %d (%s)", name, k.port, k.what)})
			c.line(s, Inferred, fmt.Sprintf("port %d: the %s image listens there and compose lists no port (other containers reach every port on a compose network)", k.port, name), "image")
		}
	}
}

func (c *converter) restartNo(s *service) bool { return s.cfg.Restart == types.RestartPolicyNo }

// protocols decides what each port speaks, from the strongest evidence:
// app_protocol, the schemes of links to it, the health check, the image,
// the port number; else HTTP.
func (c *converter) protocols() {
	for _, s := range c.svcs {
		hp := healthHTTPPort(s)
		for _, p := range s.ports {
			if p.protocol != "" {
				continue
			}
			k, name, known := imageKnown(s.cfg.Image)
			switch what, tcp := tcpPorts[p.number]; {
			case hp == p.number:
				p.protocol, p.why = topology.ProtocolHTTP, "the health check requests it over HTTP"
			case known && k.port == p.number:
				p.protocol, p.why = k.protocol, fmt.Sprintf("the %s image speaks %s there", name, k.what)
			case tcp:
				p.protocol, p.why = topology.ProtocolTCP, fmt.Sprintf("port %d is %s's", p.number, what)
			case known && k.protocol == topology.ProtocolTCP:
				p.protocol, p.why = topology.ProtocolTCP, fmt.Sprintf("the %s image speaks %s, not HTTP", name, k.what)
			default:
				p.protocol, p.why = topology.ProtocolHTTP, "nothing says it speaks another protocol"
			}
		}
		for _, p := range s.ports {
			if p.field[0] == "image" {
				continue
			}
			c.line(s, Inferred, fmt.Sprintf("port %d speaks %s: %s; if it does not, set its protocol", p.number, p.protocol, p.why), p.field...)
		}
	}
}

// roles makes a service that publishes an HTTP port a frontend (the
// browser loads it) or, when another service hands its URL to the
// browser, an api.
func (c *converter) roles() {
	for _, s := range c.svcs {
		s.spec.Role = topology.RoleInternal
		first := s.firstPublishedHTTP()
		switch {
		case c.restartNo(s) && len(s.ports) == 0:
		case s.api && first != nil:
			s.spec.Role = topology.RoleAPI
			c.line(s, Inferred, fmt.Sprintf("role api: another service hands its published URL (host port %d) to the browser", first.published), first.field...)
		case first != nil:
			s.spec.Role = topology.RoleFrontend
			c.line(s, Inferred, fmt.Sprintf("role frontend: it publishes HTTP port %d on host port %d, a page the browser loads; if the browser only calls it, set role: api", first.number, first.published), first.field...)
		}
		if s.spec.Role.Public() {
			// The browser's port first: targets route and link to it.
			i := slices.Index(s.ports, first)
			s.ports = append([]*port{first}, slices.Delete(s.ports, i, i+1)...)
		}
	}
}

func (s *service) firstPublishedHTTP() *port {
	for _, p := range s.ports {
		if p.published != 0 && p.protocol == topology.ProtocolHTTP {
			if s.api && !p.browser {
				continue
			}
			return p
		}
	}
	if s.api {
		s.api = false
		return s.firstPublishedHTTP()
	}
	return nil
}

// hostPorts keeps the published ports of public services and gives every
// other service's first port a free host port for the plain docker
// target, counting from 8080 in spec order, so that the same spec comes
// back when the rendered compose file is imported again.
func (c *converter) hostPorts() {
	taken := map[int]bool{}
	for _, s := range c.svcs {
		if s.spec.Role.Public() {
			for _, p := range s.ports {
				if p.published != 0 {
					taken[p.published] = true
				}
			}
		}
	}
	next := topology.FirstHostPort
	for _, s := range c.svcs {
		if s.spec.Role.Public() || len(s.ports) == 0 {
			continue
		}
		for _, p := range s.ports {
			if p.published != 0 {
				c.line(s, Translated, fmt.Sprintf("container port %d is not published on host port %d: synctl publishes only frontends and apis (docker-network, nginx); the plain docker target publishes every service, this one on %d", p.number, p.published, firstFree(next, taken)), p.field...)
				p.published = 0
			}
		}
		for taken[next] {
			next++
		}
		s.ports[0].published = next
		taken[next] = true
	}
}

func firstFree(n int, taken map[int]bool) int {
	for taken[n] {
		n++
	}
	return n
}

// rest maps the fields that do not depend on other services.
func (c *converter) rest(s *service) {
	cfg := s.cfg
	// Image.
	switch {
	case cfg.Image == "" && cfg.Build != nil:
		s.spec.Image = strings.ToLower(specName(c.p.Name, 40)+"-"+s.spec.Name) + ":latest"
		c.line(s, Translated, fmt.Sprintf("no image: synctl deploys images, so build this one (docker compose build), push it, and set image (now %s, the name docker compose gives it)", s.spec.Image), "build")
	case cfg.Image != "":
		s.spec.Image = cfg.Image
		if !hasTag(cfg.Image) {
			s.spec.Image += ":latest"
			c.line(s, Translated, "no tag: compose pulls :latest, and the spec says so; pin a version", "image")
		}
		if cfg.Build != nil {
			c.line(s, Dropped, "synctl deploys the image; build and push it first (docker compose build && docker compose push)", "build")
		}
	}
	// Command line.
	s.spec.Command = slices.Clone([]string(cfg.Entrypoint))
	s.spec.Args = slices.Clone([]string(cfg.Command))
	if cfg.WorkingDir != "" {
		s.spec.WorkingDir = cfg.WorkingDir
	}
	// Restart and jobs.
	switch cfg.Restart {
	case types.RestartPolicyNo:
		if len(s.ports) == 0 {
			s.spec.Job = true
			c.line(s, Translated, "restart: \"no\": a job that runs once to completion (a Kubernetes Job; compose waits for it with service_completed_successfully)", "restart")
		} else {
			c.line(s, Translated, "restart: \"no\" on a service with ports: imported as a service that is kept running", "restart")
		}
	case "", types.RestartPolicyUnlessStopped:
	default:
		c.line(s, Translated, fmt.Sprintf("restart: %s: synctl keeps services running (unless-stopped in compose, always on Kubernetes)", cfg.Restart), "restart")
	}
	// Replicas.
	replicas := 0
	if cfg.Scale != nil {
		replicas = *cfg.Scale
	}
	if d := cfg.Deploy; d != nil && d.Replicas != nil {
		replicas = *d.Replicas
	}
	if replicas > 1 && !s.spec.Job {
		s.spec.Replicas = replicas
	} else if replicas == 0 && (cfg.Scale != nil || cfg.Deploy != nil && cfg.Deploy.Replicas != nil) {
		c.line(s, Translated, "0 replicas: the service would not run; imported with 1", "deploy", "replicas")
	}
	c.deploy(s)
	c.health(s)
	c.dependsOn(s)
	c.user(s)
	c.volumes(s)
	c.network(s)
	c.misc(s)
}

var tagged = regexp.MustCompile(`(:[A-Za-z0-9_][A-Za-z0-9_.-]*|@sha256:[a-f0-9]{64})$`)

func hasTag(image string) bool {
	base := path.Base(image)
	return tagged.MatchString(base) || strings.Contains(image, "@")
}

func (c *converter) deploy(s *service) {
	cfg := s.cfg
	var r topology.ResourcesSpec
	cpu := func(f types.NanoCPUs) string {
		if f <= 0 {
			return ""
		}
		return strconv.Itoa(int(math.Round(float64(f)*1000))) + "m"
	}
	mem := func(b types.UnitBytes) string {
		switch {
		case b <= 0:
			return ""
		case b%(1<<20) == 0:
			return strconv.FormatInt(int64(b)>>20, 10) + "Mi"
		}
		return strconv.FormatInt(int64(b), 10)
	}
	r.Limits.CPU, r.Limits.Memory = cpu(types.NanoCPUs(cfg.CPUS)), mem(cfg.MemLimit)
	r.Requests.Memory = mem(cfg.MemReservation)
	if d := cfg.Deploy; d != nil {
		if l := d.Resources.Limits; l != nil {
			r.Limits.CPU, r.Limits.Memory = cmp.Or(cpu(l.NanoCPUs), r.Limits.CPU), cmp.Or(mem(l.MemoryBytes), r.Limits.Memory)
			if l.Pids != 0 || len(l.Devices) > 0 || len(l.GenericResources) > 0 {
				c.line(s, Dropped, "pids, devices and generic resources: the spec's resources are cpu and memory", "deploy", "resources", "limits")
			}
		}
		if rv := d.Resources.Reservations; rv != nil {
			r.Requests.CPU, r.Requests.Memory = cmp.Or(cpu(rv.NanoCPUs), r.Requests.CPU), cmp.Or(mem(rv.MemoryBytes), r.Requests.Memory)
			if rv.Pids != 0 || len(rv.Devices) > 0 || len(rv.GenericResources) > 0 {
				c.line(s, Refused, "a device or generic resource reservation (a GPU?): no synctl target schedules one", "deploy", "resources", "reservations")
			}
		}
		var other []string
		if d.Mode != "" && d.Mode != "replicated" {
			other = append(other, "mode "+d.Mode)
		}
		if len(d.Labels) > 0 {
			other = append(other, "labels")
		}
		if d.UpdateConfig != nil {
			other = append(other, "update_config")
		}
		if d.RollbackConfig != nil {
			other = append(other, "rollback_config")
		}
		if d.RestartPolicy != nil {
			other = append(other, "restart_policy")
		}
		if len(d.Placement.Constraints) > 0 || len(d.Placement.Preferences) > 0 || d.Placement.MaxReplicas != 0 {
			other = append(other, "placement")
		}
		if d.EndpointMode != "" {
			other = append(other, "endpoint_mode")
		}
		if len(other) > 0 {
			c.line(s, Dropped, strings.Join(other, ", ")+": Swarm settings; the spec keeps replicas and resources", "deploy")
		}
	}
	if r != (topology.ResourcesSpec{}) {
		s.spec.Resources = &r
	}
}

// health maps the health check: a curl or wget of the container's own
// HTTP port becomes an HTTP check, anything else a command.
func (c *converter) health(s *service) {
	h := s.cfg.HealthCheck
	if h == nil {
		return
	}
	if h.Disable || (len(h.Test) > 0 && h.Test[0] == "NONE") {
		c.line(s, Translated, "disabled: synctl checks an HTTP service at / and a TCP one by connecting, unless health says otherwise", "healthcheck")
		return
	}
	if len(h.Test) < 2 {
		return
	}
	var cmd []string
	switch h.Test[0] {
	case "CMD":
		cmd = slices.Clone(h.Test[1:])
	case "CMD-SHELL":
		cmd = []string{"/bin/sh", "-c", strings.Join(h.Test[1:], " ")}
	default:
		return
	}
	probe := &topology.ProbeSpec{Command: cmd}
	hp := 0
	if pathOK, n, p := curlCheck(cmd); pathOK {
		hp = n
		if pp := s.port(n); pp != nil && pp.protocol == topology.ProtocolHTTP {
			probe = &topology.ProbeSpec{HTTP: p}
			c.line(s, Translated, fmt.Sprintf("the %s of http://localhost:%d%s is an HTTP check of %s on port %d: the target sends the request, so the image needs no %s", cmd0(cmd), n, p, p, n, cmd0(cmd)), "healthcheck", "test")
		}
	}
	if probe.HTTP == "/" && len(s.ports) > 0 && s.ports[0].protocol == topology.ProtocolHTTP && hp == s.ports[0].number {
		// synctl's default check of an HTTP service: say nothing.
		probe = nil
	} else {
		s.spec.Health = &topology.HealthSpec{Readiness: probe}
	}
	var timing []string
	for _, t := range []struct {
		name string
		set  bool
	}{{"interval", h.Interval != nil}, {"timeout", h.Timeout != nil}, {"retries", h.Retries != nil}, {"start_period", h.StartPeriod != nil}, {"start_interval", h.StartInterval != nil}} {
		if t.set {
			timing = append(timing, t.name)
		}
	}
	if len(timing) > 0 {
		c.line(s, Dropped, strings.Join(timing, ", ")+": the spec's checks have no timing; each target uses its defaults", "healthcheck")
	}
}

func cmd0(cmd []string) string {
	if len(cmd) > 0 && cmd[0] == "/bin/sh" {
		return strings.Fields(cmd[2])[0]
	}
	return cmd[0]
}

var curlRe = regexp.MustCompile(`^(curl|wget)\s+(?:-[-A-Za-z]+\s+)*['"]?https?://(?:localhost|127\.0\.0\.1)(?::(\d+))?(/[A-Za-z0-9._~/-]*)?['"]?(?:\s*\|\|\s*exit\s+1)?$`)

// curlCheck recognises `curl -f http://localhost:PORT/PATH` (or wget)
// and returns the port and path it requests.
func curlCheck(cmd []string) (bool, int, string) {
	line := strings.Join(cmd, " ")
	if len(cmd) == 3 && cmd[0] == "/bin/sh" {
		line = cmd[2]
	}
	m := curlRe.FindStringSubmatch(strings.TrimSpace(line))
	if m == nil {
		return false, 0, ""
	}
	n := 80
	if m[2] != "" {
		n, _ = strconv.Atoi(m[2])
	}
	return true, n, cmp.Or(m[3], "/")
}

// healthHTTPPort is the port the health check requests over HTTP, or 0.
func healthHTTPPort(s *service) int {
	h := s.cfg.HealthCheck
	if h == nil || len(h.Test) < 2 {
		return 0
	}
	cmd := h.Test[1:]
	if h.Test[0] == "CMD-SHELL" {
		cmd = []string{"/bin/sh", "-c", strings.Join(h.Test[1:], " ")}
	}
	if ok, n, _ := curlCheck(cmd); ok {
		return n
	}
	return 0
}

func (c *converter) dependsOn(s *service) {
	linked := map[string]bool{}
	for _, l := range s.links {
		if !l.browser {
			linked[l.to.name] = true
		}
	}
	for _, d := range slices.SortedFunc(mapsKeysSeq(s.cfg.DependsOn), c.byOrder) {
		dep := s.cfg.DependsOn[d]
		to, ok := c.by[d]
		if !ok {
			c.line(s, Dropped, fmt.Sprintf("%s is not an imported service", d), "depends_on", d)
			continue
		}
		if !linked[d] {
			s.spec.DependsOn = append(s.spec.DependsOn, to.spec.Name)
		}
		var notes []string
		switch dep.Condition {
		case types.ServiceConditionHealthy:
			notes = append(notes, "condition service_healthy: the spec gives the order; a target waits for health where it can (compose, when "+d+" has a health check)")
		case types.ServiceConditionCompletedSuccessfully:
			if !to.spec.Job && !c.restartNo(to) {
				notes = append(notes, "condition service_completed_successfully on a service that keeps running: the spec gives the order only")
			}
		}
		if dep.Restart {
			notes = append(notes, "restart: true is not kept")
		}
		if !dep.Required {
			notes = append(notes, "required: false is not kept")
		}
		if len(notes) > 0 {
			c.line(s, Translated, strings.Join(notes, "; "), "depends_on", d)
		}
	}
}

// byOrder compares compose service names by spec order.
func (c *converter) byOrder(a, b string) int {
	return cmp.Compare(slices.IndexFunc(c.svcs, func(s *service) bool { return s.name == a }),
		slices.IndexFunc(c.svcs, func(s *service) bool { return s.name == b }))
}

var numericUser = regexp.MustCompile(`^(\d+)(?::(\d+))?$`)

func (c *converter) user(s *service) {
	u := s.cfg.User
	if u == "" {
		return
	}
	m := numericUser.FindStringSubmatch(u)
	switch {
	case m == nil:
		c.line(s, Dropped, fmt.Sprintf("user %q is a name: Kubernetes needs a number, and synctl runs containers as %d there unless security.runAsUser says otherwise; set it to the image's uid", u, topology.DefaultUser), "user")
	case m[1] == "0":
		c.line(s, Dropped, fmt.Sprintf("root: the restricted Pod Security level forbids it, so synctl runs the container as %d on Kubernetes; set security.runAsUser to a uid the image works with", topology.DefaultUser), "user")
	default:
		uid, _ := strconv.ParseInt(m[1], 10, 64)
		sec := &topology.SecuritySpec{RunAsUser: &uid}
		if m[2] != "" {
			gid, _ := strconv.ParseInt(m[2], 10, 64)
			sec.RunAsGroup = &gid
		}
		s.spec.Security = sec
	}
}

// volumes maps the first named volume to persistent storage, tmpfs and
// anonymous volumes to scratch paths, and reports the rest.
func (c *converter) volumes(s *service) {
	for _, t := range s.cfg.Tmpfs {
		p, opts, _ := strings.Cut(t, ":")
		s.spec.Scratch = appendNew(s.spec.Scratch, p)
		if opts != "" {
			c.line(s, Dropped, fmt.Sprintf("tmpfs options %s: a scratch path has none", opts), "tmpfs")
		}
	}
	for i, v := range s.cfg.Volumes {
		f := []string{"volumes", "[" + strconv.Itoa(i) + "]"}
		switch {
		case v.Type == types.VolumeTypeTmpfs:
			s.spec.Scratch = appendNew(s.spec.Scratch, v.Target)
		case v.Type == types.VolumeTypeVolume && v.Source == "":
			s.spec.Scratch = appendNew(s.spec.Scratch, v.Target)
			c.line(s, Translated, fmt.Sprintf("an anonymous volume at %s is a scratch path: kept for the container's life only", v.Target), f...)
		case v.Type == types.VolumeTypeVolume && s.spec.Storage == nil && !badDir(v.Target):
			s.spec.Storage = &topology.StorageSpec{MountPath: v.Target, Persistent: true}
			if v.ReadOnly {
				c.line(s, Translated, "read-only: the spec's storage is writable", f...)
			}
			if v.Source != s.name+"-data" && v.Source != s.spec.Name+"-data" {
				c.line(s, Translated, fmt.Sprintf("volume %s is persistent storage at %s; synctl names its volume <project>-%s-data", v.Source, v.Target, s.spec.Name), f...)
			}
		case v.Type == types.VolumeTypeVolume:
			c.line(s, Dropped, fmt.Sprintf("volume %s at %s: the spec has one persistent storage per service (or the path is not one it allows)", v.Source, v.Target), f...)
		case v.Type == types.VolumeTypeBind && strings.HasSuffix(v.Source, "docker.sock"):
			c.line(s, Refused, "the Docker engine's socket: the service drives Docker itself, which no Kubernetes target gives it", f...)
		case v.Type == types.VolumeTypeBind:
			c.line(s, Dropped, fmt.Sprintf("bind mount of host path %s at %s: synctl bundles carry no host files; copy them into the image, or keep the data in storage", displayRel(c.p.WorkingDir, v.Source), v.Target), f...)
			if h := s.spec.Health; h != nil && h.Readiness != nil && usesPath(h.Readiness.Command, v.Target) {
				s.spec.Health = nil
				instead := "none: a worker or a job is not checked"
				if len(s.ports) > 0 && s.ports[0].protocol == topology.ProtocolHTTP {
					instead = fmt.Sprintf("an HTTP request of / on port %d", s.ports[0].number)
				} else if len(s.ports) > 0 {
					instead = fmt.Sprintf("a connection to port %d", s.ports[0].number)
				}
				c.line(s, Translated, fmt.Sprintf("the check runs a program from %s, a host directory synctl does not carry; synctl's own check replaces it: %s", v.Target, instead), "healthcheck", "test")
			}
		default:
			c.line(s, Dropped, fmt.Sprintf("a %s mount at %s: the spec has no such mount", v.Type, v.Target), f...)
		}
	}
	if len(s.cfg.VolumesFrom) > 0 {
		c.line(s, Refused, "volumes_from shares another container's volumes; the spec gives each service its own storage", "volumes_from")
	}
}

func appendNew(list []string, v string) []string {
	if slices.Contains(list, v) || badDir(v) {
		return list
	}
	return append(list, v)
}

var dirRe = regexp.MustCompile(`^/[A-Za-z0-9._~/-]*$`)

func badDir(d string) bool { return d == "/" || path.Clean(d) != d || !dirRe.MatchString(d) }

func (c *converter) network(s *service) {
	nm := cmp.Or(s.cfg.NetworkMode, s.cfg.Net)
	f := "network_mode"
	if s.cfg.NetworkMode == "" {
		f = "net"
	}
	switch {
	case nm == "":
	case nm == "host":
		c.line(s, Refused, "the host's network: the service listens on the host's own addresses, which no Kubernetes target gives a pod", f)
	case strings.HasPrefix(nm, "service:") || strings.HasPrefix(nm, "container:"):
		c.line(s, Refused, fmt.Sprintf("shares %s's network namespace: the spec has no sidecar containers; give the service its own address", strings.SplitN(nm, ":", 2)[1]), f)
	case nm == "none":
		c.line(s, Refused, "no network: every synctl target attaches the container to the app's network", f)
	default:
		c.line(s, Translated, fmt.Sprintf("%s: synctl puts the service on the app's network", nm), f)
	}
	for _, n := range slices.Sorted(mapsKeys(s.cfg.Networks)) {
		nc := s.cfg.Networks[n]
		if nc == nil {
			continue
		}
		if len(nc.Aliases) > 0 {
			c.line(s, Translated, fmt.Sprintf("aliases %s: values that use them are links spelled with the service's name", strings.Join(nc.Aliases, ", ")), "networks", n)
		}
		if nc.Ipv4Address != "" || nc.Ipv6Address != "" || nc.MacAddress != "" || len(nc.LinkLocalIPs) > 0 {
			c.line(s, Dropped, "a fixed address: synctl targets assign addresses", "networks", n)
		}
	}
	if len(s.cfg.Links) > 0 {
		c.line(s, Translated, "links: services on the app's network reach each other by name", "links")
	}
	if s.cfg.ContainerName != "" {
		c.line(s, Translated, fmt.Sprintf("container_name %s: synctl names containers <project>-%s", s.cfg.ContainerName, s.spec.Name), "container_name")
	}
	if s.cfg.Hostname != "" {
		c.line(s, Dropped, "hostname: the container's host name is its service's", "hostname")
	}
}

func (c *converter) misc(s *service) {
	if len(s.cfg.Profiles) > 0 {
		c.line(s, Translated, fmt.Sprintf("profiles %s: imported because a profile is active; synctl renders every service of the spec", strings.Join(s.cfg.Profiles, ", ")), "profiles")
	}
	for i, ef := range s.cfg.EnvFiles {
		c.line(s, Translated, fmt.Sprintf("the values of %s are in env (secrets apart)", displayRel(c.p.WorkingDir, ef.Path)), "env_file", "["+strconv.Itoa(i)+"]")
	}
	if len(s.cfg.Secrets) > 0 {
		for i, u := range s.cfg.Secrets {
			target := cmp.Or(u.Target, u.Source)
			if !path.IsAbs(target) {
				target = "/run/secrets/" + target
			}
			name := c.secrets.declared(u.Source)
			s.spec.Secrets = append(s.spec.Secrets, topology.SecretUseSpec{Name: name, File: target})
			why := fmt.Sprintf("secret %s is written to %s; its value (%s) is not copied: supply it when you deploy (the bundle's README says how)", name, target, c.secretSource(u.Source))
			if u.UID != "" || u.GID != "" || u.Mode != nil {
				why += "; uid, gid and mode are not kept"
			}
			c.line(s, Translated, why, "secrets", "["+strconv.Itoa(i)+"]")
		}
	}
}

func (c *converter) secretSource(name string) string {
	sc, ok := c.p.Secrets[name]
	switch {
	case !ok:
		return "undeclared"
	case sc.File != "":
		return "file " + displayRel(c.p.WorkingDir, sc.File)
	case sc.Environment != "":
		return "variable " + sc.Environment
	case bool(sc.External):
		return "external"
	}
	return "inline content"
}

func displayRel(dir, f string) string {
	if rel, err := filepath.Rel(dir, f); err == nil && !strings.HasPrefix(rel, "..") {
		return "./" + filepath.ToSlash(rel)
	}
	return f
}

// finish writes the ports, links and env into the spec.
func (c *converter) finish(s *service) {
	sp := &s.spec
	if len(s.ports) == 1 {
		p := s.ports[0]
		sp.Port, sp.Protocol, sp.HostPort, sp.PortEnv = p.number, p.protocol, p.published, p.env
	} else {
		for _, p := range s.ports {
			sp.Ports = append(sp.Ports, topology.PortSpec{Name: p.name, Port: p.number, Protocol: p.protocol, Env: p.env, HostPort: p.published})
		}
	}
	for _, l := range s.links {
		sp.Links = append(sp.Links, l.spec())
	}
	if len(s.env) > 0 {
		sp.Env = s.env
	}
}

// portName names a port of a service with several.
func portName(p *port, taken map[string]bool) string {
	valid := regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)
	if p.name != "" && len(p.name) <= 15 && valid.MatchString(p.name) && !taken[p.name] {
		return p.name
	}
	if n, ok := wellKnownPortNames[p.number]; ok && !taken[n] {
		return n
	}
	return string(p.protocol) + "-" + strconv.Itoa(p.number)
}

func mapsKeys[M ~map[string]V, V any](m M) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

func mapsKeysSeq[M ~map[string]V, V any](m M) func(func(string) bool) { return mapsKeys(m) }

// usesPath reports whether a command runs something under dir.
func usesPath(cmd []string, dir string) bool {
	for _, w := range cmd {
		for _, f := range strings.Fields(w) {
			if f == dir || strings.HasPrefix(f, strings.TrimSuffix(dir, "/")+"/") {
				return true
			}
		}
	}
	return false
}

// scrub keeps secret values out of the spec's command lines: a shell-form
// health check refers to the secret's env var instead; any other command
// that holds one is refused, and left out.
func (c *converter) scrub(s *service) {
	plain := map[string]bool{}
	for _, v := range s.env {
		plain[v] = true
	}
	for _, lit := range slices.Sorted(mapsKeys(c.secrets.byLiteral)) {
		name := c.secrets.byLiteral[lit]
		word := regexp.MustCompile(`(^|[^A-Za-z0-9_])` + regexp.QuoteMeta(lit) + `($|[^A-Za-z0-9_])`)
		env := ""
		for _, u := range s.spec.Secrets {
			if u.Name == name && u.Env != "" {
				env = u.Env
			}
		}
		if h := s.spec.Health; h != nil && h.Readiness != nil && slices.ContainsFunc(h.Readiness.Command, word.MatchString) {
			cmd := h.Readiness.Command
			if len(cmd) == 3 && cmd[0] == "/bin/sh" && env != "" && !plain[lit] {
				cmd[2] = word.ReplaceAllString(cmd[2], "${1}$$"+env+"${2}")
				c.line(s, Translated, fmt.Sprintf("the check's command held the value of secret %s; it reads $%s instead, so the value is not written in the spec", name, env), "healthcheck", "test")
			} else {
				s.spec.Health = nil
				c.line(s, Refused, fmt.Sprintf("the check's command holds the value of secret %s, which the spec never writes; use the secret's variable in a shell-form check (CMD-SHELL ... $VAR)", name), "healthcheck", "test")
			}
		}
		for _, f := range []struct {
			field string
			list  *[]string
		}{{"entrypoint", &s.spec.Command}, {"command", &s.spec.Args}} {
			if slices.ContainsFunc(*f.list, word.MatchString) {
				*f.list = nil
				c.line(s, Refused, fmt.Sprintf("holds the value of secret %s, which the spec never writes; pass it in an env var", name), f.field)
			}
		}
	}
}

// envFileLine locates a variable that came from one of the service's
// env_file files: the last that sets it wins, as compose reads them.
func (c *converter) envFileLine(s *service, name string, def where) where {
	for i := len(s.cfg.EnvFiles) - 1; i >= 0; i-- {
		f := s.cfg.EnvFiles[i].Path
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for n, l := range strings.Split(string(data), "\n") {
			l = strings.TrimPrefix(strings.TrimSpace(l), "export ")
			if k, _, ok := strings.Cut(l, "="); ok && strings.TrimSpace(k) == name {
				return where{c.pos.display(f), n + 1}
			}
		}
	}
	return def
}

// Imported is the result as the synctl-validate helper hands it to synctl:
// the compose project's secret values are masked in its YAML, so that what
// synctl prints of it (diff --from compose.yaml) never shows them.
func (r *Result) Imported() (*imported.Result, error) {
	p := *r.Project
	p.Services = types.Services{}
	for name, sc := range r.Project.Services {
		env := types.MappingWithEquals{}
		for k, v := range sc.Environment {
			if v != nil {
				m := r.Mask(*v)
				v = &m
			}
			env[k] = v
		}
		sc.Environment = env
		p.Services[name] = sc
	}
	compose, err := p.MarshalYAML()
	if err != nil {
		return nil, err
	}
	names := map[string]string{}
	for i, sv := range r.App.Spec.Services {
		names[sv.Name] = r.Report.Services[i]
	}
	return &imported.Result{Spec: r.Spec, Report: r.Report, Compose: compose, ComposeNames: names}, nil
}
