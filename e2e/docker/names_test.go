package docker

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/synctl/synctl/internal/bundletest"
	"github.com/synctl/synctl/internal/dockertest"
	"github.com/synctl/synctl/pkg/topology"
)

// What the bundles' names do today. Both are defects worth fixing in
// pkg/render (compose.go); the test pins them so that the fix shows up here
// as a failure telling whoever makes it to flip the constant.
const (
	// All three compose files say `name: synergychat`, so compose treats
	// them as one project: `docker compose down` in deploy/nginx removes the
	// containers deploy/docker started.
	bundlesShareProject = true
	// docker-run.sh names its volumes synergychat-api-data; compose makes
	// synergychat_api-data. Switching between the two ways the README
	// offers loses the api's messages.
	runScriptUsesComposeVolumes = false
)

// TestDefaultNames brings the docker bundle up by its README under the
// project name its compose file gives (no override, as a user runs it) and
// looks at it from the other bundles' directories and from docker-run.sh.
func TestDefaultNames(t *testing.T) {
	e := dockertest.Require(t)
	dirs := map[topology.Target]string{}
	for _, target := range []topology.Target{topology.Docker, topology.DockerNetwork, topology.Nginx} {
		dirs[target] = bundletest.Write(t, target)
		out := e.Must(t, dockertest.Cmd{Dir: dirs[target], Args: []string{"docker", "compose", "config", "--format", "json"}})
		var cfg struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &cfg); err != nil {
			t.Fatalf("%s: docker compose config: %v", target, err)
		}
		t.Logf("FINDING %s: compose project name %q", target, cfg.Name)
	}

	s := &stack{e: e, dir: dirs[topology.Docker], target: topology.Docker, wiring: topology.Wire(bundletest.Model(t), topology.Docker)}
	s.project = "synergychat" // what the file says; only for the label filters
	if left := e.Docker(t, "ps", "-aq", "--filter", "label=com.docker.compose.project="+s.project); left != "" {
		t.Fatalf("the engine already runs compose project %s (%s); this test would adopt it. Remove it with `docker compose -p %s down -v`", s.project, strings.ReplaceAll(left, "\n", " "), s.project)
	}
	e.BuildImages(t, s.dir)
	t.Cleanup(func() {
		// Both directories: once the nginx bundle has joined the project,
		// its network and nginx container are orphans to the docker file.
		for _, target := range []topology.Target{topology.Nginx, topology.Docker} {
			_, err := e.Run(t, dockertest.Cmd{Dir: dirs[target], Args: []string{"docker", "compose", "down", "-v", "--remove-orphans", "--timeout", "5"}})
			if err != nil {
				t.Errorf("docker compose down -v in the %s bundle: %v", target, err)
			}
		}
	})
	e.Must(t, dockertest.Cmd{Dir: s.dir, Args: []string{"sh", "-eu", "-c", bringUpSection(t, s.dir)}})
	s.mustVerify(t, s.wiring.CHATURL, "docker under its own project name")

	for _, other := range []topology.Target{topology.DockerNetwork, topology.Nginx} {
		seen := strings.Fields(e.Must(t, dockertest.Cmd{Dir: dirs[other], Args: []string{"docker", "compose", "ps", "-a", "-q"}}))
		shared := len(seen) > 0
		t.Logf("FINDING: `docker compose ps` in the %s bundle lists %d containers of the running docker bundle", other, len(seen))
		if shared != bundlesShareProject {
			t.Errorf("the %s bundle sees the docker bundle's containers: %v; bundlesShareProject says %v: if compose.go now names each target's project, set it to false", other, shared, bundlesShareProject)
		}
	}

	// The user now brings up the nginx setup from its own directory.
	before := s.containerIDs(t)
	e.Must(t, dockertest.Cmd{Dir: dirs[topology.Nginx], Args: []string{"sh", "-eu", "-c", bringUpSection(t, dirs[topology.Nginx])}})
	after := s.containerIDs(t)
	var replaced []string
	for svc, id := range before {
		if after[svc] != id {
			replaced = append(replaced, svc)
		}
	}
	slices.Sort(replaced)
	rep := runVerify(t, s.wiring.CHATURL)
	t.Logf("FINDING: `docker compose up -d` in the nginx bundle replaced the docker bundle's %v; the docker setup's verify afterwards:\n%s", replaced, reportText(rep))
	if (len(replaced) > 0) != bundlesShareProject {
		t.Errorf("bringing up the nginx bundle replaced the docker bundle's containers %v; bundlesShareProject says %v", replaced, bundlesShareProject)
	}

	var composeVols []string
	for _, v := range strings.Fields(e.Docker(t, "volume", "ls", "-q", "--filter", "label=com.docker.compose.project="+s.project)) {
		composeVols = append(composeVols, v)
	}
	script, err := os.ReadFile(s.dir + "/docker-run.sh")
	if err != nil {
		t.Fatal(err)
	}
	var scriptVols []string
	for _, m := range regexp.MustCompile(`-v '([^':]+):`).FindAllStringSubmatch(string(script), -1) {
		scriptVols = append(scriptVols, m[1])
	}
	slices.Sort(composeVols)
	slices.Sort(scriptVols)
	same := slices.Equal(composeVols, scriptVols)
	t.Logf("FINDING docker: compose made volumes %v; docker-run.sh uses %v", composeVols, scriptVols)
	if len(composeVols) == 0 || len(scriptVols) == 0 {
		t.Fatalf("no volumes to compare (compose %v, docker-run.sh %v)", composeVols, scriptVols)
	}
	if same != runScriptUsesComposeVolumes {
		t.Errorf("docker-run.sh and compose.yaml share volumes: %v; runScriptUsesComposeVolumes says %v: flip it if the names now agree", same, runScriptUsesComposeVolumes)
	}
}
