// Package textdiff computes line diffs (Myers' algorithm) and prints them in
// diff -u format: for synctl diff, render --check and golden-file tests.
package textdiff

import (
	"fmt"
	"strings"
)

// opKind is one step of an edit script.
type opKind byte

const (
	opEqual  opKind = ' '
	opDelete opKind = '-'
	opInsert opKind = '+'
)

type edit struct {
	kind opKind
	line string // includes its "\n" unless it is a last line without one
}

// SplitLines splits text into lines that keep their newline, so that a last
// line with and without one compare different (as diff(1) shows them).
func SplitLines(s string) []string {
	if s == "" {
		return nil
	}
	lines := strings.SplitAfter(s, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// editScript returns a shortest edit script turning a into b, using Myers'
// O((N+M)D) greedy algorithm ("An O(ND) Difference Algorithm and Its
// Variations", 1986). For each edit distance d it records the furthest
// reaching x on every diagonal k = x-y, then walks the records backwards.
func editScript(a, b []string) []edit {
	n, m := len(a), len(b)
	limit := n + m
	off := limit + 1
	v := make([]int, 2*limit+3)
	// trace[d] holds v for diagonals -d..d as it was before round d.
	var trace [][]int
	var d int
search:
	for d = 0; d <= limit; d++ {
		trace = append(trace, append([]int(nil), v[off-d:off+d+1]...))
		for k := -d; k <= d; k += 2 {
			var x int
			if k == -d || (k != d && v[off+k-1] < v[off+k+1]) {
				x = v[off+k+1] // step down: insert b[y]
			} else {
				x = v[off+k-1] + 1 // step right: delete a[x]
			}
			y := x - k
			for x < n && y < m && a[x] == b[y] {
				x++
				y++
			}
			v[off+k] = x
			if x >= n && y >= m {
				break search
			}
		}
	}
	script := make([]edit, 0, n+m)
	x, y := n, m
	for ; d > 0; d-- {
		prev := trace[d] // v after round d-1, diagonal k at index k+d
		at := func(k int) int { return prev[k+d] }
		k := x - y
		var prevK int
		if k == -d || (k != d && at(k-1) < at(k+1)) {
			prevK = k + 1
		} else {
			prevK = k - 1
		}
		prevX := at(prevK)
		prevY := prevX - prevK
		for x > prevX && y > prevY {
			script = append(script, edit{opEqual, a[x-1]})
			x--
			y--
		}
		if x == prevX {
			script = append(script, edit{opInsert, b[y-1]})
			y--
		} else {
			script = append(script, edit{opDelete, a[x-1]})
			x--
		}
	}
	for x > 0 && y > 0 {
		script = append(script, edit{opEqual, a[x-1]})
		x--
		y--
	}
	for i, j := 0, len(script)-1; i < j; i, j = i+1, j-1 {
		script[i], script[j] = script[j], script[i]
	}
	return script
}

// Unified returns the unified diff (diff -u format, context lines) turning
// old into new, or "" when they are equal. fromName and toName label the
// "---" and "+++" lines.
func Unified(fromName, toName, old, new string, context int) string {
	if old == new {
		return ""
	}
	script := editScript(SplitLines(old), SplitLines(new))
	var b strings.Builder
	fmt.Fprintf(&b, "--- %s\n+++ %s\n", fromName, toName)
	// aLine/bLine are 1-based numbers of the next line on each side.
	aLine, bLine := 1, 1
	for i := 0; i < len(script); {
		if script[i].kind == opEqual {
			aLine++
			bLine++
			i++
			continue
		}
		// A hunk starts context lines before this change and runs until a
		// stretch of more than 2*context equal lines.
		start := max(i-context, 0)
		for s := start; s < i; s++ {
			aLine--
			bLine--
		}
		end := i
		for end < len(script) {
			if script[end].kind != opEqual {
				end++
				continue
			}
			run := end
			for run < len(script) && script[run].kind == opEqual {
				run++
			}
			if run == len(script) || run-end > 2*context {
				end = min(end+context, len(script))
				break
			}
			end = run
		}
		var aCount, bCount int
		for _, e := range script[start:end] {
			if e.kind != opInsert {
				aCount++
			}
			if e.kind != opDelete {
				bCount++
			}
		}
		fmt.Fprintf(&b, "@@ -%s +%s @@\n", hunkRange(aLine, aCount), hunkRange(bLine, bCount))
		for _, e := range script[start:end] {
			b.WriteByte(byte(e.kind))
			b.WriteString(e.line)
			if !strings.HasSuffix(e.line, "\n") {
				b.WriteString("\n\\ No newline at end of file\n")
			}
		}
		aLine += aCount
		bLine += bCount
		i = end
	}
	return b.String()
}

// hunkRange formats "start,count" as GNU diff does: an empty range names the
// line before it, and a count of one is left out.
func hunkRange(start, count int) string {
	switch count {
	case 0:
		return fmt.Sprintf("%d,0", start-1)
	case 1:
		return fmt.Sprintf("%d", start)
	}
	return fmt.Sprintf("%d,%d", start, count)
}
