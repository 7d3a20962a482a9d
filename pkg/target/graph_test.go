package target

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/synctl/synctl/internal/golden"
)

// TestGraph: every target's graph of every app has the browser, a node per
// service, and an edge for every URL of the wiring, labelled with its name.
func TestGraph(t *testing.T) {
	for _, a := range apps(t) {
		for _, tg := range All() {
			g := a.plan.Graph(tg)
			w := a.plan.Wiring(tg)
			if len(g.Nodes) < len(a.plan.Model.Services)+1 {
				t.Errorf("%s/%s: %d nodes for %d services", a.name, tg.Name(), len(g.Nodes), len(a.plan.Model.Services))
			}
			mermaid, dot := g.Mermaid(), g.Dot()
			for _, u := range w.URLs {
				key := w.Key(u)
				if !strings.Contains(mermaid, key) || !strings.Contains(dot, key) {
					t.Errorf("%s/%s: no hop is labelled %s", a.name, tg.Name(), key)
				}
			}
			if front, _ := a.plan.configs[tg.Name()].Front(); front != "" && !strings.Contains(mermaid, front) {
				t.Errorf("%s/%s: the graph lacks %s in front", a.name, tg.Name(), front)
			}
		}
	}
}

// TestGraphDot renders every graph with real Graphviz: the DOT output
// parses and draws.
func TestGraphDot(t *testing.T) {
	dot, err := exec.LookPath("dot")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("Graphviz's dot is not installed; CI installs it (apt-get install -y graphviz)")
		}
		t.Skip("Graphviz's dot is not installed: apt-get install -y graphviz")
	}
	for _, a := range apps(t) {
		for _, tg := range All() {
			cmd := exec.Command(dot, "-Tsvg")
			cmd.Stdin = strings.NewReader(a.plan.Graph(tg).Dot())
			var out, errb bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &errb
			if err := cmd.Run(); err != nil || errb.Len() > 0 || !bytes.Contains(out.Bytes(), []byte("<svg")) {
				t.Errorf("%s/%s: dot -Tsvg: %v %s", a.name, tg.Name(), err, errb.String())
			}
		}
	}
}

// TestReadmePicture: docs/topology-nginx.dot, from which the README's
// picture is drawn (dot -Tsvg docs/topology-nginx.dot > docs/topology-nginx.svg),
// is what synctl graph prints today.
func TestReadmePicture(t *testing.T) {
	p, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	nginx, _ := Lookup("nginx")
	golden.Assert(t, "../../docs/topology-nginx.dot", []byte(p.Graph(nginx).Dot()), "go test ./pkg/target -update && dot -Tsvg docs/topology-nginx.dot > docs/topology-nginx.svg")
}
