package dockertest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/dotenv"
	"github.com/compose-spec/compose-go/v2/loader"
	"github.com/compose-spec/compose-go/v2/types"

	"github.com/synctl/synctl/internal/standin"
	"github.com/synctl/synctl/pkg/topology"
)

// ownLabel marks the images this package builds, so that it never retags an
// image someone else put on the engine.
const ownLabel = "synctl.dev/dockertest"

// standinPkg is the stand-in's main package, built into the app images.
const standinPkg = "github.com/synctl/synctl/internal/standin/cmd/standin"

var (
	standinOnce   sync.Once
	standinImages map[string]string // role -> image reference
	standinErr    error

	nginxMu     sync.Mutex
	nginxImages = map[string]string{} // nginx.conf user -> image reference
)

// BuildImages makes every image the compose file in dir names exist on the
// engine, built locally: the built-in app's services get a FROM-scratch
// image of their stand-in (internal/standin) in that role, and an nginx image
// gets Debian's nginx with the user its mounted nginx.conf names. Each image
// is tagged with the exact name the compose file uses.
//
// The stand-in binary is built once per test binary; an image is rebuilt
// only when its content changed (its tag under synctl-dockertest/ carries a
// hash of the build context), so a rerun costs a go build from cache.
func (e *Engine) BuildImages(t testing.TB, dir string) { e.BuildAppImages(t, dir, "") }

// BuildAppImages is BuildImages for the app whose spec is at spec ("" for
// the built-in app): each of its services gets a FROM-scratch image of the
// generic stand-in (standin.MainApp) with the spec inside, set to be that
// service, and its readiness command installed as a second name of the
// stand-in binary (see internal/standin/cmd/standin).
func (e *Engine) BuildAppImages(t testing.TB, dir, spec string) {
	t.Helper()
	p := loadCompose(t, dir)
	var model *topology.Model
	var specData []byte
	if spec != "" {
		var err error
		if specData, err = os.ReadFile(spec); err != nil {
			t.Fatal(err)
		}
		if model, err = topology.Decode(spec, specData); err != nil {
			t.Fatal(err)
		}
	}
	for _, name := range slices.Sorted(func(yield func(string) bool) {
		for n := range p.Services {
			if !yield(n) {
				return
			}
		}
	}) {
		svc := p.Services[name]
		if svc.Image == "" {
			t.Fatalf("dockertest: service %s has no image", name)
		}
		var src string
		inApp := model != nil && slices.Contains(model.ServiceNames(), name)
		switch role := serviceRole(svc); {
		case role == "nginx":
			src = e.nginxImage(t, nginxUser(t, svc))
		case inApp:
			src = e.appImage(t, model, specData, name)
		case role != "":
			standinOnce.Do(func() { standinImages, standinErr = e.buildStandins(t) })
			if standinErr != nil {
				t.Fatal(standinErr)
			}
			src = standinImages[role]
		default:
			t.Fatalf("dockertest: service %s (image %s) is neither a service of the built-in app (%s) nor nginx: no local image to build for it", name, svc.Image, strings.Join(standin.Roles(), ", "))
		}
		e.tag(t, src, svc.Image)
	}
}

func loadCompose(t testing.TB, dir string) *types.Project {
	t.Helper()
	// The bundle's .env (its secrets) is read as docker compose reads it, so
	// that ${VAR:?} interpolations load.
	env := types.Mapping{}
	if _, err := os.Stat(filepath.Join(dir, ".env")); err == nil {
		m, err := dotenv.Read(filepath.Join(dir, ".env"))
		if err != nil {
			t.Fatalf("dockertest: %s/.env: %v", dir, err)
		}
		env = m
	}
	details := types.ConfigDetails{
		WorkingDir:  dir,
		ConfigFiles: []types.ConfigFile{{Filename: filepath.Join(dir, "compose.yaml")}},
		Environment: env,
	}
	p, err := loader.LoadWithContext(context.Background(), details)
	if err != nil {
		t.Fatalf("dockertest: loading %s/compose.yaml: %v", dir, err)
	}
	return p
}

// serviceRole is "nginx" for an nginx image, the stand-in role for a
// service of the built-in app (standin.RoleOf), or "".
func serviceRole(svc types.ServiceConfig) string {
	repo, _, _ := strings.Cut(svc.Image, "@") // digest
	if i := strings.LastIndex(repo, ":"); i > strings.LastIndex(repo, "/") {
		repo = repo[:i] // tag; a ':' before the last '/' is a registry port
	}
	base := path.Base(repo)
	if base == "nginx" {
		return "nginx"
	}
	return standin.RoleOf(svc.Name, base)
}

var userDirective = regexp.MustCompile(`(?m)^\s*user\s+([a-z_][a-z0-9_-]*)`)

// nginxUser is the user the nginx.conf mounted into svc runs its workers as:
// the image must have it in /etc/passwd or nginx refuses to start.
func nginxUser(t testing.TB, svc types.ServiceConfig) string {
	t.Helper()
	for _, v := range svc.Volumes {
		if v.Type == types.VolumeTypeBind && v.Target == "/etc/nginx/nginx.conf" {
			conf, err := os.ReadFile(v.Source)
			if err != nil {
				t.Fatalf("dockertest: service %s: %v", svc.Name, err)
			}
			if m := userDirective.FindSubmatch(conf); m != nil {
				return string(m[1])
			}
			return "nobody" // nginx's compiled-in default
		}
	}
	t.Fatalf("dockertest: service %s runs %s but mounts no /etc/nginx/nginx.conf", svc.Name, svc.Image)
	return ""
}

// tag points name at src, refusing to move a name from an image this
// package did not build.
func (e *Engine) tag(t testing.TB, src, name string) {
	t.Helper()
	if _, err := e.docker("image", "inspect", name); err == nil {
		if own := e.Docker(t, "image", "inspect", "--format", `{{index .Config.Labels "`+ownLabel+`"}}`, name); own != "1" {
			t.Fatalf("dockertest: the engine at DOCKER_HOST=%s already has an image %s that dockertest did not build; refusing to retag it. Run the tests against the private engine:\n%s", e.Host, name, HowTo())
		}
	}
	e.Docker(t, "tag", src, name)
}

// standinBinary is the stand-in binary, built once per test binary.
func (e *Engine) standinBinary(t testing.TB) []byte {
	t.Helper()
	binOnce.Do(func() { binData, binErr = buildStandinBinary(t) })
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binData
}

var (
	binOnce sync.Once
	binData []byte
	binErr  error
)

func buildStandinBinary(t testing.TB) ([]byte, error) {
	tmp, err := os.MkdirTemp("", "synctl-dockertest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	bin := filepath.Join(tmp, "standin")
	start := time.Now()
	// Static and reproducible (-trimpath, no VCS stamp): the same source gives
	// the same bytes, so the image hash below only changes with the code.
	cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", bin, standinPkg)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
	if out, err := cmd.CombinedOutput(); err != nil {
		return nil, fmt.Errorf("dockertest: building the stand-in: %v\n%s", err, out)
	}
	t.Logf("dockertest: built the stand-in binary in %v", time.Since(start).Round(time.Millisecond))
	return os.ReadFile(bin)
}

// buildStandins builds one image per role of the built-in app.
func (e *Engine) buildStandins(t testing.TB) (map[string]string, error) {
	tmp, err := os.MkdirTemp("", "synctl-dockertest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	data := e.standinBinary(t)
	images := map[string]string{}
	for _, role := range standin.Roles() {
		ctxDir := filepath.Join(tmp, role)
		files := map[string]fileSpec{
			"standin": {data: data, mode: 0o755},
			"Dockerfile": {data: []byte("FROM scratch\nCOPY standin /standin\n" +
				`ENTRYPOINT ["/standin", "` + role + `"]` + "\n"), mode: 0o644},
		}
		if err := writeTree(ctxDir, files); err != nil {
			return nil, err
		}
		ref, err := e.build(t, "standin-"+role, ctxDir)
		if err != nil {
			return nil, err
		}
		images[role] = ref
	}
	return images, nil
}

// appImage returns an image of the generic stand-in as service of model,
// whose spec is data.
func (e *Engine) appImage(t testing.TB, model *topology.Model, data []byte, service string) string {
	t.Helper()
	bin := e.standinBinary(t)
	svc, _ := model.Service(service)
	files := map[string]fileSpec{
		"standin":  {data: bin, mode: 0o755},
		"app.yaml": {data: data, mode: 0o644},
		"Dockerfile": {data: []byte("FROM scratch\nCOPY . /\n" +
			"ENV PATH=/usr/local/bin:/usr/bin:/bin STANDIN_SPEC=/app.yaml STANDIN_SERVICE=" + service + "\n" +
			`ENTRYPOINT ["/standin"]` + "\n"), mode: 0o644},
	}
	// The readiness and liveness commands are the stand-in under another
	// name: on PATH for a bare name, where named for a path.
	for _, at := range standin.HealthCommandPaths(svc) {
		files[at] = fileSpec{link: "/standin"}
	}
	tmp := t.TempDir()
	if err := writeTree(tmp, files); err != nil {
		t.Fatal(err)
	}
	ref, err := e.build(t, model.Name+"-"+service, tmp)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// nginxImage returns an image of Debian's nginx whose /etc/passwd has user.
func (e *Engine) nginxImage(t testing.TB, user string) string {
	t.Helper()
	nginxMu.Lock()
	defer nginxMu.Unlock()
	if ref, ok := nginxImages[user]; ok {
		return ref
	}
	tmp := t.TempDir()
	if err := nginxRootfs(filepath.Join(tmp, "rootfs"), user); err != nil {
		t.Fatal(err)
	}
	dockerfile := "FROM scratch\nCOPY rootfs/ /\n" +
		`CMD ["/usr/sbin/nginx", "-g", "daemon off;"]` + "\n"
	if err := os.WriteFile(filepath.Join(tmp, "Dockerfile"), []byte(dockerfile), 0o644); err != nil {
		t.Fatal(err)
	}
	ref, err := e.build(t, "nginx-"+user, tmp)
	if err != nil {
		t.Fatal(err)
	}
	nginxImages[user] = ref
	return ref
}

// nginxBinary is the nginx the image runs: Debian's, from nginx-light.
const nginxBinary = "/usr/sbin/nginx"

// nginxRootfs lays out a minimal root for Debian's nginx binary: the binary,
// the shared libraries ldd lists for it (with the dynamic loader), the
// mime.types nginx.conf includes, passwd and group entries for user, and
// the directories Debian's build points its pid, log and temp paths at.
func nginxRootfs(root, user string) error {
	if _, err := os.Stat(nginxBinary); err != nil {
		return fmt.Errorf("dockertest: the nginx image is built from Debian's nginx: %v (apt-get install -y nginx-light)", err)
	}
	out, err := exec.Command("ldd", nginxBinary).CombinedOutput()
	if err != nil {
		return fmt.Errorf("dockertest: ldd %s: %v\n%s", nginxBinary, err, out)
	}
	files := map[string]string{nginxBinary: nginxBinary, "/etc/nginx/mime.types": "/etc/nginx/mime.types"}
	for _, line := range strings.Split(string(out), "\n") {
		// "libz.so.1 => /lib/x86_64-linux-gnu/libz.so.1 (0x...)" or
		// "/lib64/ld-linux-x86-64.so.2 (0x...)"; the vdso has no file.
		f := strings.Fields(line)
		switch {
		case len(f) >= 3 && f[1] == "=>" && strings.HasPrefix(f[2], "/"):
			files[f[2]] = f[2]
		case len(f) >= 1 && strings.HasPrefix(f[0], "/"):
			files[f[0]] = f[0]
		}
	}
	tree := map[string]fileSpec{}
	for dst, src := range files {
		// Read through symlinks: the image gets the library under the name
		// the loader looks for.
		data, err := os.ReadFile(src)
		if err != nil {
			return fmt.Errorf("dockertest: %v", err)
		}
		mode := fs.FileMode(0o644)
		if dst == nginxBinary || strings.Contains(dst, "/ld-linux") {
			mode = 0o755
		}
		tree[strings.TrimPrefix(dst, "/")] = fileSpec{data: data, mode: mode}
	}
	// uid/gid 101 as in the nginx:alpine image the bundle is written for.
	tree["etc/passwd"] = fileSpec{data: []byte("root:x:0:0:root:/root:/sbin/nologin\n" + user + ":x:101:101:nginx:/nonexistent:/sbin/nologin\n"), mode: 0o644}
	tree["etc/group"] = fileSpec{data: []byte("root:x:0:\n" + user + ":x:101:\n"), mode: 0o644}
	// glibc reads users from files and host names from files then DNS
	// (Docker mounts /etc/hosts and /etc/resolv.conf into the container).
	tree["etc/nsswitch.conf"] = fileSpec{data: []byte("passwd: files\ngroup: files\nhosts: files dns\n"), mode: 0o644}
	// Logs go to the container's output, as in the official image, so
	// `docker compose logs nginx` shows them.
	tree["var/log/nginx/access.log"] = fileSpec{link: "/dev/stdout"}
	tree["var/log/nginx/error.log"] = fileSpec{link: "/dev/stderr"}
	// Debian's build: --pid-path=/run/nginx.pid, temp paths under
	// /var/lib/nginx (nginx creates the leaves and chowns them to user).
	tree["run/"] = fileSpec{mode: fs.ModeDir | 0o755}
	tree["var/lib/nginx/"] = fileSpec{mode: fs.ModeDir | 0o755}
	tree["tmp/"] = fileSpec{mode: fs.ModeDir | 0o1777}
	return writeTree(root, tree)
}

// fileSpec is one entry of a build context: a file, a symlink (link set) or
// a directory (mode has fs.ModeDir).
type fileSpec struct {
	data []byte
	mode fs.FileMode
	link string
}

func writeTree(root string, tree map[string]fileSpec) error {
	for name, f := range tree {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		var err error
		switch {
		case f.link != "":
			err = os.Symlink(f.link, p)
		case f.mode.IsDir():
			if err = os.MkdirAll(p, f.mode.Perm()); err == nil {
				err = os.Chmod(p, f.mode.Perm()|f.mode&fs.ModeSticky)
			}
		default:
			if err = os.WriteFile(p, f.data, f.mode.Perm()); err == nil {
				err = os.Chmod(p, f.mode.Perm()) // not narrowed by the umask
			}
		}
		if err != nil {
			return fmt.Errorf("dockertest: %w", err)
		}
	}
	return nil
}

// build builds the context in dir as synctl-dockertest/<name>:<hash>,
// where hash covers every path, mode, link target and byte in dir, and
// skips the build when that image already exists.
func (e *Engine) build(t testing.TB, name, dir string) (string, error) {
	sum, err := treeHash(dir)
	if err != nil {
		return "", err
	}
	ref := "synctl-dockertest/" + name + ":" + sum[:16]
	if _, err := e.docker("image", "inspect", ref); err == nil {
		t.Logf("dockertest: %s is up to date", ref)
		return ref, nil
	}
	start := time.Now()
	// The legacy builder: the engine is 20.10 and no buildx plugin is
	// installed; it is all a FROM-scratch COPY needs.
	_, err = e.Run(t, Cmd{Env: []string{"DOCKER_BUILDKIT=0"}, Args: []string{
		"docker", "build", "--quiet", "--label", ownLabel + "=1", "--tag", ref, dir,
	}})
	if err != nil {
		return "", fmt.Errorf("dockertest: building %s: %w", ref, err)
	}
	t.Logf("dockertest: built %s in %v", ref, time.Since(start).Round(time.Millisecond))
	return ref, nil
}

func treeHash(root string) (string, error) {
	h := sha256.New()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		info, err := d.Info()
		if err != nil {
			return err
		}
		fmt.Fprintf(h, "%s\x00%o\x00", filepath.ToSlash(rel), info.Mode())
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			io.WriteString(h, target)
		case info.Mode().IsRegular():
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer f.Close()
			if _, err := io.Copy(h, f); err != nil {
				return err
			}
		}
		_, err = h.Write([]byte{0})
		return err
	})
	return hex.EncodeToString(h.Sum(nil)), err
}
