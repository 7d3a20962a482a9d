package main

import (
	"bytes"
	"net"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/synctl/synctl/internal/standin"
)

func TestVerifyCmd(t *testing.T) {
	crawler := httptest.NewServer(standin.Crawler([]string{"love"}, nil))
	defer crawler.Close()
	api := httptest.NewServer(standin.API(standin.APIConfig{CrawlerBaseURL: crawler.URL}))
	defer api.Close()
	web := httptest.NewServer(standin.Web(api.URL))
	defer web.Close()
	unconfigured := httptest.NewServer(standin.API(standin.APIConfig{}))
	defer unconfigured.Close()
	webNoCrawler := httptest.NewServer(standin.Web(unconfigured.URL))
	defer webNoCrawler.Close()
	tlsWeb := httptest.NewTLSServer(standin.Web(api.URL))
	defer tlsWeb.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := "http://" + ln.Addr().String()
	ln.Close()

	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  []string // lines that must appear on stdout
		wantErr  string   // exact stderr
	}{
		{name: "wired", args: []string{"verify", web.URL}, wantCode: 0, wantOut: []string{
			"ok    page      GET " + web.URL + ": 200 OK (text/html; charset=utf-8)",
			"ok    stats     POST " + api.URL + "/messages /stats: 201 Created, crawler-bot: Beep boop! I have found 0 matches so far from " + crawler.URL + "/stats",
			web.URL + " is wired: the page, app.js, the api and the crawler all answer as a browser needs",
		}},
		{name: "crawler unset", args: []string{"verify", webNoCrawler.URL}, wantCode: 1, wantOut: []string{
			"FAIL  stats     POST " + unconfigured.URL + "/messages /stats: 201 Created",
			"      at fault: CRAWLER_BASE_URL on api",
			webNoCrawler.URL + " is not wired: hop stats failed (crawler-unset)",
		}},
		{name: "nothing listening", args: []string{"verify", dead, "--timeout", "2s"}, wantCode: 1, wantOut: []string{
			"skip  app.js    not reached: hop page failed",
		}},
		{name: "self-signed without --insecure", args: []string{"verify", tlsWeb.URL}, wantCode: 1, wantOut: []string{
			tlsWeb.URL + " is not wired: hop page failed (tls)",
		}},
		{name: "self-signed with --insecure", args: []string{"verify", "--insecure", tlsWeb.URL}, wantCode: 0},
		{name: "no url", args: []string{"verify"}, wantCode: 2,
			wantErr: "synctl: verify takes exactly one CHAT_URL, got 0 arguments\nRun 'synctl verify --help' for usage.\n"},
		{name: "two urls", args: []string{"verify", "http://a", "http://b"}, wantCode: 2,
			wantErr: "synctl: verify takes exactly one CHAT_URL, got 2 arguments\nRun 'synctl verify --help' for usage.\n"},
		{name: "relative url", args: []string{"verify", "localhost:8080"}, wantCode: 2,
			wantErr: "synctl: CHAT_URL \"localhost:8080\": must be an absolute http or https URL, e.g. http://localhost:8080\n"},
		{name: "bad timeout", args: []string{"verify", "--timeout", "0s", web.URL}, wantCode: 2,
			wantErr: "synctl: --timeout 0s: must be positive, e.g. 10s\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			code := run(tt.args, streams{In: strings.NewReader(""), Out: &out, Err: &errb})
			if code != tt.wantCode {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.wantCode, out.String(), errb.String())
			}
			lines := strings.Split(out.String(), "\n")
			for _, want := range tt.wantOut {
				found := false
				for _, l := range lines {
					found = found || l == want
				}
				if !found {
					t.Errorf("stdout lacks the line %q:\n%s", want, out.String())
				}
			}
			if tt.wantCode != 2 && errb.Len() != 0 {
				t.Errorf("stderr %q, want none", errb.String())
			}
			if tt.wantErr != "" && errb.String() != tt.wantErr {
				t.Errorf("stderr %q, want %q", errb.String(), tt.wantErr)
			}
		})
	}
}
