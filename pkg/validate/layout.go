package validate

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"
)

// KindKustomization is a kustomization that no other given kustomization
// includes: it is built, as `kubectl kustomize` builds it, and what it
// builds is checked as one deployment.
const KindKustomization Kind = "kustomization"

// layouts are the directories whose files are not complete objects on
// their own: kustomizations (a base, overlays and their patches) and Helm
// charts (templates and values).
type layouts struct {
	kustomizations []string // files, sorted
	charts         []string // Chart.yaml files, sorted
}

// findLayouts picks out the kustomization and Chart.yaml files among files.
func findLayouts(files []string) layouts {
	var l layouts
	names := konfig.RecognizedKustomizationFileNames()
	for _, f := range files {
		base := filepath.Base(f)
		switch {
		case slices.Contains(names, base):
			l.kustomizations = append(l.kustomizations, f)
		case base == "Chart.yaml":
			l.charts = append(l.charts, f)
		}
	}
	return l
}

// covers reports whether file belongs to a layout: it lies in (or below)
// the directory of a kustomization or a chart. Those files are checked
// through what the layout builds, not one by one.
func (l layouts) covers(file string) bool {
	for _, k := range slices.Concat(l.kustomizations, l.charts) {
		dir := filepath.Dir(k)
		if rel, err := filepath.Rel(dir, file); err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return true
		}
	}
	return false
}

// roots returns the kustomizations no other one includes as a resource or
// component: in a base-and-overlays layout, the overlays.
func (l layouts) roots() []string {
	included := map[string]bool{}
	for _, f := range l.kustomizations {
		data, err := os.ReadFile(f)
		if err != nil {
			continue // reported when it is built
		}
		var k types.Kustomization
		if yaml.Unmarshal(data, &k) != nil {
			continue
		}
		k.FixKustomization() // folds the deprecated bases into resources
		for _, r := range slices.Concat(k.Resources, k.Components) {
			abs, err := filepath.Abs(filepath.Join(filepath.Dir(f), r))
			if err == nil {
				included[abs] = true
			}
		}
	}
	var roots []string
	for _, f := range l.kustomizations {
		abs, err := filepath.Abs(filepath.Dir(f))
		if err != nil || !included[abs] {
			roots = append(roots, f)
		}
	}
	return roots
}

// KindKustomized is a file a kustomization read when it was built (a
// base's kustomization, a resource, a patch): checked through what the
// build made of it.
const KindKustomized Kind = "read by a kustomization"

// readRecorder is the disk, noting every file read through it.
type readRecorder struct {
	filesys.FileSystem
	read map[string]bool
}

func (r readRecorder) ReadFile(path string) ([]byte, error) {
	data, err := r.FileSystem.ReadFile(path)
	if err == nil {
		r.read[path] = true
	}
	return data, err
}

func (r readRecorder) Open(path string) (filesys.File, error) {
	f, err := r.FileSystem.Open(path)
	if err == nil {
		r.read[path] = true
	}
	return f, err
}

// buildKustomization builds the kustomization in file's directory with
// Kustomize's own library (plugins off, loading restricted to the
// kustomization's root, as `kubectl kustomize` does by default) and
// returns its objects as documents of file, and the other files the build
// read, as paths reached the way file was.
func buildKustomization(file string) ([]kubeDoc, []string, []Problem) {
	rec := readRecorder{FileSystem: filesys.MakeFsOnDisk(), read: map[string]bool{}}
	res, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(rec, filepath.Dir(file))
	if err != nil {
		return nil, nil, []Problem{{File: file, Resource: "Kustomization", Field: "-",
			Message: "does not build (as kubectl kustomize would): " + err.Error()}}
	}
	var read []string
	if dir, err := filepath.Abs(filepath.Dir(file)); err == nil {
		self, _ := filepath.Abs(file)
		for _, p := range slices.Sorted(maps.Keys(rec.read)) {
			if rel, err := filepath.Rel(dir, p); err == nil && p != self {
				read = append(read, filepath.Join(filepath.Dir(file), rel))
			}
		}
	}
	out, err := res.AsYaml()
	if err != nil {
		return nil, read, []Problem{{File: file, Resource: "Kustomization", Field: "-", Message: "its output is not YAML: " + err.Error()}}
	}
	docs, probs := splitKube(file, out)
	return docs, read, probs
}

// chartUnchecked says what validate does with a Helm chart: nothing on its
// own, and how to check what it renders.
func chartUnchecked(file string) Unchecked {
	name := filepath.Base(filepath.Dir(file))
	var meta struct {
		Name string `json:"name"`
	}
	if data, err := os.ReadFile(file); err == nil && yaml.Unmarshal(data, &meta) == nil && meta.Name != "" {
		name = meta.Name
	}
	dir := filepath.Dir(file)
	return Unchecked{File: file, Resource: "Helm chart " + name, Chart: true, Reason: fmt.Sprintf(
		"its templates are checked through what they render with your values: helm template %s %s > %s.yaml, then synctl validate %s.yaml", name, dir, name, name)}
}
