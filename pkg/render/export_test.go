package render

import (
	"reflect"

	"github.com/compose-spec/compose-go/v2/types"
)

// DocOf and YAMLValue let the external tests, which render every target
// through pkg/target, compare docOf with the JSON round trip.
func DocOf(v any) (any, bool) {
	d, ok := docOf(reflect.ValueOf(v))
	return plainDoc(d), ok
}
func YAMLValue(v any) (any, bool) { return yamlValue(v) }

// SetDocumentHook lets the external tests see every object Manifests
// writes with its document; nil removes the hook.
func SetDocumentHook(f func(obj any, doc []byte)) { documentHook = f }

// SetComposeHook lets the external tests see every compose file
// ComposeFile writes, and whether the emitter wrote it; nil removes it.
func SetComposeHook(f func(p *types.Project, data []byte, emitted bool)) { composeHook = f }

// ComposeYAML is the compose file of p as the emitter writes it, or false
// where it leaves p to yaml.v4.
func ComposeYAML(p *types.Project) ([]byte, bool) {
	doc, ok := composeDocOf(reflect.ValueOf(p).Elem())
	if !ok {
		return nil, false
	}
	return appendYAMLv4(nil, doc)
}

// ComposeFileByYAMLv4 is ComposeFile's data as compose-go's own
// Project.MarshalYAML writes it, without the header.
func ComposeFileByYAMLv4(p *types.Project) ([]byte, error) {
	b, err := p.MarshalYAML()
	return colonExtraHosts(b), err
}
