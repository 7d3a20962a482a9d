// Command standin runs one stand-in service from its environment, as the
// real service would. It is the entrypoint of the FROM-scratch images that
// internal/dockertest and internal/nodetest build, so it is built static
// (CGO_ENABLED=0) and needs nothing else in the image.
//
// Usage:
//
//	standin web|api|crawler        a service of the built-in app, by role
//	standin app SPEC SERVICE       SERVICE of the app whose spec is the file SPEC
//	standin                        with STANDIN_SPEC and STANDIN_SERVICE set: the same
//	NAME [args...]                 as a health command (see below)
//
// A FROM-scratch image has no shell, so the node tests run these inside a
// running container with `kubectl exec`, as the pod's user:
//
//	standin keep DIR TEXT          write TEXT to DIR/synctl-kept.txt (is DIR writable?)
//	standin kept DIR               print DIR/synctl-kept.txt
//	standin get ENV PATH           GET the URL in $ENV plus PATH; exit 1 unless 200
//	standin link ENV               with STANDIN_SPEC and STANDIN_SERVICE set: use the
//	                               service's link in $ENV once, in the link's own form
//	                               (a URL, host:port, a host beside its port); exit 1
//	                               unless the linked service answers
//
// The binary is multi-call: invoked under any name other than "standin"
// (argv[0]), it is the service's health command. A spec's readiness command
// (voting's db: `pg_isready -U postgres`) names a program of the real image,
// which compose runs inside the container as a healthcheck; a FROM-scratch
// image has no such program and no shell. The image installs this binary
// under that name as well, so the healthcheck the bundle renders runs
// unchanged: it connects to the service's own port and exits 0 when the
// stand-in answers, 1 when not, whatever the arguments.
package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/synctl/synctl/internal/standin"
	"github.com/synctl/synctl/pkg/topology"
)

// The generic stand-in's environment: the spec file inside the image and
// the service to be.
const (
	specEnv    = "STANDIN_SPEC"
	serviceEnv = "STANDIN_SERVICE"
)

const usage = "usage: standin web|api|crawler | standin app SPEC SERVICE | standin keep DIR TEXT | standin kept DIR | standin get ENV PATH | standin link ENV"

// keptFile is the file keep writes and kept reads.
const keptFile = "synctl-kept.txt"

func main() {
	if name := filepath.Base(os.Args[0]); name != "standin" {
		os.Exit(health(name))
	}
	args := os.Args[1:]
	switch {
	case len(args) == 0 && os.Getenv(specEnv) != "":
		serveApp(os.Getenv(specEnv), os.Getenv(serviceEnv))
	case len(args) == 0:
		fail(2, usage)
	case args[0] == "app" && len(args) == 3:
		serveApp(args[1], args[2])
	case args[0] == "keep" && len(args) == 3:
		keep(args[1], args[2])
	case args[0] == "kept" && len(args) == 2:
		data, err := os.ReadFile(filepath.Join(args[1], keptFile))
		if err != nil {
			fail(1, err.Error())
		}
		os.Stdout.Write(data)
	case args[0] == "get" && len(args) == 3:
		get(args[1], args[2])
	case args[0] == "link" && len(args) == 2:
		link(args[1])
	case len(args) == 1:
		serve(args[0], func() error { return standin.Main(args[0], os.Getenv) })
	default:
		fail(2, usage)
	}
}

func fail(code int, msg string) {
	fmt.Fprintln(os.Stderr, "standin:", msg)
	os.Exit(code)
}

// serve runs a service until it fails or a signal stops it.
func serve(name string, run func() error) {
	// As a container's PID 1 the process gets no default signal actions, so
	// stop on SIGTERM explicitly: `docker compose stop` and `down` then take
	// milliseconds and report exit 0 instead of waiting out their grace time.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		s := <-stop
		fmt.Fprintf(os.Stderr, "stand-in %s: %v, exiting\n", name, s)
		os.Exit(0)
	}()
	fmt.Fprintf(os.Stderr, "stand-in %s: starting\n", name)
	err := run()
	fmt.Fprintf(os.Stderr, "stand-in %s: %v\n", name, err)
	os.Exit(1)
}

// keep writes text into dir through a temporary file and a rename, and
// syncs it, so that a restart right after finds all of it or none.
func keep(dir, text string) {
	f, err := os.CreateTemp(dir, ".kept-*")
	if err != nil {
		fail(1, fmt.Sprintf("%s is not writable by uid %d gid %d: %v", dir, os.Getuid(), os.Getgid(), err))
	}
	_, err = f.WriteString(text)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, keptFile))
	}
	if err != nil {
		os.Remove(f.Name())
		fail(1, err.Error())
	}
}

// get asks a linked service from inside the pod, through the URL the
// deployment gave the process, so that the cluster's DNS and Service
// routing are what is tested.
func get(env, path string) {
	base := os.Getenv(env)
	if base == "" {
		fail(1, "$"+env+" is not set in this container")
	}
	u := strings.TrimRight(base, "/") + "/" + strings.TrimLeft(path, "/")
	c := &http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get(u)
	if err != nil {
		fail(1, fmt.Sprintf("GET %s ($%s=%s): %v", u, env, base, err))
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	fmt.Printf("GET %s ($%s=%s): %s\n", u, env, base, resp.Status)
	if resp.StatusCode != http.StatusOK {
		os.Exit(1)
	}
}

// link uses the service's link in $env once, from inside its container.
func link(env string) {
	spec, service := os.Getenv(specEnv), os.Getenv(serviceEnv)
	if spec == "" || service == "" {
		fail(2, specEnv+" and "+serviceEnv+" must be set for link")
	}
	data, err := os.ReadFile(spec)
	if err != nil {
		fail(1, err.Error())
	}
	m, err := topology.Decode(spec, data)
	if err != nil {
		fail(1, err.Error())
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	got, err := standin.Reach(ctx, m, service, env, os.Getenv)
	if err != nil {
		fail(1, fmt.Sprintf("%s: $%s=%s: %v", service, env, redactEnv(os.Getenv(env)), err))
	}
	fmt.Printf("%s: $%s: %s\n", service, env, got)
}

// redactEnv hides a URL's password, for messages.
func redactEnv(v string) string {
	if u, err := url.Parse(v); err == nil && u.User != nil {
		return u.Redacted()
	}
	return v
}

// serveApp serves service of the app whose spec is at spec; a job exits 0
// once it has done its work.
func serveApp(spec, service string) {
	serve(service, func() error {
		err := standin.MainApp(spec, service, os.Getenv)
		if err == nil {
			fmt.Fprintf(os.Stderr, "stand-in %s: done\n", service)
			os.Exit(0)
		}
		return err
	})
}

// health is the exit status of the health command called name.
func health(name string) int {
	spec, service := os.Getenv(specEnv), os.Getenv(serviceEnv)
	if spec == "" || service == "" {
		fmt.Fprintf(os.Stderr, "%s (stand-in health command): %s and %s must be set\n", name, specEnv, serviceEnv)
		return 1
	}
	data, err := os.ReadFile(spec)
	if err == nil {
		var m *topology.Model
		if m, err = topology.Decode(spec, data); err == nil {
			err = standin.Healthy(m, service, os.Getenv)
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s (stand-in health command for %s): %v\n", name, service, err)
		return 1
	}
	fmt.Printf("%s: accepting connections\n", service)
	return 0
}
