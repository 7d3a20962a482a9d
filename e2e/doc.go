// Package e2e holds the end-to-end tests that bring up the rendered
// docker-family setups (docker, docker-network, nginx) the way Docker would
// run them, each container a Linux network namespace on per-network bridges
// with Docker's name resolution (/etc/hosts and the embedded DNS server at
// 127.0.0.11), and prove them with synctl verify.
//
// They run the built-in app with its faithful stand-ins and the apps under
// testdata/apps with the generic stand-in driven by their spec (the test
// binary re-executes itself as each service), nginx for real, and break
// the wiring the ways people do to check that verify names the fault.
//
// The tests need root (CI runs as root), iproute2 and nginx (Debian's
// nginx-light); without root they skip.
package e2e
