package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestInitFromBadCompose: compose-go's own message, with the file and
// line, exit 2 and nothing written.
func TestInitFromBadCompose(t *testing.T) {
	for _, tc := range []struct {
		name, compose, want string
	}{
		{"yaml", "services:\n  web:\n    image: nginx:1\n    ports: [8080:80\n",
			"compose.yaml:4: yaml: while parsing a flow sequence at line 3, column 12: line 4: did not find expected ',' or ']'"},
		{"required variable", "services:\n  web:\n    image: \"nginx:${TAG:?set TAG to the nginx version}\"\n",
			"compose.yaml:3: error while interpolating services.web.image: required variable TAG is missing a value: set TAG to the nginx version"},
		{"unknown depends_on", "services:\n  web:\n    image: nginx:1\n    depends_on: [db]\n",
			`compose.yaml:4: service "web" depends on undefined service "db": invalid compose project`},
		{"missing env_file", "services:\n  web:\n    image: nginx:1\n    env_file: missing.env\n",
			"compose.yaml:4: env file "},
		{"refused", "services:\n  web:\n    image: nginx:1\n    network_mode: host\n",
			"compose.yaml:4: services.web.network_mode: refused: the host's network: the service listens on the host's own addresses, which no Kubernetes target gives a pod\n" +
				"change the compose file, or pass --allow-lossy to import without these fields (each stays in the report)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			compose := filepath.Join(dir, "compose.yaml")
			if err := os.WriteFile(compose, []byte(tc.compose), 0o644); err != nil {
				t.Fatal(err)
			}
			t.Chdir(dir)
			code, out, errs := runCLI(t, "init", "--from", "compose.yaml", "-o", "app.yaml", "--report", "report.json")
			if code != exitUsage {
				t.Errorf("exit %d, want %d", code, exitUsage)
			}
			if !strings.Contains(errs, tc.want) {
				t.Errorf("stderr:\n%s\nwant it to contain:\n%s", errs, tc.want)
			}
			if out != "" {
				t.Errorf("stdout: %q", out)
			}
			for _, f := range []string{"app.yaml", "report.json"} {
				if _, err := os.Stat(f); err == nil {
					t.Errorf("%s was written", f)
				}
			}
		})
	}
}

// TestInitFromEndToEnd is what a new user does: import, render every
// target, validate the bundles.
func TestInitFromEndToEnd(t *testing.T) {
	compose, err := filepath.Abs("../../testdata/compose/links/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	t.Chdir(t.TempDir())
	code, out, errs := runCLI(t, "init", "--from", compose, "-o", "app.yaml", "--report", "report.json")
	if code != 0 {
		t.Fatalf("init exit %d: %s", code, errs)
	}
	if out != "" {
		t.Errorf("stdout with -o: %q", out)
	}
	for _, want := range []string{
		"services.api.environment.DB_HOST: inferred: a link to db (form host, its port 5432 in DB_PORT); docker-network spells it as compose did",
		"imported 6 services from ",
	} {
		if !strings.Contains(errs, want) {
			t.Errorf("the report on stderr lacks %q:\n%s", want, errs)
		}
	}
	var report struct {
		Lines []struct{ Kind, Field, Service string }
	}
	data, err := os.ReadFile("report.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &report); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, l := range strings.Split(errs, "\n") {
		if strings.HasPrefix(l, compose+":") {
			n++
		}
	}
	if len(report.Lines) != n {
		t.Errorf("the JSON report has %d lines, stderr %d", len(report.Lines), n)
	}
	if code, _, errs := runCLI(t, "render", "-f", "app.yaml", "--target", "all", "--out", "deploy"); code != 0 {
		t.Fatalf("render exit %d: %s", code, errs)
	}
	if code, out, errs := runCLI(t, "validate", "deploy"); code != 0 {
		t.Fatalf("validate exit %d: %s%s", code, out, errs)
	}
}

// TestInitImportFlagsNeedFrom: the import's flags alone are a usage error.
func TestInitImportFlagsNeedFrom(t *testing.T) {
	code, _, errs := runCLI(t, "init", "--profile", "seed")
	if code != exitUsage || !strings.Contains(errs, "--profile applies to a compose import; add --from compose.yaml") {
		t.Errorf("exit %d: %s", code, errs)
	}
}

// knownValidateProblems are what validate finds in the corpus's bundles
// today, none of them the importer's, by a part of the message: the test
// fails on any other problem, and when one of these goes away, so that the
// list stays true.
var knownValidateProblems = []string{
	// A listen address (ASPNETCORE_URLS=http://+:8000) is not a URL to
	// reach; validate checks every URL in env as one.
	`host "+" is not a`,
	// A host-form link (WORDPRESS_DB_HOST: db) reaches port 3306, which the
	// NetworkPolicy allows; validate assumes the caller may use any port of
	// the service, 33060 too.
	"on TCP port 33060",
}

// TestInitFromCorpus imports every compose file of the corpus (refused
// ones with --allow-lossy), renders every target and validates all the
// bundles at once.
func TestInitFromCorpus(t *testing.T) {
	if testing.Short() {
		t.Skip("renders and validates about 250 bundles")
	}
	files, _ := filepath.Glob("../../testdata/compose/awesome-compose/*/compose.y*ml")
	files = append(files, "../../testdata/compose/example-voting-app/docker-compose.yml", "../../testdata/compose/links/compose.yaml")
	for i := range files {
		files[i], _ = filepath.Abs(files[i])
	}
	t.Chdir(t.TempDir())
	for _, f := range files {
		name := filepath.Base(filepath.Dir(f))
		code, _, errs := runCLI(t, "init", "--from", f, "--allow-lossy", "-o", name+".yaml")
		if code != 0 {
			t.Errorf("%s: init exit %d: %s", name, code, errs)
			continue
		}
		if code, _, errs := runCLI(t, "render", "-f", name+".yaml", "--target", "all", "--out", name); code != 0 {
			t.Errorf("%s: render exit %d: %s", name, code, errs)
		}
	}
	code, out, errs := runCLI(t, "validate", ".")
	found := map[string]bool{}
	for _, l := range strings.Split(strings.TrimSpace(out+errs), "\n") {
		if !strings.Contains(l, ": ") || strings.Contains(l, "files checked") || strings.Contains(l, "not checked") {
			continue
		}
		known := false
		for _, k := range knownValidateProblems {
			if strings.Contains(l, k) {
				found[k], known = true, true
			}
		}
		if !known {
			t.Errorf("validate: %s", l)
		}
	}
	for _, k := range knownValidateProblems {
		if !found[k] {
			t.Errorf("validate no longer reports the known problem %q; remove it from knownValidateProblems", k)
		}
	}
	if len(knownValidateProblems) == 0 && code != 0 {
		t.Errorf("validate exit %d", code)
	}
}

// TestDiffFromCompose: what moving a compose app to a target changes,
// every URL in words, and no secret value printed.
func TestDiffFromCompose(t *testing.T) {
	compose := "../../testdata/compose/links/compose.yaml"
	code, out, errs := runCLI(t, "diff", "--from", compose, "--to", "minikube")
	if code != exitFailure {
		t.Fatalf("exit %d, want %d: %s", code, exitFailure, errs)
	}
	for _, want := range []string{
		"  ~ DB_HOST       db -> db-service\n",
		"  ~ QUEUE_ADDR    queue:5672 -> queue-service:5672\n",
		"  ~ DATABASE_URL  postgres://app:<secret postgres-password>@db:5432/app -> postgres://app:$(POSTGRES_PASSWORD)@db-service:5432/app\n",
		"  ~ API_URL       http://localhost:8081 -> http://linksapi.internal\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the diff lacks %q:\n%s", want, out)
		}
	}
	for _, secret := range []string{"s3cret-pw", "t0ken-value"} {
		if strings.Contains(out, secret) {
			t.Errorf("the diff prints the secret value %s", secret)
		}
	}
	if !strings.Contains(errs, "imported 6 services from") {
		t.Errorf("no import report on stderr: %s", errs)
	}
	// docker-network spells every link as compose did; only the password
	// now comes from the bundle's .env.
	_, out, _ = runCLI(t, "diff", "--from", compose, "--to", "docker-network")
	for _, want := range []string{
		"    CACHE_URL     redis://cache:6379/0 (unchanged)\n",
		"  ~ DATABASE_URL  postgres://app:<secret postgres-password>@db:5432/app -> postgres://app:${POSTGRES_PASSWORD:?}@db:5432/app\n",
		"    DB_HOST       db (unchanged)\n",
		"    QUEUE_ADDR    queue:5672 (unchanged)\n",
		"    SEARCH_URL    http://search:9200/v1 (unchanged)\n",
		"    API_URL       http://localhost:8081 (unchanged)\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the diff to docker-network lacks %q:\n%s", want, out)
		}
	}
	code, _, errs = runCLI(t, "diff", "-f", "app.yaml", "--from", compose, "--to", "gke")
	if code != exitUsage || !strings.Contains(errs, "is a compose file, and the app is imported from it; drop -f app.yaml") {
		t.Errorf("-f with a compose side: exit %d: %s", code, errs)
	}
}
