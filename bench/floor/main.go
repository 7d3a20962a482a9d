// Command floor is bench/run.sh's start-up floor: a Go program that links
// only the type packages synctl renders from (k8s.io/api apps, core and
// networking, gateway-api v1, compose-go types, yaml.v3) and prints one
// field of each, so that none is dropped by the linker. synctl --version
// is timed against it: what synctl adds to start-up beyond its types.
package main

import (
	"fmt"
	"os"

	"github.com/compose-spec/compose-go/v2/types"
	"gopkg.in/yaml.v3"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
)

func main() {
	var (
		d  appsv1.Deployment
		s  corev1.Service
		np networkingv1.NetworkPolicy
		r  gwv1.HTTPRoute
		p  types.Project
		n  yaml.Node
	)
	fmt.Fprintln(os.Stdout, d.Kind, s.Kind, np.Kind, r.Kind, p.Name, n.Value)
}
