package importer_test

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"

	"github.com/synctl/synctl/pkg/importer"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/textdiff"
	"github.com/synctl/synctl/pkg/topology"
)

// TestRoundTrip imports each sample, renders docker-network and compares
// the compose file that comes out with the one that went in: the same
// services, images, container ports, published ports of the public
// services, named volumes and env keys, and every env value byte for byte
// (secrets given their original values in the bundle's .env), except what
// the report names. Importing the rendered file again gives the same spec,
// and minikube points every link at its own Service instead.
func TestRoundTrip(t *testing.T) {
	dn, err := target.Lookup("docker-network")
	if err != nil {
		t.Fatal(err)
	}
	mk, err := target.Lookup("minikube")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range corpus(t) {
		t.Run(s.name, func(t *testing.T) {
			res, err := importSample(s, false)
			var refused *importer.RefusedError
			if errors.As(err, &refused) {
				res, err = importSample(s, true)
			}
			if err != nil {
				t.Fatal(err)
			}
			orig, err := importer.Load(context.Background(), importer.Options{Files: s.files, Profiles: s.profiles, Environ: []string{}})
			if err != nil {
				t.Fatal(err)
			}
			plan, err := target.Load(s.name, res.Spec, target.Overrides{})
			if err != nil {
				t.Fatal(err)
			}
			bundle, err := plan.Render(dn, target.Invocation{})
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			for _, f := range bundle.Files {
				if f.Kind == render.KindCompose {
					if err := os.WriteFile(filepath.Join(dir, f.Path), f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
				}
			}
			// The secrets' original values, where the compose file had them.
			var env strings.Builder
			for _, sec := range res.App.Spec.Secrets {
				fmt.Fprintf(&env, "%s=%s\n", render.ComposeSecretVar(sec.Name), literal(res, orig, sec.Name))
			}
			if err := os.WriteFile(filepath.Join(dir, render.EnvFileName), []byte(env.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			rendered := filepath.Join(dir, render.ComposeFileName)
			back, err := importer.Load(context.Background(), importer.Options{Files: []string{rendered}, Environ: []string{}})
			if err != nil {
				t.Fatalf("the rendered compose file does not load: %v", err)
			}
			compareCompose(t, res, orig, back)

			again, err := importer.Import(context.Background(), importer.Options{Files: []string{rendered}, Environ: []string{}})
			if err != nil {
				t.Fatalf("importing the rendered compose file: %v", err)
			}
			want, got := res.App, again.App
			got.Metadata.Name = want.Metadata.Name // the target names its project <app>-docker-network
			// What docker-network does not render: a dependsOn beyond the
			// links (Model.DependsOn reads links only), and resources
			// (compose has no requests).
			want.Spec.Services = slices.Clone(want.Spec.Services)
			for i := range want.Spec.Services {
				want.Spec.Services[i].DependsOn, want.Spec.Services[i].Resources = nil, nil
				got.Spec.Services[i].DependsOn, got.Spec.Services[i].Resources = nil, nil
			}
			if !reflect.DeepEqual(want, got) {
				w, _ := yaml.Marshal(want)
				g, _ := yaml.Marshal(got)
				t.Errorf("importing the rendered docker-network compose file gives another spec:\n%s", textdiff.Unified("first import", "second import", string(w), string(g), 3))
			}

			// minikube: each link now names the Kubernetes Service.
			dw, mw := plan.Wiring(dn), plan.Wiring(mk)
			for _, sv := range plan.Model.Services {
				for _, l := range sv.Links {
					if l.ResolvedBy != topology.ResolvedByService {
						continue
					}
					if d, m := dw.Link(sv.Name, l.Env), mw.Link(sv.Name, l.Env); d == m || !strings.Contains(m, l.To+"-service") {
						t.Errorf("%s.%s: minikube's value %q does not point at %s's Service (docker-network's: %q)", sv.Name, l.Env, m, l.To, d)
					}
				}
			}
		})
	}
}

// literal finds the value the compose file gave a secret: an env var that
// receives it, or the password of a URL that carries it. A compose secret
// read from a file has none here.
func literal(res *importer.Result, orig *types.Project, secret string) string {
	for i, sv := range res.App.Spec.Services {
		cs := orig.Services[res.Report.Services[i]]
		for _, u := range sv.Secrets {
			if u.Name == secret && u.Env != "" {
				if v := cs.Environment[u.Env]; v != nil {
					return *v
				}
			}
		}
		for _, l := range sv.Links {
			if l.Password == secret {
				if u, err := url.Parse(*cs.Environment[l.Env]); err == nil {
					p, _ := u.User.Password()
					return p
				}
			}
		}
	}
	return "from-a-file"
}

// compareCompose compares the original project with the rendered one.
func compareCompose(t *testing.T, res *importer.Result, orig, back *types.Project) {
	t.Helper()
	reported := func(service, field string, ok func(importer.Line) bool) bool {
		return slices.ContainsFunc(res.Report.Lines, func(l importer.Line) bool {
			return l.Service == service && strings.HasPrefix(l.Field, field) && (ok == nil || ok(l))
		})
	}
	if len(back.Services) != len(res.App.Spec.Services) {
		t.Errorf("%d services come out, %d went in", len(back.Services), len(res.App.Spec.Services))
	}
	for i, sv := range res.App.Spec.Services {
		name := res.Report.Services[i]
		o, b := orig.Services[name], back.Services[sv.Name]
		if b.Name == "" {
			t.Errorf("service %s (%s) is not in the rendered file", sv.Name, name)
			continue
		}
		if o.Image != "" && b.Image != o.Image && !reported(name, "image", nil) {
			t.Errorf("%s: image %q, was %q", name, b.Image, o.Image)
		}
		// Container ports: every TCP port compose declared still is.
		have := map[uint32]bool{}
		for _, p := range b.Ports {
			have[p.Target] = true
		}
		for _, e := range b.Expose {
			n, _ := strconv.Atoi(e)
			have[uint32(n)] = true
		}
		for j, p := range o.Ports {
			if !have[p.Target] && !reported(name, fmt.Sprintf("ports[%d]", j), func(l importer.Line) bool { return l.Kind != importer.Inferred }) {
				t.Errorf("%s: container port %d is gone", name, p.Target)
			}
		}
		// Published ports of the services the browser reaches stay.
		if sv.Role.Public() {
			for j, p := range o.Ports {
				if p.Published != "" && !slices.ContainsFunc(b.Ports, func(q types.ServicePortConfig) bool { return q.Published == p.Published && q.Target == p.Target }) &&
					!reported(name, fmt.Sprintf("ports[%d]", j), func(l importer.Line) bool { return l.Kind != importer.Inferred }) {
					t.Errorf("%s: published port %s:%d is gone", name, p.Published, p.Target)
				}
			}
		}
		// The named volume stays at its path.
		for j, v := range o.Volumes {
			if v.Type == types.VolumeTypeVolume && v.Source != "" && !reported(name, fmt.Sprintf("volumes[%d]", j), func(l importer.Line) bool { return l.Kind == importer.Dropped }) &&
				!slices.ContainsFunc(b.Volumes, func(w types.ServiceVolumeConfig) bool {
					return w.Type == types.VolumeTypeVolume && w.Target == v.Target
				}) {
				t.Errorf("%s: the volume at %s is gone", name, v.Target)
			}
		}
		// Env: the same keys, and the same values byte for byte, but what
		// the report names.
		for k, v := range o.Environment {
			if reported(name, "environment."+k, func(l importer.Line) bool {
				return l.Kind == importer.Dropped || l.Kind == importer.Refused || l.Lossy || strings.Contains(l.Why, "docker-network spells it ")
			}) {
				continue
			}
			bv, ok := b.Environment[k]
			switch {
			case !ok:
				t.Errorf("%s: environment.%s is gone", name, k)
			case v != nil && bv != nil && *bv != *v:
				t.Errorf("%s: environment.%s is %q, was %q", name, k, *bv, *v)
			}
		}
		for k := range b.Environment {
			if _, ok := o.Environment[k]; !ok && !slices.ContainsFunc(res.Report.Lines, func(l importer.Line) bool {
				return l.Service == name && strings.Contains(l.Why, "new variable "+k)
			}) {
				t.Errorf("%s: environment.%s is new, and the report does not say so", name, k)
			}
		}
	}
}
