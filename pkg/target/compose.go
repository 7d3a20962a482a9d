package target

import (
	"fmt"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/topology"
)

// What the compose targets (docker, docker-network, nginx) share.

// minCompose is the oldest Docker Compose that loads the files synctl
// writes: depends_on's `required` key came with v2.20.0.
const minCompose = "v2.20"

// project names a compose target's project (and its containers, network and
// volumes) after the app and the target, so that two setups of one app
// never take over each other's containers or data.
func project(b *Build) string { return b.Model.Name + "-" + b.Target.Name() }

// composeFiles renders the compose file, and with run the docker run script
// that does the same.
func composeFiles(b *Build, o render.ComposeOptions, run bool) ([]render.File, *types.Project, error) {
	p := render.ComposeProject(b.Model, b.Wiring, o)
	compose, err := render.ComposeFile(p, b.Command())
	if err != nil {
		return nil, nil, err
	}
	files := []render.File{compose}
	if env, ok, err := render.EnvFile(b.Model); err != nil {
		return nil, nil, err
	} else if ok {
		files = append(files, env)
	}
	if run {
		script, err := render.DockerRunScript(b.Target.Name(), b.Model, b.Wiring, p, b.Command())
		if err != nil {
			return nil, nil, err
		}
		files = append(files, script)
	}
	return files, p, nil
}

// composeSteps bring a compose bundle up, and take it down.
func composeSteps(b *Build, run bool) []render.Step {
	steps := []render.Step{{Commands: []string{"docker compose up -d"}}}
	if run {
		steps = append(steps, render.Step{Text: "or, without compose:", Commands: []string{"sh " + render.DockerRunFileName}})
	}
	return append(steps, render.Step{
		Text: fmt.Sprintf("The compose file needs Docker Compose %s or later (`docker compose version`). "+
			"Compose v1 (`docker-compose` 1.x, as Debian and Ubuntu package it) rejects it: "+
			"install the compose plugin from Docker's packages%s.", minCompose, orRun(run)),
	}, render.Step{
		Text:     "Take it down again; `-v` also deletes the data volumes:",
		Commands: []string{"docker compose down -v"},
	})
}

func orRun(run bool) string {
	if run {
		return ", or use `sh " + render.DockerRunFileName + "`"
	}
	return ""
}

// composeNotes are what every compose bundle's README explains.
func composeNotes(b *Build) []string {
	notes := []string{
		fmt.Sprintf("The compose project is `%s`, named after the app and the setup: bringing up another setup of the same app never takes over these containers, networks or volumes.", project(b)),
	}
	if len(b.Model.Secrets) > 0 {
		notes = append(notes, fmt.Sprintf("The app's secrets (%s) are in `%s`, which synctl made once with random values and keeps when it renders again (mode 0600; keep it out of version control). compose reads it for the `${VAR:?}` references in compose.yaml, so no value is written there; to use your own values, edit `%s` before the first start (a database keeps the password it was first started with).",
			strings.Join(b.Model.Secrets, ", "), render.EnvFileName, render.EnvFileName))
	}
	if _, broken := b.Model.StartOrder(); len(broken) > 0 {
		var pairs []string
		for _, e := range broken {
			pairs = append(pairs, fmt.Sprintf("%s -> %s", e.From, e.To))
		}
		notes = append(notes, fmt.Sprintf("Services call each other in a loop; depends_on cannot loop, so compose starts without waiting on: %s. Those services must retry a peer that is not up yet.", strings.Join(pairs, ", ")))
	}
	return notes
}

// publishAll publishes every service; publishPublic only the frontend and apis.
func publishAll(*topology.Service) bool      { return true }
func publishPublic(s *topology.Service) bool { return s.Role.Public() }
func publishNothing(*topology.Service) bool  { return false }
