package layout

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/synctl/synctl/pkg/render"
)

// What the Kustomize layout writes, relative to its directory.
const (
	KustomizationFile = "kustomization.yaml"
	BaseDir           = "base"
	OverlaysDir       = "overlays"
	patchesDir        = "patches"
	// appDir, in an overlay, sets the target's namespace on the base when
	// the targets put the app in namespaces of their own.
	appDir = "app"
)

// Kinds of the layouts' own files, beside render's.
const (
	// KindKustomization is a kustomization.yaml.
	KindKustomization render.Kind = "kustomization"
	// KindPatch is a Kustomize patch: a partial object that sets fields.
	KindPatch render.Kind = "kustomize-patch"
)

// kustomization is the part of Kustomize's Kustomization type the layout
// uses (kustomize.config.k8s.io/v1beta1).
type kustomization struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	// Namespace is set on every object the kustomization holds.
	Namespace string `yaml:"namespace,omitempty"`
	// Resources is written even when empty: Kustomize refuses a
	// kustomization with nothing in it, and a base may share nothing.
	Resources []string `yaml:"resources"`
	Patches   []patch  `yaml:"patches,omitempty"`
}

// patch is a patch file; Kustomize finds the object it patches from the
// patch's own apiVersion, kind, name and namespace.
type patch struct {
	Path string `yaml:"path"`
}

func newKustomization() kustomization {
	return kustomization{APIVersion: "kustomize.config.k8s.io/v1beta1", Kind: "Kustomization"}
}

// overlay is what one target's overlay holds beyond the base.
type overlay struct {
	bundle *render.Bundle
	// namespace is the one its app/ kustomization sets on the base, when
	// the targets put the app in namespaces of their own.
	namespace string
	// added are the objects only some targets have, in the target's order.
	added []object
	// patched are the target's objects that differ from the base, with
	// the fields the patch sets.
	patched []patched
}

type patched struct {
	object
	patch  map[string]any
	fields []string
}

// Kustomize arranges the bundles of Kubernetes targets (in the order
// given, at least one) as a Kustomize base and one overlay per target:
//
//   - an object every target has, identical, goes in the base;
//   - an object only some targets have goes in those targets' overlays,
//     whole;
//   - an object every target has, but not identical, goes in the base with
//     the fields all of them share, and each overlay patches in the rest.
//
// A patch only ever adds fields the base lacks, and a list that differs is
// left out of the base whole: so whichever way Kustomize merges (strategic
// merge for built-in kinds, JSON merge for custom resources), the overlay
// builds to exactly the target's own objects. cmd is the command that
// writes the layout again, for file headers.
func Kustomize(bundles []*render.Bundle, cmd string) (*render.Bundle, error) {
	if len(bundles) == 0 {
		return nil, fmt.Errorf("the kustomize layout needs at least one Kubernetes target")
	}
	app := bundles[0].App
	objs := make([][]object, len(bundles))
	for i, b := range bundles {
		if slices.ContainsFunc(bundles[:i], func(o *render.Bundle) bool { return o.Target == b.Target }) {
			return nil, fmt.Errorf("target %s is given twice; each target has one overlay", b.Target)
		}
		if b.Stdout != render.KindManifest {
			return nil, fmt.Errorf("target %s renders no Kubernetes manifests; the kustomize layout takes Kubernetes targets only", b.Target)
		}
		if b.App != app {
			return nil, fmt.Errorf("target %s renders app %s, target %s app %s; a layout holds one app", bundles[0].Target, app, b.Target, b.App)
		}
		var err error
		if objs[i], err = objects(b); err != nil {
			return nil, err
		}
	}
	// Targets that put the app in namespaces of their own share its
	// objects all the same: those are matched without their namespace, the
	// base holds them without one, and each overlay sets its namespace.
	appNS := make([]string, len(bundles))
	for i := range objs {
		appNS[i] = appNamespace(objs[i])
	}
	perTarget := !slices.Contains(appNS, "") && slices.ContainsFunc(appNS, func(ns string) bool { return ns != appNS[0] })
	inApp := map[objectID]bool{}
	if perTarget {
		for i := range objs {
			for j := range objs[i] {
				o := &objs[i][j]
				if o.id.Namespace != appNS[i] {
					continue
				}
				o.id.Namespace = ""
				inApp[o.id] = true
				if meta, ok := o.doc["metadata"].(map[string]any); ok {
					delete(meta, "namespace")
				}
			}
		}
	}
	// withNamespace is o as target i writes it: in the app's namespace
	// where the layout took it out.
	withNamespace := func(o object, i int) object {
		if !inApp[o.id] {
			return o
		}
		o.id.Namespace = appNS[i]
		o.doc = deepCopy(o.doc).(map[string]any)
		if meta, ok := o.doc["metadata"].(map[string]any); ok {
			meta["namespace"] = appNS[i]
		}
		return o
	}
	// docs[id][i] is target i's version of the object, nil where it has none.
	docs := map[objectID][]map[string]any{}
	for i, os := range objs {
		for _, o := range os {
			if docs[o.id] == nil {
				docs[o.id] = make([]map[string]any, len(bundles))
			}
			docs[o.id][i] = o.doc
		}
	}
	// The base's version of each object every target has.
	base := map[objectID]map[string]any{}
	for id, versions := range docs {
		if perTarget && !inApp[id] {
			// Only what the overlays' namespace applies to is shared.
			continue
		}
		if !slices.ContainsFunc(versions, func(v map[string]any) bool { return v == nil }) {
			vals := make([]any, len(versions))
			for i, v := range versions {
				vals[i] = v
			}
			c, _ := common(vals)
			base[id], _ = c.(map[string]any)
		}
	}
	overlays := make([]overlay, len(bundles))
	for i, b := range bundles {
		ov := overlay{bundle: b}
		if perTarget {
			ov.namespace = appNS[i]
		}
		for _, o := range objs[i] {
			c, inBase := base[o.id]
			if !inBase {
				ov.added = append(ov.added, withNamespace(o, i))
				continue
			}
			d, differs := subtract(o.doc, c)
			if !differs {
				continue
			}
			p := d.(map[string]any)
			fields := setPaths(p, c, "")
			// The patch names its object: Kustomize finds it by these.
			p["apiVersion"], p["kind"] = o.id.APIVersion, o.id.Kind
			meta, _ := p["metadata"].(map[string]any)
			if meta == nil {
				meta = map[string]any{}
				p["metadata"] = meta
			}
			meta["name"] = o.id.Name
			o = withNamespace(o, i)
			if o.id.Namespace != "" {
				meta["namespace"] = o.id.Namespace
			}
			ov.patched = append(ov.patched, patched{object: o, patch: p, fields: fields})
		}
		overlays[i] = ov
	}

	var files []render.File
	// The base, in the first target's order and files (every target has
	// every object of it).
	var baseObjs []object
	for _, o := range objs[0] {
		if c, ok := base[o.id]; ok {
			o.doc = c
			baseObjs = append(baseObjs, o)
		}
	}
	baseFiles, err := groupFiles(BaseDir, cmd, baseObjs)
	if err != nil {
		return nil, err
	}
	k := newKustomization()
	k.Resources = []string{}
	for _, f := range baseFiles {
		k.Resources = append(k.Resources, path.Base(f.Path))
	}
	kf, err := yamlFile(path.Join(BaseDir, KustomizationFile), cmd, KindKustomization, k)
	if err != nil {
		return nil, err
	}
	files = append(append(files, kf), baseFiles...)

	for i, ov := range overlays {
		dir := path.Join(OverlaysDir, ov.bundle.Target)
		added, err := groupFiles(dir, cmd, ov.added)
		if err != nil {
			return nil, err
		}
		k := newKustomization()
		k.Resources = []string{"../../" + BaseDir}
		if perTarget {
			// The base in the target's namespace; the overlay's own
			// objects keep theirs (some are in other namespaces, or in
			// none, which a namespace: here would change).
			app := newKustomization()
			app.Namespace = appNS[i]
			app.Resources = []string{"../../../" + BaseDir}
			af, err := yamlFile(path.Join(dir, appDir, KustomizationFile), cmd, KindKustomization, app)
			if err != nil {
				return nil, err
			}
			files = append(files, af)
			k.Resources = []string{appDir}
		}
		for _, f := range added {
			k.Resources = append(k.Resources, path.Base(f.Path))
		}
		taken := map[string]objectID{}
		var patches []render.File
		for _, p := range ov.patched {
			rel := patchPath(p.object)
			if other, dup := taken[rel]; dup {
				return nil, fmt.Errorf("%s overlay: the patches of %s and %s would both be %s", ov.bundle.Target, other, p.id, rel)
			}
			taken[rel] = p.id
			f, err := manifest(path.Join(dir, rel), cmd, []map[string]any{p.patch})
			if err != nil {
				return nil, err
			}
			f.Kind = KindPatch
			patches = append(patches, f)
			k.Patches = append(k.Patches, patch{Path: rel})
		}
		kf, err := yamlFile(path.Join(dir, KustomizationFile), cmd, KindKustomization, k)
		if err != nil {
			return nil, err
		}
		files = append(append(append(files, kf), added...), patches...)
	}
	for _, f := range files {
		if strings.EqualFold(path.Base(f.Path), KustomizationFile) && f.Kind != KindKustomization {
			return nil, fmt.Errorf("%s: a manifest may not be called %s, which Kustomize reads as a kustomization", f.Path, KustomizationFile)
		}
	}

	// The layout is one bundle whatever targets it holds: rendering it again
	// for other targets replaces it, and the overlays of targets it no
	// longer holds are removed as stale.
	names := make([]string, len(bundles))
	for i, b := range bundles {
		names[i] = b.Target
	}
	out := &render.Bundle{Target: strings.Join(names, ","), Layout: render.LayoutKustomize, App: app, Command: cmd, Files: files}
	out.Files = append(out.Files, kustomizeReadme(out, baseObjs, overlays))
	rec, err := out.RecordFile()
	if err != nil {
		return nil, err
	}
	out.Files = append(out.Files, rec)
	return out, nil
}

// groupFiles writes objects into dir, each file holding its objects in the
// order given, files in the order their first object comes.
func groupFiles(dir, cmd string, objs []object) ([]render.File, error) {
	var order []string
	byFile := map[string][]map[string]any{}
	for _, o := range objs {
		if _, ok := byFile[o.file]; !ok {
			order = append(order, o.file)
		}
		byFile[o.file] = append(byFile[o.file], o.doc)
	}
	var files []render.File
	for _, name := range order {
		f, err := manifest(path.Join(dir, name), cmd, byFile[name])
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// patchPath names an object's patch after the file that holds the object,
// and the object too where that file holds several.
func patchPath(o object) string {
	if !o.shared {
		return path.Join(patchesDir, o.file)
	}
	ext := path.Ext(o.file)
	return path.Join(patchesDir, strings.TrimSuffix(o.file, ext)+"-"+strings.ToLower(o.id.Kind)+"-"+o.id.Name+ext)
}

// common is the part every one of vals shares: a value all of them equal,
// or, where all are maps, the keys all of them have with the part those
// share. ok is false when they share nothing. Lists are atomic: a list
// that differs anywhere is left out whole.
func common(vals []any) (c any, ok bool) {
	if !slices.ContainsFunc(vals[1:], func(v any) bool { return !equal(v, vals[0]) }) {
		return vals[0], true
	}
	first, isMap := vals[0].(map[string]any)
	if !isMap {
		return nil, false
	}
	out := map[string]any{}
	for _, k := range slices.Sorted(maps.Keys(first)) {
		sub := make([]any, 0, len(vals))
		for _, v := range vals {
			m, isMap := v.(map[string]any)
			if !isMap {
				return nil, false
			}
			x, has := m[k]
			if !has {
				break
			}
			sub = append(sub, x)
		}
		if len(sub) < len(vals) {
			continue
		}
		if x, ok := common(sub); ok {
			out[k] = x
		}
	}
	return out, len(out) > 0
}

// subtract is the part of v that c, a part of v as common returns it,
// lacks: merged onto c, it gives v back. ok is false when v is c.
func subtract(v, c any) (d any, ok bool) {
	if equal(v, c) {
		return nil, false
	}
	vm, vIsMap := v.(map[string]any)
	cm, cIsMap := c.(map[string]any)
	if !vIsMap || !cIsMap {
		return v, true
	}
	out := map[string]any{}
	for k, x := range vm {
		cx, shared := cm[k]
		if !shared {
			out[k] = x
			continue
		}
		if dx, ok := subtract(x, cx); ok {
			out[k] = dx
		}
	}
	return out, len(out) > 0
}

// setPaths lists the fields a patch p sets onto base c, as dotted paths;
// keys with dots or slashes (labels, annotations) go in brackets.
func setPaths(p, c map[string]any, prefix string) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(p)) {
		field := prefix + "." + k
		if strings.ContainsAny(k, "./") {
			field = prefix + "[" + k + "]"
		}
		field = strings.TrimPrefix(field, ".")
		pm, pIsMap := p[k].(map[string]any)
		cm, cIsMap := c[k].(map[string]any)
		if pIsMap && cIsMap {
			out = append(out, setPaths(pm, cm, field)...)
			continue
		}
		out = append(out, field)
	}
	return out
}
