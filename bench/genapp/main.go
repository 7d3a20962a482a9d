// Command genapp writes a generated synctl app spec of N services to stdout,
// for bench/run.sh: go run ./bench/genapp -n 1000 > app.yaml
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/synctl/synctl/internal/benchapp"
)

func main() {
	n := flag.Int("n", 10, "number of services (at least 1)")
	flag.Parse()
	if *n < 1 || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: genapp -n N > app.yaml")
		os.Exit(2)
	}
	os.Stdout.Write(benchapp.Spec(*n))
}
