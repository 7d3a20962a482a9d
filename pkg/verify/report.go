package verify

import (
	"fmt"
	"io"
	"strings"
)

// Write prints one line per hop, the diagnosis under a failing hop (a note
// under a passing one), and a closing verdict line naming the entry URL.
func (r *Report) Write(w io.Writer) error {
	width := 4
	for _, h := range r.Hops {
		width = max(width, len(h.Name))
	}
	var b strings.Builder
	for _, h := range r.Hops {
		fmt.Fprintf(&b, "%-5s %-*s  %s\n", h.Status, width, h.Name, h.Detail)
		if h.Note != "" {
			fmt.Fprintf(&b, "      note: %s\n", h.Note)
		}
		if h.Status != Fail {
			continue
		}
		if h.Wiring != "" {
			fmt.Fprintf(&b, "      at fault: %s\n", h.Wiring)
		}
		if h.Why != "" {
			fmt.Fprintf(&b, "      cause: %s\n", h.Why)
		}
		if h.Fix != "" {
			fmt.Fprintf(&b, "      fix: %s\n", h.Fix)
		}
	}
	b.WriteString(r.Verdict())
	b.WriteString("\n")
	if r.Forwarded {
		b.WriteString("note: the public services were reached through --forward, not through their routes: the Gateway, Ingress or proxy routes were not checked\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Verdict is the closing line: whether the deployment at the entry URL is
// wired, and which hops failed.
func (r *Report) Verdict() string {
	entry := r.EntryURLName + " " + r.EntryURL
	if r.EntryURL == "" || r.Hop(HopPage) == nil {
		entry = "the deployment"
	}
	if fs := r.Failures(); len(fs) > 0 {
		if len(fs) == 1 {
			return fmt.Sprintf("%s is not wired: hop %s failed (%s)", entry, fs[0].Name, fs[0].Cause)
		}
		names := make([]string, len(fs))
		for i, f := range fs {
			names[i] = fmt.Sprintf("%s (%s)", f.Name, f.Cause)
		}
		return fmt.Sprintf("%s is not wired: hops %s failed", entry, strings.Join(names, ", "))
	}
	if !r.OK() {
		return entry + " was not verified: no hop ran"
	}
	counts := map[Kind]int{}
	for _, h := range r.Hops {
		counts[h.Kind]++
	}
	page := "the page, "
	if counts[KindPage] == 0 {
		page = ""
	}
	return fmt.Sprintf("%s is wired: %s%s, %s and %s answer as a browser needs them", entry, page,
		plural(counts[KindLink], "browser URL"), plural(counts[KindRoute], "public service"), plural(counts[KindCheck], "check"))
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
