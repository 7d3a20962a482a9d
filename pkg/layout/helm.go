package layout

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target/platform"
)

// What a chart holds, relative to its directory.
const (
	ChartFile      = "Chart.yaml"
	ValuesFile     = "values.yaml"
	TemplatesDir   = "templates"
	helmIgnoreFile = ".helmignore"
	// ChartVersion is every chart's version: synctl renders the chart
	// from the model each time and keeps no release history of its own.
	ChartVersion = "0.1.0"
)

// Kinds of a chart's files.
const (
	KindChart      render.Kind = "helm-chart"
	KindValues     render.Kind = "helm-values"
	KindTemplate   render.Kind = "helm-template"
	KindHelmIgnore render.Kind = "helm-ignore"
)

// Labels and annotations synctl's Kubernetes targets put on objects, by
// which the chart tells whose object it is.
const (
	serviceLabel = "app.kubernetes.io/name"
	// namespaceLabel is the label Kubernetes gives every namespace, which
	// namespace selectors match on.
	namespaceLabel = "kubernetes.io/metadata.name"
)

// chartMeta is Chart.yaml (apiVersion v2).
type chartMeta struct {
	APIVersion  string `yaml:"apiVersion"`
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	Type        string `yaml:"type"`
	Version     string `yaml:"version"`
}

// slotKind is how a value goes into a template.
type slotKind int

const (
	slotString    slotKind = iota // a string, quoted
	slotInt                       // an integer
	slotTree                      // a map or list, whose key is left out when it is empty
	slotHash                      // the hash of a map, as render's config-hash annotation
	slotStringMap                 // a map of strings (ConfigMap data), whose key is left out when it is empty
)

// slot is one place in an object that a value fills.
type slot struct {
	kind slotKind
	ref  []string // the value's path under .Values
	// field is where in the object, for the README.
	field string
}

// valueUse is a value of the chart and the fields it sets.
type valueUse struct {
	ref    []string
	def    any
	fields []string
}

// chartBuilder collects a chart's values while its templates are made.
type chartBuilder struct {
	target    string
	namespace string // the app's namespace, "" when the bundle has none
	values    map[string]any
	uses      map[string]*valueUse // by dotted ref
	// configMaps are the bundle's ConfigMaps by namespace/name.
	configMaps map[string]object
}

// Helm turns the bundle of one Kubernetes target into a Helm chart whose
// templates, with the chart's default values, render exactly the bundle's
// objects. The templates are the bundle's objects, marshalled, with a
// template expression at each field a value sets:
//
//   - namespace: every reference to the app's namespace (metadata.namespace,
//     the Namespace itself, namespace selectors);
//   - services.<service>: its container's image and resources, its replica
//     count or autoscaling bounds, the env its ConfigMap carries (the wiring
//     URLs among it, any key --set adds) and the hostnames its HTTPRoute
//     matches or the host of its Ingress rules;
//   - gateways.<gateway>.addresses: the addresses a Gateway asks for.
//
// A service is what an object's app.kubernetes.io/name label names. The
// pod template's config-hash annotation is computed from the env value, so
// that a changed env rolls the pods as a changed render does. cmd is the
// command that writes the chart again, for headers.
func Helm(b *render.Bundle, cmd string) (*render.Bundle, error) {
	if b.Stdout != render.KindManifest {
		return nil, fmt.Errorf("target %s renders no Kubernetes manifests; the helm layout takes Kubernetes targets only", b.Target)
	}
	objs, err := objects(b)
	if err != nil {
		return nil, err
	}
	c := &chartBuilder{target: b.Target, values: map[string]any{}, uses: map[string]*valueUse{}, configMaps: map[string]object{}}
	c.namespace = appNamespace(objs)
	if c.namespace != "" {
		c.set([]string{"namespace"}, c.namespace, "")
	}
	for _, o := range objs {
		if o.id.Kind == "ConfigMap" && group(o.id.APIVersion) == "" {
			c.configMaps[o.id.Namespace+"/"+o.id.Name] = o
		}
	}
	byFile := map[string][]string{}
	var order []string
	for _, o := range objs {
		text, err := c.template(o)
		if err != nil {
			return nil, fmt.Errorf("%s chart, %s: %w", b.Target, o.id, err)
		}
		if _, ok := byFile[o.file]; !ok {
			order = append(order, o.file)
		}
		byFile[o.file] = append(byFile[o.file], text)
	}

	var files []render.File
	meta := chartMeta{
		APIVersion:  "v2",
		Name:        b.App + "-" + b.Target,
		Description: fmt.Sprintf("%s on %s, rendered by synctl from the app's model", b.App, b.Target),
		Type:        "application",
		Version:     ChartVersion,
	}
	cf, err := yamlFile(ChartFile, cmd, KindChart, meta)
	if err != nil {
		return nil, err
	}
	vf, err := c.valuesFile(cmd)
	if err != nil {
		return nil, err
	}
	// The record and any other bookkeeping stay out of a packaged chart.
	ignore := render.File{Path: helmIgnoreFile, Data: append(render.Header("#", cmd), render.RecordPath+"\n"...), Mode: 0o644, Kind: KindHelmIgnore}
	files = append(files, cf, vf, ignore)
	for _, name := range order {
		text := escapeActions(string(render.Header("#", cmd))) + strings.Join(byFile[name], "---\n")
		files = append(files, render.File{Path: path.Join(TemplatesDir, name), Data: []byte(text), Mode: 0o644, Kind: KindTemplate})
	}
	out := &render.Bundle{Target: b.Target, Layout: render.LayoutHelm, App: b.App, Command: cmd, Wiring: b.Wiring, Files: files}
	out.Files = append(out.Files, helmReadme(out, b.Command, meta.Name, c.sortedUses()))
	rec, err := out.RecordFile()
	if err != nil {
		return nil, err
	}
	out.Files = append(out.Files, rec)
	return out, nil
}

// appNamespace is the namespace all of the bundle's workloads (objects with
// a pod template) run in, or "" when they are in several or there are none.
func appNamespace(objs []object) string {
	ns := ""
	for _, o := range objs {
		if lookup(o.doc, "spec", "template", "spec", "containers") == nil {
			continue
		}
		if ns != "" && o.id.Namespace != ns {
			return ""
		}
		ns = o.id.Namespace
	}
	return ns
}

// set makes def the default of the value at ref, used at field. Two
// objects may share a value only where they agree on its default.
func (c *chartBuilder) set(ref []string, def any, field string) error {
	key := strings.Join(ref, ".")
	if u, ok := c.uses[key]; ok {
		if !equal(u.def, def) {
			return fmt.Errorf("value %s would be %v for %s but %v for %s", key, def, field, u.def, strings.Join(u.fields, ", "))
		}
		if field != "" {
			u.fields = append(u.fields, field)
		}
		return nil
	}
	u := &valueUse{ref: ref, def: def}
	if field != "" {
		u.fields = []string{field}
	}
	c.uses[key] = u
	m := c.values
	for _, k := range ref[:len(ref)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	m[ref[len(ref)-1]] = def
	return nil
}

func (c *chartBuilder) sortedUses() []*valueUse {
	out := slices.Collect(maps.Values(c.uses))
	slices.SortFunc(out, func(a, b *valueUse) int { return slices.Compare(a.ref, b.ref) })
	return out
}

// sentinelPrefix marks the places values go while an object is marshalled:
// a plain YAML scalar that no object of synctl's carries.
const sentinelPrefix = "synctl-helm-value-"

// template is the object as a template: marshalled with a sentinel at
// each field a value sets, then each sentinel replaced by the template
// expression for its value.
func (c *chartBuilder) template(o object) (string, error) {
	plain, err := yaml.Marshal(o.doc)
	if err != nil {
		return "", err
	}
	if bytes.Contains(plain, []byte(sentinelPrefix)) {
		return "", fmt.Errorf("it contains %q, which the chart uses to mark values; rename what carries it", sentinelPrefix)
	}
	doc := deepCopy(o.doc).(map[string]any)
	var slots []slot
	// place puts the value at ref into parent[key] (def where parent lacks
	// key), for the object's field.
	place := func(parent map[string]any, key string, kind slotKind, ref []string, def any, field string) error {
		if err := c.set(ref, def, o.id.String()+" "+field); err != nil {
			return err
		}
		parent[key] = fmt.Sprintf("%s%06d", sentinelPrefix, len(slots))
		slots = append(slots, slot{kind: kind, ref: ref, field: field})
		return nil
	}
	if err := c.serviceValues(o, doc, place); err != nil {
		return "", err
	}
	if c.namespace != "" {
		if err := c.namespaceValues(o, doc, place); err != nil {
			return "", err
		}
	}
	text, err := yaml.Marshal(doc)
	if err != nil {
		return "", err
	}
	return fillSlots(escapeActions(string(text)), slots)
}

type placeFunc func(parent map[string]any, key string, kind slotKind, ref []string, def any, field string) error

// serviceValues places the values of the service the object belongs to,
// and those of Gateways.
func (c *chartBuilder) serviceValues(o object, doc map[string]any, place placeFunc) error {
	spec, _ := doc["spec"].(map[string]any)
	g := group(o.id.APIVersion)
	if o.id.Kind == "Gateway" && g == gatewayGroup && spec != nil {
		def, ok := spec["addresses"]
		if !ok {
			def = []any{}
		}
		return place(spec, "addresses", slotTree, []string{"gateways", o.id.Name, "addresses"}, def, "spec.addresses")
	}
	svc := str(lookup(doc, "metadata", "labels", serviceLabel))
	if svc == "" {
		return nil
	}
	ref := func(keys ...string) []string { return append([]string{"services", svc}, keys...) }
	switch {
	case o.id.Kind == "ConfigMap" && g == "":
		// The env is one value, the whole of data: a key --set adds reaches
		// the ConfigMap (and the hash), also where the spec sets no env.
		data, _ := doc["data"].(map[string]any)
		if data == nil {
			data = map[string]any{}
		}
		return place(doc, "data", slotStringMap, ref("env"), data, "data")
	case o.id.Kind == "HorizontalPodAutoscaler" && g == "autoscaling" && spec != nil:
		for _, k := range []string{"minReplicas", "maxReplicas"} {
			if n, ok := integer(spec[k]); ok {
				if err := place(spec, k, slotInt, ref("autoscaling", k), n, "spec."+k); err != nil {
					return err
				}
			}
		}
	case o.id.Kind == "HTTPRoute" && g == gatewayGroup && spec != nil:
		def, ok := spec["hostnames"]
		if !ok {
			def = []any{}
		}
		return place(spec, "hostnames", slotTree, ref("hostnames"), def, "spec.hostnames")
	case o.id.Kind == "Ingress" && g == "networking.k8s.io" && spec != nil:
		rules, _ := spec["rules"].([]any)
		for i, r := range rules {
			rule, _ := r.(map[string]any)
			if host, ok := rule["host"].(string); ok && host != "" {
				if err := place(rule, "host", slotString, ref("host"), host, fmt.Sprintf("spec.rules[%d].host", i)); err != nil {
					return err
				}
			}
		}
	case lookup(spec, "template", "spec", "containers") != nil:
		return c.workloadValues(o, spec, ref, place)
	}
	return nil
}

const gatewayGroup = "gateway.networking.k8s.io"

// workloadValues places a workload's replicas, its one container's image
// and resources, and the hash of the env its ConfigMap carries.
func (c *chartBuilder) workloadValues(o object, spec map[string]any, ref func(...string) []string, place placeFunc) error {
	if n, ok := integer(spec["replicas"]); ok {
		if err := place(spec, "replicas", slotInt, ref("replicas"), n, "spec.replicas"); err != nil {
			return err
		}
	}
	containers, _ := lookup(spec, "template", "spec", "containers").([]any)
	if len(containers) != 1 {
		// One image value per service: a pod of several containers keeps
		// its images as the render sets them.
		return nil
	}
	ctr, _ := containers[0].(map[string]any)
	if ctr == nil {
		return nil
	}
	const field = "spec.template.spec.containers[0]."
	if img, ok := ctr["image"].(string); ok {
		if err := place(ctr, "image", slotString, ref("image"), img, field+"image"); err != nil {
			return err
		}
	}
	res, ok := ctr["resources"]
	if !ok {
		res = map[string]any{}
	}
	if err := place(ctr, "resources", slotTree, ref("resources"), res, field+"resources"); err != nil {
		return err
	}
	// The pod template's annotation that carries the hash of the env its
	// ConfigMap holds: computed from the env value, so that changing it
	// rolls the pods.
	annotations, _ := lookup(spec, "template", "metadata", "annotations").(map[string]any)
	envFrom, _ := ctr["envFrom"].([]any)
	for _, e := range envFrom {
		name := str(lookup(e, "configMapRef", "name"))
		cm, ok := c.configMaps[o.id.Namespace+"/"+name]
		if !ok {
			continue
		}
		cmSvc := str(lookup(cm.doc, "metadata", "labels", serviceLabel))
		data, _ := cm.doc["data"].(map[string]any)
		h, ok := configHash(data)
		if cmSvc == "" || !ok {
			continue
		}
		for _, k := range slices.Sorted(maps.Keys(annotations)) {
			if annotations[k] == h {
				if err := place(annotations, k, slotHash, []string{"services", cmSvc, "env"}, deepCopy(data), "spec.template.metadata.annotations["+k+"]"); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// namespaceValues places the app's namespace wherever the object refers to
// it: a "namespace" field anywhere, the Namespace object itself, and the
// label namespace selectors match.
func (c *chartBuilder) namespaceValues(o object, doc map[string]any, place placeFunc) error {
	ref := []string{"namespace"}
	if o.id.Kind == "Namespace" && group(o.id.APIVersion) == "" && o.id.Name == c.namespace {
		if err := place(doc["metadata"].(map[string]any), "name", slotString, ref, c.namespace, "metadata.name"); err != nil {
			return err
		}
	}
	var walk func(v any, field string) error
	walk = func(v any, field string) error {
		switch v := v.(type) {
		case map[string]any:
			for _, k := range slices.Sorted(maps.Keys(v)) {
				sub := strings.TrimPrefix(field+"."+k, ".")
				if strings.ContainsAny(k, "./") {
					sub = field + "[" + k + "]"
				}
				if s, ok := v[k].(string); ok && s == c.namespace && (k == "namespace" || k == namespaceLabel) {
					if err := place(v, k, slotString, ref, s, sub); err != nil {
						return err
					}
					continue
				}
				if err := walk(v[k], sub); err != nil {
					return err
				}
			}
		case []any:
			for i, e := range v {
				if err := walk(e, field+"["+strconv.Itoa(i)+"]"); err != nil {
					return err
				}
			}
		}
		return nil
	}
	return walk(doc, "")
}

// configHash is render's config-hash annotation of a ConfigMap's data: the
// first 8 bytes of the SHA-256 of its JSON, in hex. ok is false for data
// that is not all strings.
func configHash(data map[string]any) (string, bool) {
	m := make(map[string]string, len(data))
	for k, v := range data {
		s, ok := v.(string)
		if !ok {
			return "", false
		}
		m[k] = s
	}
	return platform.ConfigHash(m), true
}

// integer is an integer of a document: an int (as render.Document gives
// it) or a json.Number.
func integer(v any) (int64, bool) {
	switch n := v.(type) {
	case int:
		return int64(n), true
	case int64:
		return n, true
	case json.Number:
		i, err := n.Int64()
		return i, err == nil
	}
	return 0, false
}

// escapeActions keeps text that is not a template expression from being
// read as one: "{{" becomes an expression that prints "{{".
func escapeActions(text string) string {
	return strings.ReplaceAll(text, "{{", `{{ "{{" }}`)
}

// identRe is a key Go templates can follow with a dot.
var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// valueRef is the template expression for the value at ref.
func valueRef(ref []string) string {
	if !slices.ContainsFunc(ref, func(k string) bool { return !identRe.MatchString(k) }) {
		return ".Values." + strings.Join(ref, ".")
	}
	q := make([]string, len(ref))
	for i, k := range ref {
		q[i] = strconv.Quote(k)
	}
	return "index .Values " + strings.Join(q, " ")
}

// fillSlots replaces each slot's sentinel in text, a marshalled object,
// with its template expression. A tree value takes its line's key with it
// where it is empty, as the render leaves an empty field out.
func fillSlots(text string, slots []slot) (string, error) {
	lines := strings.SplitAfter(text, "\n")
	for i, s := range slots {
		sentinel := fmt.Sprintf("%s%06d", sentinelPrefix, i)
		at := -1
		for j, l := range lines {
			if strings.Contains(l, sentinel) {
				if at >= 0 {
					return "", fmt.Errorf("%s: its value marker appears twice", s.field)
				}
				at = j
			}
		}
		if at < 0 {
			return "", fmt.Errorf("%s: its value marker is lost", s.field)
		}
		line := lines[at]
		ref := valueRef(s.ref)
		switch s.kind {
		case slotString:
			lines[at] = strings.Replace(line, sentinel, "{{ "+ref+" | quote }}", 1)
		case slotInt:
			lines[at] = strings.Replace(line, sentinel, "{{ "+ref+" | int }}", 1)
		case slotHash:
			lines[at] = strings.Replace(line, sentinel, "{{ "+ref+" | toJson | sha256sum | trunc 16 | quote }}", 1)
		case slotStringMap:
			body := strings.TrimLeft(line, " ")
			indent := len(line) - len(body)
			key, ok := strings.CutSuffix(strings.TrimSuffix(body, "\n"), ": "+sentinel)
			if !ok || strings.HasPrefix(key, "- ") {
				return "", fmt.Errorf("%s: a map value must be a field of a map, not the first of a list item", s.field)
			}
			pad := strings.Repeat(" ", indent)
			// Each value as a string, whatever type --set gave it: a
			// ConfigMap's data holds strings only.
			lines[at] = fmt.Sprintf("{{- with %s }}\n%s%s:\n{{- range $k, $v := . }}\n%s  {{ $k | quote }}: {{ $v | toString | quote }}\n{{- end }}\n{{- end }}\n", ref, pad, key, pad)
		case slotTree:
			body := strings.TrimLeft(line, " ")
			indent := len(line) - len(body)
			key, ok := strings.CutSuffix(strings.TrimSuffix(body, "\n"), ": "+sentinel)
			if !ok || strings.HasPrefix(key, "- ") {
				return "", fmt.Errorf("%s: a map or list value must be a field of a map, not the first of a list item", s.field)
			}
			pad := strings.Repeat(" ", indent)
			lines[at] = fmt.Sprintf("{{- with %s }}\n%s%s: {{- toYaml . | nindent %d }}\n{{- end }}\n", ref, pad, key, indent+2)
		}
	}
	return strings.Join(lines, ""), nil
}

// deepCopy copies a decoded JSON value.
func deepCopy(v any) any {
	switch v := v.(type) {
	case map[string]any:
		m := make(map[string]any, len(v))
		for k, e := range v {
			m[k] = deepCopy(e)
		}
		return m
	case []any:
		l := make([]any, len(v))
		for i, e := range v {
			l[i] = deepCopy(e)
		}
		return l
	}
	return v
}

// valueSections are values.yaml's top-level keys, in order, with what they
// hold.
var valueSections = []struct{ key, about string }{
	{"namespace", "The namespace of the app's objects; the chart creates it."},
	{"services", "Per service: its container's image and resources, its replica count (or, where an\n" +
		"autoscaler decides, the autoscaler's bounds) and the env its ConfigMap carries (the wiring\n" +
		"URLs among it; the pods restart when it changes)."},
	{"gateways", "Per Gateway: the addresses it asks for, e.g. a reserved static IP address\n" +
		"({type: NamedAddress, value: NAME})."},
}

// routeAbout says, for values.yaml, which route values the chart's
// services have: only those its objects take.
func (c *chartBuilder) routeAbout() string {
	var has []string
	for _, u := range c.sortedUses() {
		if len(u.ref) == 3 && u.ref[0] == "services" {
			about := map[string]string{
				"hostnames": "hostnames: the hostnames its HTTPRoute matches",
				"host":      "host: the host its Ingress rules match",
			}[u.ref[2]]
			if about != "" && !slices.Contains(has, about) {
				has = append(has, about)
			}
		}
	}
	if len(has) == 0 {
		return ""
	}
	return "\nA public service also has " + strings.Join(has, ", and ") + "."
}

// valuesFile is values.yaml: each section marshalled as Helm reads it
// (sigs.k8s.io/yaml), under a comment saying what it holds.
func (c *chartBuilder) valuesFile(cmd string) (render.File, error) {
	data := render.Header("#", cmd)
	for _, sec := range valueSections {
		v, ok := c.values[sec.key]
		if !ok {
			continue
		}
		about := sec.about
		if sec.key == "services" {
			about += c.routeAbout()
		}
		for l := range strings.SplitSeq(about, "\n") {
			data = append(data, "# "+l+"\n"...)
		}
		y, err := yaml.Marshal(map[string]any{sec.key: v})
		if err != nil {
			return render.File{}, err
		}
		data = append(data, y...)
	}
	for _, k := range slices.Sorted(maps.Keys(c.values)) {
		if !slices.ContainsFunc(valueSections, func(s struct{ key, about string }) bool { return s.key == k }) {
			return render.File{}, fmt.Errorf("value %s has no section in %s", k, ValuesFile)
		}
	}
	return render.File{Path: ValuesFile, Data: data, Mode: 0o644, Kind: KindValues}, nil
}
