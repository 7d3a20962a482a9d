package render

import "reflect"

// DocOf and YAMLValue let the external tests, which render every target
// through pkg/target, compare docOf with the JSON round trip.
func DocOf(v any) (any, bool)     { return docOf(reflect.ValueOf(v)) }
func YAMLValue(v any) (any, bool) { return yamlValue(v) }
