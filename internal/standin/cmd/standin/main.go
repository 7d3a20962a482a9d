// Command standin runs one SynergyChat stand-in service (web, api or
// crawler) from its environment, as the real service would. It is the
// entrypoint of the FROM-scratch images internal/dockertest builds, so it is
// built static (CGO_ENABLED=0) and needs nothing else in the image.
//
// Usage: standin web|api|crawler
package main

import (
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/synctl/synctl/internal/standin"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: standin web|api|crawler")
		os.Exit(2)
	}
	role := os.Args[1]
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
	err := standin.Main(role, os.Getenv)
	fmt.Fprintf(os.Stderr, "stand-in %s: %v\n", role, err)
	os.Exit(1)
}
