// Command standin runs one stand-in service, as the real service would, from
// its environment. It is the entrypoint of the FROM-scratch images
// internal/dockertest builds, so it is built static (CGO_ENABLED=0) and needs
// nothing else in the image.
//
// Usage:
//
//	standin web|api|crawler   a SynergyChat service (faithful stand-in)
//	standin                   with STANDIN_SPEC and STANDIN_SERVICE set: that
//	                          service of any app (the generic stand-in)
//	NAME [args...]            as a health command (see below)
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
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/synctl/synctl/internal/standin"
	"github.com/synctl/synctl/pkg/topology"
)

// The generic stand-in's environment: the spec file inside the image and
// the service to be.
const (
	specEnv    = "STANDIN_SPEC"
	serviceEnv = "STANDIN_SERVICE"
)

func main() {
	if name := filepath.Base(os.Args[0]); name != "standin" {
		os.Exit(health(name))
	}
	generic := len(os.Args) == 1 && os.Getenv(specEnv) != ""
	if len(os.Args) != 2 && !generic {
		fmt.Fprintln(os.Stderr, "usage: standin web|api|crawler, or standin with "+specEnv+" and "+serviceEnv+" set")
		os.Exit(2)
	}
	role := os.Getenv(serviceEnv)
	if !generic {
		role = os.Args[1]
	}
	// As a container's PID 1 the process gets no default signal actions, so
	// stop on SIGTERM explicitly: `docker compose stop` and `down` then take
	// milliseconds and report exit 0 instead of waiting out their grace time.
	stop := make(chan os.Signal, 1)
	signal.Notify(stop, syscall.SIGTERM, syscall.SIGINT)
	go func() {
		s := <-stop
		fmt.Fprintf(os.Stderr, "stand-in %s: %v, exiting\n", role, s)
		os.Exit(0)
	}()
	fmt.Fprintf(os.Stderr, "stand-in %s: starting\n", role)
	var err error
	if generic {
		err = standin.MainApp(os.Getenv(specEnv), role, os.Getenv)
		if err == nil { // a job that finished
			fmt.Fprintf(os.Stderr, "stand-in %s: done\n", role)
			os.Exit(0)
		}
	} else {
		err = standin.Main(role, os.Getenv)
	}
	fmt.Fprintf(os.Stderr, "stand-in %s: %v\n", role, err)
	os.Exit(1)
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
