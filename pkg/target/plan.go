package target

import (
	"fmt"
	"maps"
	"slices"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/topology"
)

// Plan is a validated app with every target configured for it: what every
// command that renders, wires or diffs starts from.
type Plan struct {
	Model   *topology.Model
	configs map[string]Config
}

// Load decodes the spec data (named name in messages), applies the
// command-line values and configures every target, so that a mistake in any
// part of the spec is reported, with every other, whichever target is
// asked for.
func Load(name string, data []byte, ov Overrides) (*Plan, error) {
	doc, err := topology.Parse(name, data)
	if err != nil {
		return nil, err
	}
	doc.SetImages(ov.Images)
	m := doc.Model()
	known := names()
	for _, n := range doc.SectionNames() {
		if !slices.Contains(known, n) {
			doc.UnknownSection(n, known)
		}
	}
	p := &Plan{Model: m, configs: map[string]Config{}}
	for _, t := range registry {
		sec := doc.Section(t.Name(), m)
		p.configs[t.Name()] = t.Configure(sec, ov)
		sec.Done()
	}
	if err := doc.Err(); err != nil {
		return nil, err
	}
	return p, nil
}

// Default loads the built-in app.
func Default() (*Plan, error) {
	return Load(topology.DefaultSpecName, topology.DefaultSpec(), Overrides{})
}

// Wiring is the app's wiring on t.
func (p *Plan) Wiring(t Target) topology.Wiring { return topology.Wire(p.Model, p.configs[t.Name()]) }

// Render renders t's bundle: its files, its README and its record.
func (p *Plan) Render(t Target, inv Invocation) (*render.Bundle, error) {
	cfg, ok := p.configs[t.Name()]
	if !ok {
		return nil, fmt.Errorf("target %s is not configured; known: %v", t.Name(), slices.Sorted(maps.Keys(p.configs)))
	}
	b := &Build{Model: p.Model, Wiring: topology.Wire(p.Model, cfg), Target: t, Invocation: inv}
	files, err := cfg.Files(b)
	if err != nil {
		return nil, fmt.Errorf("rendering %s: %w", t.Name(), err)
	}
	bundle := &render.Bundle{Target: t.Name(), App: p.Model.Name, Command: b.Command(), Wiring: b.Wiring, Files: files, Stdout: t.Stdout()}
	rd := cfg.Readme(b)
	rd.Description = t.Description()
	rd.SpecNote = inv.SpecNote()
	rd.Graph = graphOf(p.Model, b.Wiring, t, cfg).Mermaid()
	readme, err := render.ReadmeFile(bundle, p.Model, rd)
	if err != nil {
		return nil, fmt.Errorf("rendering %s README: %w", t.Name(), err)
	}
	bundle.Files = append(bundle.Files, readme)
	rec, err := bundle.RecordFile()
	if err != nil {
		return nil, err
	}
	bundle.Files = append(bundle.Files, rec)
	return bundle, nil
}
