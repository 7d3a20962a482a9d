package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The emulated docker host's networks are 10.213.N.0/24, N the bridge's
// index (0 is Docker's default bridge). They exist only inside the host
// namespace the test creates, so nothing outside this test can see or route
// them, and parallel setups never collide.
const subnetPrefix = "10.213."

// dockerHost is one emulated Docker host: a network namespace standing for
// the machine, one bridge per network, one namespace per container, and
// loopback/bridge-address forwarders for published ports.
type dockerHost struct {
	t      *testing.T
	id     string
	hostNS string
	nsFile *os.File

	nets       []*bridge // nets[0] is the default bridge
	containers []*container

	mu      sync.Mutex
	procs   []*proc
	lns     []net.Listener
	closers []io.Closer       // DNS servers' sockets
	conns   map[net.Conn]bool // forwarded connections still open
	fwd     sync.WaitGroup    // forwarder goroutines
}

type bridge struct {
	name        string // compose network name; "bridge" for the default bridge
	dev         string
	index       int
	userDefined bool // user-defined networks resolve container names
	next        int
}

func (b *bridge) gateway() net.IP { return net.ParseIP(fmt.Sprintf("%s%d.1", subnetPrefix, b.index)) }

type container struct {
	name    string // compose service name
	ns      string
	names   []string          // names others resolve it by on user-defined networks
	ips     map[string]net.IP // by network name
	primary net.IP
	nets    []string
}

type proc struct {
	name string
	cmd  *exec.Cmd
	out  *syncBuffer
	done chan struct{}
	err  error
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// ipCmd runs iproute2 and fails the test with its output on error.
func (h *dockerHost) ip(args ...string) {
	h.t.Helper()
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		h.t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// newDockerHost creates the host namespace and Docker's default bridge, and
// registers the teardown of everything the host will hold.
func newDockerHost(t *testing.T) *dockerHost {
	t.Helper()
	var rnd [3]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		t.Fatal(err)
	}
	h := &dockerHost{t: t, id: hex.EncodeToString(rnd[:]), conns: map[net.Conn]bool{}}
	h.hostNS = "synctl-" + h.id + "-host"
	t.Cleanup(h.teardown)
	h.ip("netns", "add", h.hostNS)
	h.ip("-n", h.hostNS, "link", "set", "lo", "up")
	f, err := os.Open(filepath.Join("/run/netns", h.hostNS))
	if err != nil {
		t.Fatal(err)
	}
	h.nsFile = f
	h.network("bridge", false)
	return h
}

func (h *dockerHost) teardown() {
	h.mu.Lock()
	for _, ln := range h.lns {
		ln.Close()
	}
	for _, c := range h.closers {
		c.Close()
	}
	for c := range h.conns {
		c.Close()
	}
	h.conns = nil
	h.mu.Unlock()
	// No forwarder may still dial through nsFile when it closes.
	h.fwd.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, p := range h.procs {
		// Each process leads its own group (nginx has workers). SIGTERM
		// lets nginx's master reap its workers; SIGKILL if it lingers.
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(3 * time.Second):
			_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			<-p.done
		}
		if h.t.Failed() {
			h.t.Logf("--- output of %s:\n%s", p.name, p.out.String())
		}
	}
	for _, c := range h.containers {
		_ = exec.Command("ip", "netns", "del", c.ns).Run()
		_ = os.RemoveAll(filepath.Join("/etc/netns", c.ns))
	}
	if h.nsFile != nil {
		h.nsFile.Close()
	}
	// Deleting the host namespace removes its bridges and veth ends.
	_ = exec.Command("ip", "netns", "del", h.hostNS).Run()
}

// network returns the bridge for a compose network, creating it on first use.
func (h *dockerHost) network(name string, userDefined bool) *bridge {
	for _, b := range h.nets {
		if b.name == name {
			return b
		}
	}
	b := &bridge{name: name, index: len(h.nets), userDefined: userDefined, next: 2}
	b.dev = fmt.Sprintf("br%d", b.index)
	h.nets = append(h.nets, b)
	h.ip("-n", h.hostNS, "link", "add", b.dev, "type", "bridge")
	h.ip("-n", h.hostNS, "addr", "add", b.gateway().String()+"/24", "dev", b.dev)
	h.ip("-n", h.hostNS, "link", "set", b.dev, "up")
	return b
}

// addContainer creates a container namespace attached to the given
// networks; the first is where published ports are forwarded and the
// default route goes.
func (h *dockerHost) addContainer(name string, names []string, nets []*bridge) *container {
	c := &container{name: name, ns: fmt.Sprintf("synctl-%s-%d", h.id, len(h.containers)), names: names, ips: map[string]net.IP{}}
	h.containers = append(h.containers, c)
	h.ip("netns", "add", c.ns)
	h.ip("-n", c.ns, "link", "set", "lo", "up")
	for i, b := range nets {
		addr := net.ParseIP(fmt.Sprintf("%s%d.%d", subnetPrefix, b.index, b.next))
		b.next++
		hostEnd := fmt.Sprintf("v%dc%d", len(h.containers)-1, i)
		inner := fmt.Sprintf("eth%d", i)
		h.ip("-n", h.hostNS, "link", "add", hostEnd, "type", "veth", "peer", "name", inner, "netns", c.ns)
		h.ip("-n", h.hostNS, "link", "set", hostEnd, "master", b.dev, "up")
		h.ip("-n", c.ns, "addr", "add", addr.String()+"/24", "dev", inner)
		h.ip("-n", c.ns, "link", "set", inner, "up")
		if i == 0 {
			h.ip("-n", c.ns, "route", "add", "default", "via", b.gateway().String())
			c.primary = addr
		}
		c.ips[b.name] = addr
		c.nets = append(c.nets, b.name)
	}
	return c
}

// inHost runs fn on an OS thread that has entered the host namespace. The
// thread is never unlocked, so it exits with the goroutine and no other code
// ever runs in the wrong namespace. Sockets keep the namespace they were
// made in.
func (h *dockerHost) inHost(fn func() error) error { return inNS(h.nsFile, fn) }

// inContainer runs fn inside the container's namespace, as inHost does.
func (h *dockerHost) inContainer(c *container, fn func() error) error {
	f, err := os.Open(filepath.Join("/run/netns", c.ns))
	if err != nil {
		return err
	}
	defer f.Close()
	return inNS(f, fn)
}

func inNS(ns *os.File, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		if err := unix.Setns(int(ns.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns.Name(), err)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// dial opens a connection from the docker host (its loopback, its bridges).
func (h *dockerHost) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	var c net.Conn
	err := h.inHost(func() error {
		var err error
		c, err = (&net.Dialer{Timeout: 5 * time.Second}).DialContext(ctx, network, addr)
		return err
	})
	return c, err
}

// publish forwards hostIP:port on the docker host to the container's
// target port, as Docker's port publishing does.
func (h *dockerHost) publish(hostIP string, port string, to net.IP, target uint32) {
	h.t.Helper()
	if hostIP == "" {
		hostIP = "0.0.0.0"
	}
	var ln net.Listener
	if err := h.inHost(func() error {
		var err error
		ln, err = net.Listen("tcp", net.JoinHostPort(hostIP, port))
		return err
	}); err != nil {
		h.t.Fatalf("publish %s:%s: %v", hostIP, port, err)
	}
	h.mu.Lock()
	h.lns = append(h.lns, ln)
	h.mu.Unlock()
	dst := net.JoinHostPort(to.String(), fmt.Sprint(target))
	h.fwd.Add(1)
	go func() {
		defer h.fwd.Done()
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			if !h.track(in) {
				in.Close()
				return
			}
			h.fwd.Add(1)
			go func() {
				defer h.fwd.Done()
				defer h.untrack(in)
				out, err := h.dial(context.Background(), "tcp", dst)
				if err != nil {
					return
				}
				if !h.track(out) {
					out.Close()
					return
				}
				defer h.untrack(out)
				done := make(chan struct{}, 2)
				go func() { _, _ = io.Copy(out, in); closeWrite(out); done <- struct{}{} }()
				go func() { _, _ = io.Copy(in, out); closeWrite(in); done <- struct{}{} }()
				<-done
				<-done
			}()
		}
	}()
}

// track registers an open forwarded connection; false once teardown began.
func (h *dockerHost) track(c net.Conn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conns == nil {
		return false
	}
	h.conns[c] = true
	return true
}

func (h *dockerHost) untrack(c net.Conn) {
	c.Close()
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.conns != nil {
		delete(h.conns, c)
	}
}

func closeWrite(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
}

// etc writes a file that `ip netns exec` bind-mounts over /etc/<name> in
// the container (a directory replaces a whole /etc directory).
func (h *dockerHost) etc(c *container, name string, data []byte) {
	h.t.Helper()
	p := filepath.Join("/etc/netns", c.ns, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		h.t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// start runs argv inside the container with exactly env, as its own process
// group.
func (h *dockerHost) start(c *container, env []string, argv ...string) *proc {
	h.t.Helper()
	cmd := exec.Command("ip", append([]string{"netns", "exec", c.ns}, argv...)...)
	cmd.Env = env
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		h.t.Fatalf("start %s in %s: %v", argv[0], c.name, err)
	}
	p := &proc{name: c.name, cmd: cmd, out: out, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); close(p.done) }()
	h.mu.Lock()
	h.procs = append(h.procs, p)
	h.mu.Unlock()
	return p
}

// waitListening waits until the container accepts on port, or its process ends.
func (h *dockerHost) waitListening(p *proc, c *container, port string) error {
	addr := net.JoinHostPort(c.primary.String(), port)
	deadline := time.Now().Add(10 * time.Second)
	for {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before listening on %s: %v\n%s", c.name, port, p.err, p.out.String())
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		conn, err := h.dial(ctx, "tcp", addr)
		cancel()
		if err == nil {
			conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: nothing listening on %s after 10s: %v", c.name, addr, err)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			return fmt.Errorf("%s: dial %s: %v", c.name, addr, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
