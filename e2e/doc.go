// Package e2e holds the end-to-end tests that bring up the rendered
// docker-family setups the way Docker would run them, each container a Linux
// network namespace on per-network bridges, and prove them with synctl verify.
//
// The tests need root (CI runs as root), iproute2 and nginx (Debian's
// nginx-light); without root they skip.
package e2e
