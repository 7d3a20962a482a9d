package main

import (
	"bufio"
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/synctl/synctl/internal/benchapp"
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/topology"
)

// TestStaleFilesRemoved: a file an earlier render wrote and this one does
// not (a spec that drops autoscaling drops web-hpa.yaml) is removed, and
// said so; --check reports it before that.
func TestStaleFilesRemoved(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	spec := string(topology.DefaultSpec())
	os.WriteFile("app.yaml", []byte(spec), 0o644)
	if code, _, errs := runCLI(t, "render", "-f", "app.yaml", "--target", "minikube", "--out", "out"); code != 0 {
		t.Fatal(errs)
	}
	os.WriteFile("out/mine.txt", []byte("my notes\n"), 0o644)
	i := strings.Index(spec, "      autoscaling:")
	j := strings.Index(spec, "    # The chat backend")
	if i < 0 || j < i {
		t.Fatal("the built-in spec changed shape; adjust the edit")
	}
	os.WriteFile("app.yaml", []byte(spec[:i]+spec[j:]), 0o644)

	code, out, _ := runCLI(t, "render", "-f", "app.yaml", "--target", "minikube", "--out", "out", "--check")
	if code != 1 || !strings.Contains(out, "stale   web-hpa.yaml: stale generated file") {
		t.Errorf("--check: exit %d\n%s", code, out)
	}
	code, _, errs := runCLI(t, "render", "-f", "app.yaml", "--target", "minikube", "--out", "out")
	if code != 0 || !strings.Contains(errs, "removed out/web-hpa.yaml: an earlier render wrote it, this one does not\n") {
		t.Errorf("exit %d, stderr:\n%s", code, errs)
	}
	if _, err := os.Stat("out/web-hpa.yaml"); err == nil {
		t.Error("web-hpa.yaml is still there")
	}
	if b, _ := os.ReadFile("out/mine.txt"); string(b) != "my notes\n" {
		t.Error("a file synctl did not write was touched")
	}
	if code, _, errs := runCLI(t, "render", "-f", "app.yaml", "--target", "minikube", "--out", "out", "--check"); code != 0 {
		t.Errorf("--check after the render: exit %d %s", code, errs)
	}
}

// TestMixedBundleRefused: a directory holding one app's (or target's)
// bundle does not take another's, unless --force; refused, it is untouched.
func TestMixedBundleRefused(t *testing.T) {
	shop, _ := filepath.Abs("../../testdata/apps/shop.yaml")
	dir := t.TempDir()
	t.Chdir(dir)
	if code, _, errs := runCLI(t, "render", "-f", shop, "--target", "gke", "--out", "out"); code != 0 {
		t.Fatal(errs)
	}
	before := snapshot(t, "out")
	rel, _ := filepath.Rel(filepath.Join(dir, "out"), shop)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"render", "--target", "gke", "--out", "out"},
			"synctl: refusing to write the gke bundle of app synergychat into out: it holds the gke bundle of app shop (made by: synctl render -f " + rel + " --target gke --out .); choose another --out, or pass --force to replace it\n"},
		{[]string{"render", "-f", shop, "--target", "minikube", "--out", "out"},
			"synctl: refusing to write the minikube bundle of app shop into out: it holds the gke bundle of app shop (made by: synctl render -f " + rel + " --target gke --out .); choose another --out, or pass --force to replace it\n"},
	} {
		code, _, errs := runCLI(t, c.args...)
		if code != 2 || errs != c.want {
			t.Errorf("%v: exit %d\n%s\nwant:\n%s", c.args, code, errs, c.want)
		}
		if after := snapshot(t, "out"); !mapsEqual(before, after) {
			t.Fatalf("%v changed the directory", c.args)
		}
	}
	code, _, errs := runCLI(t, "render", "--target", "gke", "--out", "out", "--force")
	if code != 0 || !strings.Contains(errs, "removed out/catalog-deployment.yaml") {
		t.Errorf("--force: exit %d\n%s", code, errs)
	}
	if code, _, errs := runCLI(t, "render", "--target", "gke", "--out", "out", "--check"); code != 0 {
		t.Errorf("after --force the directory is the new bundle alone: %s", errs)
	}
}

// TestReadmeRenderAgain runs the "Render it again" command of every golden
// bundle's README inside a copy of that bundle, with --check: each
// reproduces its bundle exactly.
func TestReadmeRenderAgain(t *testing.T) {
	src, _ := filepath.Abs("../../testdata")
	root := filepath.Join(t.TempDir(), "testdata")
	copyTree(t, src, root)
	var dirs []string
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && p == filepath.Join(root, "validate") {
			return filepath.SkipDir // broken inputs for validate, edited by hand
		}
		if err == nil && !d.IsDir() && d.Name() == render.RecordPath {
			dirs = append(dirs, filepath.Dir(p))
		}
		return err
	})
	if len(dirs) < 15 {
		t.Fatalf("found %d golden bundles", len(dirs))
	}
	for _, dir := range dirs {
		rel, _ := filepath.Rel(root, dir)
		t.Run(rel, func(t *testing.T) {
			cmd := readmeCommand(t, filepath.Join(dir, "README.md"), "## Render it again")
			args := strings.Fields(cmd)
			if args[0] != "synctl" || args[len(args)-1] != "." {
				t.Fatalf("command %q", cmd)
			}
			t.Chdir(dir)
			code, out, errs := runCLI(t, append(args[1:], "--check")...)
			if code != 0 {
				t.Errorf("%s --check in %s: exit %d\n%s%s", cmd, rel, code, out, errs)
			}
		})
	}
}

// readmeCommand is the first line of the code block after heading.
func readmeCommand(t *testing.T, readme, heading string) string {
	t.Helper()
	f, err := os.Open(readme)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	seen, inBlock := false, false
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == heading:
			seen = true
		case seen && strings.HasPrefix(line, "```"):
			inBlock = true
		case inBlock:
			return line
		}
	}
	t.Fatalf("%s has no command under %q", readme, heading)
	return ""
}

func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOutSystemDirRefused: the filesystem root, its top-level directories
// and the home directory are never output directories.
func TestOutSystemDirRefused(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	for _, out := range []string{"/", "/etc", "/tmp", home} {
		code, _, errs := runCLI(t, "render", "--target", "docker", "--out", out)
		want := "synctl: --out " + out + " is a system directory (" + out + "); write the bundle into a directory of its own, e.g. --out ./deploy\n"
		if code != 2 || errs != want {
			t.Errorf("--out %s: exit %d %q, want %q", out, code, errs, want)
		}
	}
}

// TestOutMountPoint: --out may be a mount point, or hold a target's
// directory that is one (another filesystem than its parent's): the bundle
// is still written whole, and nothing is left behind.
func TestOutMountPoint(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mounting a tmpfs needs root (CI runs as root)")
	}
	base := t.TempDir()
	mount := func(dir string) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := unix.Mount("tmpfs", dir, "tmpfs", 0, "size=16m"); err != nil {
			t.Skipf("cannot mount a tmpfs here: %v", err)
		}
		t.Cleanup(func() { unix.Unmount(dir, unix.MNT_DETACH) })
	}
	// The output directory itself is the mount point.
	out := filepath.Join(base, "out")
	mount(out)
	if code, _, errs := runCLI(t, "render", "--target", "nginx", "--out", out); code != 0 {
		t.Fatalf("render into a mount point: %s", errs)
	}
	// A target's directory is a mount point under a plain directory: the
	// staged files cross filesystems.
	deploy := filepath.Join(base, "deploy")
	mount(filepath.Join(deploy, "gke"))
	if code, _, errs := runCLI(t, "render", "--target", "all", "--out", deploy); code != 0 {
		t.Fatalf("render across filesystems: %s", errs)
	}
	for _, dir := range []string{out, deploy} {
		if code, _, errs := runCLI(t, "render", "--target", map[string]string{out: "nginx", deploy: "all"}[dir], "--out", dir, "--check"); code != 0 {
			t.Errorf("%s is not the whole bundle: %s", dir, errs)
		}
		noStaging(t, dir)
	}
}

// noStaging fails when a staging directory or temporary file is left under dir.
func noStaging(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && (strings.HasPrefix(d.Name(), ".synctl-stage-") || strings.HasPrefix(d.Name(), ".synctl-tmp-")) {
			t.Errorf("left behind: %s", p)
		}
		return nil
	})
}

// TestInterrupted signals a whole synctl process (the test binary run as
// synctl) while it renders a large app: whenever the signal lands, the
// output directory is either the complete new bundle or exactly as it was,
// and no staging directory is left. Two runs are signalled after a delay
// (before or while it renders), two as soon as the writer's staging
// directory appears (while it writes), so that at least one run is
// interrupted on a fast machine or a slow one; a run that finishes first
// is checked and the next compared with what it wrote.
func TestInterrupted(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	spec := filepath.Join(base, "big.yaml")
	os.WriteFile(spec, benchapp.Spec(600), 0o644)
	out := filepath.Join(base, "out")
	if code, _, errs := runCLI(t, "render", "--target", "docker", "--out", out); code != 0 {
		t.Fatal(errs)
	}
	before := snapshot(t, out)
	interrupted := 0
	// The test binary starts slower than synctl (it links every test
	// dependency), so the first signal waits for its handlers. A zero
	// delay waits for the staging directory instead.
	runs := []struct {
		sig   syscall.Signal
		delay time.Duration
	}{{syscall.SIGINT, 300}, {syscall.SIGTERM, 0}, {syscall.SIGINT, 1200}, {syscall.SIGTERM, 0}}
	for _, run := range runs {
		sig := run.sig
		cmd := exec.Command(self, "render", "-f", spec, "--target", "all", "--out", out)
		cmd.Env = append(os.Environ(), execAs+"=synctl")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		if run.delay > 0 {
			time.Sleep(run.delay * time.Millisecond)
		} else {
			waitForStaging(out, 60*time.Second)
		}
		cmd.Process.Signal(sig)
		err := cmd.Wait()
		noStaging(t, base)
		code := cmd.ProcessState.ExitCode()
		t.Logf("%s after %s: exit %d", sig, map[bool]string{true: "the staging directory appeared", false: (run.delay * time.Millisecond).String()}[run.delay == 0], code)
		switch {
		case err == nil:
			// It finished first: the directory is the whole new bundle,
			// which the next run must then leave or replace whole.
			if code, _, errs := runCLI(t, "render", "-f", spec, "--target", "all", "--out", out, "--check"); code != 0 {
				t.Fatalf("finished, but the bundle is incomplete: %s", errs)
			}
			before = snapshot(t, out)
		case code == -1 && cmd.ProcessState.Sys().(syscall.WaitStatus).Signaled():
			// The signal came before synctl set up its handling (a loaded
			// machine starts the test binary slowly): killed before it
			// wrote anything, which must show.
			if after := snapshot(t, out); !mapsEqual(before, after) {
				t.Fatalf("killed by %s before its handler, but the directory changed", sig)
			}
		case code == exitInterrupted:
			interrupted++
			if !strings.Contains(stderr.String(), "interrupted: "+out+" was left as it was") {
				t.Errorf("stderr: %s", stderr.String())
			}
			if after := snapshot(t, out); !mapsEqual(before, after) {
				t.Fatalf("interrupted by %s, but the directory changed", sig)
			}
		default:
			t.Fatalf("signal %s: exit %d: %s", sig, code, stderr.String())
		}
	}
	if interrupted == 0 {
		t.Error("no run was interrupted; the test proves nothing")
	}
}

// waitForStaging returns once a staging directory of the writer appears in
// dir (it stages inside an existing output directory), or after limit.
func waitForStaging(dir string, limit time.Duration) {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(time.Millisecond) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".synctl-stage-") {
				return
			}
		}
	}
}

// TestDriftRecipe follows the README's CI recipe on a real clone: a
// repository holding an app spec and the bundles rendered from it (the
// private key left out by .gitignore, as the bundle README advises) is
// cloned, and `render --check` in the clone finds it up to date; a hand
// edit pushed to the repository is then caught.
func TestDriftRecipe(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git is not installed (apt-get install -y git)")
	}
	gitIn := func(dir string, args ...string) {
		t.Helper()
		cmd := exec.Command(git, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.test", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.test", "GIT_CONFIG_GLOBAL=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	repo := filepath.Join(t.TempDir(), "repo")
	os.MkdirAll(repo, 0o755)
	shop, _ := os.ReadFile("../../testdata/apps/shop.yaml")
	os.WriteFile(filepath.Join(repo, "app.yaml"), shop, 0o644)
	os.WriteFile(filepath.Join(repo, ".gitignore"), []byte("certs/\n"), 0o644)
	t.Chdir(repo)
	if code, _, errs := runCLI(t, "render", "-f", "app.yaml", "--target", "all", "--out", "deploy"); code != 0 {
		t.Fatal(errs)
	}
	gitIn(repo, "init", "-q")
	gitIn(repo, "add", "-A")
	gitIn(repo, "commit", "-qm", "deploy files")

	clone := filepath.Join(t.TempDir(), "clone")
	gitIn(filepath.Dir(clone), "clone", "-q", repo, clone)
	t.Chdir(clone)
	if _, err := os.Stat("deploy/nginx/certs"); err == nil {
		t.Fatal("the clone has the certificate: .gitignore did not keep it out")
	}
	if code, out, errs := runCLI(t, "render", "-f", "app.yaml", "--target", "all", "--out", "deploy", "--check"); code != 0 {
		t.Fatalf("--check in a fresh clone: exit %d\n%s%s", code, out, errs)
	}
	// A hand edit, committed and cloned again, fails the check.
	t.Chdir(repo)
	f := "deploy/gke/cart-deployment.yaml"
	data, _ := os.ReadFile(f)
	os.WriteFile(f, []byte(strings.Replace(string(data), "replicas: 1", "replicas: 3", 1)), 0o644)
	gitIn(repo, "commit", "-qam", "scale cart by hand")
	clone2 := filepath.Join(t.TempDir(), "clone")
	gitIn(filepath.Dir(clone2), "clone", "-q", repo, clone2)
	t.Chdir(clone2)
	code, out, _ := runCLI(t, "render", "-f", "app.yaml", "--target", "all", "--out", "deploy", "--check")
	if code != 1 || !strings.Contains(out, "changed gke/cart-deployment.yaml") && !strings.Contains(out, "changed cart-deployment.yaml") {
		t.Errorf("a committed hand edit: exit %d\n%s", code, out)
	}
}
