package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/synctl/synctl/pkg/topology"
)

func newTargetsCmd(s streams) *cobra.Command {
	return &cobra.Command{
		Use:   "targets",
		Short: "List the targets, one line each",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(s.Out, 0, 4, 2, ' ', 0)
			for _, t := range topology.Targets() {
				fmt.Fprintf(tw, "%s\t%s\n", t, t.Description())
			}
			return tw.Flush()
		},
	}
}
