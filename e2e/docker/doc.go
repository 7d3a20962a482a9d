// Package docker holds the end-to-end tests that bring the rendered docker,
// docker-network and nginx bundles up with the real Docker Engine and
// Compose v2, by the commands each bundle's README gives, prove them with the
// verify walk against the published ports on 127.0.0.1, and break them the
// ways deployments break: an api recreated with a new address behind nginx,
// the api process dying, the crawler stopped, and a second `up` after a
// spec change.
//
// The services are the stand-ins of internal/standin in FROM-scratch images,
// nginx is Debian's; internal/dockertest builds both locally. Without an
// engine the tests skip with the commands that start one (they fail under
// CI=true). They publish the bundles' fixed host ports (80, 443, 8080-8082),
// so they run one at a time.
package docker
