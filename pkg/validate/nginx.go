package validate

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/compose-spec/compose-go/v2/types"
)

// directive is one nginx directive with its arguments and block.
type directive struct {
	name     string
	args     []string
	line     int
	children []*directive
}

// nginxConf is the parsed structure of an nginx.conf (enough to follow
// locations and proxy_pass; nginx -t is the authority on syntax).
type nginxConf struct{ top []*directive }

func parseNginxFile(path string) (*nginxConf, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseNginx(data)
}

func parseNginx(data []byte) (*nginxConf, error) {
	root := &directive{}
	stack := []*directive{root}
	var cur *directive
	line := 1
	for i := 0; i < len(data); {
		ch := data[i]
		switch {
		case ch == '\n':
			line++
			i++
		case ch == ' ' || ch == '\t' || ch == '\r':
			i++
		case ch == '#':
			for i < len(data) && data[i] != '\n' {
				i++
			}
		case ch == ';':
			if cur == nil {
				return nil, fmt.Errorf("line %d: unexpected ;", line)
			}
			cur = nil
			i++
		case ch == '{':
			if cur == nil {
				return nil, fmt.Errorf("line %d: unexpected {", line)
			}
			stack = append(stack, cur)
			cur = nil
			i++
		case ch == '}':
			if len(stack) == 1 || cur != nil {
				return nil, fmt.Errorf("line %d: unexpected }", line)
			}
			stack = stack[:len(stack)-1]
			i++
		default:
			var tok []byte
			if ch == '"' || ch == '\'' {
				j := i + 1
				for j < len(data) && data[j] != ch {
					if data[j] == '\\' {
						j++
					}
					j++
				}
				if j >= len(data) {
					return nil, fmt.Errorf("line %d: unterminated quote", line)
				}
				tok = data[i+1 : j]
				line += bytes.Count(data[i:j], []byte("\n"))
				i = j + 1
			} else {
				j := i
				for j < len(data) && !strings.ContainsRune(" \t\r\n;{}#", rune(data[j])) {
					j++
				}
				tok = data[i:j]
				i = j
			}
			if cur == nil {
				cur = &directive{name: string(tok), line: line}
				parent := stack[len(stack)-1]
				parent.children = append(parent.children, cur)
			} else {
				cur.args = append(cur.args, string(tok))
			}
		}
	}
	if len(stack) != 1 {
		return nil, errors.New("unexpected end of file, expecting }")
	}
	return &nginxConf{top: root.children}, nil
}

func (d *directive) each(name string, fn func(*directive)) {
	for _, c := range d.children {
		if c.name == name {
			fn(c)
		}
	}
}

func (n *nginxConf) walk(fn func(d *directive, parents []*directive)) {
	var rec func(ds []*directive, parents []*directive)
	rec = func(ds []*directive, parents []*directive) {
		for _, d := range ds {
			fn(d, parents)
			rec(d.children, append(parents, d))
		}
	}
	rec(n.top, nil)
}

// location is a prefix location and where it proxies.
type location struct {
	prefix    string
	proxyPass string
	// stripped: a `rewrite ... break` in the location takes the prefix off
	// the path it was asked about before proxying.
	stripped bool
	// viaVar: proxy_pass names a variable (set to proxyPass), which passes
	// the request URI on as it is: only a rewrite strips the prefix.
	viaVar bool
	line   int
}

// proxyVar matches a proxy_pass argument that is one variable, as in
// `set $api http://api:8080; proxy_pass $api;`, the form that makes nginx
// resolve the host per request instead of once at start.
var proxyVar = regexp.MustCompile(`^\$(\w+)$`)

// resolveVar returns arg with a whole-argument variable replaced by the
// value a `set` in the innermost enclosing block gives it; the line of that
// set; and whether a variable was resolved. Values computed at request
// time (anything but a literal set) stay unresolved.
func resolveVar(arg string, scopes []*directive) (string, int, bool) {
	m := proxyVar.FindStringSubmatch(arg)
	if m == nil {
		return arg, 0, false
	}
	for i := len(scopes) - 1; i >= 0; i-- {
		val, line, found := "", 0, false
		scopes[i].each("set", func(d *directive) {
			if len(d.args) == 2 && d.args[0] == "$"+m[1] && !strings.Contains(d.args[1], "$") {
				val, line, found = d.args[1], d.line, true
			}
		})
		if found {
			return val, line, true
		}
	}
	return arg, 0, false
}

// stripsPrefix reports whether a `rewrite REGEX REPLACEMENT break;` of the
// location turns path into one that no longer starts with prefix (nginx's
// regexes are PCRE; the simple ones used for this read the same in Go).
func stripsPrefix(loc *directive, prefix, path string) bool {
	stripped := false
	loc.each("rewrite", func(d *directive) {
		if len(d.args) != 3 || d.args[2] != "break" {
			return
		}
		re, err := regexp.Compile(d.args[0])
		if err != nil {
			return
		}
		m := re.FindStringSubmatchIndex(path)
		if m == nil {
			return
		}
		out := string(re.ExpandString(nil, d.args[1], path, m))
		stripped = stripped || !strings.HasPrefix(out, prefix)
	})
	return stripped
}

// bestLocation returns the longest prefix location matching path in a
// server that proxies (nginx's choice for prefix locations), or nil.
func (n *nginxConf) bestLocation(path string) *location {
	var best *location
	n.walk(func(d *directive, parents []*directive) {
		if d.name != "location" || len(d.args) != 1 {
			return // regex and exact (=, ~) locations are left to nginx
		}
		prefix := d.args[0]
		if !strings.HasPrefix(path, prefix) {
			return
		}
		if best != nil && len(best.prefix) >= len(prefix) {
			return
		}
		l := &location{prefix: prefix, line: d.line, stripped: stripsPrefix(d, prefix, path)}
		d.each("proxy_pass", func(p *directive) {
			if len(p.args) == 1 {
				l.proxyPass, _, l.viaVar = resolveVar(p.args[0], append(append([]*directive{}, parents...), d))
			}
		})
		best = l
	})
	return best
}

// upstreamHosts returns the host names nginx proxies to: servers of
// upstream blocks and hosts in proxy_pass URLs that are not upstream blocks
// (resolved at start), and hosts of proxy_pass variables set to a literal
// URL (resolved per request through the resolver directive).
func (n *nginxConf) upstreamHosts() []proxyTarget {
	upstreams := map[string]bool{}
	var out []proxyTarget
	n.walk(func(d *directive, _ []*directive) {
		if d.name == "upstream" && len(d.args) == 1 {
			upstreams[d.args[0]] = true
			d.each("server", func(s *directive) {
				if len(s.args) > 0 {
					host, port := splitHostPort(s.args[0], 80)
					out = append(out, proxyTarget{host: host, port: port, line: s.line})
				}
			})
		}
	})
	n.walk(func(d *directive, parents []*directive) {
		if d.name != "proxy_pass" || len(d.args) != 1 {
			return
		}
		arg, line, viaVar := resolveVar(d.args[0], parents)
		if !viaVar {
			line = d.line
		}
		if strings.Contains(arg, "$") {
			return
		}
		u, err := url.Parse(arg)
		if err != nil || u.Host == "" || upstreams[u.Hostname()] {
			return
		}
		out = append(out, proxyTarget{host: u.Hostname(), port: urlPort(u), line: line, perRequest: viaVar})
	})
	return out
}

type proxyTarget struct {
	host string
	port int
	line int
	// perRequest: nginx resolves host when a request needs it, so a name
	// that does not resolve gives 502s rather than stopping nginx at start.
	perRequest bool
}

func splitHostPort(s string, def int) (string, int) {
	h, p, ok := strings.Cut(s, ":")
	if !ok {
		return s, def
	}
	n, err := strconv.Atoi(p)
	if err != nil {
		return h, def
	}
	return h, n
}

func isIP(h string) bool { return strings.Count(h, ".") == 3 && strings.Trim(h, "0123456789.") == "" }

// checkNginx runs nginx -t on the conf as the service's container sees it,
// and checks that every proxied host is a service on a shared network and
// listens on the proxied port.
func (c *composeCheck) checkNginx(s types.ServiceConfig, conf string, mounts map[string]string, opts Options) ([]Problem, []Skip) {
	display := c.rel(conf)
	if r, err := filepath.Rel(".", conf); err == nil && !strings.HasPrefix(r, "..") {
		display = r
	}
	if abs, _ := filepath.Abs(c.file); abs != "" {
		display = filepath.Join(filepath.Dir(c.file), mustRel(filepath.Dir(abs), conf))
	}
	cfg, err := parseNginxFile(conf)
	var probs []Problem
	if err == nil {
		for _, t := range cfg.upstreamHosts() {
			if isIP(t.host) || t.host == "localhost" {
				continue
			}
			target, found, shared := c.lookupService(s, t.host)
			f := fmt.Sprintf("line %d", t.line)
			switch {
			case !found:
				effect := fmt.Sprintf("nginx in service %s fails to start with host not found", s.Name)
				if t.perRequest {
					effect = fmt.Sprintf("nginx in service %s answers 502 there, as the name does not resolve", s.Name)
				}
				probs = append(probs, Problem{File: display, Resource: "nginx", Field: f, Message: fmt.Sprintf("proxies to %q, which is not a service of %s (services: %s); %s", t.host, c.file, strings.Join(c.p.ServiceNames(), ", "), effect)})
			case !shared:
				probs = append(probs, Problem{File: display, Resource: "nginx", Field: f, Message: fmt.Sprintf("proxies to %q, but service %s shares no network with %s; put both on one network", t.host, target.Name, s.Name)})
			default:
				if ports := servicePorts(target); len(ports) > 0 && !ports[t.port] {
					probs = append(probs, Problem{File: display, Resource: "nginx", Field: f, Message: fmt.Sprintf("proxies to %s:%d, but service %s listens on %s inside its container", t.host, t.port, target.Name, portList(ports))})
				}
			}
		}
	}
	np, skips := nginxTest(display, conf, mounts, opts)
	return append(probs, syntaxFirst(display, err, np, skips)...), skips
}

// syntaxFirst reports a file that does not parse by its syntax error, where
// nginx -t could not run to say so itself: cross-references of a file that
// does not parse mean nothing, and an unreported syntax error would pass.
func syntaxFirst(display string, parseErr error, fromNginx []Problem, skips []Skip) []Problem {
	if parseErr == nil || len(fromNginx) > 0 || len(skips) == 0 {
		return fromNginx
	}
	return []Problem{{File: display, Resource: "nginx", Field: "-", Message: "syntax: " + parseErr.Error()}}
}

func mustRel(base, p string) string {
	if r, err := filepath.Rel(base, p); err == nil {
		return r
	}
	return p
}

// checkNginxStandalone runs nginx -t on an nginx.conf no compose file mounts:
// it is placed at /etc/nginx/nginx.conf with the files of its own directory
// (certs/ and the like) next to it.
func checkNginxStandalone(file string, opts Options) ([]Problem, []Skip) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return nil, nil
	}
	mounts := map[string]string{"nginx.conf": abs}
	entries, _ := os.ReadDir(filepath.Dir(abs))
	for _, e := range entries {
		if e.Name() != filepath.Base(abs) && !strings.HasPrefix(e.Name(), ".") {
			mounts[e.Name()] = filepath.Join(filepath.Dir(abs), e.Name())
		}
	}
	np, skips := nginxTest(file, abs, mounts, opts)
	_, parseErr := parseNginxFile(abs)
	return syntaxFirst(file, parseErr, np, skips), skips
}

var nginxMsg = regexp.MustCompile(`\[(emerg|alert|crit|error)\] (?:\d+#\d+: )?(.*?)(?: in (/etc/nginx/\S+):(\d+))?$`)

// nginxTest runs `nginx -t` in a private mount namespace where /etc/nginx
// holds the host's stock files (mime.types, ...) overlaid with mounts,
// /etc/hosts maps every proxied name to 127.0.0.1, and /etc/passwd and
// /etc/group know the nginx user (as in the nginx:alpine image). The
// machine's own files are never changed.
func nginxTest(display, conf string, mounts map[string]string, opts Options) ([]Problem, []Skip) {
	skip := func(reason string) ([]Problem, []Skip) {
		return nil, []Skip{{File: display, Check: "nginx -t", Reason: reason}}
	}
	if opts.SkipNginx {
		return skip("turned off")
	}
	bin := cmp.Or(opts.Nginx, "nginx")
	bin, err := exec.LookPath(bin)
	if err != nil {
		return skip("nginx is not installed (Debian: apt-get install nginx-light)")
	}
	if os.Geteuid() != 0 {
		return skip("needs root to run nginx in a private mount namespace (CI runs it as root)")
	}
	if st, err := os.Stat("/etc/nginx"); err != nil || !st.IsDir() {
		return skip("/etc/nginx does not exist to mount the configuration over")
	}
	tmp, err := os.MkdirTemp("", "synctl-nginx-")
	if err != nil {
		return skip(err.Error())
	}
	defer os.RemoveAll(tmp)
	etc := filepath.Join(tmp, "nginx")
	if err := os.CopyFS(etc, stockNginxFiles()); err != nil {
		return skip("copy /etc/nginx: " + err.Error())
	}
	for _, rel := range slices.Sorted(maps.Keys(mounts)) {
		dst := filepath.Join(etc, rel)
		if err := copyPath(mounts[rel], dst); err != nil {
			return skip(fmt.Sprintf("copy %s: %v", mounts[rel], err))
		}
	}
	hosts := "127.0.0.1 localhost\n::1 localhost\n"
	if cfg, err := parseNginxFile(conf); err == nil {
		for _, t := range cfg.upstreamHosts() {
			if !isIP(t.host) {
				hosts += "127.0.0.1 " + t.host + "\n"
			}
		}
	}
	files := map[string]string{
		"hosts":  hosts,
		"passwd": "root:x:0:0:root:/root:/bin/sh\nnginx:x:101:101:nginx:/var/cache/nginx:/sbin/nologin\nwww-data:x:33:33:www-data:/var/www:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		"group":  "root:x:0:\nnginx:x:101:nginx\nwww-data:x:33:\nnogroup:x:65534:\n",
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(tmp, name), []byte(body), 0o644); err != nil {
			return skip(err.Error())
		}
	}
	const script = `set -e
mount --bind "$1/nginx" /etc/nginx
mount --bind "$1/hosts" /etc/hosts
mount --bind "$1/passwd" /etc/passwd
mount --bind "$1/group" /etc/group
exec "$2" -t -q -e stderr -c /etc/nginx/nginx.conf`
	cmd := exec.Command("/bin/sh", "-c", script, "sh", tmp, bin)
	// Go makes / private (MS_REC|MS_PRIVATE) in a new mount namespace, so
	// nothing mounted here is seen outside the child.
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS}
	out, err := cmd.CombinedOutput()
	if err == nil {
		return nil, nil
	}
	var probs []Problem
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		m := nginxMsg.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil {
			continue
		}
		field := "-"
		if m[4] != "" {
			field = "line " + m[4]
		}
		msg := m[2]
		if m[3] != "" && m[3] != "/etc/nginx/nginx.conf" {
			msg += " (in " + m[3] + ")"
		}
		probs = append(probs, Problem{File: display, Resource: "nginx", Field: field, Message: "nginx -t: " + msg})
	}
	if len(probs) == 0 {
		var ee *exec.ExitError
		if !errors.As(err, &ee) || strings.Contains(string(out), "mount:") {
			return skip(fmt.Sprintf("could not run nginx in a private mount namespace: %v: %s", err, strings.TrimSpace(string(out))))
		}
		probs = append(probs, Problem{File: display, Resource: "nginx", Field: "-", Message: "nginx -t failed: " + strings.TrimSpace(string(out))})
	}
	return probs, nil
}

// stockNginxFiles is the host's /etc/nginx top-level regular files
// (mime.types, fastcgi_params, ...), as the nginx image ships them.
func stockNginxFiles() fs.FS {
	dir := os.DirFS("/etc/nginx")
	m := fstestMap{}
	entries, _ := os.ReadDir("/etc/nginx")
	for _, e := range entries {
		if e.Type().IsRegular() && e.Name() != "nginx.conf" {
			if b, err := fs.ReadFile(dir, e.Name()); err == nil {
				m[e.Name()] = b
			}
		}
	}
	return m
}

func copyPath(src, dst string) error {
	st, err := os.Stat(src)
	if err != nil {
		return err
	}
	if st.IsDir() {
		os.RemoveAll(dst)
		return os.CopyFS(dst, os.DirFS(src))
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, b, 0o644)
}
