package standin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"mime"
	"net"
	"net/http"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/synctl/synctl/pkg/topology"
)

// AppConfig chooses one service of any app for the generic stand-in.
type AppConfig struct {
	Model   *topology.Model
	Service string
	// Getenv reads the service's environment, as the real service would
	// (os.Getenv in a process).
	Getenv func(string) string
	// Client makes the calls a check's via link needs; nil means a client
	// with a 5s timeout.
	Client *http.Client
}

// App returns the generic stand-in for one service of an app, driven by its
// spec, and the port it listens on: the value of the service's portEnv when
// set, else the model's port. It serves:
//
//   - the service's health path: 200;
//   - for the frontend, "/" (and /index.html) as an HTML page, and every
//     resource where one of its browser links is exposed (exposedAt.path),
//     with the link's URL, read from its env var, written into
//     exposedAt.text;
//   - every declared check of the service, answered with its status and a
//     body that satisfies its contains and json; a check with via first
//     calls that link's URL (from its env var) plus the linked service's
//     health path, and answers 502 with the error, naming the URL it
//     called, when that fails, so that a wrong wiring really fails.
//
// Every answer allows any origin (CORS), and preflights are answered. Any
// other request gets 404.
func App(cfg AppConfig) (http.Handler, string, error) {
	m := cfg.Model
	svc, ok := m.Service(cfg.Service)
	if !ok {
		return nil, "", fmt.Errorf("stand-in: %q is not a service of app %s; choose one of %s", cfg.Service, m.Name, strings.Join(m.ServiceNames(), ", "))
	}
	port := strconv.Itoa(svc.Port)
	if svc.PortEnv != "" {
		if v := cfg.Getenv(svc.PortEnv); v != "" {
			if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 65535 {
				return nil, "", fmt.Errorf("%s: %s=%q is not a port (1-65535)", svc.Name, svc.PortEnv, v)
			}
			port = v
		}
	}
	a := &app{m: m, svc: svc, getenv: cfg.Getenv, client: cfg.Client, resources: map[string]resource{}}
	if a.client == nil {
		a.client = &http.Client{Timeout: 5 * time.Second}
	}
	if svc.Role == topology.RoleFrontend {
		a.page = []byte(pageHTML(m, svc))
	}
	a.exposeLinks()
	for i, c := range svc.Checks {
		body, ctype, err := checkBody(c)
		if err != nil {
			return nil, "", fmt.Errorf("%s: checks[%d] (%s): %w", svc.Name, i, c.Name, err)
		}
		a.checks = append(a.checks, answer{check: c, body: body, contentType: ctype})
	}
	return a, port, nil
}

// MainApp serves service of the app whose spec is at specPath on all
// interfaces until the process is killed. It returns only on error.
func MainApp(specPath, service string, getenv func(string) string) error {
	data, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	m, err := topology.Decode(specPath, data)
	if err != nil {
		return err
	}
	h, port, err := App(AppConfig{Model: m, Service: service, Getenv: getenv})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return fmt.Errorf("%s: %w", service, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}

type app struct {
	m         *topology.Model
	svc       *topology.Service
	getenv    func(string) string
	client    *http.Client
	page      []byte
	resources map[string]resource
	checks    []answer
}

type resource struct {
	body        []byte
	contentType string
}

type answer struct {
	check       topology.Check
	body        []byte
	contentType string
}

// exposeLinks builds the resources where the service shows its browser
// links, from their env vars. Links exposed at one path share the resource,
// one text per line; a .json resource whose texts are members becomes one
// JSON object, as a frontend's config file would be.
func (a *app) exposeLinks() {
	texts := map[string][]string{}
	var paths []string
	for _, l := range a.svc.Links {
		if l.ExposedAt == nil {
			continue
		}
		p := l.ExposedAt.Path
		if _, ok := texts[p]; !ok {
			paths = append(paths, p)
		}
		texts[p] = append(texts[p], strings.Replace(l.ExposedAt.Text, topology.URLMarker, a.getenv(l.Env), 1))
	}
	for _, p := range paths {
		ctype := mime.TypeByExtension(path.Ext(p))
		if ctype == "" {
			ctype = "text/plain; charset=utf-8"
		}
		body := []byte(strings.Join(texts[p], "\n") + "\n")
		if obj := []byte("{\n  " + strings.Join(texts[p], ",\n  ") + "\n}\n"); path.Ext(p) == ".json" && json.Valid(obj) {
			body = obj
		}
		a.resources[p] = resource{body: body, contentType: ctype}
	}
}

func pageHTML(m *topology.Model, fe *topology.Service) string {
	var scripts strings.Builder
	for _, l := range fe.Links {
		if l.ExposedAt != nil && path.Ext(l.ExposedAt.Path) == ".js" {
			fmt.Fprintf(&scripts, "  <script src=\"%s\"></script>\n", html.EscapeString(l.ExposedAt.Path))
		}
	}
	return fmt.Sprintf("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  <title>%s</title>\n</head>\n<body>\n  <p>%s, a stand-in for %s's frontend.</p>\n%s</body>\n</html>\n",
		html.EscapeString(m.Name), html.EscapeString(fe.Name), html.EscapeString(m.Name), scripts.String())
}

// checkBody is the answer to c: a body holding c.Contains, valid JSON when
// c.JSON asks for it.
func checkBody(c topology.Check) ([]byte, string, error) {
	if !c.JSON {
		return []byte(fmt.Sprintf("check %s: %s\n", c.Name, c.Contains)), "text/plain; charset=utf-8", nil
	}
	var enc bytes.Buffer
	e := json.NewEncoder(&enc)
	e.SetEscapeHTML(false)
	_ = e.Encode(map[string]string{"check": c.Name, "result": c.Contains})
	// The encoded string escapes quotes and backslashes; where contains
	// holds them, it may itself be JSON, or JSON members.
	for _, body := range [][]byte{enc.Bytes(), []byte(c.Contains), []byte("{" + c.Contains + "}")} {
		if json.Valid(body) && bytes.Contains(body, []byte(c.Contains)) {
			return body, "application/json", nil
		}
	}
	return nil, "", fmt.Errorf("no JSON answer can contain %q literally; change contains or json", c.Contains)
}

func (a *app) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Access-Control-Allow-Origin", "*")
	if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
		h.Set("Access-Control-Allow-Methods", r.Header.Get("Access-Control-Request-Method"))
		if rh := r.Header.Get("Access-Control-Request-Headers"); rh != "" {
			h.Set("Access-Control-Allow-Headers", rh)
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	p := r.URL.Path
	for _, c := range a.checks {
		if c.check.Path == p && c.check.Method == r.Method {
			a.answer(w, r, c)
			return
		}
	}
	get := r.Method == http.MethodGet || r.Method == http.MethodHead
	isPage := a.page != nil && (p == "/" || p == "/index.html")
	res, isResource := a.resources[p]
	switch {
	case get && isPage:
		write(w, http.StatusOK, "text/html; charset=utf-8", a.page)
	case get && isResource:
		write(w, http.StatusOK, res.contentType, res.body)
	case get && p == a.svc.HealthPath:
		write(w, http.StatusOK, "application/json", []byte(`{"status":"ok"}`+"\n"))
	case isPage || isResource || p == a.svc.HealthPath || slices.ContainsFunc(a.checks, func(c answer) bool { return c.check.Path == p }):
		http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
	default:
		http.NotFound(w, r)
	}
}

// answer answers a declared check; with via, only when the link works.
func (a *app) answer(w http.ResponseWriter, r *http.Request, c answer) {
	if c.check.Via != "" {
		if err := a.callVia(r, c.check.Via); err != nil {
			write(w, http.StatusBadGateway, "text/plain; charset=utf-8", []byte(fmt.Sprintf("%s: check %s: %v\n", a.svc.Name, c.check.Name, err)))
			return
		}
	}
	_, _ = io.Copy(io.Discard, r.Body)
	write(w, c.check.Status, c.contentType, c.body)
}

// callVia asks the linked service's health path at the URL the service was
// given in env, as the real service would call it to answer.
func (a *app) callVia(r *http.Request, env string) error {
	base := a.getenv(env)
	if base == "" {
		return fmt.Errorf("%s is not set", env)
	}
	var to *topology.Service
	for _, l := range a.svc.Links {
		if l.Env == env {
			to, _ = a.m.Service(l.To)
		}
	}
	if to == nil {
		return fmt.Errorf("%s is no link of %s", env, a.svc.Name)
	}
	u := strings.TrimSuffix(base, "/") + to.HealthPath
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, u, nil)
	if err != nil {
		return fmt.Errorf("calling %s: %w", env, err)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return fmt.Errorf("calling %s: %w", env, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("calling %s: GET %q answered %s", env, u, resp.Status)
	}
	return nil
}

func write(w http.ResponseWriter, code int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(code)
	_, _ = w.Write(body)
}
