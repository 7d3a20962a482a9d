package validate

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"

	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/topology"
)

// specOf is the app a bundle was rendered from, found through its record:
// what the manifests alone cannot say, such as the traffic its services
// send outside the app.
type specOf struct {
	file  string // the spec, as reached from the record ("" for the built-in app)
	model *topology.Model
}

// bundleSpec reads the spec the record's command rendered the bundle from
// (its -f path is relative to the bundle's directory; without -f, the
// built-in app). It returns nil and a reason when that spec cannot be read.
func bundleSpec(recordFile string, data []byte) (*specOf, string) {
	var r render.Record
	if yaml.Unmarshal(data, &r) != nil || r.Layout != "" {
		return nil, ""
	}
	if t, err := target.Lookup(r.Target); err != nil || t.Stdout() != render.KindManifest {
		return nil, ""
	}
	args := strings.Fields(r.Command)
	spec := ""
	for i, a := range args {
		if (a == "-f" || a == "--file") && i+1 < len(args) {
			spec = strings.Trim(args[i+1], `'"`)
		} else if v, ok := strings.CutPrefix(a, "--file="); ok {
			spec = strings.Trim(v, `'"`)
		}
	}
	var plan *target.Plan
	var err error
	switch spec {
	case "":
		plan, err = target.Default()
	case "-":
		return nil, "the bundle was rendered from a spec read on stdin (-f -)"
	default:
		if !filepath.IsAbs(spec) {
			spec = filepath.Join(filepath.Dir(recordFile), spec)
		}
		var b []byte
		if b, err = os.ReadFile(spec); err != nil {
			return nil, fmt.Sprintf("cannot read the spec %s its record names: %v", spec, unwrapPathError(err))
		}
		plan, err = target.Load(spec, b, target.Overrides{})
	}
	if err != nil {
		return nil, fmt.Sprintf("the spec %s its record names does not load: %v", spec, err)
	}
	if plan.Model.Name != r.App {
		return nil, fmt.Sprintf("the spec %s is of app %q, the bundle of %q", spec, plan.Model.Name, r.App)
	}
	return &specOf{file: spec, model: plan.Model}, ""
}

// checkOutbound: each service that the spec says connects outside the app
// (spec.services[].outbound) may, under the NetworkPolicies, reach an
// address outside the cluster on each of its ports.
func (c *netpols) checkOutbound(s *specOf) {
	if s == nil {
		return
	}
	specName := s.file
	if specName == "" {
		specName = "the built-in app spec"
	}
	for i := range s.model.Services {
		svc := &s.model.Services[i]
		if svc.Outbound == nil {
			continue
		}
		for _, p := range c.pods("") {
			if p.labels["app.kubernetes.io/name"] != svc.Name || p.labels["app.kubernetes.io/part-of"] != s.model.Name {
				continue
			}
			by := c.isolating(p, true)
			if len(by) == 0 {
				continue
			}
			for _, port := range svc.Outbound.Ports {
				if c.allowsOutside(by, int32(port)) {
					continue
				}
				c.add(p.o, "-", "%s says service %s connects outside the app on TCP port %d (spec.services[%d].outbound), but %s its egress and none allows that port to an address range (ipBlock); render the bundle again, or add the egress rule",
					specName, svc.Name, port, i, limit(by))
			}
		}
	}
}

// allowsOutside reports whether one of the egress policies allows TCP port
// to addresses outside the cluster: to everything or to an ipBlock.
func (c *netpols) allowsOutside(policies []*object, port int32) bool {
	for _, o := range policies {
		for _, r := range o.obj.(*networkingv1.NetworkPolicy).Spec.Egress {
			if !portAllowed(r.Ports, corev1.ProtocolTCP, port, "") {
				continue
			}
			if len(r.To) == 0 {
				return true
			}
			for _, peer := range r.To {
				if peer.IPBlock != nil {
					return true
				}
			}
		}
	}
	return false
}
