package validate

import (
	"errors"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/topology"
)

// checkApp checks an App spec with the checker `synctl render` uses, every
// target's section included.
func checkApp(file string, data []byte) []Problem {
	_, err := target.Load(file, data, target.Overrides{})
	if err == nil {
		return nil
	}
	var se *topology.SpecError
	if !errors.As(err, &se) {
		return []Problem{{File: file, Resource: "App", Field: "-", Message: err.Error()}}
	}
	var probs []Problem
	for _, p := range se.Problems {
		msg := p.Message
		if p.Line > 0 {
			msg = fmt.Sprintf("%s (line %d, column %d)", msg, p.Line, p.Column)
		}
		probs = append(probs, Problem{File: file, Resource: "App", Field: p.Path, Message: msg})
	}
	return probs
}

// checkRecord checks a bundle record: it names a target synctl has and the
// command that renders the bundle again.
func checkRecord(file string, data []byte) []Problem {
	var r render.Record
	if err := yaml.Unmarshal(data, &r); err != nil {
		return []Problem{{File: file, Resource: "Bundle", Field: "-", Message: "not a bundle record: " + err.Error()}}
	}
	var probs []Problem
	targets := []string{r.Target}
	switch r.Layout {
	case "", render.LayoutHelm:
	case render.LayoutKustomize:
		targets = strings.Split(r.Target, ",")
	default:
		probs = append(probs, Problem{File: file, Resource: "Bundle", Field: "layout", Message: fmt.Sprintf("unknown layout %q: choose %s or %s, or leave it out for a target's own bundle", r.Layout, render.LayoutKustomize, render.LayoutHelm)})
	}
	for _, name := range targets {
		if _, err := target.Lookup(name); err != nil {
			probs = append(probs, Problem{File: file, Resource: "Bundle", Field: "target", Message: err.Error()})
		}
	}
	if r.Command == "" {
		probs = append(probs, Problem{File: file, Resource: "Bundle", Field: "command", Message: "required: the command that renders the bundle again"})
	}
	return probs
}
