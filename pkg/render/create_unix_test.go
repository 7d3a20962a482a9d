//go:build unix

package render

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// Written files get exactly their modes whatever the umask: createFile
// skips fchmod only where the umask takes nothing away.
func TestWriteModesUnderUmask(t *testing.T) {
	for _, umask := range []int{0o022, 0o077, 0o002, 0} {
		old := syscall.Umask(umask)
		if got := processUmask(); got != uint32(umask) {
			syscall.Umask(old)
			t.Fatalf("processUmask() = %#o, want %#o", got, umask)
		}
		out := filepath.Join(t.TempDir(), "out")
		files := []File{
			{Path: "a.yaml", Data: []byte("# " + HeaderMarker + "\nx: 1\n"), Mode: 0o644, Kind: KindManifest},
			{Path: "run.sh", Data: []byte("# " + HeaderMarker + "\ntrue\n"), Mode: 0o755, Kind: KindManifest},
			{Path: "certs/key.pem", Data: []byte("key"), Mode: 0o600, Kind: KindKey},
		}
		_, err := Write(context.Background(), out, []Placement{{Bundle: &Bundle{Target: "t", App: "a", Files: files}}}, WriteOptions{})
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range files {
			fi, err := os.Stat(filepath.Join(out, f.Path))
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != f.Mode.Perm() {
				t.Errorf("umask %#o: %s has mode %v, want %v", umask, f.Path, fi.Mode().Perm(), f.Mode.Perm())
			}
			data, _ := os.ReadFile(filepath.Join(out, f.Path))
			if string(data) != string(f.Data) {
				t.Errorf("umask %#o: %s holds %q", umask, f.Path, data)
			}
		}
	}
	// A file that exists is not overwritten: fs.ErrExist, as os.OpenFile.
	p := filepath.Join(t.TempDir(), "x")
	if err := createFile(p, []byte("a"), 0o644, 0o022); err != nil {
		t.Fatal(err)
	}
	if err := createFile(p, []byte("b"), 0o644, 0o022); !errors.Is(err, fs.ErrExist) {
		t.Errorf("second create: %v, want an fs.ErrExist", err)
	}
}
