package nodetest

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"path"
	"runtime"
	"slices"
	"strings"
	"time"
)

// Layer is one filesystem layer of an image: the files it holds, by their
// path in the image ("standin", "etc/app.yaml"). Directories are made as
// needed. Images that share a *Layer share its blob.
type Layer struct {
	Files map[string]File

	tar    []byte // the uncompressed layer tar, once built
	diffID string // "sha256:<hex>" of tar
}

// File is one file of a layer: a regular file, or a symbolic link to Link
// when that is set (Data and Mode are then unused).
type File struct {
	Data []byte
	Mode fs.FileMode
	Link string
}

// Image is a FROM-scratch image: layers and what runs. Ref must name a tag
// that is not "latest" (see [Node.Import]).
type Image struct {
	Ref        string
	Layers     []*Layer
	Entrypoint []string
	Env        []string
}

// epoch is every file's modification time, so that the same files give the
// same layer digest on every run.
var epoch = time.Unix(0, 0).UTC()

// build makes the layer's tar once.
func (l *Layer) build() error {
	if l.tar != nil {
		return nil
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	dirs := map[string]bool{}
	names := slices.Sorted(func(yield func(string) bool) {
		for n := range l.Files {
			if !yield(n) {
				return
			}
		}
	})
	for _, name := range names {
		clean := path.Clean(strings.TrimPrefix(name, "/"))
		if clean == "." || strings.HasPrefix(clean, "../") {
			return fmt.Errorf("nodetest: layer file %q is not a path inside the image", name)
		}
		// Parent directories first, each once.
		parts := strings.Split(clean, "/")
		for i := 1; i < len(parts); i++ {
			d := strings.Join(parts[:i], "/") + "/"
			if dirs[d] {
				continue
			}
			dirs[d] = true
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: d, Mode: 0o755, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
				return err
			}
		}
		f := l.Files[name]
		if f.Link != "" {
			if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: clean, Linkname: f.Link, Mode: 0o777, ModTime: epoch, Format: tar.FormatPAX}); err != nil {
				return err
			}
			continue
		}
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: clean, Mode: int64(f.Mode.Perm()), Size: int64(len(f.Data)), ModTime: epoch, Format: tar.FormatPAX}); err != nil {
			return err
		}
		if _, err := tw.Write(f.Data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	l.tar = buf.Bytes()
	sum := sha256.Sum256(l.tar)
	l.diffID = "sha256:" + hex.EncodeToString(sum[:])
	return nil
}

// imageConfig is the part of the image configuration
// (application/vnd.docker.container.image.v1+json) a runtime reads.
type imageConfig struct {
	Architecture string `json:"architecture"`
	OS           string `json:"os"`
	Config       struct {
		Entrypoint []string `json:"Entrypoint,omitempty"`
		Env        []string `json:"Env,omitempty"`
	} `json:"config"`
	RootFS struct {
		Type    string   `json:"type"`
		DiffIDs []string `json:"diff_ids"`
	} `json:"rootfs"`
	Created time.Time `json:"created"`
}

// manifestEntry is one image of a docker-archive's manifest.json, the
// format `docker save` writes and `ctr images import` reads.
type manifestEntry struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// WriteArchive writes images as one docker-archive tarball (docker save's
// format: manifest.json, a config blob per image and a directory per
// layer), which `ctr images import` reads. Layers shared by several images
// are written once.
func WriteArchive(w io.Writer, images []Image) error {
	tw := tar.NewWriter(w)
	written := map[string]bool{}
	add := func(name string, data []byte) error {
		if written[name] {
			return nil
		}
		written[name] = true
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(data)), ModTime: epoch}); err != nil {
			return err
		}
		_, err := tw.Write(data)
		return err
	}
	var manifest []manifestEntry
	for _, img := range images {
		if err := checkRef(img.Ref); err != nil {
			return err
		}
		var cfg imageConfig
		cfg.Architecture, cfg.OS = runtime.GOARCH, "linux"
		cfg.Config.Entrypoint, cfg.Config.Env = img.Entrypoint, img.Env
		cfg.RootFS.Type = "layers"
		cfg.Created = epoch
		entry := manifestEntry{RepoTags: []string{img.Ref}}
		for _, l := range img.Layers {
			if err := l.build(); err != nil {
				return err
			}
			name := strings.TrimPrefix(l.diffID, "sha256:") + "/layer.tar"
			if err := add(name, l.tar); err != nil {
				return err
			}
			cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, l.diffID)
			entry.Layers = append(entry.Layers, name)
		}
		data, err := json.Marshal(cfg)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(data)
		entry.Config = hex.EncodeToString(sum[:]) + ".json"
		if err := add(entry.Config, data); err != nil {
			return err
		}
		manifest = append(manifest, entry)
	}
	data, err := json.Marshal(manifest)
	if err != nil {
		return err
	}
	if err := add("manifest.json", data); err != nil {
		return err
	}
	return tw.Close()
}

// checkRef refuses a reference the kubelet would try to pull: without a
// tag, or tagged latest, the default imagePullPolicy is Always, and there
// is no registry to pull from.
func checkRef(ref string) error {
	if strings.Contains(ref, "@") {
		return fmt.Errorf("nodetest: image %q: a digest reference cannot name an imported image (its digest is the content's); give NAME:TAG", ref)
	}
	i := strings.LastIndex(ref, ":")
	if i < 0 || i < strings.LastIndex(ref, "/") {
		return fmt.Errorf("nodetest: image %q has no tag: the kubelet's default pull policy for it is Always, and no registry is reachable; give NAME:TAG with a tag other than latest", ref)
	}
	if ref[i+1:] == "latest" {
		return fmt.Errorf("nodetest: image %q is tagged latest: the kubelet's default pull policy for it is Always, and no registry is reachable; give another tag", ref)
	}
	return nil
}
