package importer

import "github.com/synctl/synctl/pkg/importer/imported"

// The report's types live in package imported, which synctl reads without
// linking compose-go's loader.
type (
	Kind   = imported.Kind
	Line   = imported.Line
	Report = imported.Report
)

const (
	Translated = imported.Translated
	Inferred   = imported.Inferred
	Dropped    = imported.Dropped
	Refused    = imported.Refused
)

// Kinds lists every kind, in the order the summary prints them.
var Kinds = imported.Kinds
