// Package validate checks deployment files the way their real consumers
// would, and checks that they are wired to each other: compose files load
// with compose-go (as `docker compose config` does), nginx.conf passes
// `nginx -t`, Kubernetes documents decode strictly into their typed structs,
// Gateway API objects pass their CRD schema and CEL rules, and the
// cross-references people get wrong by hand (selectors, ports, routes,
// ConfigMaps, the URLs in the environment, health-check paths) resolve.
//
// It works on any files, not only synctl's own: files are recognised by
// content, and Kubernetes objects are cross-checked with the other objects in
// the same directory (one directory is one deployment). A kustomization no
// other one includes is built with Kustomize's library and its output
// checked as one deployment; Helm charts are listed as not checked.
package validate

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	yamlv3 "gopkg.in/yaml.v3"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/validate/crd"
)

// Problem is one thing wrong with a file.
type Problem struct {
	// File is the path of the file at fault, as reached from the given paths.
	File string
	// Resource names the object inside the file: "Deployment chat/chat-api",
	// "service api", "nginx".
	Resource string
	// Field is the path of the offending field inside the resource ("-" when
	// the whole resource is at fault).
	Field string
	// Message says what is wrong and what to do about it.
	Message string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s: %s: %s: %s", p.File, p.Resource, cmp.Or(p.Field, "-"), p.Message)
}

// Skip records a check that could not run, so that it is never mistaken for a pass.
type Skip struct {
	File   string
	Check  string
	Reason string
}

func (s Skip) String() string {
	return fmt.Sprintf("%s: skipped %s: %s", s.File, s.Check, s.Reason)
}

// Kind is what a file was recognised as.
type Kind string

const (
	KindCompose    Kind = "compose"
	KindNginx      Kind = "nginx"
	KindKubernetes Kind = "kubernetes"
	// KindApp is a synctl App spec, checked as `synctl render` would.
	KindApp Kind = "app spec"
	// KindRecord is a bundle's record of what made it (.synctl-bundle).
	KindRecord Kind = "bundle record"
)

// Report is the outcome of checking a set of paths.
type Report struct {
	// Files lists every recognised file and its kind, sorted by path.
	Files []CheckedFile
	// Problems is sorted by file, resource, field and message.
	Problems []Problem
	// Skipped lists checks that could not run here.
	Skipped []Skip
	// Unchecked lists documents of kinds validate does not know: neither
	// passed nor failed.
	Unchecked []Unchecked
}

// Unchecked is a document validate does not know how to check, or a
// whole Helm chart.
type Unchecked struct {
	File, Resource, Reason string
	// Chart is set for a Helm chart, which validate leaves to what
	// `helm template` renders from it.
	Chart bool
}

func (u Unchecked) String() string {
	return fmt.Sprintf("%s: %s: not checked: %s", u.File, u.Resource, u.Reason)
}

// CheckedFile is one recognised input file.
type CheckedFile struct {
	Path string
	Kind Kind
}

// Options tune the checks.
type Options struct {
	// Nginx is the nginx binary for `nginx -t`; empty means "nginx" on $PATH.
	Nginx string
	// SkipNginx turns the `nginx -t` check off (it is then reported as skipped).
	SkipNginx bool
	// Stdin is read for the path "-": one file, such as what
	// `synctl render` prints (a manifest stream or a compose file).
	Stdin io.Reader
}

// StdinName is how a report names the file read from standard input.
const StdinName = "<stdin>"

// readStdin copies what the path "-" stands for into a private directory,
// so that the checks, some of which need a file (compose-go, nginx -t),
// run on it as on any file. It returns the file and a function that
// removes it.
func readStdin(r io.Reader) (string, func(), error) {
	if r == nil {
		return "", nil, errors.New("- stands for standard input, which this caller does not provide")
	}
	data, err := io.ReadAll(r)
	if err != nil {
		return "", nil, fmt.Errorf("cannot read standard input: %w", err)
	}
	dir, err := os.MkdirTemp("", "synctl-validate-stdin-")
	if err != nil {
		return "", nil, err
	}
	// A name with .yaml has YAML errors reported; nginx.conf is recognised
	// by content only under another extension.
	name := "stdin.yaml"
	if nginxBlock.Match(data) && topLevelKeysErr(data) {
		name = "stdin.conf"
	}
	f := filepath.Join(dir, name)
	if err := os.WriteFile(f, data, 0o644); err != nil {
		os.RemoveAll(dir)
		return "", nil, err
	}
	return f, func() { os.RemoveAll(dir) }, nil
}

func topLevelKeysErr(data []byte) bool {
	_, err := topLevelKeys(data)
	return err != nil
}

// renameFile reports the file at from as to, in every part of the report.
func (r *Report) renameFile(from, to string) {
	fix := func(s string) string {
		if s == from {
			return to
		}
		s = strings.ReplaceAll(s, from, to)
		return strings.ReplaceAll(s, filepath.Dir(from), to)
	}
	for i := range r.Files {
		r.Files[i].Path = fix(r.Files[i].Path)
	}
	for i := range r.Problems {
		r.Problems[i].File, r.Problems[i].Message = fix(r.Problems[i].File), fix(r.Problems[i].Message)
	}
	for i := range r.Skipped {
		r.Skipped[i].File, r.Skipped[i].Reason = fix(r.Skipped[i].File), fix(r.Skipped[i].Reason)
	}
	for i := range r.Unchecked {
		r.Unchecked[i].File = fix(r.Unchecked[i].File)
	}
}

// InputError is returned when a path cannot be read; no checks ran.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// Paths checks the files and directories (walked recursively) named by paths.
// The returned error is an *InputError when an input cannot be read.
func Paths(paths []string, opts Options) (*Report, error) {
	if len(paths) == 0 {
		return nil, &InputError{errors.New("no paths given")}
	}
	if i := slices.Index(paths, "-"); i >= 0 {
		if slices.Contains(paths[i+1:], "-") {
			return nil, &InputError{errors.New("- (standard input) is given twice; it can be read once")}
		}
		f, cleanup, err := readStdin(opts.Stdin)
		if err != nil {
			return nil, &InputError{err}
		}
		defer cleanup()
		paths = slices.Clone(paths)
		paths[i] = f
		r, err := Paths(paths, opts)
		if r != nil {
			r.renameFile(f, StdinName)
		}
		return r, err
	}
	var files []string
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, &InputError{fmt.Errorf("cannot read %s: %w", p, unwrapPathError(err))}
		}
		if !st.IsDir() {
			files = append(files, p)
			continue
		}
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if d.Type().IsRegular() {
				files = append(files, path)
			}
			return nil
		})
		if err != nil {
			return nil, &InputError{fmt.Errorf("cannot read %s: %w", p, unwrapPathError(err))}
		}
	}
	slices.Sort(files)
	files = slices.Compact(files)

	r := &Report{}
	var composeFiles, nginxFiles []string
	kube := map[string][]kubeDoc{} // by directory, or by kustomization built
	specs := map[string]*specOf{}  // by directory: the spec its bundle record names
	lay := findLayouts(files)
	kustomized := map[string]bool{}
	for _, f := range lay.roots() {
		docs, read, probs := buildKustomization(f)
		r.Problems = append(r.Problems, probs...)
		r.Files = append(r.Files, CheckedFile{Path: f, Kind: KindKustomization})
		for _, p := range read {
			kustomized[p] = true
		}
		kube[f] = docs
	}
	for _, f := range lay.roots() {
		delete(kustomized, f) // a root another root reads is still a root
	}
	for _, p := range slices.Sorted(maps.Keys(kustomized)) {
		r.Files = append(r.Files, CheckedFile{Path: p, Kind: KindKustomized})
	}
	for _, f := range lay.charts {
		r.Unchecked = append(r.Unchecked, chartUnchecked(f))
	}
	for _, f := range files {
		if lay.covers(f) && filepath.Base(f) != render.RecordPath {
			continue
		}
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, &InputError{fmt.Errorf("cannot read %s: %w", f, unwrapPathError(err))}
		}
		kind, docs, probs := classify(f, data)
		r.Problems = append(r.Problems, probs...)
		if kind == "" {
			continue
		}
		r.Files = append(r.Files, CheckedFile{Path: f, Kind: kind})
		switch kind {
		case KindApp:
			r.Problems = append(r.Problems, checkApp(f, data)...)
		case KindRecord:
			r.Problems = append(r.Problems, checkRecord(f, data)...)
			spec, why := bundleSpec(f, data)
			specs[filepath.Dir(f)] = spec
			if why != "" {
				r.Skipped = append(r.Skipped, Skip{File: f, Check: "NetworkPolicies against the spec's outbound traffic", Reason: why})
			}
		case KindCompose:
			composeFiles = append(composeFiles, f)
		case KindNginx:
			nginxFiles = append(nginxFiles, f)
		case KindKubernetes:
			dir := filepath.Dir(f)
			kube[dir] = append(kube[dir], docs...)
		}
	}

	nginxChecked := map[string]bool{}
	for _, f := range composeFiles {
		probs, skips, confs := checkCompose(f, opts)
		r.Problems = append(r.Problems, probs...)
		r.Skipped = append(r.Skipped, skips...)
		for _, c := range confs {
			nginxChecked[c] = true
		}
	}
	for _, f := range nginxFiles {
		abs, _ := filepath.Abs(f)
		if nginxChecked[abs] {
			continue // already run as the compose service that mounts it sees it
		}
		probs, skips := checkNginxStandalone(f, opts)
		r.Problems = append(r.Problems, probs...)
		r.Skipped = append(r.Skipped, skips...)
	}
	unchecked := map[string]int{} // file -> unknown documents
	perFile := map[string]int{}
	for _, docs := range kube {
		for _, d := range docs {
			perFile[d.File]++
		}
	}
	for _, dir := range slices.Sorted(maps.Keys(kube)) {
		probs, unknown := checkKube(kube[dir], specs[dir])
		r.Problems = append(r.Problems, probs...)
		r.Unchecked = append(r.Unchecked, unknown...)
		for _, u := range unknown {
			unchecked[u.File]++
		}
		if err := crd.Available(); err != nil {
			for _, d := range kube[dir] {
				if strings.HasPrefix(d.APIVersion, "gateway.networking.k8s.io/") {
					r.Skipped = append(r.Skipped, Skip{File: d.File, Check: "Gateway API schema and CEL checks", Reason: err.Error()})
				}
			}
		}
	}
	slices.SortFunc(r.Files, func(a, b CheckedFile) int { return cmp.Compare(a.Path, b.Path) })
	r.Skipped = slices.Compact(r.Skipped)
	// A file none of whose documents validate knows was not checked.
	r.Files = slices.DeleteFunc(r.Files, func(f CheckedFile) bool {
		return f.Kind == KindKubernetes && unchecked[f.Path] > 0 && unchecked[f.Path] == perFile[f.Path]
	})

	sortProblems(r.Problems)
	r.Problems = slices.Compact(r.Problems)
	slices.SortFunc(r.Skipped, func(a, b Skip) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Check, b.Check))
	})
	return r, nil
}

func sortProblems(ps []Problem) {
	slices.SortFunc(ps, func(a, b Problem) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Resource, b.Resource),
			cmp.Compare(a.Field, b.Field), cmp.Compare(a.Message, b.Message))
	})
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

var nginxBlock = regexp.MustCompile(`(?m)^\s*(http|server|events|stream)\s*\{`)

// classify recognises a file by its content. Kubernetes files also return
// their decoded documents; a YAML file that does not parse is a problem.
func classify(path string, data []byte) (Kind, []kubeDoc, []Problem) {
	if bytes.IndexByte(data, 0) >= 0 {
		return "", nil, nil // binary
	}
	ext := strings.ToLower(filepath.Ext(path))
	isYAMLName := ext == ".yaml" || ext == ".yml"
	if nginxBlock.Match(data) && !isYAMLName {
		return KindNginx, nil, nil
	}
	switch ext {
	case ".md", ".sh", ".crt", ".key", ".pem", ".txt", ".json", ".go", ".html", ".js":
		if ext != ".json" {
			return "", nil, nil
		}
	}
	top, err := topLevelKeys(data)
	if err != nil {
		if isYAMLName {
			return "", nil, []Problem{{File: path, Resource: "yaml", Field: "-", Message: "not valid YAML: " + err.Error()}}
		}
		return "", nil, nil
	}
	if top["services"] && !top["apiVersion"] {
		return KindCompose, nil, nil
	}
	if top["apiVersion"] || top["kind"] {
		docs, probs := splitKube(path, data)
		if len(docs) == 1 && strings.HasPrefix(docs[0].APIVersion, "synctl.dev/") {
			switch docs[0].Kind {
			case "App":
				return KindApp, nil, probs
			case "Bundle":
				return KindRecord, nil, probs
			}
		}
		return KindKubernetes, docs, probs
	}
	return "", nil, nil
}

// topLevelKeys returns the top-level mapping keys across all YAML documents.
func topLevelKeys(data []byte) (map[string]bool, error) {
	dec := yamlv3.NewDecoder(bytes.NewReader(data))
	keys := map[string]bool{}
	for {
		var n yamlv3.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return keys, nil
		}
		if err != nil {
			return nil, err
		}
		if n.Kind != yamlv3.DocumentNode || len(n.Content) == 0 || n.Content[0].Kind != yamlv3.MappingNode {
			continue
		}
		m := n.Content[0]
		for i := 0; i+1 < len(m.Content); i += 2 {
			keys[m.Content[i].Value] = true
		}
	}
}
