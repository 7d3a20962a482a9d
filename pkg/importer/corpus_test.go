package importer_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/synctl/synctl/internal/golden"
	"github.com/synctl/synctl/pkg/importer"
	"github.com/synctl/synctl/pkg/target"
)

const corpusDir = "../../testdata/compose"

// sample is one compose project of the corpus.
type sample struct {
	name     string
	files    []string
	profiles []string
}

// corpus lists every awesome-compose sample and the voting app (with and
// without its seed profile).
func corpus(t testing.TB) []sample {
	t.Helper()
	dirs, err := filepath.Glob(filepath.Join(corpusDir, "awesome-compose", "*"))
	if err != nil {
		t.Fatal(err)
	}
	var out []sample
	for _, d := range dirs {
		files, _ := filepath.Glob(filepath.Join(d, "compose.y*ml"))
		if len(files) == 1 {
			out = append(out, sample{name: "awesome-compose/" + filepath.Base(d), files: files})
		}
	}
	vote := filepath.Join(corpusDir, "example-voting-app", "docker-compose.yml")
	out = append(out,
		sample{name: "links", files: []string{filepath.Join(corpusDir, "links", "compose.yaml")}},
		sample{name: "example-voting-app", files: []string{vote}},
		sample{name: "example-voting-app --profile seed", files: []string{vote}, profiles: []string{"seed"}},
		sample{name: "example-voting-app images", files: []string{filepath.Join(corpusDir, "example-voting-app", "docker-compose.images.yml")}})
	if len(out) < 40 {
		t.Fatalf("the corpus has %d samples; expected the 39 awesome-compose samples and the voting app", len(out))
	}
	return out
}

func importSample(s sample, lossy bool) (*importer.Result, error) {
	return importer.Import(context.Background(), importer.Options{
		Files: s.files, Profiles: s.profiles, AllowLossy: lossy,
		// Interpolation sees no shell variable, so that the table is the
		// same on every machine.
		Environ: []string{}, ReportDir: corpusDir,
	})
}

// TestCorpus imports every sample: it imports, or it is refused with the
// refused fields named and imports with --allow-lossy; the spec loads with
// every target section; importing twice gives the same bytes. The table of
// results is a golden file.
func TestCorpus(t *testing.T) {
	var table strings.Builder
	table.WriteString("| sample | services | result | links | translated | inferred | dropped | refused | loads on every target |\n")
	table.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, s := range corpus(t) {
		t.Run(s.name, func(t *testing.T) {
			res, err := importSample(s, false)
			result := "imported"
			var refused *importer.RefusedError
			switch {
			case errors.As(err, &refused):
				var why []string
				for _, l := range refused.Lines {
					why = append(why, l.Service+"."+l.Field)
				}
				result = "refused: " + strings.Join(why, ", ")
				if res, err = importSample(s, true); err != nil {
					t.Fatalf("with --allow-lossy: %v", err)
				}
				if n := res.Report.Count(importer.Refused); n != 0 {
					t.Errorf("with --allow-lossy the report still has %d refusals", n)
				}
			case err != nil:
				t.Fatal(err)
			}
			again, err := importSample(s, result != "imported")
			if err != nil {
				t.Fatal(err)
			}
			if string(again.Spec) != string(res.Spec) {
				t.Errorf("two imports differ:\n%s\n---\n%s", res.Spec, again.Spec)
			}
			loads := "yes"
			if _, err := target.Load(s.name, res.Spec, target.Overrides{}); err != nil {
				loads = "no: " + firstLine(err.Error())
				t.Logf("the spec does not load with every target: %v", err)
			}
			links := 0
			for _, sv := range res.App.Spec.Services {
				links += len(sv.Links)
			}
			counts := map[importer.Kind]int{}
			for _, l := range res.Report.Lines {
				k := l.Kind
				if l.Lossy {
					k = importer.Refused
				}
				counts[k]++
			}
			fmt.Fprintf(&table, "| %s | %d | %s | %d | %d | %d | %d | %d | %s |\n", s.name, len(res.App.Spec.Services), result, links,
				counts[importer.Translated], counts[importer.Inferred], counts[importer.Dropped], counts[importer.Refused], loads)
		})
	}
	golden.Assert(t, filepath.Join(corpusDir, "corpus.golden.md"), []byte(table.String()), "go test ./pkg/importer -run TestCorpus -update")
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return strings.ReplaceAll(s, "|", "/")
}

// TestSampleGoldens keeps the spec and the report of a few samples, each
// read line by line.
func TestSampleGoldens(t *testing.T) {
	for _, s := range corpus(t) {
		switch s.name {
		case "links", "example-voting-app", "example-voting-app --profile seed", "awesome-compose/wordpress-mysql", "awesome-compose/react-express-mysql", "awesome-compose/nginx-golang-postgres":
		default:
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			res, err := importSample(s, false)
			if err != nil {
				t.Fatal(err)
			}
			var report strings.Builder
			if err := res.Report.WriteText(&report); err != nil {
				t.Fatal(err)
			}
			base := filepath.Join(corpusDir, "golden", strings.NewReplacer("/", "-", " --profile ", "-profile-", " ", "-").Replace(s.name))
			regen := "go test ./pkg/importer -run TestSampleGoldens -update"
			golden.Assert(t, base+".app.yaml", res.Spec, regen)
			golden.Assert(t, base+".report.txt", []byte(report.String()), regen)
		})
	}
}

// TestReportJSON checks that the JSON report holds the same lines.
func TestReportJSON(t *testing.T) {
	res, err := importSample(sample{files: []string{filepath.Join(corpusDir, "awesome-compose", "wordpress-mysql", "compose.yaml")}}, false)
	if err != nil {
		t.Fatal(err)
	}
	js, err := res.Report.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"file": "awesome-compose/wordpress-mysql/compose.yaml"`, `"field": "environment.WORDPRESS_DB_HOST"`, `"kind": "inferred"`, `"service": "wordpress"`} {
		if !strings.Contains(string(js), want) {
			t.Errorf("the JSON report lacks %s:\n%s", want, js)
		}
	}
	if !slices.Equal(res.Report.Services, []string{"db", "wordpress"}) {
		t.Errorf("services %v", res.Report.Services)
	}
}
