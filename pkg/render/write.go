package render

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// WriteOptions change how WriteBundle treats files already in place.
type WriteOptions struct {
	// Force overwrites files that synctl did not write.
	Force bool
}

// WriteBundle writes files under dir so that a failure leaves dir exactly as
// it was: everything is first written to a staging directory beside dir,
// then moved into place (dir itself is renamed into place when new). A file
// in dir that synctl did not write (no generated-file header) is never
// overwritten unless opts.Force. Key material already in dir is kept: a
// certificate and its key are replaced only together, when either is missing.
func WriteBundle(dir string, files []File, opts WriteOptions) error {
	if fi, err := os.Stat(dir); err == nil && !fi.IsDir() {
		return fmt.Errorf("--out %s is a file, not a directory; choose a directory path", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("--out %s: %w", dir, err)
	}
	files = keepKeyMaterial(dir, files)
	var foreign []string
	for _, f := range files {
		if !opts.Force && existsForeign(filepath.Join(dir, filepath.FromSlash(f.Path))) {
			foreign = append(foreign, f.Path)
		}
	}
	if len(foreign) > 0 {
		return fmt.Errorf("refusing to overwrite %s in %s: synctl did not write %s (no %q header); move %s away or pass --force",
			strings.Join(foreign, ", "), dir, them(len(foreign)), HeaderMarker, them(len(foreign)))
	}

	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", parent, err)
	}
	stage, err := os.MkdirTemp(parent, ".synctl-stage-")
	if err != nil {
		return fmt.Errorf("cannot write under %s: %w", parent, err)
	}
	defer os.RemoveAll(stage)
	for _, f := range files {
		p := filepath.Join(stage, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("staging %s: %w", f.Path, err)
		}
		if err := os.WriteFile(p, f.Data, f.Mode); err != nil {
			return fmt.Errorf("staging %s: %w", f.Path, err)
		}
		// WriteFile's mode passes through the umask; keys must end up 0600.
		if err := os.Chmod(p, f.Mode); err != nil {
			return fmt.Errorf("staging %s: %w", f.Path, err)
		}
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(stage, dir); err != nil {
			return fmt.Errorf("moving the bundle into %s: %w", dir, err)
		}
		return os.Chmod(dir, 0o755)
	}
	for _, f := range files {
		dst := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("writing %s: %w", dst, err)
		}
		if err := os.Rename(filepath.Join(stage, filepath.FromSlash(f.Path)), dst); err != nil {
			return fmt.Errorf("writing %s: %w", dst, err)
		}
	}
	return nil
}

func them(n int) string {
	if n == 1 {
		return "it"
	}
	return "them"
}

// existsForeign reports whether path exists and lacks synctl's header.
func existsForeign(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	// synctl's certificate and key have no room for a header; they are the
	// user's to keep (see keepKeyMaterial), but not foreign content to refuse.
	return !IsGenerated(head[:n]) && !bytes.HasPrefix(head[:n], []byte("-----BEGIN "))
}

// IsGenerated reports whether data (a file's start) carries synctl's
// generated-file header: in its first line, or in its second after a "#!"
// line (docker-run.sh). Key material carries none.
func IsGenerated(data []byte) bool {
	first, rest, _ := bytes.Cut(data, []byte("\n"))
	if bytes.HasPrefix(first, []byte("#!")) {
		first, _, _ = bytes.Cut(rest, []byte("\n"))
	}
	return bytes.Contains(first, []byte(HeaderMarker))
}

// keepKeyMaterial drops key material from files when every key file of the
// same directory already exists in dir, so that a render keeps the
// certificate browsers were told to trust.
func keepKeyMaterial(dir string, files []File) []File {
	groups := map[string]bool{} // directory -> all present
	for _, f := range files {
		if !f.KeyMaterial {
			continue
		}
		d := path.Dir(f.Path)
		present, seen := groups[d]
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.Path)))
		groups[d] = (present || !seen) && err == nil
	}
	return slices.DeleteFunc(slices.Clone(files), func(f File) bool {
		return f.KeyMaterial && groups[path.Dir(f.Path)]
	})
}
