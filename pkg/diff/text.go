package diff

import (
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/synctl/synctl/pkg/textdiff"
)

// ANSI styles used when colour is on.
const (
	styleBold   = "\x1b[1m"
	styleRed    = "\x1b[31m"
	styleGreen  = "\x1b[32m"
	styleYellow = "\x1b[33m"
	styleCyan   = "\x1b[36m"
	styleReset  = "\x1b[0m"
)

type painter bool

func (p painter) paint(style, s string) string {
	if !p || s == "" {
		return s
	}
	return style + s + styleReset
}

// unified colours the lines of a unified diff.
func (p painter) unified(u string) string {
	if !p {
		return u
	}
	lines := textdiff.SplitLines(u)
	for i, l := range lines {
		body := strings.TrimSuffix(l, "\n")
		var style string
		switch {
		case strings.HasPrefix(l, "---"), strings.HasPrefix(l, "+++"):
			style = styleBold
		case strings.HasPrefix(l, "@@"):
			style = styleCyan
		case strings.HasPrefix(l, "-"):
			style = styleRed
		case strings.HasPrefix(l, "+"):
			style = styleGreen
		default:
			continue
		}
		lines[i] = p.paint(style, body) + l[len(body):]
	}
	return strings.Join(lines, "")
}

// sectionTitle names the report section a change belongs to.
func sectionTitle(c Change) string {
	switch c.rank {
	case rankRemovedNamespace, rankRemoved:
		return "Removed"
	case rankAddedNamespace, rankAdded:
		return "Added"
	case rankChanged:
		return "Changed"
	case rankKey:
		return "Key material (compared by presence only)"
	}
	return "Files"
}

// WriteText writes the human report: summary, wiring, then resources removed,
// added and changed, then text files. With color set it uses ANSI colours.
func (r *Result) WriteText(w io.Writer, color bool) error {
	p := painter(color)
	var b strings.Builder
	if r.Equal {
		fmt.Fprintf(&b, "No differences between %s and %s.\n", r.From, r.To)
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "%s\n", p.paint(styleBold, "synctl diff "+r.From+" -> "+r.To))
	if len(r.Summary) > 0 {
		fmt.Fprintf(&b, "\n%s\n", p.paint(styleBold, "Summary"))
		for _, s := range r.Summary {
			fmt.Fprintf(&b, "  * %s\n", s)
		}
	}
	if len(r.Wiring) > 0 {
		fmt.Fprintf(&b, "\n%s\n", p.paint(styleBold, "Wiring"))
		width := 0
		for _, wc := range r.Wiring {
			width = max(width, len(wc.Name))
		}
		for _, wc := range r.Wiring {
			val := func(u URL) string {
				if !u.Known {
					return "unknown"
				}
				return u.Value
			}
			line := fmt.Sprintf("%-*s  %s -> %s", width, wc.Name, val(wc.From), val(wc.To))
			switch {
			case wc.Changed:
				line = p.paint(styleYellow, "~ "+line)
			case wc.From.Known && wc.To.Known:
				line = fmt.Sprintf("  %-*s  %s (unchanged)", width, wc.Name, wc.From.Value)
			default:
				line = "  " + line + " (not compared)"
			}
			fmt.Fprintf(&b, "  %s\n", line)
		}
	}
	// Objects whose only change is their namespace get one line each in a
	// section of their own after "Changed": the summary already says they
	// moved, and a metadata.namespace line apiece would bury the rest.
	var movedOnly []string
	for _, c := range r.Changes {
		if isMoveOnly(c) {
			movedOnly = append(movedOnly, c.ID)
		}
	}
	writeMoved := func() {
		if len(movedOnly) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s\n", p.paint(styleBold, "Moved to another namespace, otherwise unchanged"))
		for _, id := range movedOnly {
			fmt.Fprintf(&b, "  %s\n", p.paint(styleYellow, "~ "+id))
		}
		movedOnly = nil
	}
	section := ""
	for _, c := range r.Changes {
		if isMoveOnly(c) {
			continue
		}
		if t := sectionTitle(c); t != section {
			if section == "Changed" {
				writeMoved()
			}
			section = t
			fmt.Fprintf(&b, "\n%s\n", p.paint(styleBold, t))
		}
		writeChange(&b, p, c)
	}
	writeMoved()
	_, err := io.WriteString(w, b.String())
	return err
}

// isMoveOnly reports a changed object whose only difference is its namespace.
func isMoveOnly(c Change) bool {
	return c.Op == OpChanged && c.Unified == "" && len(c.Fields) == 1 && c.Fields[0].Path == "metadata.namespace"
}

func writeChange(b *strings.Builder, p painter, c Change) {
	where := c.ToPath
	if c.Op == OpRemoved || (c.FromPath != c.ToPath && c.ToPath == "") {
		where = c.FromPath
	}
	if c.Op == OpChanged && c.FromPath != c.ToPath {
		where = c.FromPath + " -> " + c.ToPath
	}
	label := c.ID
	if c.Type != TypeFile && c.Type != TypeKey {
		label += "  (" + where + ")"
	}
	switch c.Op {
	case OpAdded:
		if c.lines > 0 {
			label += fmt.Sprintf("  (%d lines)", c.lines)
		}
		fmt.Fprintf(b, "  %s\n", p.paint(styleGreen, "+ "+label))
		return
	case OpRemoved:
		if c.lines > 0 {
			label += fmt.Sprintf("  (%d lines)", c.lines)
		}
		fmt.Fprintf(b, "  %s\n", p.paint(styleRed, "- "+label))
		return
	}
	fmt.Fprintf(b, "  %s\n", p.paint(styleYellow, "~ "+label))
	if c.Note != "" {
		fmt.Fprintf(b, "      (%s)\n", c.Note)
	}
	for _, f := range c.Fields {
		if f.Path == "metadata.namespace" && strings.Contains(c.ID, " -> ") {
			continue // the label shows the move
		}
		switch f.Op {
		case OpAdded:
			fmt.Fprintf(b, "      %s: %s\n", f.Path, p.paint(styleGreen, "added "+flow(f.To)))
		case OpRemoved:
			fmt.Fprintf(b, "      %s: %s\n", f.Path, p.paint(styleRed, "removed "+flow(f.From)))
		default:
			fmt.Fprintf(b, "      %s: %s -> %s\n", f.Path, p.paint(styleRed, flow(f.From)), p.paint(styleGreen, flow(f.To)))
		}
	}
	if c.Unified != "" {
		if path.Base(c.ID) == "README.md" {
			// The bundle README is prose derived from everything above;
			// its line diff would double the report. JSON carries it whole.
			add, del := countChangedLines(c.Unified)
			fmt.Fprintf(b, "      (prose derived from the changes above: %d lines added, %d removed; --format json has the diff)\n", add, del)
			return
		}
		b.WriteString(indent(p.unified(c.Unified), "    "))
	}
}

func countChangedLines(unified string) (added, removed int) {
	for _, l := range textdiff.SplitLines(unified) {
		switch {
		case strings.HasPrefix(l, "+++"), strings.HasPrefix(l, "---"):
		case strings.HasPrefix(l, "+"):
			added++
		case strings.HasPrefix(l, "-"):
			removed++
		}
	}
	return added, removed
}

func indent(s, prefix string) string {
	lines := textdiff.SplitLines(s)
	for i, l := range lines {
		lines[i] = prefix + l
	}
	return strings.Join(lines, "")
}
