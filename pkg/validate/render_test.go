package validate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synctl/synctl/internal/bundletest"
	"github.com/synctl/synctl/pkg/target"
)

// Every bundle synctl renders, of every app, is accepted by its real
// consumers.
func TestRenderedBundlesValidate(t *testing.T) {
	plans := map[string]*target.Plan{"builtin": bundletest.Plan(t)}
	for _, app := range []string{"shop", "transit", "voting"} {
		plans[app] = bundletest.Load(t, "../../testdata/apps/"+app+".yaml", target.Overrides{})
	}
	// An app of validate's own: an api routed on the first of two ports
	// (the route reaches only that one), a host link, a mounted secret.
	plans["notes"] = bundletest.Load(t, "testdata/apps/notes.yaml", target.Overrides{})
	for app, p := range plans {
		for _, tg := range target.All() {
			t.Run(app+"/"+tg.Name(), func(t *testing.T) {
				validateClean(t, bundletest.Write(t, bundletest.Render(t, p, tg.Name(), "", target.Overrides{})))
			})
		}
	}
}

func validateClean(t *testing.T, dir string) {
	t.Helper()
	r, err := Paths([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range r.Problems {
		t.Errorf("%s", p)
	}
	// A kind validate does not know is neither passed nor failed: every
	// kind synctl renders must be one it checks.
	for _, u := range r.Unchecked {
		t.Errorf("rendered, but validate does not check it: %s", u)
	}
	if len(r.Files) == 0 {
		t.Error("no file was recognised")
	}
	for _, s := range r.Skipped {
		t.Logf("%s", s)
	}
}

func TestNginx(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("nginx -t runs in a private mount namespace, which needs root (CI runs as root)")
	}
	if _, err := os.Stat("/usr/sbin/nginx"); err != nil {
		t.Skip("nginx is not installed (apt-get install nginx-light)")
	}
	tests := []struct {
		name string
		edit func(string) string
		want string // "" = clean
	}{
		{name: "rendered", edit: func(s string) string { return s }},
		{
			name: "misspelled directive",
			edit: func(s string) string { return strings.Replace(s, "ssl_certificate ", "ssl_certificat ", 1) },
			want: `nginx -t: unknown directive "ssl_certificat"`,
		},
		{
			// A missing ';' is a syntax error, reported as nginx says it,
			// and nothing about upstreams or routes is made of the file.
			name: "missing semicolon",
			edit: func(s string) string {
				return strings.Replace(s, "proxy_pass $synergychat_api;", "proxy_pass $synergychat_api", 1)
			},
			want: `nginx -t: unexpected "}"`,
		},
		{
			name: "certificate not mounted",
			edit: func(s string) string {
				return strings.Replace(s, "/etc/nginx/certs/tls.crt", "/etc/nginx/certs/public.crt", 1)
			},
			want: `nginx -t: cannot load certificate "/etc/nginx/certs/public.crt"`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := bundletest.Write(t, bundletest.Default(t, "nginx"))
			conf := filepath.Join(dir, "nginx.conf")
			b, err := os.ReadFile(conf)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(conf, []byte(tt.edit(string(b))), 0o644); err != nil {
				t.Fatal(err)
			}
			r, err := Paths([]string{dir}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Skipped) > 0 {
				t.Fatalf("nginx -t did not run: %s", r.Skipped[0])
			}
			if tt.want == "" {
				for _, p := range r.Problems {
					t.Errorf("%s", p)
				}
				return
			}
			if len(r.Problems) != 1 || r.Problems[0].File != conf || !strings.HasPrefix(r.Problems[0].Message, tt.want) {
				t.Fatalf("problems = %q, want one in %s starting %q", r.Problems, conf, tt.want)
			}
		})
	}
}

func TestNginxSkipped(t *testing.T) {
	dir := bundletest.Write(t, bundletest.Default(t, "nginx"))
	r, err := Paths([]string{dir}, Options{SkipNginx: true})
	if err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "nginx.conf") + ": skipped nginx -t: turned off"
	if len(r.Skipped) != 1 || r.Skipped[0].String() != want {
		t.Fatalf("skipped = %q, want [%q]", r.Skipped, want)
	}
}

func TestUnreadablePath(t *testing.T) {
	_, err := Paths([]string{"no/such/dir"}, Options{})
	want := "cannot read no/such/dir: no such file or directory"
	if _, ok := err.(*InputError); !ok || err.Error() != want {
		t.Fatalf("err = %v, want InputError %q", err, want)
	}
}
