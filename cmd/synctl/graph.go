package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/synctl/synctl/pkg/target"
)

type graphOptions struct {
	spec    specOptions
	targets targetsValue
	format  string
}

func newGraphCmd(s streams) *cobra.Command {
	o := &graphOptions{}
	cmd := &cobra.Command{
		Use:   "graph --target TARGET [--format mermaid|dot]",
		Short: "Draw a target's topology: the browser, the proxy or gateway, the services and the URL of every hop",
		Long: `Draw how a target wires the app, as a diagram:

  the browser        and the entry URL it opens
  the front          the proxy, gateway or ingress controller it reaches
                     first, where the target has one
  each service       its role and port; internal services drawn rounded
  every hop          labelled by the URL it uses and that URL's name: the
                     browser's (dashed lines are calls inside the deployment)

Mermaid renders on GitHub (every bundle README embeds it); DOT is for
Graphviz: synctl graph --target nginx --format dot | dot -Tpng > nginx.png`,
		Example: `  synctl graph --target nginx
  synctl graph --target gke --format dot | dot -Tsvg > gke.svg
  synctl graph -f app.yaml --target minikube`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(s) },
	}
	addTargetFlag(cmd, &o.targets, "`TARGET`: "+target.Names())
	addFormatFlag(cmd, &o.format, "mermaid", "mermaid", "dot")
	addSpecFlags(cmd, &o.spec)
	return cmd
}

func (o *graphOptions) run(s streams) error {
	targets, err := o.targets.required()
	if err != nil {
		return err
	}
	if len(targets) != 1 {
		return errorf("graph draws one target at a time: pass --target with one of %s", target.Names())
	}
	if err := checkFormat(o.format, "mermaid", "dot"); err != nil {
		return err
	}
	plan, err := o.spec.load(s, targets)
	if err != nil {
		return err
	}
	g := plan.Graph(targets[0])
	out := g.Mermaid()
	if o.format == "dot" {
		out = g.Dot()
	}
	_, err = fmt.Fprint(s.Out, out)
	return err
}
