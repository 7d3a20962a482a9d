// Command floor is bench/run.sh's start-up floor: a Go program that links
// only the type packages synctl renders from (k8s.io/api apps, autoscaling,
// batch, core, networking and policy, gateway-api v1, compose-go types,
// yaml.v3) and prints one field of each, so that none is dropped by the
// linker. synctl --version is timed against it: what synctl adds to
// start-up beyond its types.
//
// Built with -tags floorwrite (write.go) and the built-in app's rendered
// bundle laid over bench/floor/bundle, `floor --write DIR` also writes that
// finished bundle to DIR as synctl does (a staging directory beside DIR,
// then one rename): the least a program of synctl's types can take to
// produce the files `synctl render --target all --out DIR` writes, which
// bounds that command's ratio to kompose from below.
package main

import (
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	policyv1 "k8s.io/api/policy/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

// write writes the embedded bundle for `--write DIR`; only the floorwrite
// build has one.
var write = func(args []string) error { return nil }

func main() {
	if err := write(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "floor:", err)
		os.Exit(1)
	}
	var (
		d  appsv1.Deployment
		h  autoscalingv2.HorizontalPodAutoscaler
		j  batchv1.Job
		s  corev1.Service
		np networkingv1.NetworkPolicy
		pb policyv1.PodDisruptionBudget
		r  gwv1.HTTPRoute
		p  types.Project
		n  yaml.Node
	)
	fmt.Fprintln(os.Stdout, d.Kind, h.Kind, j.Kind, s.Kind, np.Kind, pb.Kind, r.Kind, p.Name, n.Value)
}
