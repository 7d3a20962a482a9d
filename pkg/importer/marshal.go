package importer

import (
	"bytes"
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/synctl/synctl/pkg/topology"
)

// marshal writes the spec as YAML: the App encoded from its typed structs,
// with unset fields left out and comments that say where each service
// came from.
func marshal(app topology.App, c *converter) ([]byte, error) {
	// yaml.v3's emitter slows down more than linearly with the size of a
	// document, so each service is encoded on its own and pruned before
	// the whole is: a 200-service spec takes a third of the time.
	services := app.Spec.Services
	app.Spec.Services = nil
	root, err := node(app)
	if err != nil {
		return nil, err
	}
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	for _, s := range services {
		n, err := node(s)
		if err != nil {
			return nil, err
		}
		seq.Content = append(seq.Content, n)
	}
	spec := mapValue(root, "spec")
	if spec == nil {
		spec = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
		root.Content = append(root.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "spec"}, spec)
	}
	spec.Content = append([]*yaml.Node{{Kind: yaml.ScalarNode, Tag: "!!str", Value: "services"}, seq}, spec.Content...)
	root.HeadComment = fmt.Sprintf("synctl app spec imported from %s by synctl init --from.\n"+
		"The import report lists every compose field that did not map one-to-one;\n"+
		"read it before you deploy. Render it with: synctl render -f app.yaml --target all",
		strings.Join(c.r.Files, ", "))
	if services := mapValue(spec, "services"); services != nil {
		for i, n := range services.Content {
			s := c.svcs[i]
			w := c.pos.service(s.name)
			n.HeadComment = fmt.Sprintf("compose service %s (%s)", s.name, where{w.File, w.Line}.String())
		}
	}
	if secrets := mapValue(spec, "secrets"); secrets != nil && len(secrets.Content) > 0 {
		secrets.HeadComment = "Values are never written here: supply them when you deploy (each bundle's README says how)."
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func (w where) String() string {
	if w.Line == 0 {
		return w.File
	}
	return fmt.Sprintf("%s:%d", w.File, w.Line)
}

// prune removes the mapping entries whose values are unset: zero numbers,
// false, empty strings, null and empty collections. Env values are kept
// whatever they are: an empty value is a value.
func prune(n *yaml.Node) bool {
	switch n.Kind {
	case yaml.DocumentNode:
		for _, c := range n.Content {
			prune(c)
		}
		return false
	case yaml.MappingNode:
		var kept []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "env" && len(v.Content) > 0 {
				kept = append(kept, k, v)
				continue
			}
			if prune(v) {
				continue
			}
			kept = append(kept, k, v)
		}
		n.Content = kept
		return len(kept) == 0
	case yaml.SequenceNode:
		for _, c := range n.Content {
			prune(c)
		}
		return len(n.Content) == 0
	case yaml.ScalarNode:
		switch n.Tag {
		case "!!null":
			return true
		case "!!int":
			return n.Value == "0"
		case "!!bool":
			return n.Value == "false"
		case "!!str":
			return n.Value == ""
		}
	}
	return false
}

// node encodes v and prunes it.
func node(v any) (*yaml.Node, error) {
	raw, err := yaml.Marshal(v)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return nil, err
	}
	n := doc.Content[0]
	prune(n)
	return n, nil
}
