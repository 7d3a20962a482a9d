// Command pause is the sandbox ("infra") container of the node tests: the
// process that holds a pod's namespaces while its containers come and go.
// It is built static (CGO_ENABLED=0) by .ci/node-tools.sh and packed into a
// FROM-scratch image by internal/nodetest, because no registry is reachable
// to pull the usual registry.k8s.io/pause.
//
// It sleeps until SIGTERM or SIGINT and then exits 0. As PID 1 of a pod
// that shares its process namespace it also reaps orphans.
package main

import (
	"os"
	"os/signal"
	"syscall"
)

func main() {
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	for s := range sigs {
		if s != syscall.SIGCHLD {
			os.Exit(0)
		}
		for {
			var ws syscall.WaitStatus
			pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
			if pid <= 0 || err != nil {
				break
			}
		}
	}
}
