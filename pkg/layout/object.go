package layout

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"strings"

	yamlv3 "gopkg.in/yaml.v3"
	"sigs.k8s.io/yaml"

	"github.com/synctl/synctl/pkg/render"
)

// objectID identifies a Kubernetes object as Kustomize and Helm do: by its
// full apiVersion (Kustomize resolves a patch by group, version and kind),
// kind, namespace and name.
type objectID struct {
	APIVersion, Kind, Namespace, Name string
}

// String names the object as `synctl diff` does: "Kind namespace/name".
func (id objectID) String() string {
	if id.Namespace != "" {
		return id.Kind + " " + id.Namespace + "/" + id.Name
	}
	return id.Kind + " " + id.Name
}

// object is one Kubernetes object of a bundle's manifests.
type object struct {
	id objectID
	// file is the bundle file that holds it; shared is true when that file
	// holds other objects too.
	file   string
	shared bool
	// doc is the object as render.Document gives it (integers as int),
	// a document of its own: the layouts may change it.
	doc map[string]any
}

// objects are the Kubernetes objects of b's manifests, in file order: the
// typed objects the render holds (whatever their kind), each as the
// document its manifest has, keyed by apiVersion, kind, namespace and name.
// Nothing is parsed back from YAML.
func objects(b *render.Bundle) ([]object, error) {
	var out []object
	seen := map[objectID]string{}
	for _, f := range b.Files {
		if f.Kind != render.KindManifest {
			continue
		}
		if len(f.Objects) == 0 {
			return nil, fmt.Errorf("%s bundle, %s: a manifest without its typed objects; layouts arrange what render built (render.Manifests keeps them)", b.Target, f.Path)
		}
		docs := make([]map[string]any, len(f.Objects))
		for i, obj := range f.Objects {
			doc, err := render.Document(obj)
			if err != nil {
				return nil, fmt.Errorf("%s bundle, %s, object %d: %w", b.Target, f.Path, i+1, err)
			}
			docs[i] = doc
		}
		for i, doc := range docs {
			id, err := identify(doc)
			if err != nil {
				return nil, fmt.Errorf("%s bundle, %s, document %d: %w", b.Target, f.Path, i+1, err)
			}
			if prev, dup := seen[id]; dup {
				return nil, fmt.Errorf("%s bundle: %s is in both %s and %s; each object must appear once", b.Target, id, prev, f.Path)
			}
			seen[id] = f.Path
			out = append(out, object{id: id, file: f.Path, shared: len(docs) > 1, doc: doc})
		}
	}
	return out, nil
}

func identify(doc map[string]any) (objectID, error) {
	meta, _ := doc["metadata"].(map[string]any)
	id := objectID{APIVersion: str(doc["apiVersion"]), Kind: str(doc["kind"]), Namespace: str(meta["namespace"]), Name: str(meta["name"])}
	if id.APIVersion == "" || id.Kind == "" || id.Name == "" {
		return id, errors.New("not a Kubernetes object: apiVersion, kind and metadata.name are required")
	}
	return id, nil
}

// group is the API group of an apiVersion ("" for the core group).
func group(apiVersion string) string {
	g, _, found := strings.Cut(apiVersion, "/")
	if !found {
		return ""
	}
	return g
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// lookup follows keys through nested maps.
func lookup(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func equal(a, b any) bool { return reflect.DeepEqual(a, b) }

// manifest is a manifest file of docs under synctl's header, separated as
// the plain render separates them.
func manifest(path, cmd string, docs []map[string]any) (render.File, error) {
	data := render.Header("#", cmd)
	for i, d := range docs {
		if i > 0 {
			data = append(data, "---\n"...)
		}
		y, err := yaml.Marshal(d)
		if err != nil {
			return render.File{}, fmt.Errorf("%s: %w", path, err)
		}
		data = append(data, y...)
	}
	return render.File{Path: path, Data: data, Mode: 0o644, Kind: render.KindManifest}, nil
}

// yamlFile is v, a struct with yaml tags, marshalled under synctl's header
// with its fields in struct order (sigs.k8s.io/yaml would sort them).
func yamlFile(path, cmd string, kind render.Kind, v any) (render.File, error) {
	var out bytes.Buffer
	out.Write(render.Header("#", cmd))
	enc := yamlv3.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return render.File{}, fmt.Errorf("%s: %w", path, err)
	}
	if err := enc.Close(); err != nil {
		return render.File{}, fmt.Errorf("%s: %w", path, err)
	}
	return render.File{Path: path, Data: out.Bytes(), Mode: 0o644, Kind: kind}, nil
}
