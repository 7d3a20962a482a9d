package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/synctl/synctl/pkg/topology"
)

type wiringOptions struct {
	spec   specOptions
	target string
	format string
}

func newWiringCmd(s streams) *cobra.Command {
	o := &wiringOptions{}
	cmd := &cobra.Command{
		Use:   "wiring --target TARGET [--format table|json]",
		Short: "Print the URLs a target wires: CHAT_URL, API_URL, CRAWLER_BASE_URL",
		Long: `Print how a target wires the app:

  CHAT_URL          how the browser reaches the frontend
  API_URL           set on the frontend, resolved by the browser: reachable from
                    the user's machine, or relative when one proxy fronts both
  CRAWLER_BASE_URL  set on the api, used inside the deployment

For an app of your own (-f), every link the spec declares is listed by its
environment variable. --target all prints the table across every target.
JSON keys are the URL names, in wiring order; with --target all, an object per target.`,
		Example: `  synctl wiring --target nginx
  synctl wiring --target all
  synctl wiring --target gke --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return o.run(s) },
	}
	cmd.Flags().StringVarP(&o.target, "target", "t", "", "`TARGET`: "+topology.TargetNames()+", or all")
	cmd.Flags().StringVar(&o.format, "format", "table", "output `FORMAT`: table or json")
	addSpecFlags(cmd, &o.spec)
	return cmd
}

func (o *wiringOptions) run(s streams) error {
	if o.format != "table" && o.format != "json" {
		return errorf("--format %q is not supported: choose table or json", o.format)
	}
	targets, err := targetList(o.target, true)
	if err != nil {
		return err
	}
	m, err := o.spec.load()
	if err != nil {
		return err
	}
	wirings := make([]topology.Wiring, len(targets))
	for i, t := range targets {
		wirings[i] = topology.Wire(m, t)
	}
	if o.format == "json" {
		var b strings.Builder
		if len(targets) == 1 {
			writeJSONObject(&b, "", wirings[0])
		} else {
			b.WriteString("{\n")
			for i, w := range wirings {
				fmt.Fprintf(&b, "  %q: ", w.Target)
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
	for _, w := range wirings {
		row := []string{string(w.Target)}
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
