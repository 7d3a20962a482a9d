package render

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// WriteOptions change how Write treats what is already in place.
type WriteOptions struct {
	// Force overwrites files that synctl did not write, and replaces a
	// bundle of another target or app.
	Force bool
}

// Placement puts a bundle in Dir, a slash-separated directory relative to
// Write's output directory ("" for the output directory itself).
type Placement struct {
	Dir    string
	Bundle *Bundle
}

// WriteReport says what Write did beyond writing the bundles' files.
type WriteReport struct {
	// Removed are files, relative to the output directory, that an earlier
	// render wrote and this one no longer does.
	Removed []string
	// Kept are key files already in place, kept rather than rotated.
	Kept []string
}

// Write writes bundles under out so that a failure, or ctx's cancellation
// (SIGINT), leaves out exactly as it was: everything is first written to a
// staging directory on out's own filesystem, then moved into place.
//
//   - A file in out that synctl did not write (no generated-file header) is
//     never overwritten unless opts.Force.
//   - A directory holding the bundle of another target or app (its Record
//     says so) is refused unless opts.Force.
//   - Files an earlier render recorded and this one no longer writes are
//     removed, and reported.
//   - Key material already in place is kept: a certificate and its key are
//     replaced only together, when either is missing.
func Write(ctx context.Context, out string, placements []Placement, opts WriteOptions) (*WriteReport, error) {
	if err := refuseSystemDir(out); err != nil {
		return nil, err
	}
	if fi, err := os.Stat(out); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("--out %s is a file, not a directory; choose a directory path", out)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("--out %s: %w", out, err)
	}
	rep := &WriteReport{}
	var files []File // paths relative to out
	var stale []string
	for _, pl := range placements {
		dir := filepath.Join(out, filepath.FromSlash(pl.Dir))
		old, err := ReadRecord(dir)
		if err != nil && !opts.Force {
			return nil, err
		}
		b := pl.Bundle
		if old != nil && !old.replaces(b) && !opts.Force {
			return nil, fmt.Errorf("refusing to write %s into %s: it holds %s (made by: %s); choose another --out, or pass --force to replace it",
				describe(b.Target, b.Layout, b.App), dir, old.Describe(), old.Command)
		}
		kept := keptKeys(dir, b.Files)
		written := map[string]bool{}
		for _, f := range b.Files {
			written[f.Path] = true
			if kept[f.Path] {
				rep.Kept = append(rep.Kept, path.Join(pl.Dir, f.Path))
				continue
			}
			f.Path = path.Join(pl.Dir, f.Path)
			files = append(files, f)
		}
		if old != nil {
			for _, p := range old.Files {
				if !written[p] && removable(filepath.Join(dir, filepath.FromSlash(p))) {
					stale = append(stale, path.Join(pl.Dir, p))
				}
			}
		}
	}
	var foreign []string
	for _, f := range files {
		if !opts.Force && existsForeign(filepath.Join(out, filepath.FromSlash(f.Path))) {
			foreign = append(foreign, f.Path)
		}
	}
	if len(foreign) > 0 {
		return nil, fmt.Errorf("refusing to overwrite %s in %s: synctl did not write %s (no %q header); move %s away or pass --force",
			strings.Join(foreign, ", "), out, them(len(foreign)), HeaderMarker, them(len(foreign)))
	}

	// Stage on the filesystem the files end up on, so that moving them into
	// place is a rename even when out is a mount point: inside out when it
	// exists, beside it (and renamed in whole) when it does not.
	_, statErr := os.Stat(out)
	fresh := errors.Is(statErr, fs.ErrNotExist)
	stageIn := out
	if fresh {
		stageIn = filepath.Dir(filepath.Clean(out))
		if err := os.MkdirAll(stageIn, 0o755); err != nil {
			return nil, fmt.Errorf("cannot create %s: %w", stageIn, err)
		}
	}
	stage, err := os.MkdirTemp(stageIn, ".synctl-stage-")
	if err != nil {
		return nil, fmt.Errorf("cannot write under %s: %w", stageIn, err)
	}
	defer os.RemoveAll(stage)
	if err := stageFiles(ctx, stage, files); err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("interrupted before anything was written to %s: %w", out, ctx.Err())
		}
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("interrupted before anything was written to %s: %w", out, err)
	}
	// From here on nothing checks ctx: moving the staged files takes
	// microseconds, and stopping half way would leave a mixed bundle.
	if fresh {
		if err := os.Rename(stage, out); err != nil {
			return nil, fmt.Errorf("moving the bundle into %s: %w", out, err)
		}
		return rep, os.Chmod(out, 0o755)
	}
	for _, f := range files {
		dst := filepath.Join(out, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return nil, fmt.Errorf("writing %s: %w", dst, err)
		}
		if err := move(filepath.Join(stage, filepath.FromSlash(f.Path)), dst, f); err != nil {
			return nil, fmt.Errorf("writing %s: %w", dst, err)
		}
	}
	for _, p := range stale {
		if err := os.Remove(filepath.Join(out, filepath.FromSlash(p))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("removing stale %s: %w", p, err)
		}
		rep.Removed = append(rep.Removed, p)
		pruneEmpty(out, path.Dir(p))
	}
	return rep, nil
}

// pruneEmpty removes dir (relative to out, slash-separated) and its
// parents below out while they are empty: the directories a removed stale
// file leaves behind, such as the overlay of a target no longer rendered.
func pruneEmpty(out, dir string) {
	for ; dir != "." && dir != "/" && dir != ""; dir = path.Dir(dir) {
		if os.Remove(filepath.Join(out, filepath.FromSlash(dir))) != nil {
			return // not empty, or not ours to remove
		}
	}
}

// stageFiles writes files under stage, as many at a time as there are
// processors (an app of 1000 services writes over 10000 files, and each
// costs a few system calls). It stops at ctx's cancellation or the first
// failure, and reports the failure of the first file in files' order.
func stageFiles(ctx context.Context, stage string, files []File) error {
	// Each directory once, before any file: parents first, as they sort.
	dirs := map[string]bool{}
	for _, f := range files {
		dirs[path.Dir(f.Path)] = true
	}
	for _, d := range slices.Sorted(maps.Keys(dirs)) {
		if err := os.MkdirAll(filepath.Join(stage, filepath.FromSlash(d)), 0o755); err != nil {
			return fmt.Errorf("staging %s: %w", d, err)
		}
	}
	umask := processUmask()
	errs := make([]error, len(files))
	var failed atomic.Bool
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), len(files)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(files) || failed.Load() || ctx.Err() != nil {
					return
				}
				f := files[i]
				if err := createFile(filepath.Join(stage, filepath.FromSlash(f.Path)), f.Data, f.Mode, umask); err != nil {
					errs[i] = fmt.Errorf("staging %s: %w", f.Path, err)
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// writeFile creates p with exactly mode (WriteFile's mode passes through
// the umask; keys must end up 0600).
func writeFile(p string, data []byte, mode fs.FileMode) error {
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(p, data, mode); err != nil {
		return err
	}
	return os.Chmod(p, mode)
}

// move renames src to dst; where they are on different filesystems (a
// bundle subdirectory that is itself a mount point), it writes a temporary
// file beside dst and renames that, so dst is still replaced in one step.
func move(src, dst string, f File) error {
	err := os.Rename(src, dst)
	if !errors.Is(err, syscall.EXDEV) {
		return err
	}
	tmp := filepath.Join(filepath.Dir(dst), ".synctl-tmp-"+filepath.Base(dst))
	if err := writeFile(tmp, f.Data, f.Mode); err != nil {
		os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}

// refuseSystemDir refuses output directories whose files synctl must never
// mix with its own or remove: the filesystem root, its top-level
// directories and the home directory itself.
func refuseSystemDir(out string) error {
	abs, err := filepath.Abs(out)
	if err != nil {
		return fmt.Errorf("--out %s: %w", out, err)
	}
	home, _ := os.UserHomeDir()
	if abs == "/" || filepath.Dir(abs) == "/" || (home != "" && abs == filepath.Clean(home)) {
		return fmt.Errorf("--out %s is a system directory (%s); write the bundle into a directory of its own, e.g. --out ./deploy", out, abs)
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
	head, ok := readHead(path)
	// synctl's certificate and key have no room for a header; they are the
	// user's to keep (see keptKeys), but not foreign content to refuse.
	return ok && !IsGenerated(head) && !bytes.HasPrefix(head, []byte("-----BEGIN "))
}

// removable reports whether a file an earlier render recorded is still
// synctl's to remove: it exists and carries the header, or is key material.
func removable(path string) bool {
	head, ok := readHead(path)
	return ok && (IsGenerated(head) || bytes.HasPrefix(head, []byte("-----BEGIN ")))
}

func readHead(path string) ([]byte, bool) {
	f, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(f, head)
	return head[:n], true
}

// keptKeys lists the key files of files that are kept as they are in dir:
// those of a directory in which every key file already exists, so that a
// render keeps the certificate browsers were told to trust.
func keptKeys(dir string, files []File) map[string]bool {
	groups := map[string]bool{} // directory -> all present
	for _, f := range files {
		if f.Kind != KindKey {
			continue
		}
		d := path.Dir(f.Path)
		present, seen := groups[d]
		_, err := os.Stat(filepath.Join(dir, filepath.FromSlash(f.Path)))
		groups[d] = (present || !seen) && err == nil
	}
	kept := map[string]bool{}
	for _, f := range files {
		if f.Kind == KindKey && groups[path.Dir(f.Path)] {
			kept[f.Path] = true
		}
	}
	return kept
}
