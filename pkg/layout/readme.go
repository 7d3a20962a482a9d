package layout

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target/platform"
	"github.com/synctl/synctl/pkg/topology"
)

// applyFlags are those of every bundle's apply command, as the targets' own
// READMEs give it.
const applyFlags = platform.KubectlApply

// markdown builds a README: prose is written out here, the facts (objects,
// fields, URLs, values) come from the layout.
type markdown struct{ strings.Builder }

func (m *markdown) p(format string, args ...any) {
	fmt.Fprintf(m, format+"\n\n", args...)
}

func (m *markdown) code(lang string, lines ...string) {
	fmt.Fprintf(m, "```%s\n%s\n```\n\n", lang, strings.Join(lines, "\n"))
}

func (m *markdown) file(cmd string) render.File {
	head := strings.TrimSuffix(string(render.Header("", cmd)[1:]), "\n")
	data := "<!-- " + head + " -->\n" + strings.TrimRight(m.String(), "\n") + "\n"
	return render.File{Path: render.ReadmeFileName, Data: []byte(data), Mode: 0o644, Kind: render.KindReadme}
}

// wiring is the table of a bundle's URLs every bundle README has.
func (m *markdown) wiring(b *render.Bundle) {
	m.WriteString("| URL | value | set on | used by |\n| --- | --- | --- | --- |\n")
	for _, u := range b.Wiring.URLs {
		setOn, usedBy := "—", "the browser"
		if u.Service != "" {
			setOn = u.Service
		}
		if u.ResolvedBy == topology.ResolvedByService {
			usedBy = u.Service + ", inside the deployment"
		}
		fmt.Fprintf(m, "| %s | `%s` | %s | %s |\n", b.Wiring.Key(u), u.URL, setOn, usedBy)
	}
	m.WriteString("\n")
}

// bundleCommand is a bundle's command (which names the spec as seen from
// the layout's directory, and the flags that made the bundle) writing into
// dir rather than ".".
func bundleCommand(cmd, dir string) string {
	return strings.Replace(cmd, " --out .", " --out "+dir, 1)
}

func backquoted(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + n + "`"
	}
	return strings.Join(q, ", ")
}

// secretNote says, for a bundle whose app has secrets, that the layout
// carries only references to its Secret and how the Secret is made; apply
// is the command that applies the bundle's own Secret. It reports whether
// it wrote one.
func secretNote(m *markdown, b *render.Bundle, apply string) bool {
	for _, f := range b.Files {
		if f.Path != render.SecretsFile || len(f.Objects) != 1 {
			continue
		}
		s, ok := f.Objects[0].(*corev1.Secret)
		if !ok {
			continue
		}
		m.p("The pods read the app's secrets from Secret `%s` (keys %s) by reference; the layout never carries their values. "+
			"Create it in the app's namespace before the pods start: the target's bundle, written by the command above, holds it with random values (`%s`), "+
			"or make your own with those keys (`kubectl create secret generic %s -n NAMESPACE --from-literal=KEY=VALUE ...`).",
			s.Name, backquoted(slices.Sorted(maps.Keys(s.StringData))), apply, s.Name)
		return true
	}
	return false
}

func kustomizeReadme(b *render.Bundle, base []object, overlays []overlay) render.File {
	var targets []string
	for _, ov := range overlays {
		targets = append(targets, ov.bundle.Target)
	}
	partial := map[objectID]bool{}
	for _, ov := range overlays {
		for _, p := range ov.patched {
			partial[p.id] = true
		}
	}
	var m markdown
	m.p("# %s — Kustomize layout of %s", b.App, backquoted(targets))
	m.p("`%s/` holds what the targets share; `%s/<target>/` adds the objects only that target has and patches in the fields it sets differently. "+
		"Each overlay builds to exactly the objects of its target's own bundle, rendered from the same spec.", BaseDir, OverlaysDir)
	if len(overlays) > 0 && overlays[0].namespace != "" {
		var each []string
		for _, ov := range overlays {
			each = append(each, fmt.Sprintf("`%s` for %s", ov.namespace, ov.bundle.Target))
		}
		m.p("The targets put the app in namespaces of their own (%s): `%s/` holds the app's objects without a namespace, "+
			"and each overlay's `%s/` sets its target's with Kustomize's `namespace:`. The overlay's other objects keep the namespaces they have.",
			strings.Join(each, ", "), BaseDir, appDir)
	}
	m.p("## Apply it")
	m.p("Prepare the cluster as the target's own bundle README says, then apply the target's overlay in place of the bundle. From this directory, each target's bundle is written by:")
	var writes []string
	for _, ov := range overlays {
		writes = append(writes, bundleCommand(ov.bundle.Command, "DIR/"+ov.bundle.Target))
	}
	m.code("sh", writes...)
	m.p("and its overlay applied by:")
	var apply []string
	for _, t := range targets {
		apply = append(apply, applyFlags+" -k "+OverlaysDir+"/"+t)
	}
	m.code("sh", apply...)
	switch {
	case len(base) == 0:
		m.p("`kubectl kustomize %s/<target>` prints what an overlay applies. The targets share no object, so `%s/` is empty and each overlay holds its target's whole render.", OverlaysDir, BaseDir)
	case len(partial) == 0:
		m.p("`kubectl kustomize %s/<target>` prints what an overlay applies.", OverlaysDir)
	default:
		m.p("`kubectl kustomize %s/<target>` prints what an overlay applies. The base is not meant to be applied alone: "+
			"of its %d objects, %d are there without the fields the targets set differently.", OverlaysDir, len(base), len(partial))
	}
	for _, ov := range overlays {
		if secretNote(&m, ov.bundle, "kubectl apply -f DIR/"+ov.bundle.Target+"/"+render.SecretsFile) {
			break
		}
	}
	m.p("After editing an overlay or the base, `synctl validate .` builds every overlay the same way and checks each build as one deployment: selectors, ports, routes, ConfigMaps and the wiring URLs.")
	m.p("## What each overlay changes")
	for _, ov := range overlays {
		m.p("### `%s`", ov.bundle.Target)
		m.wiring(ov.bundle)
		if len(ov.added) == 0 && len(ov.patched) == 0 {
			m.p("Nothing: the base is this target's render as it is.")
			continue
		}
		if len(ov.added) > 0 {
			m.WriteString("Adds what only some targets have:\n\n")
			for _, o := range ov.added {
				fmt.Fprintf(&m, "- %s (`%s`)\n", o.id, o.file)
			}
			m.WriteString("\n")
		}
		if len(ov.patched) > 0 {
			m.WriteString("Patches in the fields it sets differently:\n\n")
			for _, p := range ov.patched {
				fmt.Fprintf(&m, "- %s: %s\n", p.id, backquoted(p.fields))
			}
			m.WriteString("\n")
		}
	}
	m.p("## Render it again")
	m.p("From this directory, after changing the spec:")
	m.code("sh", b.Command)
	return m.file(b.Command)
}

// helmReadme is the README of chart b, made from the bundle whose command
// is bundleCmd.
func helmReadme(b *render.Bundle, bundleCmd, chart string, uses []*valueUse) render.File {
	var m markdown
	m.p("# %s — Helm chart for `%s`", b.App, b.Target)
	m.p("With its default values, this chart renders exactly the objects of the `%s` bundle rendered from the same spec. "+
		"Its values are what one install may set differently: images, replicas, resources, the namespace, hostnames and addresses, and the env each service's ConfigMap carries.", b.Target)
	m.p("## Install it")
	m.p("Prepare the cluster as the target's own bundle README says. From this directory, the bundle is written by:")
	m.code("sh", bundleCommand(bundleCmd, "DIR"))
	m.p("Then, from this directory:")
	m.code("sh",
		"helm upgrade --install "+b.App+" .",
		"# or without a Helm release:",
		"helm template "+b.App+" . | "+applyFlags+" -f -")
	secretNote(&m, b, "kubectl apply -f DIR/"+render.SecretsFile)
	m.p("The objects carry their own namespaces (the chart creates them), so `--namespace` only says where Helm keeps the release. " +
		"Pick one of the two ways for a cluster: Helm does not take over objects kubectl applied outside a release.")
	m.p("To check what your values render before installing (outside the chart, which would otherwise carry the file): `helm template %s . > ../%s.yaml && synctl validate ../%s.yaml`.", b.App, chart, chart)
	m.p("## Values")
	m.WriteString("| value | default | sets |\n| --- | --- | --- |\n")
	var example, listExample string
	for _, u := range uses {
		key := strings.Join(u.ref, ".")
		// A map whose keys are values of their own (env) is listed by
		// them; what it sets as a whole (the config hash) the prose says.
		parent := slices.ContainsFunc(uses, func(o *valueUse) bool { return strings.HasPrefix(strings.Join(o.ref, "."), key+".") })
		if len(u.fields) == 0 || parent {
			continue
		}
		def, _ := json.Marshal(u.def)
		fields := u.fields
		if len(fields) > 3 {
			fields = append(fields[:2:2], fmt.Sprintf("and %d more", len(u.fields)-2))
		}
		fmt.Fprintf(&m, "| `%s` | `%s` | %s |\n", key, strings.ReplaceAll(string(def), "|", `\|`), strings.Join(fields, "; "))
		if example == "" && u.ref[len(u.ref)-1] == "image" {
			example = key
		}
		if list, ok := u.def.([]any); ok && len(list) > 0 && listExample == "" {
			listExample = "--set-json '" + key + "=" + string(def) + "'"
		}
	}
	m.WriteString("\n")
	if example != "" {
		line := "helm upgrade --install " + b.App + " . --set " + example + "=registry.example/image:2"
		m.p("Set one with `--set`, a list with `--set-json` (`--set` on a list item replaces the whole list with that one item), for example:")
		if listExample != "" {
			line += " " + listExample
		}
		m.code("sh", line)
	}
	m.p("The URLs are values of their own (`services.<service>.env`): changing a hostname, address or namespace here does not change the URLs that carry it. " +
		"Change both, or render again with synctl, which keeps them consistent. A changed env restarts the service's pods: the pod template's config-hash annotation is computed from it.")
	m.p("## Wiring")
	m.wiring(b)
	m.p("## Render it again")
	m.p("From this directory, after changing the spec:")
	m.code("sh", b.Command)
	return m.file(b.Command)
}
