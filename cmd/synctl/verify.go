package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/synctl/synctl/pkg/verify"
)

type verifyOptions struct {
	insecure bool
	timeout  time.Duration
}

func newVerifyCmd(s streams) *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify CHAT_URL",
		Short: "Walk a running deployment the way a browser does and say which hop of the wiring breaks",
		Long: `verify loads CHAT_URL the way the chat page does in a browser and checks each hop:

  page      GET CHAT_URL: the chat page
  app.js    GET app.js and read its apiUrl (API_URL), resolved against the page
            as a browser resolves it; cross-origin calls need CORS
  messages  GET <apiUrl>/messages: the api answers through the route the browser uses
  stats     POST the /stats slash command: the api calls the crawler at
            CRAWLER_BASE_URL and crawler-bot replies "Beep boop!"

It prints one line per hop; a failing hop names the wiring URL at fault, the
likely cause and the fix. It posts one message, {"AuthorUsername":"synctl-verify","Text":"/stats"}.

Exit status: 0 when every hop passes, 1 when a hop fails, 2 on bad usage.`,
		Example: `  synctl verify http://localhost:8080
  synctl verify --insecure https://localhost`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return fmt.Errorf("verify takes exactly one CHAT_URL, got %d arguments\nRun 'synctl verify --help' for usage.", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return o.run(cmd.Context(), s, args[0])
		},
	}
	cmd.Flags().BoolVar(&o.insecure, "insecure", false, "accept any TLS certificate (the nginx setup's self-signed one)")
	cmd.Flags().DurationVar(&o.timeout, "timeout", verify.DefaultTimeout, "time limit for each request")
	return cmd
}

func (o *verifyOptions) run(ctx context.Context, s streams, chatURL string) error {
	if o.timeout <= 0 {
		return fmt.Errorf("--timeout %s: must be positive, e.g. 10s", o.timeout)
	}
	if ctx == nil {
		ctx = context.Background()
	}
	rep, err := verify.Run(ctx, chatURL, verify.Options{Insecure: o.insecure, Timeout: o.timeout})
	if err != nil {
		return err
	}
	if err := rep.Write(s.Out); err != nil {
		return withCode(exitFailure, err)
	}
	if !rep.OK() {
		return silentExit(exitFailure)
	}
	return nil
}
