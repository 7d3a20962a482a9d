package diff

import (
	"bytes"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/synctl/synctl/pkg/render"
)

// Resource types: how a resource is identified and compared.
const (
	TypeKubernetes = "kubernetes" // group/kind/namespace/name, field by field
	TypeCompose    = "compose"    // compose service/network/volume by name, field by field
	TypeYAML       = "yaml"       // any other YAML document, by file path, field by field
	TypeFile       = "file"       // any other file, by path, as text
	TypeKey        = "key"        // key material, by path, presence only
)

// Identity names a resource independently of the file that holds it.
type Identity struct {
	Type      string `json:"type"`
	Group     string `json:"group,omitempty"`
	Kind      string `json:"kind,omitempty"`
	Namespace string `json:"namespace,omitempty"`
	Name      string `json:"name"`
}

// String is the identity as the text report prints it.
func (id Identity) String() string {
	switch id.Type {
	case TypeKubernetes:
		if id.Namespace != "" {
			return id.Kind + " " + id.Namespace + "/" + id.Name
		}
		return id.Kind + " " + id.Name
	case TypeCompose:
		return "compose " + id.Kind + " " + id.Name
	case TypeKey:
		return "key material " + id.Name
	default:
		return id.Name
	}
}

func (id Identity) key() string {
	return id.Type + "\x00" + id.Group + "\x00" + id.Kind + "\x00" + id.Namespace + "\x00" + id.Name
}

// resource is one comparable unit of a bundle.
type resource struct {
	id    Identity
	path  string // file holding it
	order int    // position in the bundle, for stable output
	value any    // parsed document (structured types)
	data  []byte // file content (TypeFile)
	note  string // why a YAML file was compared as text
}

// composeFile reports whether a file name is one docker compose reads by default.
func composeFile(p string) bool {
	switch path.Base(p) {
	case "compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml":
		return true
	}
	return false
}

// resources splits a bundle's files into resources. keyPaths names files that
// are key material in the other side (so that a key and its counterpart are
// compared by presence only, whichever side knows it is a key).
func resources(files []render.File, keyPaths map[string]bool) ([]resource, error) {
	var out []resource
	seen := map[string]string{}
	add := func(r resource) error {
		r.order = len(out)
		if prev, dup := seen[r.id.key()]; dup {
			return fmt.Errorf("%s: %s is also defined in %s; each object must appear once (kubectl apply would keep only the last)", r.path, r.id, prev)
		}
		seen[r.id.key()] = r.path
		out = append(out, r)
		return nil
	}
	for _, f := range files {
		if f.Kind == render.KindRecord || f.Path == render.RecordPath {
			continue // bookkeeping: what made the bundle, not what it deploys
		}
		if f.Kind == render.KindKey || keyPaths[f.Path] || isPEM(f.Data) {
			if err := add(resource{id: Identity{Type: TypeKey, Name: f.Path}, path: f.Path}); err != nil {
				return nil, err
			}
			continue
		}
		ext := path.Ext(f.Path)
		if ext != ".yaml" && ext != ".yml" {
			if err := add(resource{id: Identity{Type: TypeFile, Name: f.Path}, path: f.Path, data: f.Data}); err != nil {
				return nil, err
			}
			continue
		}
		docs, err := decodeDocs(f.Data)
		if err != nil {
			r := resource{id: Identity{Type: TypeFile, Name: f.Path}, path: f.Path, data: f.Data,
				note: "not valid YAML (" + err.Error() + "), compared as text"}
			if err := add(r); err != nil {
				return nil, err
			}
			continue
		}
		for i, doc := range docs {
			for _, r := range docResources(f.Path, i, len(docs), doc) {
				if err := add(r); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}

// docResources identifies the resources of one YAML document.
func docResources(p string, index, count int, doc any) []resource {
	m, _ := doc.(map[string]any)
	apiVersion, kind, name := str(m["apiVersion"]), str(m["kind"]), str(lookup(m, "metadata", "name"))
	if m != nil && apiVersion != "" && kind != "" && name != "" {
		group := ""
		if i := strings.LastIndex(apiVersion, "/"); i >= 0 {
			group = apiVersion[:i]
		}
		id := Identity{Type: TypeKubernetes, Group: group, Kind: kind, Namespace: str(lookup(m, "metadata", "namespace")), Name: name}
		return []resource{{id: id, path: p, value: doc}}
	}
	if _, ok := m["services"].(map[string]any); ok && (composeFile(p) || kind == "") && count == 1 {
		return composeResources(p, m)
	}
	name = p
	if count > 1 {
		name = fmt.Sprintf("%s#%d", p, index+1)
	}
	return []resource{{id: Identity{Type: TypeYAML, Name: name}, path: p, value: doc}}
}

// composeSections are the top-level compose keys whose entries are resources.
var composeSections = []struct{ key, kind string }{
	{"services", "service"}, {"networks", "network"}, {"volumes", "volume"},
	{"configs", "config"}, {"secrets", "secret"},
}

func composeResources(p string, m map[string]any) []resource {
	var out []resource
	rest := map[string]any{}
	for k, v := range m {
		rest[k] = v
	}
	for _, sec := range composeSections {
		entries, ok := m[sec.key].(map[string]any)
		if !ok {
			continue
		}
		delete(rest, sec.key)
		for _, name := range slices.Sorted(maps.Keys(entries)) {
			v := entries[name]
			if sec.kind == "service" {
				v = normalizeService(v)
			}
			out = append(out, resource{id: Identity{Type: TypeCompose, Kind: sec.kind, Name: name}, path: p, value: v})
		}
	}
	if len(rest) > 0 {
		out = append(out, resource{id: Identity{Type: TypeCompose, Kind: "project", Name: p}, path: p, value: rest})
	}
	return out
}

// normalizeService turns compose's list forms into maps so that entries are
// matched by key: environment and labels ("K=V" lists).
func normalizeService(v any) any {
	svc, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(svc))
	for k, val := range svc {
		out[k] = val
		list, isList := val.([]any)
		if !isList || (k != "environment" && k != "labels") {
			continue
		}
		m := make(map[string]any, len(list))
		for _, item := range list {
			s := str(item)
			if key, value, found := strings.Cut(s, "="); found {
				m[key] = value
			} else {
				m[s] = nil
			}
		}
		out[k] = m
	}
	return out
}

func isPEM(data []byte) bool {
	return bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN "))
}

func isText(data []byte) bool {
	return utf8.Valid(data) && bytes.IndexByte(data, 0) < 0
}
