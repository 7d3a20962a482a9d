package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// baseSpec is a small valid app; each bad-input case breaks it one way.
const baseSpec = `apiVersion: synctl.dev/v1alpha1
kind: App
metadata:
  name: chat
spec:
  services:
    - name: web
      role: frontend
      image: example/web:1.0
      port: 8080
      links:
        - env: API_URL
          service: api
          resolvedBy: browser
    - name: api
      role: api
      image: example/api:1.0
      port: 8080
      hostPort: 8081
      healthPath: /healthz
      links:
        - env: CRAWLER_BASE_URL
          service: crawler
    - name: crawler
      role: internal
      image: example/crawler:1.0
      port: 8080
      hostPort: 8082
`

type badCase struct {
	name string
	// edit turns baseSpec into the bad spec: pairs of old, new.
	edit []string
	// args replace the default render arguments when set.
	args []string
	want string
}

func (c badCase) spec(t *testing.T) string {
	s := baseSpec
	for i := 0; i+1 < len(c.edit); i += 2 {
		if !strings.Contains(s, c.edit[i]) {
			t.Fatalf("edit %q does not apply to the base spec", c.edit[i])
		}
		s = strings.Replace(s, c.edit[i], c.edit[i+1], 1)
	}
	return s
}

var badCases = []badCase{
	// Decoding.
	{name: "not yaml", edit: []string{"kind: App", "kind: [App"}, want: "synctl: app.yaml: not valid YAML: line 1: did not find expected ',' or ']'\n"},
	{name: "empty file", edit: []string{baseSpec, ""}, want: "synctl: app.yaml: the file is empty; start from `synctl init > app.yaml`\n"},
	{name: "two documents", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n---\nkind: App\n"}, want: "synctl: app.yaml:29:1: a second YAML document: an app spec is one document; remove the '---' and what follows\n"},
	{name: "unknown top-level field", edit: []string{"kind: App", "kind: App\nspecs: {}"}, want: "synctl: app.yaml:3:1: specs: unknown field \"specs\"; did you mean \"spec\"?\n"},
	{name: "misspelt field", edit: []string{"      healthPath: /healthz", "      healthpath: /healthz"}, want: "synctl: app.yaml:20:7: spec.services[1].healthpath: unknown field \"healthpath\"; did you mean \"healthPath\"?\n"},
	{name: "misspelt nested field", edit: []string{"          resolvedBy: browser", "          resolveBy: browser"}, want: "synctl: app.yaml:14:11: spec.services[0].links[0].resolveBy: unknown field \"resolveBy\"; did you mean \"resolvedBy\"?\n"},
	{name: "port is a string", edit: []string{"      image: example/api:1.0\n      port: 8080", "      image: example/api:1.0\n      port: http"}, want: "synctl: app.yaml:18:13: spec.services[1].port: expected a whole number, got \"http\"\n"},
	{name: "services is a mapping", edit: []string{"  services:\n", "  services:\n    web: {}\n  x:\n"}, want: "synctl: app.yaml:7:5: spec.services: expected a list, got a mapping\napp.yaml:8:3: spec.x: unknown field \"x\"; allowed: entryURLName, secrets, services, targets\n"},
	{name: "env is a list", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n      env: [A=1]\n"}, want: "synctl: app.yaml:29:12: spec.services[2].env: expected a mapping, got a list\n"},
	{name: "bool as string", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n      storage: {mountPath: /data, persistent: yes please}\n"}, want: "synctl: app.yaml:29:47: spec.services[2].storage.persistent: expected true or false, got \"yes please\"\n"},
	{name: "wrong apiVersion", edit: []string{"synctl.dev/v1alpha1", "synctl.dev/v1"}, want: "synctl: app.yaml:1:13: apiVersion: \"synctl.dev/v1\" is not supported; use \"synctl.dev/v1alpha1\"\n"},
	{name: "wrong kind", edit: []string{"kind: App", "kind: Application"}, want: "synctl: app.yaml:2:7: kind: \"Application\" is not supported; use \"App\"\n"},
	// Outbound traffic.
	{name: "outbound without ports", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n      outbound: {cidrs: [203.0.113.0/24]}\n"}, want: "synctl: app.yaml:29:17: spec.services[2].outbound.ports: required: the TCP ports the service connects to outside the app, e.g. [443]\n"},
	{name: "outbound port out of range", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n      outbound: {ports: [443, 70000]}\n"}, want: "synctl: app.yaml:29:31: spec.services[2].outbound.ports[1]: 70000 is out of range 1-65535\n"},
	{name: "outbound cidr with host bits", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n      outbound: {ports: [443], cidrs: [203.0.113.7/24]}\n"}, want: "synctl: app.yaml:29:40: spec.services[2].outbound.cidrs[0]: \"203.0.113.7/24\" has host bits set; the range it names is 203.0.113.0/24\n"},
	{name: "outbound cidr not a range", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n      outbound: {ports: [443], cidrs: [example.com]}\n"}, want: "synctl: app.yaml:29:40: spec.services[2].outbound.cidrs[0]: \"example.com\" is not an address range in CIDR form (e.g. 203.0.113.0/24, 2001:db8::/32); leave cidrs out for the whole internet\n"},
	// Names.
	{name: "app name uppercase", edit: []string{"name: chat", "name: Chat"}, want: "synctl: app.yaml:4:9: metadata.name: \"Chat\" is not a valid name: use lowercase letters, digits and '-', starting with a lowercase letter or digit and ending with a letter or digit\n"},
	{name: "app name missing", edit: []string{"  name: chat\n", "  name: \"\"\n"}, want: "synctl: app.yaml:4:9: metadata.name: required; use lowercase letters, digits and '-'\n"},
	{name: "service name with underscore", edit: []string{"- name: crawler", "- name: crawl_er"}, want: "synctl: app.yaml:24:13: spec.services[2].name: \"crawl_er\" is not a valid name: use lowercase letters, digits and '-', starting with a lowercase letter and ending with a letter or digit\napp.yaml:23:20: spec.services[1].links[0].service: \"crawler\" is not a service of this app; choose one of web, api\n"},
	{name: "service name starts with digit", edit: []string{"- name: crawler", "- name: 9crawler"}, want: "synctl: app.yaml:24:13: spec.services[2].name: \"9crawler\" is not a valid name: use lowercase letters, digits and '-', starting with a lowercase letter and ending with a letter or digit\napp.yaml:23:20: spec.services[1].links[0].service: \"crawler\" is not a service of this app; choose one of web, api\n"},
	{name: "service name too long", edit: []string{"- name: crawler", "- name: crawler-with-a-name-far-too-long-x"}, want: "synctl: app.yaml:24:13: spec.services[2].name: \"crawler-with-a-name-far-too-long-x\" is 34 characters; at most 30 are allowed, since synctl derives longer names from it\napp.yaml:23:20: spec.services[1].links[0].service: \"crawler\" is not a service of this app; choose one of web, api\n"},
	{name: "duplicate service name", edit: []string{"- name: crawler", "- name: api"}, want: "synctl: app.yaml:24:13: spec.services[2].name: \"api\" is already the name of spec.services[1]; service names must be unique\napp.yaml:23:20: spec.services[1].links[0].service: \"crawler\" is not a service of this app; choose one of web, api\n"},
	{name: "no services", edit: []string{baseSpec[strings.Index(baseSpec, "  services:"):], "  services: []\n"}, want: "synctl: app.yaml:6:13: spec.services: at least one service is required; see `synctl init` for an example\n"},
	// Roles.
	{name: "unknown role", edit: []string{"role: internal", "role: backend"}, want: "synctl: app.yaml:25:13: spec.services[2].role: \"backend\" is not a role: use frontend, api or internal\n"},
	{name: "two frontends with one URL name", edit: []string{"role: internal", "role: frontend\n      urlName: APP_URL"}, want: "synctl: app.yaml:26:16: spec.services[2].urlName: APP_URL already names the URL of frontend \"web\"; give each frontend its own (urlName)\n"},
	// Real apps: protocols, workers, jobs, secrets, link forms.
	{name: "secret with no consumer", edit: []string{"spec:\n  services:", "spec:\n  secrets:\n    - name: db-password\n  services:"}, want: "synctl: app.yaml:7:13: spec.secrets[0].name: secret \"db-password\" has no consumer: hand it to a service (services[].secrets) or a link (links[].password), or remove it\n"},
	{name: "link to a port the service lacks", edit: []string{"          service: crawler\n", "          service: crawler\n          port: metrics\n"}, want: "synctl: app.yaml:24:17: spec.services[1].links[0].port: \"metrics\" is not a port of crawler (ports: http 8080)\n"},
	{name: "worker given a route", edit: []string{"      image: example/api:1.0\n      port: 8080\n      hostPort: 8081\n      healthPath: /healthz\n", "      image: example/api:1.0\n"}, want: "synctl: app.yaml:16:13: spec.services[1].role: a worker (a service with no port) has no route for the browser; make it role internal, or give it a port\napp.yaml:13:20: spec.services[0].links[0].service: \"api\" has no port: a worker or a job cannot be linked to\n"},
	{name: "TCP service with an HTTP health path", edit: []string{"      port: 8080\n      hostPort: 8082\n", "      port: 6379\n      protocol: tcp\n      hostPort: 8082\n      healthPath: /healthz\n", "          service: crawler\n", "          service: crawler\n          scheme: redis\n"}, want: "synctl: app.yaml:31:19: spec.services[2].healthPath: an HTTP health path needs an HTTP port, and the service has ports: tcp 6379; use health.readiness.tcp or health.readiness.command\n"},
	{name: "url to a TCP port without a scheme", edit: []string{"      port: 8080\n      hostPort: 8082\n", "      port: 6379\n      protocol: tcp\n      hostPort: 8082\n"}, want: "synctl: app.yaml:22:11: spec.services[1].links[0].scheme: required for a url to crawler's tcp port \"tcp\": the scheme the client expects (e.g. redis, postgres, amqp)\n"},
	{name: "job with replicas", edit: []string{"      image: example/crawler:1.0\n      port: 8080\n      hostPort: 8082\n", "      image: example/crawler:1.0\n      job: true\n      replicas: 3\n", "          service: crawler\n", "          service: web\n"}, want: "synctl: app.yaml:28:17: spec.services[2].replicas: a job runs once to completion, in one pod; remove replicas\n"},
	{name: "password the service does not receive", edit: []string{"spec:\n  services:", "spec:\n  secrets: [{name: pw}]\n  services:", "          service: crawler\n", "          service: crawler\n          user: app\n          password: pw\n"}, want: "synctl: app.yaml:26:21: spec.services[1].links[0].password: the url refers to the secret by the env var through which api receives it; add secrets: [{name: pw, env: VAR}] to the service\n"},
	{name: "missing role", edit: []string{"      role: internal\n", ""}, want: "synctl: app.yaml:24:7: spec.services[2].role: required: frontend (the page), api (called by the browser) or internal (called by other services)\n"},
	// Images.
	{name: "image without tag", edit: []string{"example/crawler:1.0", "example/crawler"}, want: "synctl: app.yaml:26:14: spec.services[2].image: \"example/crawler\" has no tag or digest; pin one, e.g. example/crawler:1.0 (or :latest to float)\n"},
	{name: "image with uppercase", edit: []string{"example/crawler:1.0", "Example/Crawler:1.0"}, want: "synctl: app.yaml:26:14: spec.services[2].image: \"Example/Crawler:1.0\" is not a valid image reference (registry/name:tag or name@sha256:digest, lowercase name)\n"},
	{name: "image with space", edit: []string{"example/crawler:1.0", "\"example/crawler:1.0 --privileged\""}, want: "synctl: app.yaml:26:14: spec.services[2].image: \"example/crawler:1.0 --privileged\" is not a valid image reference (registry/name:tag or name@sha256:digest, lowercase name)\n"},
	{name: "image missing", edit: []string{"      image: example/crawler:1.0\n", ""}, want: "synctl: app.yaml:24:7: spec.services[2].image: required: an image reference such as registry.example/team/web:1.2\n"},
	// Ports.
	{name: "port out of range", edit: []string{"      image: example/api:1.0\n      port: 8080", "      image: example/api:1.0\n      port: 70000"}, want: "synctl: app.yaml:18:13: spec.services[1].port: 70000 is out of range 1-65535\n"},
	{name: "host port clash", edit: []string{"hostPort: 8082", "hostPort: 8081"}, want: "synctl: app.yaml:28:17: spec.services[2].hostPort: 8081 is already published by service \"api\"; pick a free host port\n"},
	{name: "negative host port", edit: []string{"hostPort: 8082", "hostPort: -1"}, want: "synctl: app.yaml:28:17: spec.services[2].hostPort: -1 is out of range 1-65535\n"},
	{name: "service named as the nginx proxy", edit: []string{"- name: crawler", "- name: nginx", "service: crawler", "service: nginx"}, want: "synctl: app.yaml:24:13: spec.services[2].name: \"nginx\" is the name of the nginx target's proxy, which would replace this service on that target (its image dropped, links to it reaching the nginx target's proxy instead); rename the service\n"},
	{name: "nginx ports clash", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n  targets:\n    nginx: {httpPort: 8443, httpsPort: 8443}\n"}, want: "synctl: app.yaml:30:40: spec.targets.nginx.httpsPort: 8443 is also httpPort; HTTP and HTTPS need different host ports\n"},
	// Env and links.
	{name: "env name with dash", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n      env: {CRAWLER-KEYWORDS: a}\n"}, want: "synctl: app.yaml:29:31: spec.services[2].env.CRAWLER-KEYWORDS: \"CRAWLER-KEYWORDS\" is not a valid environment variable name: use letters, digits and '_', not starting with a digit\n"},
	{name: "env value with newline", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n      env: {KEYWORDS: \"a\\nb\"}\n"}, want: "synctl: app.yaml:29:23: spec.services[2].env.KEYWORDS: the value contains control characters (such as a newline); environment values must be one line\n"},
	{name: "env set twice", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n      portEnv: PORT\n      env: {PORT: \"1\"}\n"}, want: "synctl: app.yaml:30:19: spec.services[2].env.PORT: PORT is already set by portEnv; each variable may be set once\n"},
	{name: "link to unknown service", edit: []string{"          service: crawler", "          service: crawlr"}, want: "synctl: app.yaml:23:20: spec.services[1].links[0].service: \"crawlr\" is not a service of this app; choose one of web, api, crawler\n"},
	{name: "link to itself", edit: []string{"          service: crawler", "          service: api"}, want: "synctl: app.yaml:23:20: spec.services[1].links[0].service: a service cannot link to itself\n"},
	{name: "browser link to internal service", edit: []string{"          service: api\n          resolvedBy: browser", "          service: crawler\n          resolvedBy: browser"}, want: "synctl: app.yaml:13:20: spec.services[0].links[0].service: \"crawler\" has role internal, so the browser cannot reach it; make it role api or resolve the link inside the deployment (resolvedBy: service)\n"},
	{name: "bad resolvedBy", edit: []string{"resolvedBy: browser", "resolvedBy: client"}, want: "synctl: app.yaml:14:23: spec.services[0].links[0].resolvedBy: \"client\" is not allowed: use service (the service's own process uses the URL) or browser (the service hands it to the browser)\n"},
	// Paths, storage, resources.
	{name: "health path without slash", edit: []string{"healthPath: /healthz", "healthPath: healthz"}, want: "synctl: app.yaml:20:19: spec.services[1].healthPath: \"healthz\" is not allowed: a URL path starts with '/' and uses only letters, digits, '.', '_', '~', '-' and single '/'\n"},
	{name: "health path injects nginx", edit: []string{"healthPath: /healthz", "healthPath: \"/x; return 200\""}, want: "synctl: app.yaml:20:19: spec.services[1].healthPath: \"/x; return 200\" is not allowed: a URL path starts with '/' and uses only letters, digits, '.', '_', '~', '-' and single '/'\n"},
	{name: "storage relative mount", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n      storage: {mountPath: data}\n"}, want: "synctl: app.yaml:29:28: spec.services[2].storage.mountPath: \"data\" must be a clean absolute directory other than / (letters, digits, '.', '_', '-', '/')\n"},
	{name: "storage bad size", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n      storage: {mountPath: /data, persistent: true, size: 1GB}\n"}, want: "synctl: app.yaml:29:59: spec.services[2].storage.size: \"1GB\" is not a Kubernetes quantity (e.g. 250m for CPU, 512Mi or 1Gi for memory and storage)\n"},
	{name: "request above limit", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n      resources: {requests: {cpu: \"2\"}, limits: {cpu: 500m}}\n"}, want: "synctl: app.yaml:29:35: spec.services[2].resources.requests.cpu: 2 is more than the limit 500m; a request must not exceed its limit\n"},
	{name: "autoscaling without cpu request", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n      autoscaling: {maxReplicas: 3}\n"}, want: "synctl: app.yaml:29:20: spec.services[2].autoscaling: needs resources.requests.cpu: the autoscaler measures CPU use as a percentage of the request\n"},
	{name: "autoscaling max below min", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n      resources: {requests: {cpu: 100m}}\n      autoscaling: {minReplicas: 3, maxReplicas: 2}\n"}, want: "synctl: app.yaml:30:50: spec.services[2].autoscaling.maxReplicas: 2 is out of range 3-1000 (at least minReplicas)\n"},
	// Targets.
	{name: "nginx path injects a location", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n  targets:\n    nginx:\n      paths: {api: \"/api/ { return 200; } location /x/\"}\n"}, want: "synctl: app.yaml:31:20: spec.targets.nginx.paths.api: \"/api/ { return 200; } location /x/\" is not allowed: a URL path starts with '/' and uses only letters, digits, '.', '_', '~', '-' and single '/'\n"},
	{name: "nginx path without trailing slash", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n  targets:\n    nginx:\n      paths: {api: /api}\n"}, want: "synctl: app.yaml:31:20: spec.targets.nginx.paths.api: \"/api\" must end with '/': nginx replaces the whole prefix with '/', so \"/api/healthz\" would reach api as \"//healthz\"\n"},
	{name: "nginx path for internal service", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n  targets:\n    nginx:\n      paths: {crawler: /crawler/}\n"}, want: "synctl: app.yaml:31:24: spec.targets.nginx.paths.crawler: service \"crawler\" has role internal; only role api services are routed by path\n"},
	{name: "nginx server name injects a directive", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n  targets:\n    nginx: {serverName: \"localhost; include /etc/passwd\"}\n"}, want: "synctl: app.yaml:30:25: spec.targets.nginx.serverName: \"localhost; include /etc/passwd\" is not a valid DNS name: lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit\n"},
	{name: "gke path shadows the frontend", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n  targets:\n    gke:\n      paths: {api: /}\n"}, want: "synctl: app.yaml:31:20: spec.targets.gke.paths.api: \"/\" would shadow the frontend, which is served at /; use a prefix such as /api/\n"},
	{name: "minikube hosts clash", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n  targets:\n    minikube:\n      hosts: {web: chat.internal, api: chat.internal}\n"}, want: "synctl: app.yaml:31:20: spec.targets.minikube.hosts.web: \"chat.internal\" is also used by api; each service needs its own\n"},
	{name: "minikube host with underscore", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n  targets:\n    minikube:\n      hosts: {api: chat_api.internal}\n"}, want: "synctl: app.yaml:31:20: spec.targets.minikube.hosts.api: \"chat_api.internal\" is not a valid DNS name: lowercase letters, digits, '-' and '.', each part starting and ending with a letter or digit\n"},
	{name: "gke namespace uppercase", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n  targets:\n    gke: {namespace: Chat}\n"}, want: "synctl: app.yaml:30:22: spec.targets.gke.namespace: \"Chat\" is not a valid name: use lowercase letters, digits and '-', starting with a lowercase letter or digit and ending with a letter or digit\n"},
	{name: "unknown target in spec", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n  targets:\n    gcp: {}\n"}, want: "synctl: app.yaml:30:5: spec.targets.gcp: unknown target \"gcp\"; did you mean \"gke\"?\n"},
	{name: "several problems at once", edit: []string{"role: internal", "role: backend", "example/crawler:1.0", "example/crawler", "hostPort: 8082", "hostPort: 8081"}, want: "synctl: app.yaml:25:13: spec.services[2].role: \"backend\" is not a role: use frontend, api or internal\napp.yaml:26:14: spec.services[2].image: \"example/crawler\" has no tag or digest; pin one, e.g. example/crawler:1.0 (or :latest to float)\napp.yaml:28:17: spec.services[2].hostPort: 8081 is already published by service \"api\"; pick a free host port\n"},
	// Command line.
	{name: "unknown target", args: []string{"render", "-f", "app.yaml", "--target", "gcp", "--out", "out"}, want: "synctl: unknown target \"gcp\": choose one of docker, docker-network, nginx, minikube, gke, ingress, or all\n"},
	{name: "missing target", args: []string{"render", "-f", "app.yaml", "--out", "out"}, want: "synctl: --target is required: choose one of docker, docker-network, nginx, minikube, gke, ingress, or all\n"},
	{name: "image override for unknown service", args: []string{"render", "-f", "app.yaml", "--target", "all", "--out", "out", "--image", "db=postgres:16"}, want: "synctl: command line: --image: service \"db\" is not in the app; choose one of web, api, crawler\n"},
	{name: "image override malformed", args: []string{"render", "-f", "app.yaml", "--target", "all", "--out", "out", "--image", "api"}, want: "synctl: --image \"api\": expected SERVICE=VALUE, e.g. --image api=registry.example/api:1.2\n"},
	{name: "image override invalid", args: []string{"render", "-f", "app.yaml", "--target", "all", "--out", "out", "--image", "api=API:latest"}, want: "synctl: command line: --image api=API:latest: \"API:latest\" is not a valid image reference (registry/name:tag or name@sha256:digest, lowercase name)\n"},
	{name: "bad namespace flag", args: []string{"render", "-f", "app.yaml", "--target", "all", "--out", "out", "--namespace", "My_NS"}, want: "synctl: command line: --namespace My_NS: \"My_NS\" is not a valid name: use lowercase letters, digits and '-', starting with a lowercase letter or digit and ending with a letter or digit\n"},
	{name: "spec file missing", args: []string{"render", "-f", "missing.yaml", "--target", "all", "--out", "out"}, want: "synctl: app spec missing.yaml does not exist; start one with: synctl init > missing.yaml\n"},
	{name: "out is a file", args: []string{"render", "-f", "app.yaml", "--target", "docker", "--out", "out/docker/README.md"}, want: "synctl: --out out/docker/README.md is a file, not a directory; choose a directory path\n"},
	{name: "flag the target does not take", args: []string{"render", "-f", "app.yaml", "--target", "gke", "--out", "out", "--host", "web=chat.test"}, want: "synctl: --host applies only to minikube, ingress, not to gke; drop the flag or choose one of those targets\n"},
	{name: "address on docker", args: []string{"render", "-f", "app.yaml", "--target", "docker", "--out", "out", "--address", "203.0.113.7"}, want: "synctl: --address applies only to gke, not to docker; drop the flag or choose one of those targets\n"},
	{name: "target given twice", args: []string{"render", "-f", "app.yaml", "--target", "gke", "--target", "docker", "--out", "out"}, want: "synctl: --target is given twice (gke, then docker); name several targets in one flag, e.g. --target gke,docker\n"},
	{name: "target listed twice", args: []string{"render", "-f", "app.yaml", "--target", "gke,gke", "--out", "out"}, want: "synctl: --target gke,gke names gke twice\n"},
	{name: "check with force", args: []string{"render", "-f", "app.yaml", "--target", "all", "--out", "out", "--check", "--force"}, want: "synctl: --check writes nothing, so --force has nothing to force: drop one of them\n"},
	{name: "json without check", args: []string{"render", "-f", "app.yaml", "--target", "all", "--out", "out", "--format", "json"}, want: "synctl: --format json prints the --check report as JSON: add --check, or choose a layout: files, kustomize, helm\n"},
	{name: "link to an unknown service lists only valid names", edit: []string{"          service: crawler\n", "          service: crawler\n    - name: extra\n      role: internal\n      image: example/extra:1.0\n      port: 8080\n      hostPort: 8090\n      links: [{env: X, service: nope}]\n"}, want: "synctl: app.yaml:29:33: spec.services[2].links[0].service: \"nope\" is not a service of this app; choose one of web, api, extra, crawler\n"},
	{name: "persistent volume on replicas", edit: []string{"      hostPort: 8082\n", "      hostPort: 8082\n      replicas: 2\n      storage: {mountPath: /data, persistent: true}\n"}, want: "synctl: app.yaml:30:47: spec.services[2].storage.persistent: a persistent volume is one ReadWriteOnce claim that only one pod can mount, but the service has 2 replicas; use replicas: 1, or make the storage non-persistent (persistent: false)\n"},
	{name: "check via a link the service does not resolve", edit: []string{"      healthPath: /healthz\n", "      healthPath: /healthz\n      checks: [{name: x, path: /x, via: API_URL}]\n"}, want: "synctl: app.yaml:21:41: spec.services[1].checks[0].via: \"API_URL\" is not the env of a link this service resolves itself; name one of its links (links[].env with resolvedBy: service)\n"},
	{name: "unknown flag", args: []string{"render", "-f", "app.yaml", "--target", "all", "--outdir", "out"}, want: "synctl: unknown flag: --outdir\nRun 'synctl render --help' for usage\n"},
}

// TestBadInput: every mistake gets exit code 2, one exact message, and an
// output directory left exactly as it was.
func TestBadInput(t *testing.T) {
	for _, c := range badCases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			t.Chdir(dir)
			if err := os.WriteFile("app.yaml", []byte(c.spec(t)), 0o644); err != nil {
				t.Fatal(err)
			}
			// A previous render the failed one must not touch.
			if code := run([]string{"render", "--target", "all", "--out", "out"}, streams{Out: &bytes.Buffer{}, Err: &bytes.Buffer{}}); code != 0 {
				t.Fatal("setup render failed")
			}
			os.WriteFile(filepath.Join("out", "notes.txt"), []byte("mine\n"), 0o644)
			before := snapshot(t, "out")

			args := c.args
			if args == nil {
				args = []string{"render", "-f", "app.yaml", "--target", "all", "--out", "out"}
			}
			var stdout, stderr bytes.Buffer
			code := run(args, streams{Out: &stdout, Err: &stderr})
			if code != 2 {
				t.Errorf("exit code %d, want 2; stderr:\n%s", code, stderr.String())
			}
			if got := stderr.String(); got != c.want {
				t.Errorf("stderr:\n%s\nwant:\n%s", got, c.want)
			}
			if stdout.Len() != 0 {
				t.Errorf("stdout should be empty, got %q", stdout.String())
			}
			if after := snapshot(t, "out"); !mapsEqual(before, after) {
				t.Error("the output directory changed")
			}
			if entries, _ := os.ReadDir("."); len(entries) != 2 {
				t.Errorf("stray files left beside the output directory: %v", entries)
			}
		})
	}
}

// snapshot maps every path under dir to its mode and content.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	filepath.Walk(dir, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		data := ""
		if !fi.IsDir() {
			b, _ := os.ReadFile(p)
			data = string(b)
		}
		out[p] = fi.Mode().String() + "\n" + data
		return nil
	})
	return out
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
