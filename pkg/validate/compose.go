package validate

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

var falseSchema = regexp.MustCompile(`(\S+) false schema`)

var nonProjectChars = regexp.MustCompile(`[^a-z0-9_-]+`)

// loadCompose loads a compose file in full, as `docker compose config` does,
// resolving relative paths against the file's directory.
func loadCompose(file string) (*types.Project, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(abs)
	name := strings.Trim(nonProjectChars.ReplaceAllString(strings.ToLower(filepath.Base(dir)), ""), "-_")
	if name == "" {
		name = "synctl"
	}
	opts, err := cli.NewProjectOptions([]string{abs},
		cli.WithWorkingDirectory(dir),
		cli.WithOsEnv,
		cli.WithEnvFiles(),
		cli.WithDotEnv,
		cli.WithName(name),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		return nil, err
	}
	return opts.LoadProject(context.Background())
}

// composeCheck holds one loaded project while it is checked.
type composeCheck struct {
	file  string
	dir   string
	p     *types.Project
	probs []Problem
}

func (c *composeCheck) add(svc, field, format string, args ...any) {
	res := "compose"
	if svc != "" {
		res = "service " + svc
	}
	c.probs = append(c.probs, Problem{File: c.file, Resource: res, Field: field, Message: fmt.Sprintf(format, args...)})
}

// checkCompose loads and checks one compose file, and runs nginx -t on each
// nginx.conf a service mounts. It returns the nginx.conf files it checked (absolute).
func checkCompose(file string, opts Options) ([]Problem, []Skip, []string) {
	p, err := loadCompose(file)
	if err != nil {
		msg := strings.TrimSpace(err.Error())
		if abs, aerr := filepath.Abs(file); aerr == nil {
			msg = strings.ReplaceAll(msg, abs, file)
		}
		msg = falseSchema.ReplaceAllString(msg, "$1: not a key the compose specification allows (check its spelling and indentation)")
		return []Problem{{File: file, Resource: "compose", Field: "-", Message: "does not load (as docker compose config would): " + msg}}, nil, nil
	}
	abs, _ := filepath.Abs(file)
	c := &composeCheck{file: file, dir: filepath.Dir(abs), p: p}
	var skips []Skip
	var confs []string
	for _, name := range p.ServiceNames() {
		s := p.Services[name]
		for i, v := range s.Volumes {
			if v.Type != types.VolumeTypeBind {
				continue
			}
			// Docker creates a missing source directory, so only a missing
			// file (a name with an extension, like nginx.conf) is an error.
			if _, err := os.Stat(v.Source); err != nil && filepath.Ext(v.Source) != "" {
				c.add(name, fmt.Sprintf("volumes[%d]", i), "bind-mount source %s does not exist; docker would mount an empty directory at %s instead of the file: create it or fix the path", c.rel(v.Source), v.Target)
			}
		}
		c.checkEnv(s)
		if conf, mounts := nginxMounts(s); conf != "" {
			if _, err := os.Stat(conf); err == nil {
				confs = append(confs, conf)
				np, ns := c.checkNginx(s, conf, mounts, opts)
				c.probs = append(c.probs, np...)
				skips = append(skips, ns...)
			}
		}
	}
	return c.probs, skips, confs
}

func (c *composeCheck) rel(p string) string {
	if r, err := filepath.Rel(c.dir, p); err == nil && !strings.HasPrefix(r, "..") {
		return "./" + filepath.ToSlash(r)
	}
	return p
}

// nginxMounts finds the nginx.conf a service mounts at /etc/nginx/nginx.conf
// and every bind mount under /etc/nginx (target relative to it -> source).
func nginxMounts(s types.ServiceConfig) (string, map[string]string) {
	conf := ""
	mounts := map[string]string{}
	for _, v := range s.Volumes {
		if v.Type != types.VolumeTypeBind {
			continue
		}
		if v.Target == "/etc/nginx/nginx.conf" {
			conf = v.Source
		}
		if rel, ok := strings.CutPrefix(path.Clean(v.Target), "/etc/nginx/"); ok {
			mounts[rel] = v.Source
		}
	}
	return conf, mounts
}

// servicePorts returns the ports a service evidently listens on inside its
// container: published targets and expose, or where it declares neither,
// numeric *_PORT variables (which may also be ports it connects to).
func servicePorts(s types.ServiceConfig) map[int]bool {
	ports := map[int]bool{}
	for _, p := range s.Ports {
		ports[int(p.Target)] = true
	}
	for _, e := range s.Expose {
		if n, err := strconv.Atoi(strings.Split(e, "/")[0]); err == nil {
			ports[n] = true
		}
	}
	if len(ports) > 0 {
		return ports
	}
	for k, v := range s.Environment {
		if strings.HasSuffix(k, "_PORT") && v != nil {
			if n, err := strconv.Atoi(*v); err == nil {
				ports[n] = true
			}
		}
	}
	if s.Image != "" && strings.HasPrefix(s.Image, "nginx") && len(ports) == 0 {
		ports[80] = true
	}
	return ports
}

func portList(m map[int]bool) string {
	var s []string
	for _, p := range slices.Sorted(maps.Keys(m)) {
		s = append(s, strconv.Itoa(p))
	}
	return orNone(strings.Join(s, ", "))
}

// networks returns the service's networks ("default" when it names none).
func networks(s types.ServiceConfig) map[string]bool {
	out := map[string]bool{}
	for n := range s.Networks {
		out[n] = true
	}
	if len(out) == 0 && s.NetworkMode == "" {
		out["default"] = true
	}
	return out
}

// lookupService resolves a host name the way Docker's embedded DNS does
// for a container of service from: a service name, container_name or network alias
// on a network they share.
func (c *composeCheck) lookupService(from types.ServiceConfig, host string) (types.ServiceConfig, bool, bool) {
	mine := networks(from)
	for _, name := range c.p.ServiceNames() {
		s := c.p.Services[name]
		names := []string{s.Name}
		if s.ContainerName != "" {
			names = append(names, s.ContainerName)
		}
		for _, n := range s.Networks {
			if n != nil {
				names = append(names, n.Aliases...)
			}
		}
		for _, n := range names {
			if n != host {
				continue
			}
			for net := range networks(s) {
				if mine[net] {
					return s, true, true
				}
			}
			return s, true, false
		}
	}
	return types.ServiceConfig{}, false, false
}

// published returns the host ports published by any service.
func (c *composeCheck) published() map[int]string {
	out := map[int]string{}
	for _, name := range c.p.ServiceNames() {
		for _, p := range c.p.Services[name].Ports {
			if n, err := strconv.Atoi(p.Published); err == nil {
				out[n] = name
			}
		}
	}
	return out
}

func (c *composeCheck) checkEnv(s types.ServiceConfig) {
	browser := browserVars(s.Labels[BrowserEnvKey])
	for _, k := range slices.Sorted(maps.Keys(s.Environment)) {
		v := s.Environment[k]
		if v == nil {
			continue
		}
		field := "environment." + k
		if browser[k] {
			c.checkBrowserURL(s, field, *v)
			continue
		}
		u, err := url.Parse(*v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			continue
		}
		pn := urlPort(u)
		host := u.Hostname()
		switch {
		case host == "localhost" || host == "127.0.0.1" || host == "::1":
			c.add(s.Name, field, "%s inside a container is the container itself; use the service name on a shared network (for example http://<service>:<port>) or http://host.docker.internal:<published port>", host)
		case host == "host.docker.internal":
			owner, ok := c.published()[pn]
			if !ok {
				c.add(s.Name, field, "host.docker.internal:%d reaches the host, but no service publishes port %d (published: %s); publish the target's port or fix the port", pn, pn, portList(mapKeysInt(c.published())))
			} else if owner == s.Name {
				c.add(s.Name, field, "host.docker.internal:%d loops back to this service itself (it publishes %d)", pn, pn)
			}
			if !hasHostGateway(s) {
				c.add(s.Name, "extra_hosts", "%s uses host.docker.internal, which only resolves on Linux with extra_hosts: [\"host.docker.internal:host-gateway\"]; add it", k)
			}
		default:
			t, found, shared := c.lookupService(s, host)
			if !found {
				if !strings.Contains(host, ".") {
					c.add(s.Name, field, "host %q is not a service of this compose file (services: %s); use the service name", host, strings.Join(c.p.ServiceNames(), ", "))
				}
				continue
			}
			if !shared {
				c.add(s.Name, field, "service %s is on networks %s but %s is on %s; they share no network, so %q does not resolve: put both on one network", t.Name, joinSorted(slices.Sorted(maps.Keys(networks(t)))), s.Name, joinSorted(slices.Sorted(maps.Keys(networks(s)))), host)
				continue
			}
			if ports := servicePorts(t); len(ports) > 0 && !ports[pn] {
				c.add(s.Name, field, "port %d is not a port service %s listens on inside its container (%s); containers talk to each other on container ports, not published ones", pn, t.Name, portList(ports))
			}
		}
	}
}

func mapKeysInt(m map[int]string) map[int]bool {
	out := map[int]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

func urlPort(u *url.URL) int {
	if n, err := strconv.Atoi(u.Port()); err == nil {
		return n
	}
	if u.Scheme == "https" {
		return 443
	}
	return 80
}

func hasHostGateway(s types.ServiceConfig) bool {
	for _, ip := range s.ExtraHosts["host.docker.internal"] {
		if ip == "host-gateway" {
			return true
		}
	}
	return false
}

// checkBrowserURL checks an env var whose URL the user's browser resolves.
func (c *composeCheck) checkBrowserURL(s types.ServiceConfig, field, v string) {
	name := strings.TrimPrefix(field, "environment.")
	if v == "" {
		c.add(s.Name, field, "empty: the page loads but the browser cannot reach what %s names; set it to http://localhost:<published port> or a same-origin path such as /api/", name)
		return
	}
	u, err := url.Parse(v)
	if err != nil {
		c.add(s.Name, field, "not a URL: %v", err)
		return
	}
	if u.IsAbs() {
		host := u.Hostname()
		if host != "localhost" && host != "127.0.0.1" {
			return // a public name we cannot check
		}
		pn := urlPort(u)
		owner, ok := c.published()[pn]
		switch {
		case !ok:
			c.add(s.Name, field, "the browser reaches %s:%d, but no service publishes port %d (published: %s); publish the port of the service it should reach, or fix the URL", host, pn, pn, portList(mapKeysInt(c.published())))
		case owner == s.Name:
			c.add(s.Name, field, "port %d is published by %s itself, so the browser would call the page's own server; point it at the published port of the service it should reach", pn, s.Name)
		}
		return
	}
	if !strings.HasPrefix(u.Path, "/") {
		c.add(s.Name, field, "a relative %s must start with / (the browser resolves it against the page's URL)", name)
		return
	}
	// Any call under the prefix: the browser appends the service's own paths.
	call := strings.TrimSuffix(u.Path, "/") + "/"
	for _, name := range c.p.ServiceNames() {
		ps := c.p.Services[name]
		conf, _ := nginxMounts(ps)
		if conf == "" {
			continue
		}
		cfg, err := parseNginxFile(conf)
		if err != nil {
			return // a syntax error, reported first: nothing else about it can be said
		}
		loc := cfg.bestLocation(call)
		if loc == nil {
			c.add(s.Name, field, "relative, so the browser calls %s… on the page's origin, but nginx (%s) has no location for it; add location %s/ with proxy_pass to the service it should reach", call, c.rel(conf), strings.TrimSuffix(u.Path, "/"))
			return
		}
		target, err := url.Parse(loc.proxyPass)
		if loc.proxyPass == "" || err != nil {
			c.add(s.Name, field, "relative, so the browser calls %s…, but nginx location %s in %s does not proxy_pass it anywhere", call, loc.prefix, c.rel(conf))
			return
		}
		if t, found, _ := c.lookupService(ps, target.Hostname()); found && t.Name == s.Name {
			c.add(s.Name, field, "relative, so the browser calls %s…, which nginx location %s sends back to %s itself; add a location %s/ that proxies to the service it should reach", call, loc.prefix, s.Name, strings.TrimSuffix(u.Path, "/"))
			return
		}
		if loc.prefix != "/" && loc.viaVar && !loc.stripped {
			c.add(s.Name, field, "relative, so the browser calls %s…, which nginx location %s in %s forwards with the prefix still on (a proxy_pass through a variable passes the URI unchanged), while the service behind it serves its routes at its root: add rewrite ^%s(.*)$ /$1 break; before proxy_pass", call, loc.prefix, c.rel(conf), regexp.QuoteMeta(loc.prefix))
		}
		if loc.prefix != "/" && !loc.viaVar && target.Path == "" && !loc.stripped {
			c.add(s.Name, field, "relative, so the browser calls %s…, which nginx location %s in %s forwards with the prefix still on (proxy_pass %s has no URI), while the service behind it serves its routes at its root: write proxy_pass %s/", call, loc.prefix, c.rel(conf), loc.proxyPass, strings.TrimSuffix(loc.proxyPass, "/"))
		}
		return
	}
	c.add(s.Name, field, "relative, so the browser calls %s… on the page's own origin, but no service in this file is a reverse proxy (an nginx mounting /etc/nginx/nginx.conf) to route it; use the published URL of the service it should reach, or add one", call)
}
