package validate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synctl/synctl/internal/bundletest"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/target"
)

// A Secret the pods read is checked where the files hold it (every key
// they read must be there), and noted, not failed, where they do not: a
// layout leaves it out, and teams often make their own.
func TestSecretReferences(t *testing.T) {
	p := bundletest.Load(t, "../../testdata/apps/voting.yaml", target.Overrides{})
	dir := bundletest.Write(t, bundletest.Render(t, p, "minikube", "", target.Overrides{}))
	secrets := filepath.Join(dir, render.SecretsFile)
	data, err := os.ReadFile(secrets)
	if err != nil {
		t.Fatal(err)
	}

	// A key the pods read is missing: a problem at each reader.
	if err := os.WriteFile(secrets, []byte(strings.Replace(string(data), "db-password:", "db-passwd:", 1)), 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := Paths([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	missing := 0
	for _, pr := range r.Problems {
		if strings.Contains(pr.String(), `Secret "voting-secrets" has no key "db-password"`) {
			missing++
		}
	}
	if missing != 3 { // db, result and worker read it
		t.Errorf("%d problems name the missing key, want 3: %v", missing, r.Problems)
	}

	// No Secret in the files: noted once, no problem.
	if err := os.Remove(secrets); err != nil {
		t.Fatal(err)
	}
	r, err = Paths([]string{dir}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Problems) != 0 {
		t.Errorf("problems: %v", r.Problems)
	}
	n := 0
	for _, u := range r.Unchecked {
		if u.Resource == "Secret voting/voting-secrets" && strings.Contains(u.Reason, "create it before the pods start") {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the absent Secret is noted %d times, want once: %v", n, r.Unchecked)
	}
}
