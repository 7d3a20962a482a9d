package validate

import (
	"cmp"
	"io"
	"maps"
	"slices"
	"strings"
)

var errEOF = io.EOF

func sortedKeys[K cmp.Ordered, V any](m map[K]V) []K {
	return slices.Sorted(maps.Keys(m))
}

// joinSorted joins the sorted, de-duplicated items with ", ".
func joinSorted(items []string) string {
	s := slices.Clone(items)
	slices.Sort(s)
	return strings.Join(slices.Compact(s), ", ")
}

// quoteList formats the items as "a", "b" (sorted), or "none" when empty.
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
