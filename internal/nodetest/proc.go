package nodetest

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// proc is one child process of the node.
type proc struct {
	name, logPath string
	cmd           *exec.Cmd
	done          chan struct{} // closed when the process has exited
	err           error         // its exit status, once done
	stopped       bool
}

// logTailLines is how much of each log a failed test shows.
const logTailLines = 30

// spawn starts bin with its output in Dir/NAME.log.
func (n *Node) spawn(name, bin string, args ...string) (*proc, error) {
	logPath := n.path(name + ".log")
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	// KUBECONFIG from the environment must not point a part at a real
	// cluster; each is given the node's explicitly.
	cmd.Env = append(os.Environ(), "KUBECONFIG="+n.Kubeconfig)
	// Should the test binary die without its cleanups, the kernel kills
	// the child too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	p := &proc{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	n.procs = append(n.procs, p)
	go func() {
		p.err = cmd.Wait()
		log.Close()
		close(p.done)
	}()
	return p, nil
}

func (n *Node) proc(name string) *proc {
	for _, p := range n.procs {
		if p.name == name {
			return p
		}
	}
	return nil
}

func (n *Node) running(name string) bool {
	p := n.proc(name)
	if p == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

func (n *Node) stopProc(name string) error {
	if p := n.proc(name); p != nil {
		return p.stop()
	}
	return nil
}

// stop sends SIGTERM, waits stopTimeout, then kills; it always waits, so
// that no process outlives its test.
func (p *proc) stop() error {
	if p.stopped {
		return nil
	}
	p.stopped = true
	select {
	case <-p.done:
		return nil
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		return nil
	case <-time.After(stopTimeout):
		_ = p.cmd.Process.Kill()
		<-p.done
		return fmt.Errorf("%s (pid %d) ignored SIGTERM for %s and was killed", p.name, p.cmd.Process.Pid, stopTimeout)
	}
}

// waitFor polls ready until it succeeds, p exits, or timeout passes.
func waitFor(p *proc, timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready (%v); its log: %s", p.name, p.err, p.logPath)
		default:
		}
		last := ready()
		if last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return errors.Join(fmt.Errorf("%s not ready after %s; its log: %s", p.name, timeout, p.logPath), last)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// logTails prints the end of every part's log, for a failed test.
func (n *Node) logTails(logf func(string, ...any)) {
	for _, p := range n.procs {
		data, err := os.ReadFile(p.logPath)
		if err != nil {
			logf("nodetest: %s log: %v", p.name, err)
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > logTailLines {
			lines = lines[len(lines)-logTailLines:]
		}
		logf("nodetest: last %d lines of %s (%s):\n%s", len(lines), p.name, p.logPath, strings.Join(lines, "\n"))
	}
}
