//go:build tools

// Package compose pins Docker Compose v2, built from its Go module by
// .ci/docker-tools.sh. Debian ships only Compose v1, which rejects the compose
// files synctl renders, and no registry can be reached, so the real-engine
// tests (e2e/docker) need this build. It is a module of its own so that
// compose's large dependency graph stays out of synctl's go.mod.
package compose

import _ "github.com/docker/compose/v2/cmd"
