package nodetest

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/synctl/synctl/internal/standin"
	"github.com/synctl/synctl/pkg/topology"
)

// standinPkg is the stand-in's main package, the entrypoint of every app
// image.
const standinPkg = "github.com/synctl/synctl/internal/standin/cmd/standin"

var (
	standinOnce  sync.Once
	standinLayer *Layer
	standinErr   error
)

// StandinBinary is the path of the stand-in binary in the images.
const StandinBinary = "/standin"

// standinBin builds the static stand-in binary once per test binary and
// returns it as a layer of its own, which every app image shares.
func standinBin(t testing.TB) *Layer {
	t.Helper()
	standinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "synctl-nodetest-standin-")
		if err != nil {
			standinErr = err
			return
		}
		defer os.RemoveAll(dir)
		bin := filepath.Join(dir, "standin")
		cmd := exec.Command("go", "build", "-trimpath", "-buildvcs=false", "-ldflags=-s -w", "-o", bin, standinPkg)
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+runtime.GOARCH)
		if out, err := cmd.CombinedOutput(); err != nil {
			standinErr = fmt.Errorf("nodetest: building the stand-in: %v\n%s", err, out)
			return
		}
		data, err := os.ReadFile(bin)
		if err != nil {
			standinErr = err
			return
		}
		standinLayer = &Layer{Files: map[string]File{strings.TrimPrefix(StandinBinary, "/"): {Data: data, Mode: 0o755}}}
	})
	if standinErr != nil {
		t.Fatal(standinErr)
	}
	return standinLayer
}

// AppImages returns a FROM-scratch image for every service of the app m,
// and the reference of each by service name, for `synctl render --image
// SERVICE=REF`. The built-in app's services (spec nil) run the faithful
// stand-ins by role; any other app's services run the generic stand-in on
// the spec, which the image carries as /app.yaml.
//
// Each reference is synctl-nodetest/APP-SERVICE:HASH, HASH covering the
// binary, the spec and the entrypoint: a tag other than latest, so that
// the kubelet's default pull policy, IfNotPresent, uses the imported image.
func AppImages(t testing.TB, m *topology.Model, spec []byte) (map[string]string, []Image) {
	t.Helper()
	bin := standinBin(t)
	var specLayer *Layer
	if spec != nil {
		specLayer = &Layer{Files: map[string]File{"app.yaml": {Data: spec, Mode: 0o644}}}
	}
	refs := map[string]string{}
	var images []Image
	for _, svc := range m.Services {
		img := Image{Layers: []*Layer{bin}}
		if spec == nil {
			role := standin.RoleOf(svc.Name, path.Base(strings.SplitN(svc.Image, ":", 2)[0]))
			if role == "" {
				t.Fatalf("nodetest: service %s of the built-in app has no stand-in role (%s)", svc.Name, strings.Join(standin.Roles(), ", "))
			}
			img.Entrypoint = []string{StandinBinary, role}
		} else {
			img.Layers = append(img.Layers, specLayer)
			img.Entrypoint = []string{StandinBinary, "app", "/app.yaml", svc.Name}
			// A readiness or liveness command (voting's db: pg_isready)
			// names a program of the real image: the stand-in answers
			// under that name too, on PATH for a bare name, and reads its
			// spec and service from the environment.
			img.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "STANDIN_SPEC=/app.yaml", "STANDIN_SERVICE=" + svc.Name}
			if l := healthLinks(&svc); l != nil {
				img.Layers = append(img.Layers, l)
			}
		}
		h := sha256.New()
		h.Write(bin.Files["standin"].Data)
		h.Write(spec)
		h.Write([]byte(strings.Join(img.Entrypoint, "\x00")))
		h.Write([]byte(strings.Join(img.Env, "\x00")))
		for _, l := range img.Layers[1:] {
			for _, name := range slices.Sorted(maps.Keys(l.Files)) {
				h.Write([]byte(name + "\x00" + l.Files[name].Link + "\x00"))
			}
		}
		img.Ref = fmt.Sprintf("synctl-nodetest/%s-%s:%s", m.Name, svc.Name, hex.EncodeToString(h.Sum(nil))[:12])
		refs[svc.Name] = img.Ref
		images = append(images, img)
	}
	return refs, images
}

// healthLinks is a layer of links to the stand-in under the names of the
// service's probe commands, or nil when it has none.
func healthLinks(svc *topology.Service) *Layer {
	files := map[string]File{}
	for _, at := range standin.HealthCommandPaths(svc) {
		files[at] = File{Link: StandinBinary}
	}
	if len(files) == 0 {
		return nil
	}
	return &Layer{Files: files}
}
