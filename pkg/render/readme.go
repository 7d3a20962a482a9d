package render

import (
	"bytes"
	"fmt"
	"strings"
	"sync"

	"github.com/synctl/synctl/pkg/topology"
	"github.com/synctl/synctl/templates"
)

// ReadmeFileName is every bundle's README.
const ReadmeFileName = "README.md"

var readmeTemplate = sync.OnceValues(func() (*templates.Template, error) {
	return templates.Parse("README.md.tmpl", templates.FuncMap{"join": strings.Join})
})

// Step is one step of bringing a bundle up, as its README shows it.
type Step struct {
	// Text is prose before the commands; may be empty.
	Text string
	// Commands are shell lines, run from the bundle directory.
	Commands []string
	// Lang is the code block's language when Commands are not shell
	// lines (e.g. "text" for /etc/hosts entries).
	Lang string
}

// Readme is what a bundle's README says beyond its wiring: everything comes
// from the target and the bundle, nothing from a particular app.
type Readme struct {
	// Description is the target's one-line summary.
	Description string
	// BringUp are the steps that start the bundle, in order.
	BringUp []Step
	// Verify are the arguments of `synctl verify` once it is up.
	Verify string
	// Notes say why the bundle looks as it does.
	Notes []string
	// SpecNote, when set, says where the spec the commands name came from
	// (no file holds one read from standard input).
	SpecNote string
	// Graph is the topology as a Mermaid flowchart.
	Graph string
}

// ReadmeFile renders the bundle's README from its wiring and r.
func ReadmeFile(b *Bundle, m *topology.Model, r Readme) (File, error) {
	tmpl, err := readmeTemplate()
	if err != nil {
		return File{}, err
	}
	type hop struct {
		Key, URL, SetOn, UsedBy string
	}
	data := struct {
		Header, App, Target, Description, Command, Verify, Graph, SpecNote string
		// Open lists the URLs the browser opens, one per frontend.
		Open    []string
		Hops    []hop
		BringUp []Step
		Notes   []string
	}{
		Header:      strings.TrimSuffix(string(Header("", b.Command)[1:]), "\n"),
		App:         b.App,
		Target:      b.Target,
		Description: r.Description,
		Command:     b.Command,
		Verify:      r.Verify,
		Graph:       r.Graph,
		BringUp:     r.BringUp,
		Notes:       r.Notes,
		SpecNote:    r.SpecNote,
	}
	for _, u := range b.Wiring.URLs {
		if u.Entry {
			data.Open = append(data.Open, u.URL)
		}
		h := hop{Key: b.Wiring.Key(u), URL: "`" + u.URL + "`", SetOn: "—", UsedBy: "the browser"}
		if u.PortEnv != "" {
			h.URL += fmt.Sprintf(", and %s `%d`", u.PortEnv, u.Endpoint.Port)
		}
		if u.Service != "" {
			h.SetOn = u.Service
		}
		if u.ResolvedBy == topology.ResolvedByService {
			h.UsedBy = u.Service + ", inside the deployment"
		}
		data.Hops = append(data.Hops, h)
	}
	var out bytes.Buffer
	if err := tmpl.Execute(&out, data); err != nil {
		return File{}, err
	}
	return File{Path: ReadmeFileName, Data: out.Bytes(), Mode: 0o644, Kind: KindReadme}, nil
}
