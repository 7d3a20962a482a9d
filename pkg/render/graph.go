package render

import (
	"fmt"
	"strings"
)

// Graph is a bundle's topology as a picture: who talks to whom, and the URL
// each hop uses. Mermaid renders it on GitHub; Graphviz's dot draws it.
type Graph struct {
	Title string
	Nodes []GraphNode
	Edges []GraphEdge
}

// GraphNode is the browser, the proxy or gateway in front, or a service.
type GraphNode struct {
	ID string
	// Lines are the node's label, one line each; the first is its name.
	Lines []string
	Kind  NodeKind
}

// NodeKind decides a node's shape.
type NodeKind string

// The kinds of node.
const (
	NodeBrowser  NodeKind = "browser"
	NodeFront    NodeKind = "front"
	NodeService  NodeKind = "service"
	NodeInternal NodeKind = "internal"
)

// GraphEdge is one hop, labelled by the URL it uses.
type GraphEdge struct {
	From, To string
	Lines    []string
	// Inside marks a hop inside the deployment (a service's own call).
	Inside bool
}

// Mermaid writes the graph as a Mermaid flowchart.
func (g *Graph) Mermaid() string {
	var b strings.Builder
	b.WriteString("flowchart LR\n")
	for _, n := range g.Nodes {
		label := mermaidText(n.Lines)
		switch n.Kind {
		case NodeBrowser:
			fmt.Fprintf(&b, "  %s([\"%s\"])\n", n.ID, label)
		case NodeFront:
			fmt.Fprintf(&b, "  %s{{\"%s\"}}\n", n.ID, label)
		case NodeInternal:
			fmt.Fprintf(&b, "  %s[(\"%s\")]\n", n.ID, label)
		default:
			fmt.Fprintf(&b, "  %s[\"%s\"]\n", n.ID, label)
		}
	}
	for _, e := range g.Edges {
		arrow := "-->"
		if e.Inside {
			arrow = "-.->"
		}
		fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", e.From, arrow, mermaidText(e.Lines), e.To)
	}
	return b.String()
}

// mermaidText joins lines with <br/>, quotes escaped as entities (Mermaid
// labels in double quotes take HTML entities, not backslashes).
// mermaidEscape is built once: a Replacer builds its tables on first use,
// which per label was most of what drawing an app of 1000 services cost.
var mermaidEscape = strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "|", "#124;")

func mermaidText(lines []string) string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = mermaidEscape.Replace(l)
	}
	return strings.Join(out, "<br/>")
}

// Dot writes the graph in Graphviz's DOT language.
func (g *Graph) Dot() string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", dotString(g.Title))
	b.WriteString("  rankdir=LR;\n  node [fontname=\"Helvetica\", fontsize=11];\n  edge [fontname=\"Helvetica\", fontsize=9];\n")
	fmt.Fprintf(&b, "  label=%s; labelloc=t;\n", dotString(g.Title))
	for _, n := range g.Nodes {
		shape := "box"
		switch n.Kind {
		case NodeBrowser:
			shape = "ellipse"
		case NodeFront:
			shape = "hexagon"
		case NodeInternal:
			shape = "box, style=rounded"
		}
		fmt.Fprintf(&b, "  %s [shape=%s, label=%s];\n", n.ID, shape, dotString(strings.Join(n.Lines, "\n")))
	}
	for _, e := range g.Edges {
		style := ""
		if e.Inside {
			style = ", style=dashed"
		}
		fmt.Fprintf(&b, "  %s -> %s [label=%s%s];\n", e.From, e.To, dotString(strings.Join(e.Lines, "\n")), style)
	}
	b.WriteString("}\n")
	return b.String()
}

// dotString quotes s as a DOT string, newlines as \n line breaks.
func dotString(s string) string {
	return `"` + dotEscape.Replace(s) + `"`
}

var dotEscape = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// GraphID is a node identifier for name that Mermaid and DOT both accept.
func GraphID(name string) string {
	var b strings.Builder
	b.WriteString("n_")
	for _, r := range name {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}
