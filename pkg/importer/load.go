// Package importer turns a compose project into a synctl App spec: the
// services, their ports, images and environment, with the URLs between them
// recognised as links. Loading is compose-go's own (interpolation, .env,
// env_file, extends, include, profiles, several -f files), so a project
// means what `docker compose config` says it means. Every compose field
// that does not map one-to-one is named in a Report with its file and line.
package importer

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
)

// Options are the compose loading options, as docker compose takes them.
type Options struct {
	// Files are the compose files (-f), merged in order; the first is
	// required.
	Files []string
	// EnvFiles replace the project directory's .env (--env-file).
	EnvFiles []string
	// Profiles are the active profiles (--profile).
	Profiles []string
	// ProjectDirectory is the project's directory (--project-directory);
	// default the first file's directory.
	ProjectDirectory string
	// Environ is the environment interpolation reads, as KEY=value; nil
	// means the process's own, as docker compose reads it.
	Environ []string
	// AllowLossy turns refusals into drops.
	AllowLossy bool
	// ReportDir is the directory the report's file names are relative to
	// (default the working directory); files outside it are absolute.
	ReportDir string
}

// LoadError is a compose file compose-go could not load; its message
// carries compose-go's file and line.
type LoadError struct{ Err error }

func (e *LoadError) Error() string { return e.Err.Error() }
func (e *LoadError) Unwrap() error { return e.Err }

// Load loads the compose project exactly as docker compose does.
func Load(ctx context.Context, o Options) (*types.Project, error) {
	if len(o.Files) == 0 {
		return nil, errors.New("no compose file: name one with --from compose.yaml")
	}
	for _, f := range o.Files {
		if _, err := os.Stat(f); err != nil {
			return nil, &LoadError{fmt.Errorf("compose file %s: %w", f, errors.Unwrap(err))}
		}
	}
	env := cli.WithOsEnv
	if o.Environ != nil {
		env = cli.WithEnv(o.Environ)
	}
	opts, err := cli.NewProjectOptions(o.Files,
		cli.WithWorkingDirectory(o.ProjectDirectory),
		env,
		cli.WithEnvFiles(o.EnvFiles...),
		cli.WithDotEnv,
		cli.WithProfiles(o.Profiles),
		cli.WithResolvedPaths(true),
	)
	if err != nil {
		return nil, &LoadError{err}
	}
	p, err := opts.LoadProject(ctx)
	if err != nil {
		return nil, &LoadError{locate(err, o.Files)}
	}
	return p, nil
}

var (
	yamlLine        = regexp.MustCompile(`line (\d+)`)
	interpolating   = regexp.MustCompile(`interpolating ([^ :]+)`)
	undefinedDepend = regexp.MustCompile(`service "([^"]+)" depends on undefined service "([^"]+)"`)
	missingEnvFile  = regexp.MustCompile(`env file (\S+) not found`)
)

// lineOf is the first line of file that mentions s, or 0.
func lineOf(file, s string) int {
	data, err := os.ReadFile(file)
	if err != nil {
		return 0
	}
	for i, l := range strings.Split(string(data), "\n") {
		if strings.Contains(l, s) {
			return i + 1
		}
	}
	return 0
}

// locate puts the compose file, and the line where it can tell, in front
// of a compose-go error that names neither.
func locate(err error, files []string) error {
	msg := err.Error()
	abs := make([]string, len(files))
	for i, f := range files {
		abs[i], _ = filepath.Abs(f)
	}
	for _, f := range append(abs, files...) {
		if strings.Contains(msg, f) {
			return err // compose-go named the file already
		}
	}
	pos := readPositions(abs, func(f string) string {
		for i := range abs {
			if abs[i] == f {
				return files[i]
			}
		}
		return f
	})
	var w where
	switch {
	case interpolating.MatchString(msg):
		path := strings.Split(interpolating.FindStringSubmatch(msg)[1], ".")
		if len(path) >= 2 && path[0] == "services" {
			w = pos.service(path[1], path[2:]...)
		} else {
			w = pos.project(path...)
		}
	case undefinedDepend.MatchString(msg):
		m := undefinedDepend.FindStringSubmatch(msg)
		w = pos.service(m[1], "depends_on", m[2])
	case missingEnvFile.MatchString(msg):
		w = where{File: strings.Join(files, ", ")}
		base := filepath.Base(missingEnvFile.FindStringSubmatch(msg)[1])
		for i, f := range abs {
			if n := lineOf(f, base); n > 0 {
				w = where{files[i], n}
				break
			}
		}
	case yamlLine.MatchString(msg) && len(files) == 1:
		all := yamlLine.FindAllStringSubmatch(msg, -1)
		n, _ := strconv.Atoi(all[len(all)-1][1])
		w = where{files[0], n}
	default:
		w = where{File: strings.Join(files, ", ")}
	}
	return fmt.Errorf("%s: %w", w, err)
}

// displayName shows a file relative to the working directory when it is
// under it, so that reports read the way the user typed the paths.
func displayName(cwd string) func(string) string {
	return func(file string) string {
		if cwd == "" {
			return file
		}
		if rel, err := filepath.Rel(cwd, file); err == nil && !strings.HasPrefix(rel, "..") {
			return filepath.ToSlash(rel)
		}
		return file
	}
}
