// Command synctl renders one typed model of a multi-service web application
// into working deployments for docker, compose behind nginx, Minikube and GKE.
package main

import (
	"os"

	"github.com/synctl/synctl/pkg/startgc"
)

func main() {
	startgc.DeferFirst()
	os.Exit(run(os.Args[1:], streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr}))
}
