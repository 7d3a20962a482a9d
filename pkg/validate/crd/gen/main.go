// Command gen writes the Gateway API schemas synctl embeds (see
// crd.SchemasFile), from the sigs.k8s.io/gateway-api module at go.mod's
// version. Run it with `go generate ./pkg/validate/crd` after changing that
// version; a test fails while the file is stale.
package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/synctl/synctl/pkg/validate/crd"
)

func main() {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}\t{{.Version}}", "sigs.k8s.io/gateway-api").Output()
	if err != nil {
		fail(fmt.Errorf("go list -m sigs.k8s.io/gateway-api: %w", err))
	}
	dir, version, _ := strings.Cut(strings.TrimSpace(string(out)), "\t")
	data, err := crd.Extract(filepath.Join(dir, "config", "crd", "standard"), "sigs.k8s.io/gateway-api "+version)
	if err != nil {
		fail(err)
	}
	if err := os.WriteFile(crd.SchemasFile, data, 0o644); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "gen:", err)
	os.Exit(1)
}
