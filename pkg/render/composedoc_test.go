package render_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	yamlv4 "go.yaml.in/yaml/v4"
	"gopkg.in/yaml.v3"

	"github.com/synctl/synctl/internal/benchapp"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
)

// TestComposeEmitMatchesYAMLv4: for every compose file every target writes,
// of six apps, the emitter wrote it (no fallback), and its bytes are those
// of compose-go's Project.MarshalYAML.
func TestComposeEmitMatchesYAMLv4(t *testing.T) {
	specs := map[string][]byte{"bench": benchapp.Spec(40)}
	for _, f := range []string{"../../testdata/apps/shop.yaml", "../../testdata/apps/transit.yaml", "../../testdata/apps/voting.yaml", "../validate/testdata/apps/notes.yaml"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		specs[filepath.Base(f)] = b
	}
	def, err := target.Default()
	if err != nil {
		t.Fatal(err)
	}
	plans := []*target.Plan{def}
	for name, spec := range specs {
		p, err := target.Load(name, spec, target.Overrides{})
		if err != nil {
			t.Fatal(err)
		}
		plans = append(plans, p)
	}
	files := 0
	var where string
	render.SetComposeHook(func(p *types.Project, data []byte, emitted bool) {
		files++
		if !emitted {
			t.Errorf("%s: the emitter left the compose file to yaml.v4", where)
		}
		want, err := render.ComposeFileByYAMLv4(p)
		if err != nil {
			t.Fatal(err)
		}
		_, got, _ := bytes.Cut(data, []byte("\n")) // the header
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the emitter wrote\n%s\nyaml.v4\n%s", where, got, want)
		}
	})
	defer render.SetComposeHook(nil)
	for _, p := range plans {
		for _, tg := range target.All() {
			where = p.Model.Name + " " + tg.Name()
			if _, err := p.Render(tg, target.Invocation{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if files < 3*len(plans) {
		t.Errorf("saw %d compose files of %d apps, want at least 3 each", files, len(plans))
	}
}

// TestComposeEmitCorpus: every compose file of the import corpus, as
// compose-go loads it (every field kind its samples use), is written with
// yaml.v4's bytes, or left to yaml.v4 as a whole.
func TestComposeEmitCorpus(t *testing.T) {
	var paths []string
	filepath.WalkDir("../../testdata/compose", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && (strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) && strings.Contains(filepath.Base(p), "compose") {
			paths = append(paths, p)
		}
		return nil
	})
	emitted, fell := 0, []string{}
	for _, path := range paths {
		opts, err := cli.NewProjectOptions([]string{path}, cli.WithEnv([]string{}), cli.WithDotEnv, cli.WithResolvedPaths(true))
		if err != nil {
			t.Fatal(err)
		}
		p, err := opts.LoadProject(context.Background())
		if err != nil {
			continue // the corpus's deliberately broken files
		}
		got, ok := render.ComposeYAML(p)
		if !ok {
			fell = append(fell, path)
			continue
		}
		emitted++
		want, err := p.MarshalYAML()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the emitter wrote\n%s\nyaml.v4\n%s", path, got, want)
		}
	}
	t.Logf("%d of %d corpus projects emitted; left to yaml.v4: %v", emitted, len(paths), fell)
	if emitted < 30 {
		t.Errorf("only %d corpus projects emitted (left to yaml.v4: %v)", emitted, fell)
	}
}

// composeDoc is a project whose fields reach the emitter as fuzzed text:
// struct fields in order, maps, sequences, nesting.
func composeDoc(s, k string) *types.Project {
	var svc types.ServiceConfig
	svc.Image = s
	svc.Environment = types.MappingWithEquals{k: &s, "A": nil}
	svc.Labels = types.Labels{k: s}
	svc.Command = types.ShellCommand{s, k}
	svc.Volumes = []types.ServiceVolumeConfig{{Type: "bind", Source: s, Target: "/x"}}
	svc.DependsOn = types.DependsOnConfig{k: {Condition: s}}
	return &types.Project{
		Name:     s,
		Services: types.Services{k: svc},
		Networks: types.Networks{"n": {Name: k, Labels: types.Labels{"a": s}}},
	}
}

// FuzzEmitScalarV4 holds the compose emitter's quoting, blocks and key
// order to yaml.v4's bytes (compose-go's Project.MarshalYAML), and checks
// with yaml.v3 that every string reads back as written.
func FuzzEmitScalarV4(f *testing.F) {
	for _, s := range []string{"", "a", "8080", "yes", "a: b", " x", "x\ny\n", "1:20", "2001-12-14", strings.Repeat("ab ", 40), "it's", "-", "\n", "a\n\n", " \n", "<<", "~"} {
		f.Add(s, "key")
	}
	f.Fuzz(func(t *testing.T, s, k string) {
		p := composeDoc(s, k)
		got, ok := render.ComposeYAML(p)
		if !ok {
			return
		}
		want, err := p.MarshalYAML()
		if err != nil {
			return // what yaml.v4 cannot write either
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("s=%q k=%q:\n got %s\nwant %s", s, k, got, want)
		}
		var back map[string]any
		if err := yaml.Unmarshal(got, &back); err != nil {
			t.Fatalf("s=%q k=%q: yaml.v3 cannot read %s: %v", s, k, got, err)
		}
		svc := back["services"].(map[string]any)[k].(map[string]any)
		if back["name"] != s || svc["image"] != s || svc["labels"].(map[string]any)[k] != s {
			t.Fatalf("s=%q k=%q: yaml.v3 reads %s as %#v", s, k, got, back)
		}
	})
}

// FuzzKeyOrderV4 holds the compose emitter's key order to yaml.v4's.
func FuzzKeyOrderV4(f *testing.F) {
	f.Add("a10", "a9", "a09")
	f.Add("x-1", "x.1", "x1")
	f.Add("a0b", "a0-", "a0")
	f.Fuzz(func(t *testing.T, a, b, c string) {
		doc := types.Labels{a: "1", b: "2", c: "3"}
		p := &types.Project{Name: "x", Services: types.Services{}, Networks: types.Networks{"n": {Labels: doc}}}
		got, ok := render.ComposeYAML(p)
		if !ok {
			return
		}
		var buf bytes.Buffer
		enc := yamlv4.NewEncoder(&buf)
		enc.SetIndent(2)
		if err := enc.Encode(p); err != nil {
			return
		}
		// yaml.v4's order is not transitive for every set of keys: where
		// two orders of the same keys are possible, the map's decides.
		keys := slices.Sorted(slices.Values([]string{a, b, c}))
		for _, perm := range [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}} {
			m := types.Labels{}
			for _, i := range perm {
				m[keys[i]] = doc[keys[i]]
			}
			var again bytes.Buffer
			e := yamlv4.NewEncoder(&again)
			e.SetIndent(2)
			e.Encode(&types.Project{Name: "x", Services: types.Services{}, Networks: types.Networks{"n": {Labels: m}}})
			if again.String() != buf.String() {
				return
			}
		}
		if !bytes.Equal(got, buf.Bytes()) {
			t.Fatalf("keys %q: the emitter wrote\n%s\nyaml.v4\n%s", fmt.Sprint(a, b, c), got, buf.Bytes())
		}
	})
}

// FuzzRecord holds the bundle record, which the emitter writes, to the
// bytes yaml.v3 (which reads it back) writes for it.
func FuzzRecord(f *testing.F) {
	for _, s := range []string{"synctl render --target gke --out .", "a: b", "it's", "x\ny", "8080", "", "- x", "#", "yes"} {
		f.Add(s, "api-deployment.yaml")
	}
	f.Fuzz(func(t *testing.T, cmd, file string) {
		b := &render.Bundle{Target: "gke", App: "app", Command: cmd, Files: []render.File{{Path: file}, {Path: "README.md"}}}
		got, err := b.RecordFile()
		if err != nil {
			t.Fatal(err)
		}
		r := render.Record{APIVersion: render.RecordAPIVersion, Kind: render.RecordKind, Target: "gke", App: "app", Command: cmd, Files: []string{file, "README.md"}}
		var want bytes.Buffer
		want.Write(render.Header("#", cmd))
		enc := yaml.NewEncoder(&want)
		enc.SetIndent(2)
		if err := enc.Encode(r); err != nil {
			return
		}
		enc.Close()
		if !bytes.Equal(got.Data, want.Bytes()) {
			t.Fatalf("cmd=%q file=%q: the emitter wrote\n%s\nyaml.v3\n%s", cmd, file, got.Data, want.Bytes())
		}
	})
}
