package render

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A cancelled write (SIGINT) leaves the directory as it was and nothing
// staged behind.
func TestWriteCancelled(t *testing.T) {
	base := t.TempDir()
	out := filepath.Join(base, "out")
	b := &Bundle{Target: "t", App: "a", Files: []File{{Path: "x.yaml", Data: []byte("# " + HeaderMarker + "\nx: 1\n"), Mode: 0o644, Kind: KindManifest}}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, existing := range []bool{false, true} {
		if existing {
			os.MkdirAll(out, 0o755)
		}
		_, err := Write(ctx, out, []Placement{{Bundle: b}}, WriteOptions{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
		entries, _ := os.ReadDir(base)
		if existing {
			entries, _ = os.ReadDir(out)
		}
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".synctl-stage-") || e.Name() == "x.yaml" || (!existing && e.Name() == "out") {
				t.Errorf("left behind: %s", e.Name())
			}
		}
	}
}

func layoutBundle(t *testing.T, target, layout string, paths ...string) *Bundle {
	t.Helper()
	b := &Bundle{Target: target, Layout: layout, App: "a", Command: "synctl render"}
	for _, p := range paths {
		b.Files = append(b.Files, File{Path: p, Data: []byte("# " + HeaderMarker + "\nx: 1\n"), Mode: 0o644, Kind: KindManifest})
	}
	rec, err := b.RecordFile()
	if err != nil {
		t.Fatal(err)
	}
	b.Files = append(b.Files, rec)
	return b
}

// A Kustomize layout rendered again for fewer targets replaces the old one
// and leaves no empty overlay directory behind; a bundle in another layout
// is refused, naming both.
func TestWriteLayouts(t *testing.T) {
	out := t.TempDir()
	write := func(b *Bundle) error {
		_, err := Write(context.Background(), out, []Placement{{Bundle: b}}, WriteOptions{})
		return err
	}
	if err := write(layoutBundle(t, "minikube,gke", LayoutKustomize, "base/a.yaml", "overlays/minikube/k.yaml", "overlays/minikube/patches/p.yaml", "overlays/gke/k.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := write(layoutBundle(t, "gke", LayoutKustomize, "base/a.yaml", "overlays/gke/k.yaml")); err != nil {
		t.Fatalf("rendering the layout again for fewer targets: %v", err)
	}
	if _, err := os.Stat(filepath.Join(out, "overlays", "minikube")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("overlays/minikube is still there after its files were removed (stat: %v)", err)
	}
	if _, err := os.Stat(filepath.Join(out, "overlays", "gke", "k.yaml")); err != nil {
		t.Error(err)
	}
	err := write(layoutBundle(t, "gke", "", "x.yaml"))
	want := "refusing to write the gke bundle of app a into " + out + ": it holds the Kustomize layout of gke of app a"
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("writing a bundle over a layout: err = %v, want %q", err, want)
	}
	helm := t.TempDir()
	if _, err := Write(context.Background(), helm, []Placement{{Bundle: layoutBundle(t, "gke", LayoutHelm, "Chart.yaml")}}, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	_, err = Write(context.Background(), helm, []Placement{{Bundle: layoutBundle(t, "gke", "", "x.yaml")}}, WriteOptions{})
	if err == nil || !strings.Contains(err.Error(), "it holds the gke Helm chart of app a") {
		t.Errorf("writing a bundle over a chart of the same target: err = %v", err)
	}
}
