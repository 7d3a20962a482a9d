package main

import (
	"context"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/synctl/synctl/pkg/target"
	"github.com/synctl/synctl/pkg/topology"
	"github.com/synctl/synctl/pkg/verify"
)

type verifyOptions struct {
	spec     specOptions
	target   targetsValue
	insecure bool
	timeout  time.Duration
	forward  []string
}

func newVerifyCmd(s streams) *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify [-f SPEC] --target TARGET [ENTRY_URL]",
		Short: "Walk a running deployment the way a browser does and say which URL of the wiring breaks",
		Long: `verify walks a running deployment of the app the way a browser uses it and
checks every URL the target wires. What it checks comes from the app's spec,
one hop per line:

  page           GET the entry URL (the spec's entryURLName): the frontend's
                 HTML page, redirects followed
  LINK           each link the browser resolves, by its env var: where the spec
                 says the service shows it (links[].exposedAt), the value the
                 deployment really serves, resolved against the page as a
                 browser resolves it; a value other than the model's is a note
  SERVICE        each public service: GET its route plus its healthPath, as the
                 browser reaches it (CORS across origins, no plain http from an
                 https page)
  SERVICE:CHECK  each of the service's checks (services[].checks), sent through
                 that route; a check with via blames the link it names when it
                 fails

A hop that depends on a failed one is skipped; the others still run. A
failing hop names the wiring URL at fault, the likely cause and the fix.

The entry URL is the target's, as 'synctl wiring' prints it, unless ENTRY_URL
is given. Where the target does not know the address yet (a placeholder such
as <CLUSTER_PUBLIC_IP>), give ENTRY_URL or --address. Use the same -f and
flags as the render that made the deployment. Checks send the requests the
spec declares, POSTs included.

Where no Gateway or Ingress controller runs (a test cluster), --forward
SERVICE=HOST:PORT reaches each public service at HOST:PORT, such as the
address of a 'kubectl port-forward' to its Service, instead of through its
route; give one for every public service. The route's path prefix is removed
as the route would remove it. The walk then proves the services, their
browser links and their checks (and the in-cluster links those use), not the
routes: the report says so.

Exit status: 0 when every hop passes, 1 when a hop fails, 2 on bad usage.`,
		Example: `  synctl verify --target docker
  synctl verify --target nginx --insecure        # the bundle's self-signed certificate
  synctl verify -f app.yaml --target minikube
  synctl verify --target gke --address 203.0.113.10
  synctl verify --target gke http://203.0.113.10/
  kubectl port-forward -n NAMESPACE service/front-service 8081:80 &
  kubectl port-forward -n NAMESPACE service/back-service 8082:80 &
  synctl verify -f app.yaml --target minikube --forward front=127.0.0.1:8081 --forward back=127.0.0.1:8082`,
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) > 1 {
				return fmt.Errorf("verify takes at most one ENTRY_URL, got %d arguments\nRun 'synctl verify --help' for usage", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			entry := ""
			if len(args) == 1 {
				entry = args[0]
			}
			return o.run(cmd.Context(), s, entry)
		},
	}
	addTargetFlag(cmd, &o.target, "`TARGET` the deployment was rendered for: "+target.Names())
	addSpecFlags(cmd, &o.spec)
	cmd.Flags().BoolVar(&o.insecure, "insecure", false, "accept any TLS certificate (a bundle's self-signed one)")
	cmd.Flags().DurationVar(&o.timeout, "timeout", verify.DefaultTimeout, "time limit for each request")
	cmd.Flags().StringArrayVar(&o.forward, "forward", nil, "reach public `SERVICE=HOST:PORT` there (a kubectl port-forward to its Service) instead of through its route, which is then not checked (repeatable; every public service)")
	return cmd
}

func (o *verifyOptions) run(ctx context.Context, s streams, entry string) error {
	if o.timeout <= 0 {
		return fmt.Errorf("--timeout %s: must be positive, e.g. 10s", o.timeout)
	}
	targets, err := o.target.required()
	if err != nil {
		return err
	}
	plan, err := o.spec.load(s, targets)
	if err != nil {
		return err
	}
	t := targets[0]
	w := plan.Wiring(t)
	if err := checkAddresses(plan.Model, w, t, entry); err != nil {
		return err
	}
	if ctx == nil {
		ctx = context.Background()
	}
	forward := map[string]string{}
	for _, f := range o.forward {
		name, addr, ok := strings.Cut(f, "=")
		if !ok || name == "" || addr == "" {
			return fmt.Errorf("--forward %q: want SERVICE=HOST:PORT, e.g. --forward api=127.0.0.1:8082", f)
		}
		if prev, dup := forward[name]; dup {
			return fmt.Errorf("--forward %s given twice (%s and %s): give one address per service", name, prev, addr)
		}
		forward[name] = addr
	}
	rep, err := verify.Run(ctx, plan.Model, w, entry, verify.Options{Insecure: o.insecure, Timeout: o.timeout, Forward: forward})
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

// checkAddresses refuses a wiring that still holds a placeholder where the
// browser needs an address: the entry URL, unless ENTRY_URL replaces it,
// and any public service's absolute route.
func checkAddresses(m *topology.Model, w topology.Wiring, t target.Target, entry string) error {
	takesAddress := slices.Contains(t.Flags(), target.FlagAddress)
	if entry == "" && placeholder(w.EntryURL) {
		how := fmt.Sprintf("as ENTRY_URL (synctl verify --target %s http://203.0.113.10/)", t.Name())
		if takesAddress {
			how += " or with --address 203.0.113.10"
		}
		return fmt.Errorf("the %s of target %s is %s, a placeholder: give the deployment's address %s", m.EntryURLName, t.Name(), w.EntryURL, how)
	}
	for _, r := range w.Routes {
		if placeholder(r.URL) {
			how := "in spec.targets." + t.Name()
			if takesAddress {
				how = "with --address ADDRESS"
			}
			return fmt.Errorf("the route to %s on target %s is %s, a placeholder: give the deployment's address %s", r.Service, t.Name(), r.URL, how)
		}
	}
	return nil
}

func placeholder(raw string) bool {
	u, err := url.Parse(raw)
	return err == nil && verify.IsPlaceholder(u.Hostname())
}
