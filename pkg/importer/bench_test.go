package importer_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/synctl/synctl/pkg/importer"
	"github.com/synctl/synctl/pkg/topology"
)

// large writes a compose file of n services: web pages, services that call
// the previous one by URL, host:port and host with a sibling port, and a
// database every tenth, with a password shared by its callers.
func large(tb testing.TB, n int) string {
	tb.Helper()
	var b strings.Builder
	b.WriteString("services:\n")
	for i := range n {
		fmt.Fprintf(&b, "  svc%d:\n", i)
		switch {
		case i%10 == 0:
			fmt.Fprintf(&b, "    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: pw%d\n    volumes:\n      - data%d:/var/lib/postgresql/data\n", i, i)
		default:
			fmt.Fprintf(&b, "    image: example/svc%d:1\n    expose: [\"8080\"]\n", i)
			if i%10 == 1 {
				fmt.Fprintf(&b, "    ports: [\"%d:8080\"]\n", 20000+i)
			}
			db := i - i%10
			fmt.Fprintf(&b, "    environment:\n      PREV_URL: http://svc%d:8080/v1\n      DB_URL: postgres://app:pw%d@svc%d:5432/app\n      DB_HOST: svc%d\n      DB_PORT: \"5432\"\n      DB_PASSWORD: pw%d\n    depends_on: [svc%d]\n", i-1, db, db, db, db, db)
		}
	}
	b.WriteString("volumes:\n")
	for i := 0; i < n; i += 10 {
		fmt.Fprintf(&b, "  data%d:\n", i)
	}
	f := filepath.Join(tb.TempDir(), "compose.yaml")
	if err := os.WriteFile(f, []byte(b.String()), 0o644); err != nil {
		tb.Fatal(err)
	}
	return f
}

// BenchmarkImport200 imports a 200-service compose file: the issue asks
// for under a second.
func BenchmarkImport200(b *testing.B) {
	f := large(b, 200)
	for b.Loop() {
		res, err := importer.Import(context.Background(), importer.Options{Files: []string{f}, Environ: []string{}})
		if err != nil {
			b.Fatal(err)
		}
		if len(res.App.Spec.Services) != 200 {
			b.Fatalf("%d services", len(res.App.Spec.Services))
		}
	}
}

// TestLarge checks the large file's links once, so that the benchmark
// measures a correct import.
func TestLarge(t *testing.T) {
	res, err := importer.Import(context.Background(), importer.Options{Files: []string{large(t, 30)}, Environ: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(res.App.Spec.Services, func(s topology.ServiceSpec) bool { return s.Name == "svc12" })
	if i < 0 {
		t.Fatal("no service svc12")
	}
	s := res.App.Spec.Services[i]
	if len(s.Links) != 3 || len(res.App.Spec.Secrets) != 3 {
		t.Errorf("svc12: %+v\nsecrets %v", s, res.App.Spec.Secrets)
	}
}
