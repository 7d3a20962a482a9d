package target

import (
	"regexp"
	"testing"
)

// controllerRe is the expression isControllerName replaces.
var controllerRe = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/[A-Za-z0-9/\-._~%!$&'()*+,;=:]+$`)

var controllerSeeds = []string{
	"", "/", "a/", "/x", "a/b", "gateway.envoyproxy.io/gatewayclass-controller", "traefik.io/gateway-controller",
	"example.com/a/b/c", "Example.com/x", "-a.com/x", "a-.com/x", "a..com/x", ".a/x", "a./x", "a.b-c.d/x",
	"a/b c", "a/b?c", "a/%41!$&'()*+,;=:~._-/Z", "a/b\"", "a/b#", "a/b@", "a:80/x", "a_b/x",
}

func TestControllerName(t *testing.T) {
	for _, s := range controllerSeeds {
		if got, want := isControllerName(s), controllerRe.MatchString(s); got != want {
			t.Errorf("isControllerName(%q) = %v; the expression says %v", s, got, want)
		}
	}
}

func FuzzControllerName(f *testing.F) {
	for _, s := range controllerSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := isControllerName(s), controllerRe.MatchString(s); got != want {
			t.Errorf("isControllerName(%q) = %v; the expression says %v", s, got, want)
		}
	})
}
