package render

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/x509"
	"encoding/pem"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	gwv1 "sigs.k8s.io/gateway-api/apis/v1"
	"sigs.k8s.io/yaml"

	"github.com/synctl/synctl/internal/golden"
	"github.com/synctl/synctl/pkg/gkeapi"
	"github.com/synctl/synctl/pkg/topology"
)

const regen = "go test ./pkg/render -update"

// apps are the models under test: the built-in SynergyChat, golden files in
// testdata/<target>/, and an app with other names and more services, in
// testdata/shop/<target>/.
func apps(t *testing.T) map[string]*topology.Model {
	t.Helper()
	def, err := topology.Default()
	if err != nil {
		t.Fatal(err)
	}
	shop, err := topology.Load("../../testdata/apps/shop.yaml", topology.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]*topology.Model{"": def, "shop": shop}
}

func TestGolden(t *testing.T) {
	for prefix, m := range apps(t) {
		for _, target := range topology.Targets() {
			dir := filepath.Join("../../testdata", prefix, string(target))
			t.Run(filepath.Join(prefix, string(target)), func(t *testing.T) {
				files, err := Render(m, target)
				if err != nil {
					t.Fatal(err)
				}
				var rendered []string
				for _, f := range files {
					if f.KeyMaterial {
						continue // random; checked by TestCertificate
					}
					rendered = append(rendered, f.Path)
					golden.Assert(t, filepath.Join(dir, filepath.FromSlash(f.Path)), f.Data, regen)
				}
				// A file that is no longer rendered must not linger in testdata.
				onDisk := listFiles(t, dir)
				slices.Sort(rendered)
				if *golden.Update {
					for _, p := range onDisk {
						if !slices.Contains(rendered, p) {
							os.Remove(filepath.Join(dir, p))
						}
					}
				} else if !slices.Equal(onDisk, rendered) {
					t.Errorf("%s holds %v, but the render has %v; run: %s", dir, onDisk, rendered, regen)
				}
			})
		}
	}
}

func listFiles(t *testing.T, dir string) []string {
	var out []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	slices.Sort(out)
	return out
}

func TestDeterministic(t *testing.T) {
	for name, m := range apps(t) {
		for _, target := range topology.Targets() {
			a, err := Render(m, target)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Render(m, target)
			if err != nil {
				t.Fatal(err)
			}
			if len(a) != len(b) {
				t.Fatalf("%s/%s: %d files, then %d", name, target, len(a), len(b))
			}
			for i := range a {
				if a[i].Path != b[i].Path || (!a[i].KeyMaterial && !bytes.Equal(a[i].Data, b[i].Data)) {
					t.Errorf("%s/%s: %s differs between two renders", name, target, a[i].Path)
				}
			}
		}
	}
}

// TestWiringInFiles checks that each URL of the wiring reaches the file that
// carries it, for the default app: the seed's table, in the rendered bytes.
func TestWiringInFiles(t *testing.T) {
	m := apps(t)[""]
	cases := []struct {
		target topology.Target
		file   string
		want   []string
	}{
		{topology.Docker, "compose.yaml", []string{"API_URL: http://localhost:8081", "CRAWLER_BASE_URL: http://host.docker.internal:8082", "host.docker.internal=host-gateway", "network_mode: bridge"}},
		{topology.Docker, "docker-run.sh", []string{"-e 'CRAWLER_BASE_URL=http://host.docker.internal:8082'", "--add-host 'host.docker.internal:host-gateway'", "-p 8082:8080"}},
		{topology.DockerNetwork, "compose.yaml", []string{"API_URL: http://localhost:8081", "CRAWLER_BASE_URL: http://crawler:8080"}},
		{topology.DockerNetwork, "docker-run.sh", []string{"docker network create 'synergychat'", "--network-alias 'crawler'"}},
		{topology.Nginx, "compose.yaml", []string{"API_URL: /api/", "CRAWLER_BASE_URL: http://crawler:8080"}},
		{topology.Nginx, "nginx.conf", []string{"location /api/ {", "set $synergychat_api http://api:8080;", "rewrite ^/api/(.*)$ /$1 break;", "proxy_pass $synergychat_api;", "return 301 https://$host$request_uri;", "ssl_protocols TLSv1.2 TLSv1.3;"}},
		{topology.Minikube, "web-configmap.yaml", []string{"API_URL: http://synergychatapi.internal"}},
		{topology.Minikube, "api-configmap.yaml", []string{"CRAWLER_BASE_URL: http://crawler-service"}},
		{topology.Minikube, "web-httproute.yaml", []string{"- synergychat.internal"}},
		{topology.GKE, "web-configmap.yaml", []string{"API_URL: /api\n"}},
		{topology.GKE, "api-httproute.yaml", []string{"value: /api\n", "replacePrefixMatch: /\n"}},
		{topology.GKE, "api-healthcheckpolicy.yaml", []string{"requestPath: /healthz"}},
	}
	for _, c := range cases {
		files, err := Render(m, c.target)
		if err != nil {
			t.Fatal(err)
		}
		f := fileNamed(t, files, c.file)
		for _, w := range c.want {
			if !strings.Contains(string(f.Data), w) {
				t.Errorf("%s/%s lacks %q", c.target, c.file, w)
			}
		}
	}
}

func fileNamed(t *testing.T, files []File, name string) File {
	t.Helper()
	for _, f := range files {
		if f.Path == name {
			return f
		}
	}
	t.Fatalf("no file %s in the bundle", name)
	return File{}
}

// TestComposeLoads loads every rendered compose file with compose-go's own
// loader, as `docker compose config` does, from a directory holding the
// whole bundle (so bind-mount sources resolve), and checks the environment
// it yields against the wiring.
func TestComposeLoads(t *testing.T) {
	for name, m := range apps(t) {
		for _, target := range []topology.Target{topology.Docker, topology.DockerNetwork, topology.Nginx} {
			t.Run(name+"/"+string(target), func(t *testing.T) {
				files, err := Render(m, target)
				if err != nil {
					t.Fatal(err)
				}
				dir := t.TempDir()
				if err := WriteBundle(dir, files, WriteOptions{}); err != nil {
					t.Fatal(err)
				}
				p := loadCompose(t, dir)
				w := topology.Wire(m, target)
				for _, s := range m.Services {
					sc, err := p.GetService(s.Name)
					if err != nil {
						t.Fatal(err)
					}
					for _, l := range s.Links {
						got := sc.Environment[l.Env]
						if got == nil || *got != w.Link(s.Name, l.Env) {
							t.Errorf("service %s: %s = %v, want %s", s.Name, l.Env, got, w.Link(s.Name, l.Env))
						}
					}
					for _, e := range s.Env {
						if got := sc.Environment[e.Name]; got == nil || *got != e.Value {
							t.Errorf("service %s: %s = %v, want %q (compose interpolation must not change it)", s.Name, e.Name, got, e.Value)
						}
					}
				}
			})
		}
	}
}

func loadCompose(t *testing.T, dir string) *types.Project {
	t.Helper()
	opts, err := cli.NewProjectOptions([]string{filepath.Join(dir, "compose.yaml")},
		cli.WithWorkingDirectory(dir), cli.WithOsEnv, cli.WithResolvedPaths(true))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("compose-go rejects compose.yaml: %v", err)
	}
	for _, s := range p.Services {
		for _, v := range s.Volumes {
			if v.Type == types.VolumeTypeBind {
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("service %s mounts %s, which the bundle does not have: %v", s.Name, v.Source, err)
				}
			}
		}
	}
	return p
}

// TestKubeStrictDecode decodes every rendered document strictly into its
// typed struct: an unknown or misspelt field fails.
func TestKubeStrictDecode(t *testing.T) {
	for name, m := range apps(t) {
		for _, target := range []topology.Target{topology.Minikube, topology.GKE} {
			files, err := Render(m, target)
			if err != nil {
				t.Fatal(err)
			}
			kinds := map[string]int{}
			for _, doc := range bytes.Split(Stream(target, files), []byte("\n---\n")) {
				var tm struct{ Kind string }
				if err := yaml.Unmarshal(doc, &tm); err != nil {
					t.Fatal(err)
				}
				obj, ok := typedObject(tm.Kind)
				if !ok {
					t.Errorf("%s/%s: unexpected kind %q", name, target, tm.Kind)
					continue
				}
				if err := yaml.UnmarshalStrict(doc, obj); err != nil {
					t.Errorf("%s/%s: %s does not decode strictly: %v", name, target, tm.Kind, err)
				}
				kinds[tm.Kind]++
			}
			if kinds["Deployment"] != len(m.Services) || kinds["Service"] != len(m.Services) || kinds["HTTPRoute"] == 0 {
				t.Errorf("%s/%s: kinds %v", name, target, kinds)
			}
		}
	}
}

func typedObject(kind string) (any, bool) {
	switch kind {
	case "Namespace":
		return &corev1.Namespace{}, true
	case "ConfigMap":
		return &corev1.ConfigMap{}, true
	case "Service":
		return &corev1.Service{}, true
	case "PersistentVolumeClaim":
		return &corev1.PersistentVolumeClaim{}, true
	case "Deployment":
		return &appsv1.Deployment{}, true
	case "HorizontalPodAutoscaler":
		return &autoscalingv2.HorizontalPodAutoscaler{}, true
	case "GatewayClass":
		return &gwv1.GatewayClass{}, true
	case "Gateway":
		return &gwv1.Gateway{}, true
	case "HTTPRoute":
		return &gwv1.HTTPRoute{}, true
	case "HealthCheckPolicy":
		return &gkeapi.HealthCheckPolicy{}, true
	}
	return nil, false
}

func TestCertificate(t *testing.T) {
	m := apps(t)[""]
	files, err := Render(m, topology.Nginx)
	if err != nil {
		t.Fatal(err)
	}
	certPEM, keyPEM := fileNamed(t, files, CertPath), fileNamed(t, files, KeyPath)
	if keyPEM.Mode != 0o600 {
		t.Errorf("key mode %o, want 0600", keyPEM.Mode)
	}
	block, _ := pem.Decode(certPEM.Data)
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if err := cert.VerifyHostname("localhost"); err != nil {
		t.Error(err)
	}
	if err := cert.VerifyHostname("127.0.0.1"); err != nil {
		t.Error(err)
	}
	kb, _ := pem.Decode(keyPEM.Data)
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if !key.(*ecdsa.PrivateKey).PublicKey.Equal(cert.PublicKey) {
		t.Error("the key does not match the certificate")
	}
}

// TestStreamIsKubectlInput: the stdout stream is every manifest of the
// bundle, in file order, each separated by "---".
func TestStreamIsKubectlInput(t *testing.T) {
	m := apps(t)[""]
	files, err := Render(m, topology.GKE)
	if err != nil {
		t.Fatal(err)
	}
	s := Stream(topology.GKE, files)
	if n := bytes.Count(s, []byte("\n---\n")) + 1; n != 18 {
		t.Errorf("stream has %d documents, want 18 (2 namespaces, the gateway, 6 for web, 6 for api, 3 for the crawler)", n)
	}
	if bytes.Count(s, []byte(HeaderMarker)) != 1 {
		t.Error("stream should carry exactly one header")
	}
	if bytes.Contains(s, []byte("README")) {
		t.Error("stream should not carry the README")
	}
}
