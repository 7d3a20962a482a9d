package importer_test

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/synctl/synctl/pkg/importer"
)

// TestMerge: several files, include, extends, .env, --env-file and
// env_file load as docker compose loads them, and each report line points
// at the file and line that set the field.
func TestMerge(t *testing.T) {
	dir := filepath.Join(corpusDir, "merge")
	files := []string{filepath.Join(dir, "compose.yaml"), filepath.Join(dir, "compose.override.yaml")}
	res, err := importSample(sample{files: files}, false)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, l := range res.Report.Lines {
		lines = append(lines, l.String())
	}
	for _, want := range []string{
		"merge/compose.override.yaml:4: services.web.environment.CACHE_ADDR: inferred: a link to cache, port 6379 (form hostport)",
		"merge/compose.override.yaml:5: services.web.stdin_open: dropped: an interactive terminal",
		"merge/cache.yaml:4: services.cache.hostname: dropped: hostname",
		"merge/compose.yaml:16: services.web.env_file[0]: translated: the values of ./web.env are in env (secrets apart)",
		// Inherited through extends: where base wrote it.
		"merge/compose.yaml:9: services.web.labels: dropped: labels are metadata",
		"merge/web.env:1: services.web.environment.SESSION_SECRET: inferred: a literal secret",
	} {
		if !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, want) }) {
			t.Errorf("no report line %q in:\n%s", want, strings.Join(lines, "\n"))
		}
	}
	img := map[string]string{}
	for _, s := range res.App.Spec.Services {
		img[s.Name] = s.Image
	}
	if img["web"] != "example/web:2.1" || img["cache"] != "redis:7" {
		t.Errorf("images %v: want web from .env's WEB_TAG and cache from the included file", img)
	}
	// --env-file replaces .env.
	res, err = importer.Import(t.Context(), importer.Options{Files: files, EnvFiles: []string{filepath.Join(dir, "other.env")}, Environ: []string{}, ReportDir: corpusDir})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.App.Spec.Services {
		if s.Name == "web" && s.Image != "example/web:3.0" {
			t.Errorf("with --env-file other.env, web's image is %s", s.Image)
		}
	}
}
