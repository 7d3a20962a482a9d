package validate

import (
	"slices"
	"strings"
)

// joinSorted joins the sorted, de-duplicated items with ", ".
func joinSorted(items []string) string {
	s := slices.Clone(items)
	slices.Sort(s)
	return strings.Join(slices.Compact(s), ", ")
}

// orNone is s, or "none" when it is empty.
func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
