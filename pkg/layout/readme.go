package layout

import (
	"fmt"
	"strings"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/topology"
)

// applyFlags are those of every bundle's apply command: server-side, with
// one field manager, as the targets' own READMEs say (mixing client- and
// server-side apply conflicts on the lists the Gateway API CRDs default).
const applyFlags = "kubectl apply --server-side --field-manager=synctl"

// markdown builds a README: prose is written out here, the facts (objects,
// fields, URLs, values) come from the layout.
type markdown struct{ strings.Builder }

func (m *markdown) p(format string, args ...any) {
	fmt.Fprintf(m, format+"\n\n", args...)
}

func (m *markdown) code(lang string, lines ...string) {
	fmt.Fprintf(m, "```%s\n%s\n```\n\n", lang, strings.Join(lines, "\n"))
}

func (m *markdown) file(cmd string) render.File {
	head := strings.TrimSuffix(string(render.Header("", cmd)[1:]), "\n")
	data := "<!-- " + head + " -->\n" + strings.TrimRight(m.String(), "\n") + "\n"
	return render.File{Path: render.ReadmeFileName, Data: []byte(data), Mode: 0o644, Kind: render.KindReadme}
}

// wiring is the table of a bundle's URLs every bundle README has.
func (m *markdown) wiring(b *render.Bundle) {
	m.WriteString("| URL | value | set on | used by |\n| --- | --- | --- | --- |\n")
	for _, u := range b.Wiring.URLs {
		setOn, usedBy := "—", "the browser"
		if u.Service != "" {
			setOn = u.Service
		}
		if u.ResolvedBy == topology.ResolvedByService {
			usedBy = u.Service + ", inside the deployment"
		}
		fmt.Fprintf(m, "| %s | `%s` | %s | %s |\n", b.Wiring.Key(u), u.URL, setOn, usedBy)
	}
	m.WriteString("\n")
}

func backquoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + n + "`"
	}
	return strings.Join(q, ", ")
}

func kustomizeReadme(b *render.Bundle, base []object, overlays []overlay) render.File {
	var targets []string
	for _, ov := range overlays {
		targets = append(targets, ov.bundle.Target)
	}
	partial := map[objectID]bool{}
	for _, ov := range overlays {
		for _, p := range ov.patched {
			partial[p.id] = true
		}
	}
	var m markdown
	m.p("# %s — Kustomize layout of %s", b.App, backquoted(targets))
	m.p("`%s/` holds what the targets share; `%s/<target>/` adds the objects only that target has and patches in the fields it sets differently. "+
		"Each overlay builds to exactly the objects `synctl render --target <target>` writes.", BaseDir, OverlaysDir)
	m.p("## Apply it")
	m.p("Prepare the cluster as the target's own bundle README says (`synctl render --target <target> --out DIR` writes it), then apply the target's overlay in place of the bundle:")
	var apply []string
	for _, t := range targets {
		apply = append(apply, applyFlags+" -k "+OverlaysDir+"/"+t)
	}
	m.code("sh", apply...)
	switch {
	case len(base) == 0:
		m.p("`kubectl kustomize %s/<target>` prints what an overlay applies. The targets share no object, so `%s/` is empty and each overlay holds its target's whole render.", OverlaysDir, BaseDir)
	case len(partial) == 0:
		m.p("`kubectl kustomize %s/<target>` prints what an overlay applies.", OverlaysDir)
	default:
		m.p("`kubectl kustomize %s/<target>` prints what an overlay applies. The base is not meant to be applied alone: "+
			"of its %d objects, %d are there without the fields the targets set differently.", OverlaysDir, len(base), len(partial))
	}
	m.p("## What each overlay changes")
	for _, ov := range overlays {
		m.p("### `%s`", ov.bundle.Target)
		m.wiring(ov.bundle)
		if len(ov.added) == 0 && len(ov.patched) == 0 {
			m.p("Nothing: the base is this target's render as it is.")
			continue
		}
		if len(ov.added) > 0 {
			m.WriteString("Adds what only some targets have:\n\n")
			for _, o := range ov.added {
				fmt.Fprintf(&m, "- %s (`%s`)\n", o.id, o.file)
			}
			m.WriteString("\n")
		}
		if len(ov.patched) > 0 {
			m.WriteString("Patches in the fields it sets differently:\n\n")
			for _, p := range ov.patched {
				fmt.Fprintf(&m, "- %s: %s\n", p.id, backquoted(p.fields))
			}
			m.WriteString("\n")
		}
	}
	m.p("## Render it again")
	m.p("From this directory, after changing the spec:")
	m.code("sh", b.Command)
	return m.file(b.Command)
}
