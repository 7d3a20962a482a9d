package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress keeps one status line on a terminal while a long command works:
// it appears once the work has taken progressDelay, is redrawn in place, and
// is erased when the work ends, so short commands print nothing extra.
type progress struct {
	w     io.Writer
	delay time.Duration

	mu           sync.Mutex
	phase        string
	done, total  int
	start        time.Time
	drawn        bool
	stop, exited chan struct{}
	finished     sync.Once
}

const progressDelay = time.Second

// newProgress starts a status line on s.Err: with mode "auto" only when it
// is a terminal, "always" on any writer from the first moment, "never" not
// at all (nil).
func newProgress(s streams, mode string) (*progress, error) {
	delay := progressDelay
	switch mode {
	case "never":
		return nil, nil
	case "always":
		delay = 0
	case "auto":
		f, ok := s.Err.(*os.File)
		if !ok || !isTerminal(f) || os.Getenv("TERM") == "dumb" {
			return nil, nil
		}
	default:
		return nil, errorf("--progress %q is not supported: choose auto (on a terminal, after a second), always or never", mode)
	}
	p := &progress{w: s.Err, delay: delay, start: time.Now(), stop: make(chan struct{}), exited: make(chan struct{})}
	go p.loop()
	return p, nil
}

func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func (p *progress) loop() {
	defer close(p.exited)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		p.draw()
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
	}
}

// set says what the command is doing: phase, and done of total units.
func (p *progress) set(phase string, done, total int) {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.phase, p.done, p.total = phase, done, total
	p.mu.Unlock()
	p.draw() // a new phase shows at once, once the delay is over
}

// add counts one more unit done.
func (p *progress) add() {
	if p == nil {
		return
	}
	p.mu.Lock()
	p.done++
	p.mu.Unlock()
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := time.Since(p.start)
	if elapsed < p.delay || p.phase == "" {
		return
	}
	line := p.phase
	if p.total > 0 {
		line += fmt.Sprintf(" %d/%d", p.done, p.total)
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s (%.1fs)", line, elapsed.Seconds())
	p.drawn = true
}

// finish erases the status line; calling it again does nothing.
func (p *progress) finish() {
	if p == nil {
		return
	}
	p.finished.Do(func() {
		close(p.stop)
		<-p.exited
		p.mu.Lock()
		defer p.mu.Unlock()
		if p.drawn {
			fmt.Fprint(p.w, "\r\x1b[K")
		}
	})
}
