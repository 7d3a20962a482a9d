// Command pair times two commands as whole processes in turn (A B A B ...),
// so that a drift in the machine's speed reaches both, and prints one line
// of figures for bench/run.sh: each command's median wall time and peak
// memory, and the median and quartiles of the ratio A/B taken pair by pair.
//
//	go run ./bench/pair -n 10 -prepare 'rm -rf /tmp/out' -a 'synctl render ...' -b 'kompose convert ...'
//
// Commands are split on spaces (no shell); -prepare runs with sh -c before
// every run, untimed. Without -b, only A is timed. Exit status 1 and
// nothing printed when a command fails.
package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	n := flag.Int("n", 10, "timed runs of each command")
	warmup := flag.Int("warmup", 1, "untimed runs of each command first")
	prepare := flag.String("prepare", "", "shell command run before every run, untimed")
	a := flag.String("a", "", "command A")
	b := flag.String("b", "", "command B (optional)")
	flag.Parse()
	if *a == "" || *n < 1 {
		fmt.Fprintln(os.Stderr, "pair: -a COMMAND and -n >= 1 are required")
		os.Exit(2)
	}
	cmds := []string{*a}
	if *b != "" {
		cmds = append(cmds, *b)
	}
	wall := make([][]float64, len(cmds))
	rss := make([][]float64, len(cmds))
	for i := range *warmup + *n {
		for c, cmd := range cmds {
			ms, mb, err := run(*prepare, cmd)
			if err != nil {
				fmt.Fprintf(os.Stderr, "pair: %s: %v\n", cmd, err)
				os.Exit(1)
			}
			if i >= *warmup {
				wall[c] = append(wall[c], ms)
				rss[c] = append(rss[c], mb)
			}
		}
	}
	fmt.Printf("a_ms=%.1f a_mb=%.0f", quantile(wall[0], 0.5), quantile(rss[0], 0.5))
	if len(cmds) == 2 {
		ratios := make([]float64, *n)
		for i := range ratios {
			ratios[i] = wall[0][i] / wall[1][i]
		}
		fmt.Printf(" b_ms=%.1f b_mb=%.0f ratio=%.3f ratio_q1=%.3f ratio_q3=%.3f",
			quantile(wall[1], 0.5), quantile(rss[1], 0.5),
			quantile(ratios, 0.5), quantile(ratios, 0.25), quantile(ratios, 0.75))
	}
	fmt.Printf(" a_ms_q1=%.1f a_ms_q3=%.1f a_mb_max=%.0f\n", quantile(wall[0], 0.25), quantile(wall[0], 0.75), slices.Max(rss[0]))
}

// run times one run of cmd: wall milliseconds and peak RSS in MB.
func run(prepare, cmd string) (float64, float64, error) {
	if prepare != "" {
		if out, err := exec.Command("sh", "-c", prepare).CombinedOutput(); err != nil {
			return 0, 0, fmt.Errorf("prepare: %v: %s", err, out)
		}
	}
	args := strings.Fields(cmd)
	c := exec.Command(args[0], args[1:]...)
	start := time.Now()
	err := c.Run()
	elapsed := time.Since(start)
	if err != nil {
		// synctl diff exits 1 for "different": not a failure here.
		if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
			return 0, 0, err
		}
	}
	var mb float64
	if ru, ok := c.ProcessState.SysUsage().(*syscall.Rusage); ok {
		mb = float64(ru.Maxrss) / 1024 // kilobytes on Linux
	}
	return float64(elapsed.Microseconds()) / 1000, mb, nil
}

// quantile is the q-quantile of xs, interpolated between ranks.
func quantile(xs []float64, q float64) float64 {
	s := slices.Sorted(slices.Values(xs))
	pos := q * float64(len(s)-1)
	lo := int(pos)
	if lo+1 >= len(s) {
		return s[len(s)-1]
	}
	return s[lo] + (pos-float64(lo))*(s[lo+1]-s[lo])
}
