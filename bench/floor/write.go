//go:build floorwrite

package main

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// bundle is the built-in app's bundle of every target, as synctl renders
// it; bench/run.sh lays it over this directory with go build -overlay.
//
//go:embed all:bundle
var bundle embed.FS

func init() {
	write = func(args []string) error {
		if len(args) != 2 || args[0] != "--write" {
			return nil
		}
		dir := args[1]
		stage, err := os.MkdirTemp(filepath.Dir(dir), ".floor-stage-")
		if err != nil {
			return err
		}
		err = fs.WalkDir(bundle, "bundle", func(p string, d fs.DirEntry, err error) error {
			if err != nil || p == "bundle" {
				return err
			}
			out := filepath.Join(stage, strings.TrimPrefix(p, "bundle/"))
			if d.IsDir() {
				return os.Mkdir(out, 0o755)
			}
			data, err := bundle.ReadFile(p)
			if err != nil {
				return err
			}
			mode := os.FileMode(0o644)
			if strings.HasSuffix(p, ".sh") {
				mode = 0o755
			}
			return os.WriteFile(out, data, mode)
		})
		if err == nil {
			err = os.Rename(stage, dir)
		}
		if err != nil {
			os.RemoveAll(stage)
			return fmt.Errorf("writing the bundle to %s (a new directory, as on synctl's first render): %w", dir, err)
		}
		return nil
	}
}
