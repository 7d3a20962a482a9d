// Package kubetest runs a real Kubernetes control plane for tests: etcd and
// kube-apiserver as child processes of the test binary, with nothing else
// (no scheduler, no controllers, no kubelet). That is exactly what a
// server-side apply needs: the server's defaulting, its validation, the CRD
// schemas and CEL rules, admission, field management. Nothing runs pods.
//
// Every test gets a control plane of its own ([Start]): bundles carry
// cluster-scoped objects and namespaces, so whether they apply to an empty
// cluster is only answered by an empty cluster. What makes that affordable
// is a [Seed]: the CRDs are installed once per test binary, and each test's
// etcd starts from a copy of the result (milliseconds instead of seconds).
// The processes are stopped by PID when the test is done, and each
// cluster's files (PKI, kubeconfig, logs, etcd data) live in temporary
// directories.
//
// The binaries come from outside the repository:
//
//   - kube-apiserver: $SYNCTL_KUBE_APISERVER, else the cache that
//     `bash .ci/kube-tools.sh` builds it into
//     (${SYNCTL_TOOLS_DIR:-$HOME/.cache/synctl/tools}/kube-apiserver-VERSION/);
//   - etcd: on $PATH (Debian: apt-get install -y etcd-server);
//   - kubectl: on $PATH.
//
// When one is missing the test is skipped with the command that gets it,
// except under CI=true, where a skipped engine test would be a silent hole
// and the test fails instead.
package kubetest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// APIServerVersion is the kube-apiserver release the tests run: the
// k8s.io/kubernetes version in tools/kube/go.mod, which .ci/kube-tools.sh
// builds. A test in this package keeps the two equal.
const APIServerVersion = "v1.36.5"

// Environment variables that locate the tools.
const (
	// EnvAPIServer names a kube-apiserver binary to use instead of the cache.
	EnvAPIServer = "SYNCTL_KUBE_APISERVER"
	// EnvToolsDir is the cache directory .ci/kube-tools.sh builds into.
	EnvToolsDir = "SYNCTL_TOOLS_DIR"
)

// Timeouts. They are generous because the machines that run these tests
// are small and shared; a healthy start takes a few seconds.
const (
	readyTimeout = 90 * time.Second
	// A loaded machine (CI's node suite and engine builds beside it) was
	// seen to need more than 15 s for kube-apiserver's graceful stop.
	stopTimeout    = 60 * time.Second
	kubectlTimeout = 3 * time.Minute
	logTailLines   = 40
)

// Cluster is one running control plane.
type Cluster struct {
	// Server is the API server's URL, https://127.0.0.1:PORT.
	Server string
	// Kubeconfig is the path of a kubeconfig with admin (system:masters)
	// credentials for Server, as the only context.
	Kubeconfig string
	// Dir holds the cluster's PKI, kubeconfig and process logs.
	Dir string

	kubectl  string
	cacheDir string
	pki      *pki
	procs    []*process
	// extraArgs are appended to kube-apiserver's flags (a later flag
	// overrides an earlier one).
	extraArgs []string
}

// Options change how [StartWith] starts the control plane.
type Options struct {
	// APIServerArgs are appended to kube-apiserver's own flags; a flag
	// given again here overrides the default. A node (internal/nodetest)
	// uses it to reach its kubelet on 127.0.0.1.
	APIServerArgs []string
}

// CACert is the path of the cluster CA's certificate (PEM).
func (c *Cluster) CACert() string { return c.pki.caCert }

// ServiceAccountKey is the path of the private key that signs service
// account tokens (PEM), for a kube-controller-manager.
func (c *Cluster) ServiceAccountKey() string { return c.pki.saPrivateKey }

// tools are the three binaries a cluster needs.
type tools struct {
	apiserver, etcd, kubectl string
}

// findTools locates the binaries, or says for each missing one how to get it.
func findTools() (tools, error) {
	var ts tools
	var missing []string
	if p := os.Getenv(EnvAPIServer); p != "" {
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, fmt.Sprintf("kube-apiserver: $%s=%s: %v; unset it to use the one `bash .ci/kube-tools.sh` builds, or point it at a kube-apiserver binary", EnvAPIServer, p, err))
		}
		ts.apiserver = p
	} else {
		p := APIServerPath()
		if _, err := os.Stat(p); err != nil {
			missing = append(missing, fmt.Sprintf("kube-apiserver %s not found at %s: build it with `bash .ci/kube-tools.sh` (≈10 min once, then cached), or set $%s", APIServerVersion, p, EnvAPIServer))
		}
		ts.apiserver = p
	}
	var err error
	if ts.etcd, err = exec.LookPath("etcd"); err != nil {
		missing = append(missing, "etcd not found on $PATH: install it with `apt-get install -y etcd-server`")
	}
	if ts.kubectl, err = exec.LookPath("kubectl"); err != nil {
		missing = append(missing, "kubectl not found on $PATH: install it (https://kubernetes.io/docs/tasks/tools/)")
	}
	if len(missing) > 0 {
		return ts, errors.New(strings.Join(missing, "; "))
	}
	return ts, nil
}

// APIServerPath is where .ci/kube-tools.sh puts kube-apiserver.
func APIServerPath() string {
	dir := os.Getenv(EnvToolsDir)
	if dir == "" {
		home, err := os.UserHomeDir()
		if err != nil {
			home = os.TempDir()
		}
		dir = filepath.Join(home, ".cache", "synctl", "tools")
	}
	return filepath.Join(dir, "kube-apiserver-"+APIServerVersion, "kube-apiserver")
}

// unavailable skips t, or under CI fails it: CI installs the tools, so a
// missing one there is a broken pipeline, not a reason to pass.
func unavailable(t testing.TB, why string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("kubetest: %s (CI=true: engine tests must run, not skip)", why)
	}
	t.Skipf("kubetest: %s", why)
}

// Start starts a control plane of t's own and stops it when t is done.
// It skips t (fails it under CI=true) when a binary is missing.
func Start(t testing.TB) *Cluster {
	t.Helper()
	return StartWith(t, Options{})
}

// StartWith is Start with options.
func StartWith(t testing.TB, opts Options) *Cluster {
	t.Helper()
	ts, err := findTools()
	if err != nil {
		unavailable(t, err.Error())
	}
	begin := time.Now()
	c, err := start(ts, t.TempDir(), "", opts.APIServerArgs...)
	// Stop even on a failed start: etcd may be up when kube-apiserver is not.
	t.Cleanup(func() {
		if t.Failed() {
			c.logTails(t.Logf)
		}
		if err := c.Stop(); err != nil {
			t.Errorf("kubetest: stopping the control plane: %v", err)
		}
	})
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	t.Logf("kubetest: control plane %s ready in %s (files in %s)", c.Server, time.Since(begin).Round(time.Millisecond), c.Dir)
	return c
}

// start brings up etcd and kube-apiserver with their files under dir; etcd
// starts from a copy of the data in seed when that is set. The returned
// cluster is never nil, so that the caller can stop whatever runs.
func start(ts tools, dir, seed string, extraArgs ...string) (*Cluster, error) {
	c := &Cluster{Dir: dir, kubectl: ts.kubectl, cacheDir: filepath.Join(dir, "kubectl-cache"), extraArgs: extraArgs}
	p, err := newPKI(dir)
	if err != nil {
		return c, fmt.Errorf("generating certificates: %w", err)
	}
	c.pki = p
	etcdURL, err := c.startEtcd(ts.etcd, seed)
	if err != nil {
		return c, err
	}
	if err := c.startAPIServer(ts.apiserver, etcdURL, p); err != nil {
		return c, err
	}
	if err := c.writeKubeconfig(p); err != nil {
		return c, err
	}
	return c, nil
}

// attempts covers the window between picking a free port and the child
// binding it, in which another process may take it.
const attempts = 3

func (c *Cluster) startEtcd(bin, seed string) (string, error) {
	var lastErr error
	for i := range attempts {
		ports, err := freePorts(2)
		if err != nil {
			return "", err
		}
		client := "http://127.0.0.1:" + strconv.Itoa(ports[0])
		peer := "http://127.0.0.1:" + strconv.Itoa(ports[1])
		data, err := etcdDataDir(c.Dir, seed)
		if err != nil {
			return "", err
		}
		p, err := c.spawn(fmt.Sprintf("etcd-%d", i), bin,
			"--name=kubetest",
			"--data-dir="+data,
			"--listen-client-urls="+client, "--advertise-client-urls="+client,
			"--listen-peer-urls="+peer, "--initial-advertise-peer-urls="+peer,
			"--initial-cluster=kubetest="+peer,
			"--log-level=warn",
		)
		if err != nil {
			os.RemoveAll(data)
			return "", err
		}
		p.cleanupDir = data
		err = waitReady(p, readyTimeout, func() error { return etcdHealthy(client) })
		if err == nil {
			return client, nil
		}
		lastErr = err
		stopErr := p.stop()
		if !p.portInUse() {
			return "", errors.Join(err, stopErr)
		}
	}
	return "", lastErr
}

// etcdDataDir makes a directory for etcd's data, holding a copy of seed's
// files when seed is set. It is on tmpfs when the machine has one: etcd
// fsyncs every write, which on a shared disk costs seconds per test run and
// buys nothing for a database that is thrown away.
func etcdDataDir(fallback, seed string) (string, error) {
	d, err := os.MkdirTemp("/dev/shm", "synctl-kubetest-etcd-")
	if err != nil {
		d = filepath.Join(fallback, fmt.Sprintf("etcd-%d", time.Now().UnixNano()))
		if err := os.MkdirAll(d, 0o700); err != nil {
			return "", err
		}
	}
	if seed != "" {
		if err := os.CopyFS(d, os.DirFS(seed)); err != nil {
			os.RemoveAll(d)
			return "", fmt.Errorf("copying the seed's etcd data: %w", err)
		}
	}
	return d, nil
}

func etcdHealthy(client string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, client+"/health", nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	if resp.StatusCode != http.StatusOK || !bytes.Contains(body.Bytes(), []byte(`"health":"true"`)) {
		return fmt.Errorf("etcd /health: %s %s", resp.Status, strings.TrimSpace(body.String()))
	}
	return nil
}

func (c *Cluster) startAPIServer(bin, etcdURL string, p *pki) error {
	var lastErr error
	for i := range attempts {
		ports, err := freePorts(1)
		if err != nil {
			return err
		}
		port := strconv.Itoa(ports[0])
		args := []string{
			"--bind-address=127.0.0.1",
			"--advertise-address=127.0.0.1",
			"--secure-port=" + port,
			"--etcd-servers=" + etcdURL,
			"--cert-dir=" + c.Dir,
			"--tls-cert-file=" + p.servingCert,
			"--tls-private-key-file=" + p.servingKey,
			"--client-ca-file=" + p.caCert,
			"--service-account-key-file=" + p.saPublicKey,
			"--service-account-signing-key-file=" + p.saPrivateKey,
			"--service-account-issuer=https://kubernetes.default.svc",
			"--service-cluster-ip-range=10.96.0.0/16",
			// Who may do what is not under test; system:masters could do
			// everything anyway.
			"--authorization-mode=AlwaysAllow",
			// Flow control only queues requests, and its bootstrap objects
			// slow the start down.
			"--enable-priority-and-fairness=false",
			// There is no kubelet: nothing would ever serve the
			// "kubernetes" Service's endpoints.
			"--endpoint-reconciler-type=none",
		}
		proc, err := c.spawn(fmt.Sprintf("kube-apiserver-%d", i), bin, append(args, c.extraArgs...)...)
		if err != nil {
			return err
		}
		server := "https://127.0.0.1:" + port
		client, err := c.adminClient()
		if err != nil {
			return err
		}
		err = waitReady(proc, readyTimeout, func() error { return apiserverReady(client, server) })
		if err == nil {
			c.Server = server
			return nil
		}
		lastErr = err
		stopErr := proc.stop()
		if !proc.portInUse() {
			return errors.Join(err, stopErr)
		}
	}
	return lastErr
}

// adminClient is an HTTPS client that trusts the cluster CA and presents
// the admin certificate.
func (c *Cluster) adminClient() (*http.Client, error) {
	p := c.pki
	cert, err := tls.X509KeyPair(p.clientPEM, p.clientKeyP)
	if err != nil {
		return nil, err
	}
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(p.caPEM)
	return &http.Client{
		Timeout: 5 * time.Second,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		},
	}, nil
}

// apiserverReady asks /readyz, which turns 200 only once every post-start
// hook (bootstrap RBAC, CRD informers, admission) has finished.
func apiserverReady(client *http.Client, server string) error {
	resp, err := client.Get(server + "/readyz")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var body bytes.Buffer
		_, _ = body.ReadFrom(resp.Body)
		return fmt.Errorf("kube-apiserver /readyz: %s", resp.Status)
	}
	return nil
}

// waitReady polls ready until it succeeds, the process exits, or the
// timeout passes.
func waitReady(p *process, timeout time.Duration, ready func() error) error {
	deadline := time.Now().Add(timeout)
	var last error
	for {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before it was ready (%v); its log: %s", p.name, p.err, p.logPath)
		default:
		}
		if last = ready(); last == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s not ready after %s: %v; its log: %s", p.name, timeout, last, p.logPath)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freePorts asks the kernel for n distinct free ports on 127.0.0.1. They
// are released before the child binds them; the callers retry on a clash.
func freePorts(n int) ([]int, error) {
	var ports []int
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// writeKubeconfig writes a kubeconfig with one context, "kubetest".
func (c *Cluster) writeKubeconfig(p *pki) error {
	c.Kubeconfig = filepath.Join(c.Dir, "kubeconfig")
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kubetest
  cluster:
    server: %s
    certificate-authority: %s
users:
- name: admin
  user:
    client-certificate: %s
    client-key: %s
contexts:
- name: kubetest
  context:
    cluster: kubetest
    user: admin
current-context: kubetest
`, c.Server, p.caCert, p.clientCert, p.clientKey)
	return os.WriteFile(c.Kubeconfig, []byte(cfg), 0o600)
}

// Stop stops kube-apiserver, then etcd, each by its PID, and waits for
// them to exit. It is safe to call more than once.
func (c *Cluster) Stop() error {
	var errs []error
	for i := len(c.procs) - 1; i >= 0; i-- {
		errs = append(errs, c.procs[i].stop())
	}
	return errors.Join(errs...)
}

// logTails prints the last lines of every process log, for a failed test.
func (c *Cluster) logTails(logf func(string, ...any)) {
	for _, p := range c.procs {
		data, err := os.ReadFile(p.logPath)
		if err != nil {
			logf("kubetest: %s log: %v", p.name, err)
			continue
		}
		lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
		if len(lines) > logTailLines {
			lines = lines[len(lines)-logTailLines:]
		}
		logf("kubetest: last %d lines of %s (%s):\n%s", len(lines), p.name, p.logPath, strings.Join(lines, "\n"))
	}
}

// process is one child: etcd or kube-apiserver.
type process struct {
	name, logPath string
	cmd           *exec.Cmd
	done          chan struct{} // closed when the process has exited
	err           error         // its exit status, once done
	cleanupDir    string        // removed after exit (etcd's tmpfs data)
	stopped       bool
}

// spawn starts bin with its output in DIR/NAME.log.
func (c *Cluster) spawn(name, bin string, args ...string) (*process, error) {
	logPath := filepath.Join(c.Dir, name+".log")
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = os.Environ()
	// Should the test binary die without running its cleanups (a panic in
	// another goroutine, a SIGKILL from go test's -timeout), the kernel
	// kills the child too instead of leaving it bound to its port.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	p := &process{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	c.procs = append(c.procs, p)
	go func() {
		p.err = cmd.Wait()
		log.Close()
		close(p.done)
	}()
	return p, nil
}

// stop sends SIGTERM, gives the process stopTimeout to exit, then kills it,
// and always waits, so that no process outlives its test.
func (p *process) stop() error {
	if p.stopped {
		return nil
	}
	p.stopped = true
	var err error
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(stopTimeout):
			_ = p.cmd.Process.Kill()
			<-p.done
			err = fmt.Errorf("%s (pid %d) ignored SIGTERM for %s and was killed", p.name, p.cmd.Process.Pid, stopTimeout)
		}
	}
	if p.cleanupDir != "" {
		err = errors.Join(err, os.RemoveAll(p.cleanupDir))
	}
	return err
}

// portInUse reports whether the process failed because its port was taken.
func (p *process) portInUse() bool {
	data, _ := os.ReadFile(p.logPath)
	return bytes.Contains(data, []byte("address already in use"))
}
