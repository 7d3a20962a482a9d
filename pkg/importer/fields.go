package importer

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"github.com/compose-spec/compose-go/v2/types"
)

// rule is what the importer does with a compose service field that the
// conversion does not read: drop it or refuse it, and why. A field the
// conversion reads (mapped) has the zero rule; it reports its own changes.
type rule struct {
	kind Kind
	why  string
	// hostRefused refuses the value "host" (sharing a host namespace) and
	// drops any other.
	hostRefused bool
}

var mapped = rule{}

const tuning = "a runtime tuning the spec has no field for; resources carries cpu and memory"

// serviceFields covers every field of compose-go's ServiceConfig by its
// YAML name (Go name for fields with none). TestEveryServiceField keeps it
// complete.
var serviceFields = map[string]rule{
	// Read by the conversion.
	"name": mapped, "image": mapped, "build": mapped, "ports": mapped, "expose": mapped,
	"environment": mapped, "env_file": mapped, "command": mapped, "entrypoint": mapped,
	"working_dir": mapped, "healthcheck": mapped, "depends_on": mapped, "user": mapped,
	"tmpfs": mapped, "volumes": mapped, "volumes_from": mapped, "deploy": mapped, "scale": mapped,
	"restart": mapped, "secrets": mapped, "network_mode": mapped, "net": mapped, "networks": mapped,
	"container_name": mapped, "hostname": mapped, "links": mapped, "profiles": mapped,
	"mem_limit": mapped, "mem_reservation": mapped, "cpus": mapped,
	// compose-go resolves extends while loading; what it brought is mapped
	// with the service's own fields.
	"extends": {kind: Translated, why: "resolved while loading: the service has the fields it extends"},
	// read_only: true is synctl's own default on Kubernetes; compose's
	// writable default leaves the spec's default in place.
	"read_only": {kind: Translated, why: "read_only: synctl's Kubernetes targets run every container on a read-only root filesystem already; the docker targets do not"},

	"annotations":  {kind: Dropped, why: "annotations are metadata for tools that read containers; synctl's bundles set their own"},
	"labels":       {kind: Dropped, why: "labels are metadata for tools that read containers; synctl's bundles set their own"},
	"label_file":   {kind: Dropped, why: "labels are metadata for tools that read containers; synctl's bundles set their own"},
	"CustomLabels": {kind: Dropped, why: "labels are metadata for tools that read containers; synctl's bundles set their own"},
	"#extensions":  {kind: Dropped, why: "extension fields (x-...): synctl reads none"},

	"blkio_config": {kind: Dropped, why: tuning}, "cpu_count": {kind: Dropped, why: tuning},
	"cpu_percent": {kind: Dropped, why: tuning}, "cpu_period": {kind: Dropped, why: tuning},
	"cpu_quota": {kind: Dropped, why: tuning}, "cpu_rt_period": {kind: Dropped, why: tuning},
	"cpu_rt_runtime": {kind: Dropped, why: tuning}, "cpuset": {kind: Dropped, why: tuning},
	"cpu_shares": {kind: Dropped, why: tuning}, "memswap_limit": {kind: Dropped, why: tuning},
	"mem_swappiness": {kind: Dropped, why: tuning}, "oom_kill_disable": {kind: Dropped, why: tuning},
	"oom_score_adj": {kind: Dropped, why: tuning}, "pids_limit": {kind: Dropped, why: tuning},
	"shm_size": {kind: Dropped, why: tuning}, "ulimits": {kind: Dropped, why: tuning},
	"storage_opt": {kind: Dropped, why: tuning}, "umask": {kind: Dropped, why: tuning},
	"cgroup_parent": {kind: Dropped, why: tuning},

	"cap_add":             {kind: Refused, why: "added Linux capabilities: the restricted Pod Security level synctl's Kubernetes targets meet forbids them"},
	"cap_drop":            {kind: Translated, why: "synctl's Kubernetes targets drop every capability; the docker targets keep Docker's defaults"},
	"privileged":          {kind: Refused, why: "a privileged container: the restricted Pod Security level forbids it"},
	"devices":             {kind: Refused, why: "host devices: no synctl target maps one into a container"},
	"device_cgroup_rules": {kind: Refused, why: "host devices: no synctl target maps one into a container"},
	"gpus":                {kind: Refused, why: "GPUs: no synctl target schedules one"},
	"security_opt":        {kind: Dropped, why: "security options: synctl's targets set their own (seccomp RuntimeDefault, no privilege escalation on Kubernetes)"},
	"sysctls":             {kind: Refused, why: "kernel parameters: the restricted Pod Security level allows none but a safe few, and the spec has no field for them"},
	"use_api_socket":      {kind: Refused, why: "the Docker engine's API socket: the service drives Docker itself, which no Kubernetes target gives it"},
	"models":              {kind: Refused, why: "an AI model the compose provider runs; no synctl target runs one"},
	"provider":            {kind: Refused, why: "a service run by a compose provider plugin, not a container; no synctl target runs one"},
	"runtime":             {kind: Dropped, why: "a container runtime: synctl targets use the default"},
	"isolation":           {kind: Dropped, why: "Windows isolation: synctl targets run Linux containers"},
	"credential_spec":     {kind: Dropped, why: "a Windows credential spec: synctl targets run Linux containers"},
	"platform":            {kind: Dropped, why: "the image's platform: each target pulls for its own nodes"},

	"pid":         {kind: Dropped, why: "a process namespace setting: synctl gives each container its own", hostRefused: true},
	"ipc":         {kind: Dropped, why: "an IPC namespace setting: synctl gives each container its own", hostRefused: true},
	"uts":         {kind: Dropped, why: "a UTS namespace setting: synctl gives each container its own", hostRefused: true},
	"userns_mode": {kind: Dropped, why: "a user namespace setting: synctl targets use the default", hostRefused: true},
	"cgroup":      {kind: Dropped, why: "a cgroup namespace setting: synctl targets use the default", hostRefused: true},

	"configs":            {kind: Dropped, why: "config files: the spec has none; bake the file into the image"},
	"dns":                {kind: Dropped, why: "name resolution is the target's: services resolve each other by name"},
	"dns_opt":            {kind: Dropped, why: "name resolution is the target's: services resolve each other by name"},
	"dns_search":         {kind: Dropped, why: "name resolution is the target's: services resolve each other by name"},
	"domainname":         {kind: Dropped, why: "name resolution is the target's: services resolve each other by name"},
	"extra_hosts":        {kind: Dropped, why: "extra host names: synctl adds the ones its own wiring needs (the docker host gateway)"},
	"mac_address":        {kind: Dropped, why: "a fixed MAC address: synctl targets assign addresses"},
	"external_links":     {kind: Dropped, why: "links to containers outside the project: the app's services reach only each other"},
	"group_add":          {kind: Dropped, why: "supplementary groups: the spec sets the user and group only (security.runAsUser, runAsGroup)"},
	"init":               {kind: Dropped, why: "an init process: the spec has no such setting; use an image that reaps its children"},
	"logging":            {kind: Dropped, why: "logging: each target's default driver keeps the logs"},
	"log_driver":         {kind: Dropped, why: "logging: each target's default driver keeps the logs"},
	"log_opt":            {kind: Dropped, why: "logging: each target's default driver keeps the logs"},
	"pull_policy":        {kind: Dropped, why: "the pull policy: each target pulls as it does by default"},
	"pull_refresh_after": {kind: Dropped, why: "the pull policy: each target pulls as it does by default"},
	"stop_grace_period":  {kind: Dropped, why: "the stop timeout: each target's default applies"},
	"stop_signal":        {kind: Dropped, why: "the stop signal: the image's own applies"},
	"volume_driver":      {kind: Dropped, why: "a volume driver: synctl's volumes use the default"},
	"develop":            {kind: Dropped, why: "compose watch is for development; synctl deploys images"},
	"attach":             {kind: Dropped, why: "attaching to logs is compose's own"},
	"pre_start":          {kind: Dropped, why: "lifecycle hooks: the spec has none"},
	"post_start":         {kind: Dropped, why: "lifecycle hooks: the spec has none"},
	"pre_stop":           {kind: Dropped, why: "lifecycle hooks: the spec has none"},
	"dockerfile":         {kind: Dropped, why: "synctl deploys images; build and push it first"},
	"stdin_open":         {kind: Dropped, why: "an interactive terminal: synctl runs services detached"},
	"tty":                {kind: Dropped, why: "an interactive terminal: synctl runs services detached"},
}

// projectFields covers every field of compose-go's Project by Go name:
// how the importer handles it. TestEveryProjectField keeps it complete,
// and a converter test sets each and looks for it in the result or the
// report.
var projectFields = map[string]string{
	"Name":             "metadata.name",
	"Services":         "spec.services",
	"Secrets":          "spec.secrets, with the services that use them; an unused one is reported",
	"Networks":         "reported: every target puts the services on one network",
	"Volumes":          "storage of the services that mount them; drivers and external volumes are reported",
	"Configs":          "reported: the spec has no config files",
	"Models":           "refused",
	"Jobs":             "reported",
	"Extensions":       "reported",
	"DisabledServices": "reported: services of inactive profiles are not imported",
	"DisabledJobs":     "reported",
	// Where and how the project was loaded, not what the app is.
	"WorkingDir":   "context: resolves relative paths in the report",
	"ComposeFiles": "context: the files the report names",
	"Environment":  "context: interpolation, already applied by compose-go",
	"Profiles":     "context: the active profiles, already applied by compose-go",
}

// serviceField is one field of a ServiceConfig, by its YAML name.
type serviceField struct {
	name  string
	value reflect.Value
}

// fieldsOf lists the fields of a ServiceConfig, inline structs flattened.
func fieldsOf(v reflect.Value) []serviceField {
	var out []serviceField
	t := v.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if strings.Contains(opts, "inline") && f.Type.Kind() == reflect.Struct {
			out = append(out, fieldsOf(v.Field(i))...)
			continue
		}
		if name == "" || name == "-" {
			name = f.Name
		}
		out = append(out, serviceField{name, v.Field(i)})
	}
	return out
}

// unmapped reports every set field of s the conversion does not read.
func (c *converter) unmapped(s *service) {
	for _, f := range fieldsOf(reflect.ValueOf(s.cfg)) {
		if f.value.IsZero() || (f.value.Kind() == reflect.Map || f.value.Kind() == reflect.Slice) && f.value.Len() == 0 {
			continue
		}
		r, ok := serviceFields[f.name]
		if !ok {
			r = rule{kind: Dropped, why: "a compose field this version of synctl does not know"}
		}
		if r.kind == "" {
			continue
		}
		k, why := r.kind, r.why
		if r.hostRefused && f.value.Kind() == reflect.String && (f.value.String() == "host" || strings.HasPrefix(f.value.String(), "service:") || strings.HasPrefix(f.value.String(), "container:")) {
			k, why = Refused, fmt.Sprintf("%s shares the %s's namespace, which no Kubernetes target gives a pod under the restricted Pod Security level", f.name, strings.SplitN(f.value.String(), ":", 2)[0])
		}
		field := f.name
		if f.name == "#extensions" {
			for _, x := range sortedKeys(s.cfg.Extensions) {
				c.line(s, k, why, x)
			}
			continue
		}
		if f.name == "CustomLabels" {
			field = "labels"
		}
		c.line(s, k, why, field)
	}
}

func sortedKeys(e types.Extensions) []string {
	var out []string
	for k := range e {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
