package verify

import (
	"context"
	"net"
	"net/url"
	"testing"
	"time"
)

func TestCapture(t *testing.T) {
	for _, tt := range []struct {
		text, body, want string
		ok               bool
	}{
		{"const apiUrl = '{url}';", "const apiUrl = '/api/';\nrest", "/api/", true},
		{"const apiUrl = '{url}';", "// x\n  const  apiUrl='http://a:1';", "http://a:1", true},
		{"const apiUrl = '{url}';", "const apiUrl = '';", "", true},
		{`"catalog": "{url}"`, "{\n  \"catalog\":\"http://localhost:9001\"\n}", "http://localhost:9001", true},
		{`window.X = "{url}";`, `window.X = "/t/";`, "/t/", true},
		{"URL={url}", "A=1\nURL=http://x/y z", "http://x/y", true},
		// The value never runs past the line it is on.
		{"const apiUrl = '{url}';", "const apiUrl = '/api/\n';", "", false},
		{"const apiUrl = '{url}';", "const other = '/api/';", "", false},
		// Regexp characters in the text are literal.
		{"a.b(*) = [{url}]", "axb(*) = [u] a.b(*) = [v]", "v", true},
	} {
		got, ok := capture(tt.text, []byte(tt.body))
		if got != tt.want || ok != tt.ok {
			t.Errorf("capture(%q, %q) = %q, %v; want %q, %v", tt.text, tt.body, got, ok, tt.want, tt.ok)
		}
	}
}

// TestAnswerPart: a reply left in a growing list by an earlier run must
// not pass this run's check.
func TestAnswerPart(t *testing.T) {
	sent := `{"AuthorUsername":"probe","Text":"/go"}`
	for _, tt := range []struct {
		answer, want string
		after        bool
	}{
		{`[{"AuthorUsername":"probe","Text":"/go"},{"AuthorUsername":"bot","Text":"done!"}]`, `{"AuthorUsername":"bot","Text":"done!"}`, true},
		// An earlier run's reply, then this run's item with no reply.
		{`[{"AuthorUsername":"probe","Text":"/go"},{"AuthorUsername":"bot","Text":"done!"},{"AuthorUsername":"probe","Text":"/go","ID":7}]`, ``, true},
		// Not a list holding the sent item: the whole answer counts.
		{`{"ok":"done!"}`, `{"ok":"done!"}`, false},
		{`[{"AuthorUsername":"other","Text":"/go"}]`, `[{"AuthorUsername":"other","Text":"/go"}]`, false},
	} {
		part, after := answerPart([]byte(tt.answer), []byte(sent))
		if string(part) != tt.want || after != tt.after {
			t.Errorf("answerPart(%s) = %s, %v; want %s, %v", tt.answer, part, after, tt.want, tt.after)
		}
	}
	if part, after := answerPart([]byte(`[1]`), nil); string(part) != `[1]` || after {
		t.Errorf("without a body sent: %s, %v", part, after)
	}
}

func TestJoin(t *testing.T) {
	for base, want := range map[string]string{
		"https://h/api/":  "https://h/api/healthz",
		"https://h/api":   "https://h/api/healthz",
		"http://h:8081":   "http://h:8081/healthz",
		"http://h:8081/":  "http://h:8081/healthz",
		"http://h/?q=1#f": "http://h/healthz",
	} {
		u, err := url.Parse(base)
		if err != nil {
			t.Fatal(err)
		}
		if got := join(u, "/healthz").String(); got != want {
			t.Errorf("join(%s) = %s, want %s", base, got, want)
		}
	}
}

// TestCalledURL: the URL a service's error quotes, found the same way
// whatever order its JSON fields come in.
func TestCalledURL(t *testing.T) {
	for body, want := range map[string]string{
		`{"error":"Error handling slash command: Get \"http://crawler:8080/stats\": dial tcp: lookup crawler: no such host"}`: "http://crawler:8080/stats",
		`{"z":"then http://z:1/","a":"first http://a:1/x."}`:                                                                  "http://a:1/x",
		`plain: GET "http://h:2/p" answered 404`:                                                                              "http://h:2/p",
		`no address here`:                                                                                                     "",
	} {
		got := ""
		if u := calledURL(bodyText([]byte(body))); u != nil {
			got = u.String()
		}
		if got != want {
			t.Errorf("calledURL(%s) = %q, want %q", body, got, want)
		}
	}
}

// TestLocalhostDialer: a name under .localhost reaches loopback, as in a
// browser, whatever the system resolver says about it.
func TestLocalhostDialer(t *testing.T) {
	ln, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	dial := localhostDialer(&net.Dialer{Timeout: 2 * time.Second})
	for _, host := range []string{"result.localhost", "a.b.LOCALHOST", "result.localhost."} {
		c, err := dial(context.Background(), "tcp", net.JoinHostPort(host, port))
		if err != nil {
			t.Errorf("dialing %s: %v", host, err)
			continue
		}
		c.Close()
	}
}
