// Package startgc tunes the garbage collector for short-lived commands.
package startgc

import (
	"os"
	"runtime"
	"runtime/debug"
)

// DeferFirst moves the process's first garbage collection from 4 MB of heap
// to 32 MB, then collects as usual (GOGC=100). A render of a small app
// allocates a few MB and is done in milliseconds: the collection due at 4 MB
// took about 2.5 ms of its 13. An app of hundreds of services passes 32 MB
// quickly and keeps GOGC=100's memory use from there. GOGC, when set, rules.
// Call it first thing in main.
func DeferFirst() {
	if os.Getenv("GOGC") != "" {
		return
	}
	debug.SetGCPercent(800)
	// The first collection finds the sentinel unreachable; its cleanup
	// restores the default.
	sentinel := new([64]byte)
	runtime.AddCleanup(sentinel, func(int) { debug.SetGCPercent(100) }, 0)
}
