package topology

import (
	"regexp"
	"strings"
	"testing"
)

// nameForms pairs each name matcher with the regular expression it
// replaces: they must agree on every string.
var nameForms = []struct {
	name  string
	match func(string) bool
	re    *regexp.Regexp
}{
	{"dns1123Label", IsDNS1123Label, regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)},
	{"dns1035Label", isDNS1035Label, regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)},
	{"envName", IsEnvName, regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)},
	{"urlPath", IsURLPath, regexp.MustCompile(`^/[A-Za-z0-9._~/-]*$`)},
	{"method", isMethod, regexp.MustCompile(`^[A-Z]+$`)},
	{"scheme", IsScheme, regexp.MustCompile(`^[a-z][a-z0-9+.-]*$`)},
	{"user", IsURLUser, regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)},
	{"imageRef", isImageRef, regexp.MustCompile(`^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$`)},
}

var digest = "@sha256:" + strings.Repeat("0123456789abcdef", 4)

var nameSeeds = []string{
	"", "a", "A", "0", "-", "_", ".", "/", "a-", "-a", "a-b", "a--b", "0a", "a0", "web", "Web", "w_b",
	"EntryURL", "_X", "9X", "GET", "get", "G1", "http", "h2c", "svc+tls", "1http", "user.name~x",
	"/", "/api/", "/a b", "/a?b", "//", "/.well-known/x", "api/",
	"nginx", "nginx:1.27", "nginx:1.27-alpine", "nginx:", "nginx:.x", "nginx:-x", "nginx:_x",
	"library/nginx:latest", "registry.example/team/web:1.2", "localhost:5000/app:dev",
	"localhost:5000/app", "Registry.Example/web", "registry.example/Web", "a.b", "a..b", "a__b", "a___b",
	"a._b", "a-.b", "a---b", "a/b/c", "a//b", "/a", "a/", ":5000/a", "h:/a", "h:x/a", "a:b/c:d",
	"web" + digest, "web:1" + digest, "web@sha256:abc", "web" + strings.ToUpper(digest), "web" + digest + "@x",
	"web:" + strings.Repeat("t", 128), "web:" + strings.Repeat("t", 129), "ghcr.io/o/r/s:v1.0.0",
	"host-1.example.com:443/a.b/c_d/e--f:t", "a@b", "@sha256:",
}

func TestNameForms(t *testing.T) {
	for _, f := range nameForms {
		for _, s := range nameSeeds {
			if got, want := f.match(s), f.re.MatchString(s); got != want {
				t.Errorf("%s(%q) = %v; the expression says %v", f.name, s, got, want)
			}
		}
	}
}

// FuzzNameForms runs each matcher against its expression on any string.
func FuzzNameForms(f *testing.F) {
	for _, s := range nameSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, form := range nameForms {
			if got, want := form.match(s), form.re.MatchString(s); got != want {
				t.Errorf("%s(%q) = %v; the expression says %v", form.name, s, got, want)
			}
		}
	})
}
