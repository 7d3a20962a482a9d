package main

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/topology"
)

func newTargetsCmd(s streams) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "targets [--format text|json]",
		Short: "List the targets, one line each",
		Long: `List the targets synctl renders, with what each is, the flags it takes
beyond the spec, and what it prints without --out.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkFormat(format, "text", "json"); err != nil {
				return err
			}
			if format == "json" {
				type entry struct {
					Name        string   `json:"name"`
					Description string   `json:"description"`
					Flags       []string `json:"flags"`
					Spec        string   `json:"spec"`
					Stdout      string   `json:"stdout"`
				}
				var out []entry
				for _, t := range target.All() {
					e := entry{Name: t.Name(), Description: t.Description(), Flags: []string{}, Spec: topology.Fields(t.Spec()), Stdout: string(t.Stdout())}
					for _, f := range t.Flags() {
						e.Flags = append(e.Flags, "--"+string(f))
					}
					out = append(out, e)
				}
				enc := json.NewEncoder(s.Out)
				enc.SetIndent("", "  ")
				return enc.Encode(out)
			}
			tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
			for _, t := range target.All() {
				fmt.Fprintf(tw, "%s\t%s\n", t.Name(), t.Description())
			}
			return tw.Flush()
		},
	}
	addFormatFlag(cmd, &format, "text", "text", "json")
	return cmd
}
