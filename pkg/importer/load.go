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
		return nil, &LoadError{err}
	}
	return p, nil
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
