package main

import (
	"github.com/spf13/cobra"

	"github.com/synctl/synctl/pkg/topology"
)

// specOptions choose the app: the built-in SynergyChat or a spec file, with
// command-line overrides. Shared by every command that renders.
type specOptions struct {
	file      string
	images    []string
	namespace string
	hosts     []string
	address   string
}

func addSpecFlags(cmd *cobra.Command, o *specOptions) {
	f := cmd.Flags()
	f.StringVarP(&o.file, "file", "f", "", "app spec `FILE` to render (start one with synctl init); default: the built-in SynergyChat")
	f.StringArrayVar(&o.images, "image", nil, "override a service's image, `SERVICE=IMAGE` (repeatable), e.g. --image api=registry.example/api:1.2")
	f.StringVar(&o.namespace, "namespace", "", "`NAMESPACE` of the app's objects on minikube and gke")
	f.StringArrayVar(&o.hosts, "host", nil, "override a public service's minikube hostname, `SERVICE=HOST` (repeatable)")
	f.StringVar(&o.address, "address", "", "the GKE Gateway's `ADDRESS` (IP or DNS name), used in CHAT_URL (default the <CLUSTER_PUBLIC_IP> placeholder)")
}

func (o *specOptions) load() (*topology.Model, error) {
	var ov topology.Overrides
	var err error
	if ov.Images, err = topology.ParseAssignments("image", o.images); err != nil {
		return nil, err
	}
	if ov.Hosts, err = topology.ParseAssignments("host", o.hosts); err != nil {
		return nil, err
	}
	ov.Namespace, ov.Address = o.namespace, o.address
	if o.file == "" {
		return topology.DecodeWith(topology.DefaultSpecName, topology.DefaultSpec(), ov)
	}
	return topology.Load(o.file, ov)
}

// targetList parses --target, where "all" means every target.
func targetList(name string, allowAll bool) ([]topology.Target, error) {
	if name == "" {
		return nil, errorf("--target is required: choose one of %s%s", topology.TargetNames(), allHint(allowAll))
	}
	if name == "all" && allowAll {
		return topology.Targets(), nil
	}
	t, err := topology.ParseTarget(name)
	if err != nil {
		return nil, errorf("%v%s", err, allHint(allowAll))
	}
	return []topology.Target{t}, nil
}

func allHint(allowAll bool) string {
	if allowAll {
		return ", or all"
	}
	return ""
}
