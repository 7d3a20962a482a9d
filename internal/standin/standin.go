// Package standin provides stand-in services for tests: processes that
// behave, on the wire, like the services a spec describes.
//
// Two kinds: faithful stand-ins for the three services of the built-in
// example app (Web, API, Crawler; Main runs one by role), which follow the
// service contract in SYNERGYCHAT.md to the detail (the same environment
// variables, routes, status codes, content types, the line web prepends to
// app.js, open CORS, and the api's slash command that calls the crawler);
// and a generic stand-in for any service of any app (App; MainApp runs
// one), driven by the spec alone: its health path, the frontend's page and
// exposed links, and its declared checks, which fail when a via link is
// wired wrong; a TCP port greets each connection with a line that counts
// the service's starts on its storage; a worker uses its links for ever, a
// job once (tcp.go).
//
// Tests serve them with httptest, the e2e tests run them as processes
// inside network namespaces, and e2e/docker runs them as FROM-scratch
// images (cmd/standin, which is also the service's health command).
package standin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Roles that Main accepts, one per SynergyChat service.
const (
	RoleWeb     = "web"
	RoleAPI     = "api"
	RoleCrawler = "crawler"
)

// Roles lists the roles Main accepts.
func Roles() []string { return []string{RoleWeb, RoleAPI, RoleCrawler} }

// RoleOf is the role of the built-in app's service called name, whose image
// repository's last element is base: by name, or by an image named as the
// real ones are (bootdotdev/synergychat-api); "" for any other service.
func RoleOf(name, base string) string {
	for _, r := range Roles() {
		if name == r || base == r || strings.HasSuffix(base, "-"+r) {
			return r
		}
	}
	return ""
}

// IndexHTML is the chat page the web stand-in serves on / and /index.html.
const IndexHTML = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>SynergyChat</title>
</head>
<body>
  <div id="messages"></div>
  <form id="send"><input id="username"><input id="text"><button>Send</button></form>
  <script src="app.js"></script>
</body>
</html>
`

// appJS is the script the web stand-in serves after the apiUrl line; like the
// real one it calls ${apiUrl}/messages from the browser.
const appJS = `async function loadMessages() {
  const resp = await window.fetch(` + "`${apiUrl}/messages`" + `);
  return resp.json();
}
async function sendMessage(author, text) {
  await window.fetch(` + "`${apiUrl}/messages`" + `, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ AuthorUsername: author, Text: text }),
  });
}
setInterval(loadMessages, 3000);
`

// Web returns the web service's handler. apiURL is the value of API_URL
// (empty when unset: the page still loads but cannot reach the api).
//
// Like the real service it leaves Content-Type to net/http's sniffing, so the
// page goes out as text/html; charset=utf-8 and app.js as
// text/plain; charset=utf-8.
func Web(apiURL string) http.Handler {
	script := "const apiUrl = '" + apiURL + "';\n" + appJS
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		switch r.URL.Path {
		case "/", "/index.html":
			_, _ = w.Write([]byte(IndexHTML))
		case "/app.js":
			_, _ = w.Write([]byte(script))
		default:
			http.NotFound(w, r)
		}
	})
}

// Message is one chat message as the api stores and returns it.
type Message struct {
	AuthorUsername string
	Text           string
}

// Stat is one row of the crawler's /stats answer.
type Stat struct {
	Keyword   string
	BookTitle string
	Count     int
}

// CrawlerBot is the author of the api's replies to slash commands.
const CrawlerBot = "crawler-bot"

// APIConfig configures the api stand-in.
type APIConfig struct {
	// CrawlerBaseURL is CRAWLER_BASE_URL; empty means the crawler worker is
	// not configured.
	CrawlerBaseURL string
	// Client calls the crawler; nil means a client with a 5s timeout.
	Client *http.Client
	// Exit is called with status 1 when a message contains darn, heck or
	// fetch, as the real api exits on them. Nil means os.Exit.
	Exit func(code int)
	// DBPath is API_DB_FILEPATH: the file that keeps the messages across
	// restarts, as the real api's JSON database does. Empty means in memory.
	DBPath string
}

// API returns the api service's handler with an in-memory message store.
// It panics when cfg.DBPath is set and cannot be read; use OpenAPI then.
func API(cfg APIConfig) http.Handler {
	h, err := OpenAPI(cfg)
	if err != nil {
		panic(err)
	}
	return h
}

// OpenAPI returns the api service's handler. With cfg.DBPath it starts from
// the messages stored there (none when the file does not exist yet) and
// rewrites the file after every change, before answering, so a message the
// api acknowledged survives the process dying right after.
func OpenAPI(cfg APIConfig) (http.Handler, error) {
	if cfg.Client == nil {
		cfg.Client = &http.Client{Timeout: 5 * time.Second}
	}
	if cfg.Exit == nil {
		cfg.Exit = os.Exit
	}
	a := &api{cfg: cfg, messages: []Message{}}
	if cfg.DBPath != "" {
		data, err := os.ReadFile(cfg.DBPath)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return nil, fmt.Errorf("api database: %w", err)
		default:
			if err := json.Unmarshal(data, &a.messages); err != nil {
				return nil, fmt.Errorf("api database %s: %w", cfg.DBPath, err)
			}
		}
	}
	// Routes match the raw path exactly, as the real api's router does: no
	// cleaning redirects (net/http's ServeMux would turn //messages into a 301).
	return cors(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/healthz" && r.Method == http.MethodGet:
			writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		case r.URL.Path == "/messages" && r.Method == http.MethodGet:
			a.list(w, r)
		case r.URL.Path == "/messages" && r.Method == http.MethodPost:
			a.post(w, r)
		case r.URL.Path == "/messages" || r.URL.Path == "/healthz":
			http.Error(w, http.StatusText(http.StatusMethodNotAllowed), http.StatusMethodNotAllowed)
		default:
			http.NotFound(w, r)
		}
	})), nil
}

type api struct {
	cfg      APIConfig
	mu       sync.Mutex
	messages []Message
}

// banned are the words that make the real api exit.
var banned = regexp.MustCompile(`(?i)\b(darn|heck|fetch)\b`)

func (a *api) list(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	writeJSON(w, http.StatusOK, a.messages)
}

func (a *api) post(w http.ResponseWriter, r *http.Request) {
	var m Message
	if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "Couldn't decode parameters"})
		return
	}
	if banned.MatchString(m.Text) {
		a.cfg.Exit(1)
		return
	}
	if err := a.add(m); err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "Couldn't save message: " + err.Error()})
		return
	}
	if strings.HasPrefix(m.Text, "/stats") {
		reply, err := a.stats(r.Context(), m.Text)
		if err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "Error handling slash command: " + err.Error()})
			return
		}
		if err := a.add(Message{AuthorUsername: CrawlerBot, Text: reply}); err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "Couldn't save message: " + err.Error()})
			return
		}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	writeJSON(w, http.StatusCreated, a.messages)
}

// add stores m, and writes the database file when there is one.
func (a *api) add(m Message) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.messages = append(a.messages, m)
	if a.cfg.DBPath == "" {
		return nil
	}
	data, err := json.Marshal(a.messages)
	if err != nil {
		return err
	}
	// Write a sibling file and rename it over the database, so a crash
	// mid-write leaves the previous messages, never a truncated file.
	tmp := a.cfg.DBPath + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, a.cfg.DBPath)
}

// stats runs the /stats slash command and returns the crawler-bot's reply.
func (a *api) stats(ctx context.Context, text string) (string, error) {
	if a.cfg.CrawlerBaseURL == "" {
		return "Crawler worker not configured", nil
	}
	url := a.cfg.CrawlerBaseURL + "/stats"
	if q := strings.TrimSpace(strings.TrimPrefix(text, "/stats")); q != "" {
		url += "?" + strings.TrimPrefix(q, "?")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "", err
	}
	resp, err := a.cfg.Client.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %q: crawler answered %s", url, resp.Status)
	}
	var stats []Stat
	if err := json.NewDecoder(resp.Body).Decode(&stats); err != nil {
		return "", fmt.Errorf("GET %q: decoding crawler stats: %w", url, err)
	}
	n := 0
	for _, s := range stats {
		n += s.Count
	}
	return fmt.Sprintf("Beep boop! I have found %d matches so far from %s", n, url), nil
}

// Crawler returns the crawler service's handler. It never crawls: /stats
// answers stats as given (an empty array when nil), as the real crawler does
// before it has crawled anything.
func Crawler(keywords []string, stats []Stat) http.Handler {
	if stats == nil {
		stats = []Stat{}
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/healthz" && r.Method == http.MethodGet:
			writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		case r.URL.Path == "/stats" && r.Method == http.MethodGet:
			want := keywords
			if k := r.URL.Query().Get("keywords"); k != "" {
				want = strings.Split(k, ",")
			}
			title := r.URL.Query().Get("title")
			out := []Stat{}
			for _, s := range stats {
				if contains(want, s.Keyword) && (title == "" || s.BookTitle == title) {
					out = append(out, s)
				}
			}
			writeJSON(w, http.StatusOK, out)
		default:
			http.NotFound(w, r)
		}
	})
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// cors opens the api to any http or https origin and answers preflights.
func cors(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		origin := r.Header.Get("Origin")
		if strings.HasPrefix(origin, "http://") || strings.HasPrefix(origin, "https://") {
			h := w.Header()
			h.Set("Access-Control-Allow-Origin", origin)
			h.Add("Vary", "Origin")
			if r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != "" {
				h.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
				h.Set("Access-Control-Allow-Headers", "Accept, Authorization, Content-Type, X-CSRF-Token")
				w.WriteHeader(http.StatusOK)
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// Handler builds the handler for role from the service's environment, as the
// real service reads it, and returns the port it listens on.
func Handler(role string, getenv func(string) string) (http.Handler, string, error) {
	switch role {
	case RoleWeb:
		port := getenv("WEB_PORT")
		if port == "" {
			port = "8080"
		}
		return Web(getenv("API_URL")), port, nil
	case RoleAPI:
		port := getenv("API_PORT")
		if port == "" {
			return nil, "", errors.New("API_PORT environment variable is not set")
		}
		h, err := OpenAPI(APIConfig{CrawlerBaseURL: getenv("CRAWLER_BASE_URL"), DBPath: getenv("API_DB_FILEPATH")})
		if err != nil {
			return nil, "", err
		}
		return h, port, nil
	case RoleCrawler:
		port := getenv("CRAWLER_PORT")
		if port == "" {
			return nil, "", errors.New("CRAWLER_PORT environment variable is not set")
		}
		kw := getenv("CRAWLER_KEYWORDS")
		if kw == "" {
			return nil, "", errors.New("CRAWLER_KEYWORDS environment variable is not set")
		}
		return Crawler(strings.Split(kw, ","), nil), port, nil
	}
	return nil, "", fmt.Errorf("unknown stand-in role %q: choose one of web, api, crawler", role)
}

// Main serves role on all interfaces at the port from its environment until
// the process is killed. It returns only on error.
func Main(role string, getenv func(string) string) error {
	h, port, err := Handler(role, getenv)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", ":"+port)
	if err != nil {
		return fmt.Errorf("%s: %w", role, err)
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(ln)
}
