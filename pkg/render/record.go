package render

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"

	"gopkg.in/yaml.v3"
)

// RecordPath is the file in every bundle directory that records what made
// it. It has no .yaml extension, so that `kubectl apply -f DIR` skips it.
const RecordPath = ".synctl-bundle"

// RecordKind and RecordAPIVersion identify a bundle record.
const (
	RecordAPIVersion = "synctl.dev/v1alpha1"
	RecordKind       = "Bundle"
)

// Record is what a bundle directory holds about itself: which target and
// app it is, the command that re-renders it from inside the directory, and
// the files synctl wrote there, so that the next render can remove the ones
// it no longer writes and refuse to mix two bundles in one directory.
type Record struct {
	APIVersion string   `yaml:"apiVersion"`
	Kind       string   `yaml:"kind"`
	Target     string   `yaml:"target"`
	Layout     string   `yaml:"layout,omitempty"`
	App        string   `yaml:"app"`
	Command    string   `yaml:"command"`
	Files      []string `yaml:"files"`
}

// RecordFile is the bundle's record as a file.
func (b *Bundle) RecordFile() (File, error) {
	r := Record{APIVersion: RecordAPIVersion, Kind: RecordKind, Target: b.Target, Layout: b.Layout, App: b.App, Command: b.Command}
	for _, f := range b.Files {
		if f.Kind != KindRecord {
			r.Files = append(r.Files, f.Path)
		}
	}
	// The emitter writes what yaml.v3 does for a record (FuzzRecord), where
	// it can; an app of 1000 services lists over 4000 files per bundle.
	if doc, ok := composeDocOf(reflect.ValueOf(r)); ok {
		if data, ok := appendYAMLv3(Header("#", b.Command), doc); ok {
			return File{Path: RecordPath, Data: data, Mode: 0o644, Kind: KindRecord}, nil
		}
	}
	var out bytes.Buffer
	out.Write(Header("#", b.Command))
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(r); err != nil {
		return File{}, err
	}
	if err := enc.Close(); err != nil {
		return File{}, err
	}
	return File{Path: RecordPath, Data: out.Bytes(), Mode: 0o644, Kind: KindRecord}, nil
}

// ReadRecord reads the record of the bundle in dir; it returns nil and no
// error when dir holds none.
func ReadRecord(dir string) (*Record, error) {
	data, err := os.ReadFile(filepath.Join(dir, RecordPath))
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r Record
	if err := yaml.Unmarshal(data, &r); err != nil || r.Kind != RecordKind {
		return nil, fmt.Errorf("%s is not a bundle record synctl can read; move it away or pass --force", filepath.Join(dir, RecordPath))
	}
	return &r, nil
}

// The layouts a bundle's files may be arranged in besides the target's own
// (see package layout).
const (
	LayoutKustomize = "kustomize"
	LayoutHelm      = "helm"
)

// Describe names what a record's directory holds: "the gke bundle of app
// shop", "the gke Helm chart of app shop", "the Kustomize layout of
// minikube,gke of app shop".
func (r *Record) Describe() string {
	return describe(r.Target, r.Layout, r.App)
}

// replaces reports whether b may replace what the record describes without
// --force: the same app in the same layout, and for anything but a
// Kustomize layout (whose overlays come and go with its targets), the same
// target.
func (r *Record) replaces(b *Bundle) bool {
	return r.App == b.App && r.Layout == b.Layout && (r.Layout == LayoutKustomize || r.Target == b.Target)
}

func describe(target, layout, app string) string {
	switch layout {
	case "":
		return fmt.Sprintf("the %s bundle of app %s", target, app)
	case LayoutKustomize:
		return fmt.Sprintf("the Kustomize layout of %s of app %s", target, app)
	case LayoutHelm:
		return fmt.Sprintf("the %s Helm chart of app %s", target, app)
	}
	return fmt.Sprintf("the %s %s of app %s", target, layout, app)
}
