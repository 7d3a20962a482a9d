package nodetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// stateDir holds what outlives a node's test binary: the lock that lets
// one node run on a host at a time, and the record of the host as it was
// before the running node changed it. It is on /run, a tmpfs: a reboot
// empties it, and a reboot also undoes every change it records.
var stateDir = "/run/synctl-nodetest"

// lockWait is how long Start waits for another test binary's node (go test
// runs internal/nodetest and e2e/node side by side) before it gives up.
const lockWait = 30 * time.Minute

// hostState is the record, written before the node changes anything and
// removed once Stop has undone it all. A test binary killed before its
// cleanups (a timeout's panic, SIGKILL) leaves it behind, and the next
// Start reads it to restore the host first: the sysctls to the values
// before that node, its bridge, tables, mounts, cgroups and paths removed.
type hostState struct {
	PID            int               `json:"pid"`
	Dir            string            `json:"dir"`
	Sock           string            `json:"sock"`
	Sysctls        map[string]string `json:"sysctls"`
	Made           []string          `json:"made"`
	NetnsBefore    map[string]bool   `json:"netnsBefore"`
	IPTablesBefore map[string]bool   `json:"iptablesBefore"`
}

func statePath() string { return filepath.Join(stateDir, "state.json") }

// lock takes the host's node lock, waiting while another live test binary
// holds it. The kernel releases it when the holder exits, however it
// exits.
func lock(t testing.TB) (*os.File, error) {
	if err := os.MkdirAll(stateDir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(stateDir, "lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, err
	}
	deadline := time.Now().Add(lockWait)
	logged := false
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", f.Name(), err)
		}
		if time.Now().After(deadline) {
			f.Close()
			return nil, fmt.Errorf("another test's node (%s) held %s for %s; only one node runs on a host at a time", holder(), f.Name(), lockWait)
		}
		if !logged {
			t.Logf("nodetest: waiting for another test's node (%s) to stop: one node runs on a host at a time", holder())
			logged = true
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// holder names the process whose node holds the lock, as its record says.
func holder() string {
	s, err := readState()
	if err != nil || s == nil {
		return "its record is not written yet"
	}
	return fmt.Sprintf("pid %d, files in %s", s.PID, s.Dir)
}

func readState() (*hostState, error) {
	data, err := os.ReadFile(statePath())
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var s hostState
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", statePath(), err)
	}
	return &s, nil
}

// writeState records the host as it was before n, through a temporary
// file and a rename, so that a crash leaves the old record or the new one.
func (n *Node) writeState() error {
	s := hostState{PID: os.Getpid(), Dir: n.Dir, Sock: n.sock, Sysctls: n.sysctls, Made: n.made, NetnsBefore: n.netnsBefore, IPTablesBefore: n.iptablesBefore}
	data, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	tmp := statePath() + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, statePath())
}

// recoverHost undoes what a node left when its test binary died before
// Stop, as its record says. It runs with the lock held, so that node's
// test binary is gone; its processes went with it (Pdeathsig), except the
// containerd shims and the containers below them, which are daemons.
func recoverHost(t testing.TB, nft string) error {
	s, err := readState()
	if err != nil || s == nil {
		return err
	}
	t.Logf("nodetest: the node of pid %d (files in %s) was not stopped: undoing its changes to the host first", s.PID, s.Dir)
	n := &Node{Dir: s.Dir, sock: s.Sock, sysctls: s.Sysctls, made: s.Made, netnsBefore: s.NetnsBefore, iptablesBefore: s.IPTablesBefore}
	n.parts.nft = nft
	n.killShims()
	killCgroupProcs("kubepods")
	if errs := errors.Join(n.cleanHost()...); errs != nil {
		return fmt.Errorf("undoing the changes of the node of pid %d: %w", s.PID, errs)
	}
	return os.Remove(statePath())
}

// killCgroupProcs kills every process in the cgroup named name at the top
// of every hierarchy and below it: the containers of a node whose
// containerd is gone.
func killCgroupProcs(name string) {
	roots, _ := filepath.Glob("/sys/fs/cgroup/*/" + name)
	roots = append(roots, "/sys/fs/cgroup/"+name)
	for _, root := range roots {
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() != "cgroup.procs" {
				return nil
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return nil
			}
			for _, f := range strings.Fields(string(data)) {
				if pid, err := strconv.Atoi(f); err == nil && pid > 1 {
					_ = syscall.Kill(pid, syscall.SIGKILL)
				}
			}
			return nil
		})
	}
}
