package diff_test

import (
	"bytes"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/synctl/synctl/internal/golden"

	"github.com/synctl/synctl/internal/bundletest"
	"github.com/synctl/synctl/pkg/diff"
	"github.com/synctl/synctl/pkg/target"
)

// goldenDir holds the expected reports, shared with the CLI's tests.
const goldenDir = "../../testdata/diff"

// TestIngressMigration: an app routed by path through Ingress reads, moved to
// GKE's Gateway, as the conversion ingress2gateway makes, rewrites included.
func TestIngressMigration(t *testing.T) {
	p := bundletest.Load(t, "../../testdata/apps/transit.yaml", target.Overrides{})
	from := diff.BundleSide(bundletest.Render(t, p, "ingress", "", target.Overrides{}))
	to := diff.BundleSide(bundletest.Render(t, p, "gke", "", target.Overrides{}))
	res, err := diff.Compare(from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := "From Ingress to the Gateway API, as ingress2gateway converts it: " +
		"Ingress alerts-ingress (hostname transit.test path /alerts) -> HTTPRoute alerts-httproute (path /alerts); " +
		"Ingress portal-ingress (hostname transit.test) -> HTTPRoute portal-httproute (path /); " +
		"Ingress trips-ingress (hostname transit.test path /t) -> HTTPRoute trips-httproute (path /t); " +
		"ingress class nginx -> Gateway gateway-infra/app-gateway (class gke-l7-global-external-managed); " +
		"rewrite-target annotations -> URLRewrite filters."
	if !slices.Contains(res.Summary, want) {
		t.Errorf("summary lacks the migration:\n%s\nwant:\n%s", strings.Join(res.Summary, "\n"), want)
	}
}

// TestGolden compares the report of each step from one setup to the next,
// and one step back, in text and json, with the files in testdata/diff.
func TestGolden(t *testing.T) {
	pairs := [][2]string{
		{"docker", "docker-network"},
		{"docker-network", "nginx"},
		{"nginx", "minikube"},
		{"minikube", "gke"},
		{"gke", "minikube"},
		{"ingress", "minikube"},
	}
	for _, p := range pairs {
		name := p[0] + "_to_" + p[1]
		t.Run(name, func(t *testing.T) {
			from := diff.BundleSide(bundletest.Default(t, p[0]))
			to := diff.BundleSide(bundletest.Default(t, p[1]))
			res, err := diff.Compare(from, to)
			if err != nil {
				t.Fatal(err)
			}
			if res.Equal {
				t.Errorf("Equal = true for %s -> %s", p[0], p[1])
			}
			var text, js bytes.Buffer
			if err := res.WriteText(&text, false); err != nil {
				t.Fatal(err)
			}
			if err := res.WriteJSON(&js); err != nil {
				t.Fatal(err)
			}
			golden.Assert(t, filepath.Join(goldenDir, name+".txt"), text.Bytes(), "go test ./pkg/diff -update")
			golden.Assert(t, filepath.Join(goldenDir, name+".json"), js.Bytes(), "go test ./pkg/diff -update")
		})
	}
}

func BenchmarkCompareMinikubeToGKE(b *testing.B) {
	from := diff.BundleSide(bundletest.Default(b, "minikube"))
	to := diff.BundleSide(bundletest.Default(b, "gke"))
	for b.Loop() {
		if _, err := diff.Compare(from, to); err != nil {
			b.Fatal(err)
		}
	}
}
