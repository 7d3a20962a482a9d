package standin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/synctl/synctl/pkg/topology"
)

// startsFile is where a TCP stand-in counts its starts, in the service's
// storage directory: a test reads the count in the greeting to see that the
// data survived a restart.
const startsFile = ".standin-starts"

// listenPort is the port the service listens on for p: the value of the
// port's env var when the deployment sets it, else the model's.
func listenPort(svc *topology.Service, p topology.Port, getenv func(string) string) (int, error) {
	if p.Env == "" {
		return p.Number, nil
	}
	v := getenv(p.Env)
	if v == "" {
		return p.Number, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > 65535 {
		return 0, fmt.Errorf("%s: %s=%q is not a port (1-65535)", svc.Name, p.Env, v)
	}
	return n, nil
}

// countStart adds one to the start count kept in the service's storage
// directory and returns it; 1 for a service with no storage.
func countStart(svc *topology.Service) (int, error) {
	if svc.Storage == nil {
		return 1, nil
	}
	f := filepath.Join(svc.Storage.MountPath, startsFile)
	n := 0
	if data, err := os.ReadFile(f); err == nil {
		n, _ = strconv.Atoi(strings.TrimSpace(string(data)))
	} else if !errors.Is(err, os.ErrNotExist) {
		return 0, fmt.Errorf("%s: %w", svc.Name, err)
	}
	n++
	if err := os.MkdirAll(svc.Storage.MountPath, 0o755); err != nil {
		return 0, fmt.Errorf("%s: %w", svc.Name, err)
	}
	if err := os.WriteFile(f, []byte(strconv.Itoa(n)+"\n"), 0o644); err != nil {
		return 0, fmt.Errorf("%s: %w", svc.Name, err)
	}
	return n, nil
}

// Greeting is the line a TCP stand-in writes to every connection: the
// service, the port's name and how often the service has started on its
// storage.
func Greeting(service, port string, starts int) string {
	return fmt.Sprintf("%s %s starts=%d\n", service, port, starts)
}

// serveTCP greets every connection on ln until ln is closed.
func serveTCP(ln net.Listener, greeting string) error {
	for {
		c, err := ln.Accept()
		if err != nil {
			return err
		}
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			_, _ = io.WriteString(c, greeting)
		}()
	}
}

// linkAddr is where link l of a service points, read from its env vars in
// the link's form: host:port, and the URL for a link with an http(s) URL.
func linkAddr(l topology.Link, getenv func(string) string) (addr string, httpURL *url.URL, err error) {
	v := getenv(l.Env)
	if v == "" {
		return "", nil, fmt.Errorf("%s is not set", l.Env)
	}
	switch l.Form {
	case topology.FormHost:
		port := getenv(l.PortEnv)
		if port == "" {
			return "", nil, fmt.Errorf("%s is not set (the port beside %s=%s)", l.PortEnv, l.Env, v)
		}
		return net.JoinHostPort(v, port), nil, nil
	case topology.FormHostPort:
		if _, _, err := net.SplitHostPort(v); err != nil {
			return "", nil, fmt.Errorf("%s=%q is not host:port: %v", l.Env, v, err)
		}
		return v, nil, nil
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return "", nil, fmt.Errorf("%s is not a URL with a host", l.Env)
	}
	port := u.Port()
	switch {
	case port != "":
	case u.Scheme == "https":
		port = "443"
	case u.Scheme == "http":
		port = "80"
	default:
		return "", nil, fmt.Errorf("%s has no port", l.Env)
	}
	addr = net.JoinHostPort(u.Hostname(), port)
	if u.Scheme == "http" || u.Scheme == "https" {
		return addr, u, nil
	}
	return addr, nil, nil
}

// redact drops a URL's password, which error messages must not show.
func redact(u *url.URL) string {
	c := *u
	if c.User != nil {
		c.User = url.User(c.User.Username())
	}
	return c.String()
}

// reach uses link l once, as the service would: GET the linked service's
// health path for an http(s) URL, else open a TCP connection and read the
// stand-in's greeting line, which it returns. Errors name the address as a
// URL (tcp://host:port), so that verify can tell which address was used.
func reach(ctx context.Context, m *topology.Model, l topology.Link, getenv func(string) string, client *http.Client) (string, error) {
	addr, u, err := linkAddr(l, getenv)
	if err != nil {
		return "", err
	}
	to, _ := m.Service(l.To)
	if u != nil {
		target := strings.TrimSuffix(redact(u), "/")
		if to != nil {
			target += to.HealthPath
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
		if err != nil {
			return "", fmt.Errorf("calling %s: %w", l.Env, err)
		}
		resp, err := client.Do(req)
		if err != nil {
			return "", fmt.Errorf("calling %s: %w", l.Env, err)
		}
		defer resp.Body.Close()
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
		if resp.StatusCode != http.StatusOK {
			return "", fmt.Errorf("calling %s: GET %q answered %s", l.Env, target, resp.Status)
		}
		return resp.Status, nil
	}
	where := "tcp://" + addr
	d := net.Dialer{Timeout: 5 * time.Second}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("connecting to %s at %s: %w", l.Env, where, err)
	}
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", fmt.Errorf("reading from %s at %s: %w", l.Env, where, err)
	}
	line = strings.TrimSpace(line)
	if to != nil && !strings.HasPrefix(line, to.Name+" ") {
		return "", fmt.Errorf("%s at %s answered %q, not %s", l.Env, where, line, to.Name)
	}
	return line, nil
}

// serviceLinks are the links the service's own process uses.
func serviceLinks(svc *topology.Service) []topology.Link {
	var ls []topology.Link
	for _, l := range svc.Links {
		if l.ResolvedBy == topology.ResolvedByService {
			ls = append(ls, l)
		}
	}
	return ls
}

// RunJob uses each of the job's links once and returns the first failure:
// a job that exits non-zero when what it needs is not there, as the real
// seed's requests would fail.
func RunJob(ctx context.Context, m *topology.Model, svc *topology.Service, getenv func(string) string, logf func(string, ...any)) error {
	client := &http.Client{Timeout: 5 * time.Second}
	var errs []error
	for _, l := range serviceLinks(svc) {
		got, err := reach(ctx, m, l, getenv, client)
		if err != nil {
			logf("%s: %v", svc.Name, err)
			errs = append(errs, err)
			continue
		}
		logf("%s: %s: %s", svc.Name, l.Env, got)
	}
	return errors.Join(errs...)
}

// RunWorker uses each of the worker's links every interval, logging each
// failure (and the first success after one), until ctx ends: a worker keeps
// running when what it reads is down, as the real one retries.
func RunWorker(ctx context.Context, m *topology.Model, svc *topology.Service, getenv func(string) string, interval time.Duration, logf func(string, ...any)) {
	client := &http.Client{Timeout: 5 * time.Second}
	ok := map[string]bool{}
	for {
		for _, l := range serviceLinks(svc) {
			got, err := reach(ctx, m, l, getenv, client)
			switch {
			case err != nil:
				logf("%s: %v", svc.Name, err)
				ok[l.Env] = false
			case !ok[l.Env]:
				logf("%s: %s: %s", svc.Name, l.Env, got)
				ok[l.Env] = true
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// HealthCommandPaths are where an image of svc must hold the stand-in for
// its readiness and liveness commands to run it (see Healthy): a bare name
// under /usr/local/bin (on PATH), a path where it names one; relative to
// the image's root, without the leading "/".
func HealthCommandPaths(svc *topology.Service) []string {
	var paths []string
	for _, p := range []*topology.Probe{svc.Readiness, svc.Liveness} {
		if p == nil || len(p.Command) == 0 {
			continue
		}
		at := p.Command[0]
		if !strings.HasPrefix(at, "/") {
			at = "/usr/local/bin/" + at
		}
		paths = append(paths, strings.TrimPrefix(at, "/"))
	}
	return paths
}

// Healthy is the stand-in as a health command (compose healthcheck, a
// Kubernetes exec probe): it opens a connection to the service's first port
// on loopback, reads the greeting of a TCP port or asks the health path of
// an HTTP one, and returns nil when the service answered.
func Healthy(m *topology.Model, service string, getenv func(string) string) error {
	svc, ok := m.Service(service)
	if !ok {
		return fmt.Errorf("%q is not a service of app %s", service, m.Name)
	}
	if svc.Worker() {
		return fmt.Errorf("%s listens on no port", svc.Name)
	}
	p := svc.Ports[0]
	port, err := listenPort(svc, p, getenv)
	if err != nil {
		return err
	}
	l := topology.Link{Env: "port " + p.Name, To: svc.Name, Form: topology.FormHostPort, ResolvedBy: topology.ResolvedByService}
	own := func(string) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
	if p.Protocol == topology.ProtocolHTTP {
		l.Form, l.Scheme = topology.FormURL, "http"
		own = func(string) string { return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	_, err = reach(ctx, m, l, own, &http.Client{Timeout: 3 * time.Second})
	return err
}

// serveApp runs every listener of a service: the HTTP stand-in (App) on its
// first HTTP port, a greeting on each TCP port. It returns the first
// listener's error.
func serveApp(m *topology.Model, svc *topology.Service, getenv func(string) string) error {
	errc := make(chan error, len(svc.Ports))
	var starts int
	var counted bool
	httpDone := false
	for _, p := range svc.Ports {
		port, err := listenPort(svc, p, getenv)
		if err != nil {
			return err
		}
		if p.Protocol == topology.ProtocolHTTP && !httpDone {
			h, hp, err := App(AppConfig{Model: m, Service: svc.Name, Getenv: getenv})
			if err != nil {
				return err
			}
			if hp != strconv.Itoa(port) {
				return fmt.Errorf("%s: HTTP port %s is not port %s's %d", svc.Name, hp, p.Name, port)
			}
			ln, err := net.Listen("tcp", ":"+hp)
			if err != nil {
				return fmt.Errorf("%s: %w", svc.Name, err)
			}
			httpDone = true
			srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
			go func() { errc <- srv.Serve(ln) }()
			continue
		}
		if !counted {
			if starts, err = countStart(svc); err != nil {
				return err
			}
			counted = true
		}
		ln, err := net.Listen("tcp", ":"+strconv.Itoa(port))
		if err != nil {
			return fmt.Errorf("%s: %w", svc.Name, err)
		}
		log.Printf("stand-in %s: port %s (%d, tcp): start %d", svc.Name, p.Name, port, starts)
		go func() { errc <- serveTCP(ln, Greeting(svc.Name, p.Name, starts)) }()
	}
	return <-errc
}

// Reach uses the link of service whose variable is env once, as the
// service's own process would (an HTTP GET of the linked service's health
// path for a URL, the greeting of a TCP port otherwise), and says what
// answered. The node tests run it inside a pod (`standin link ENV`).
func Reach(ctx context.Context, m *topology.Model, service, env string, getenv func(string) string) (string, error) {
	svc, ok := m.Service(service)
	if !ok {
		return "", fmt.Errorf("%q is not a service of app %s", service, m.Name)
	}
	for _, l := range serviceLinks(svc) {
		if l.Env == env {
			return reach(ctx, m, l, getenv, &http.Client{Timeout: 5 * time.Second})
		}
	}
	return "", fmt.Errorf("service %s has no link that another service answers in $%s", service, env)
}
