package standin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"log"
	"mime"
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
//     uses that link as the service would (an http(s) URL: GET it plus
//     the linked service's health path; any other form or scheme: connect
//     to the host and port it spells, from its env vars, and read the TCP
//     stand-in's greeting), and answers 502 with the error, naming the
//     address it used, when that fails, so that a wrong wiring really fails.
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

// MainApp runs service of the app whose spec is at specPath, as the real
// service would run: a service with ports serves each of them on all
// interfaces (HTTP as App does, TCP with a greeting line) until the process
// is killed; a worker uses its links every few seconds, for ever; a job uses
// each link once. It returns on error, and for a job, nil when every link
// answered.
func MainApp(specPath, service string, getenv func(string) string) error {
	data, err := os.ReadFile(specPath)
	if err != nil {
		return err
	}
	m, err := topology.Decode(specPath, data)
	if err != nil {
		return err
	}
	svc, ok := m.Service(service)
	if !ok {
		return fmt.Errorf("stand-in: %q is not a service of app %s; choose one of %s", service, m.Name, strings.Join(m.ServiceNames(), ", "))
	}
	switch {
	case svc.Job:
		return RunJob(context.Background(), m, svc, getenv, log.Printf)
	case svc.Worker():
		RunWorker(context.Background(), m, svc, getenv, 2*time.Second, log.Printf)
		return nil
	}
	return serveApp(m, svc, getenv)
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

// callVia uses the link in env as the service would to answer: GET the
// linked service's health path at an http(s) URL, or open a connection to
// the host and port the link's form spells (a database, a cache) and read
// the stand-in's greeting.
func (a *app) callVia(r *http.Request, env string) error {
	for _, l := range a.svc.Links {
		if l.Env == env {
			_, err := reach(r.Context(), a.m, l, a.getenv, a.client)
			return err
		}
	}
	return fmt.Errorf("%s is no link of %s", env, a.svc.Name)
}

func write(w http.ResponseWriter, code int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(code)
	_, _ = w.Write(body)
}
