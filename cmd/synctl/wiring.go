package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/topology"
)

type wiringOptions struct {
	spec    specOptions
	targets targetsValue
	format  string
}

func newWiringCmd(s streams) *cobra.Command {
	o := &wiringOptions{targets: targetsValue{allowAll: true}}
	cmd := &cobra.Command{
		Use:   "wiring [--target TARGET] [--format table|json]",
		Short: "Print the URLs each target wires, and who resolves them",
		Long: `Print how the targets wire the app:

  the entry URL     how the browser reaches the frontend (named by the spec's
                    entryURLName)
  browser links     set on a service, resolved by the browser: reachable from
                    the user's machine, or relative when one proxy fronts both
  service links     set on a service, used by its own process inside the
                    deployment

Every link the spec declares is listed by its environment variable
(SERVICE.NAME where two services set one of the same name). Without --target,
or with several, it prints one row per target; with one target, one row per
URL. JSON keys are the URL names, in wiring order; with several targets, an
object per target.`,
		Example: `  synctl wiring
  synctl wiring --target nginx
  synctl wiring --target gke --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(s) },
	}
	addTargetFlag(cmd, &o.targets, "`TARGET`: "+target.Names()+", a comma-separated list, or all (default all)")
	addFormatFlag(cmd, &o.format, "table", "table", "json")
	addSpecFlags(cmd, &o.spec)
	return cmd
}

func (o *wiringOptions) run(s streams) error {
	if err := checkFormat(o.format, "table", "json"); err != nil {
		return err
	}
	targets := o.targets.list
	if !o.targets.set {
		targets = target.All()
	}
	plan, err := o.spec.load(s, targets)
	if err != nil {
		return err
	}
	wirings := make([]topology.Wiring, len(targets))
	for i, t := range targets {
		wirings[i] = plan.Wiring(t)
	}
	if o.format == "json" {
		var b strings.Builder
		if len(targets) == 1 {
			writeJSONObject(&b, "", wirings[0])
		} else {
			b.WriteString("{\n")
			for i, w := range wirings {
				fmt.Fprintf(&b, "  %q: ", targets[i].Name())
				writeJSONObject(&b, "  ", w)
				if i < len(wirings)-1 {
					b.WriteString(",")
				}
				b.WriteString("\n")
			}
			b.WriteString("}")
		}
		b.WriteString("\n")
		_, err := fmt.Fprint(s.Out, b.String())
		return err
	}
	tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
	if len(targets) == 1 {
		fmt.Fprintln(tw, "URL\tVALUE\tSET ON\tUSED BY")
		for _, u := range wirings[0].URLs {
			setOn, usedBy := "-", "the browser"
			if u.Service != "" {
				setOn = u.Service
			}
			if u.ResolvedBy == topology.ResolvedByService {
				usedBy = u.Service + ", inside the deployment"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", wirings[0].Key(u), u.URL, setOn, usedBy)
		}
		return tw.Flush()
	}
	head := []string{"TARGET"}
	for _, u := range wirings[0].URLs {
		head = append(head, wirings[0].Key(u))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for i, w := range wirings {
		row := []string{targets[i].Name()}
		for _, u := range w.URLs {
			row = append(row, u.URL)
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

// writeJSONObject writes the wiring as a JSON object in wiring order (a Go
// map would sort the keys).
func writeJSONObject(b *strings.Builder, indent string, w topology.Wiring) {
	b.WriteString("{\n")
	for i, u := range w.URLs {
		k, _ := json.Marshal(w.Key(u))
		v, _ := json.Marshal(u.URL)
		fmt.Fprintf(b, "%s  %s: %s", indent, k, v)
		if i < len(w.URLs)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString(indent + "}")
}
