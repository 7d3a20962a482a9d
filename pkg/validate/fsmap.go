package validate

import (
	"bytes"
	"io"
	"io/fs"
	"maps"
	"slices"
	"time"
)

// fstestMap is a flat in-memory fs.FS of regular files.
type fstestMap map[string][]byte

func (m fstestMap) Open(name string) (fs.File, error) {
	if name == "." {
		return &memDir{m: m}, nil
	}
	b, ok := m[name]
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return &memFile{name: name, r: bytes.NewReader(b), size: int64(len(b))}, nil
}

type memFile struct {
	name string
	r    *bytes.Reader
	size int64
}

func (f *memFile) Stat() (fs.FileInfo, error) { return memInfo{f.name, f.size, false}, nil }
func (f *memFile) Read(p []byte) (int, error) { return f.r.Read(p) }
func (f *memFile) Close() error               { return nil }

type memDir struct {
	m    fstestMap
	done bool
}

func (d *memDir) Stat() (fs.FileInfo, error) { return memInfo{".", 0, true}, nil }
func (d *memDir) Read([]byte) (int, error)   { return 0, io.EOF }
func (d *memDir) Close() error               { return nil }
func (d *memDir) ReadDir(n int) ([]fs.DirEntry, error) {
	if d.done {
		return nil, nil
	}
	d.done = true
	var out []fs.DirEntry
	for _, k := range slices.Sorted(maps.Keys(d.m)) {
		out = append(out, fs.FileInfoToDirEntry(memInfo{k, int64(len(d.m[k])), false}))
	}
	return out, nil
}

type memInfo struct {
	name  string
	size  int64
	isDir bool
}

func (i memInfo) Name() string { return i.name }
func (i memInfo) Size() int64  { return i.size }
func (i memInfo) Mode() fs.FileMode {
	if i.isDir {
		return fs.ModeDir | 0o755
	}
	return 0o644
}
func (i memInfo) ModTime() time.Time { return time.Time{} }
func (i memInfo) IsDir() bool        { return i.isDir }
func (i memInfo) Sys() any           { return nil }
