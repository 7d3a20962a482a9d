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
