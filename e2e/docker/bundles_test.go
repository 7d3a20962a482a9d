package docker

import (
	"strings"
	"testing"

	"github.com/synctl/synctl/internal/dockertest"
)

// TestBundlesComeUp brings each docker-family bundle up by its README, as
// compose and (where the bundle has one) as docker-run.sh, and requires the
// browser's whole path to work against the published ports.
func TestBundlesComeUp(t *testing.T) {
	e := dockertest.Require(t)
	t.Logf("engine %s at %q, compose %s", e.ServerVersion, e.Host, e.ComposeVersion)
	e.LogSetupTimings(t)
	for _, tt := range []struct {
		target string
		script bool
	}{
		{"docker", false},
		{"docker", true},
		{"docker-network", false},
		{"docker-network", true},
		{"nginx", false},
	} {
		how := "compose"
		if tt.script {
			how = "docker-run.sh"
		}
		t.Run(tt.target+"/"+how, func(t *testing.T) {
			var s *stack
			if tt.script {
				s = scriptUp(t, e, tt.target)
			} else {
				s = composeUp(t, e, tt.target)
			}
			d := s.mustVerify(t, s.wiring.EntryURL, tt.target+" "+how)
			t.Logf("TIMING %s %s: verify passed %v after the bring-up returned", tt.target, how, d)
			if tt.target == "nginx" {
				// Port 80 redirects to the TLS entry point.
				s.mustVerify(t, "http://localhost", "nginx http redirect")
			}
			if tt.target == "docker" && !tt.script {
				// compose.yaml writes extra_hosts as host.docker.internal=host-gateway;
				// the engine must have been handed the mapping the api needs.
				hosts := s.inspect(t, s.container(t, "api"), "{{json .HostConfig.ExtraHosts}}")
				if !strings.Contains(hosts, "host.docker.internal:host-gateway") {
					t.Errorf("api's ExtraHosts = %s, want host.docker.internal:host-gateway", hosts)
				}
				t.Logf("FINDING docker: compose.yaml's extra_hosts entry reached the engine as %s", hosts)
			}
		})
	}
}
