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
)

// What the bundles' names do. Each compose target names its own project
// (<app>-<target>), so one setup never takes over another's containers; and
// docker-run.sh uses the volumes compose.yaml names, so data carries over
// between the two ways the README offers. (Before both were fixed, the three
// compose files shared the project `synergychat`, and the script's volumes
// were not compose's.)
const (
	bundlesShareProject         = false
	runScriptUsesComposeVolumes = true
)

// TestDefaultNames brings the docker bundle up by its README under the
// project name its compose file gives (no override, as a user runs it) and
// looks at it from the other bundles' directories and from docker-run.sh.
func TestDefaultNames(t *testing.T) {
	e := dockertest.Require(t)
	dirs := map[string]string{}
	for _, target := range []string{"docker", "docker-network", "nginx"} {
		dirs[target] = bundletest.Write(t, bundletest.Default(t, target))
		out := e.Must(t, dockertest.Cmd{Dir: dirs[target], Args: []string{"docker", "compose", "config", "--format", "json"}})
		var cfg struct {
			Name string `json:"name"`
		}
		if err := json.Unmarshal([]byte(out[strings.Index(out, "{"):]), &cfg); err != nil {
			t.Fatalf("%s: docker compose config: %v", target, err)
		}
		t.Logf("FINDING %s: compose project name %q", target, cfg.Name)
	}

	s := &stack{e: e, dir: dirs["docker"], target: "docker", wiring: bundletest.Default(t, "docker").Wiring}
	s.project = "synergychat-docker" // what the file says; only for the label filters
	if left := e.Docker(t, "ps", "-aq", "--filter", "label=com.docker.compose.project="+s.project); left != "" {
		t.Fatalf("the engine already runs compose project %s (%s); this test would adopt it. Remove it with `docker compose -p %s down -v`", s.project, strings.ReplaceAll(left, "\n", " "), s.project)
	}
	e.BuildImages(t, s.dir)
	t.Cleanup(func() {
		// Both directories: once the nginx bundle has joined the project,
		// its network and nginx container are orphans to the docker file.
		for _, target := range []string{"nginx", "docker"} {
			_, err := e.Run(t, dockertest.Cmd{Dir: dirs[target], Args: []string{"docker", "compose", "down", "-v", "--remove-orphans", "--timeout", "5"}})
			if err != nil {
				t.Errorf("docker compose down -v in the %s bundle: %v", target, err)
			}
		}
	})
	e.Must(t, dockertest.Cmd{Dir: s.dir, Args: []string{"sh", "-eu", "-c", bringUpSection(t, s.dir)}})
	s.mustVerify(t, s.wiring.EntryURL, "docker under its own project name")

	for _, other := range []string{"docker-network", "nginx"} {
		seen := strings.Fields(e.Must(t, dockertest.Cmd{Dir: dirs[other], Args: []string{"docker", "compose", "ps", "-a", "-q"}}))
		shared := len(seen) > 0
		t.Logf("FINDING: `docker compose ps` in the %s bundle lists %d containers of the running docker bundle", other, len(seen))
		if shared != bundlesShareProject {
			t.Errorf("the %s bundle sees the docker bundle's containers: %v; bundlesShareProject says %v: if compose.go now names each target's project, set it to false", other, shared, bundlesShareProject)
		}
	}

	// The user now brings up the nginx setup from its own directory.
	before := s.containerIDs(t)
	e.Must(t, dockertest.Cmd{Dir: dirs["nginx"], Args: []string{"sh", "-eu", "-c", bringUpSection(t, dirs["nginx"])}})
	after := s.containerIDs(t)
	var replaced []string
	for svc, id := range before {
		if after[svc] != id {
			replaced = append(replaced, svc)
		}
	}
	slices.Sort(replaced)
	rep := s.runVerify(t, s.wiring.EntryURL)
	t.Logf("FINDING: `docker compose up -d` in the nginx bundle replaced the docker bundle's %v; the docker setup's verify afterwards:\n%s", replaced, reportText(rep))
	if (len(replaced) > 0) != bundlesShareProject {
		t.Errorf("bringing up the nginx bundle replaced the docker bundle's containers %v; bundlesShareProject says %v", replaced, bundlesShareProject)
	}

	composeVols := strings.Fields(e.Docker(t, "volume", "ls", "-q", "--filter", "label=com.docker.compose.project="+s.project))
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
