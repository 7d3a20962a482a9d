package importer

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/types"
)

// TestEveryServiceField: every field compose-go's ServiceConfig can hold
// is either read by the conversion or has a rule that reports it.
func TestEveryServiceField(t *testing.T) {
	for _, f := range fieldsOf(reflect.ValueOf(types.ServiceConfig{})) {
		if _, ok := serviceFields[f.name]; !ok {
			t.Errorf("compose field %s has no rule in serviceFields: map it, or say why it is dropped or refused", f.name)
		}
	}
}

// TestEveryProjectField: every field of compose-go's Project is handled.
func TestEveryProjectField(t *testing.T) {
	pt := reflect.TypeOf(types.Project{})
	for i := range pt.NumField() {
		if _, ok := projectFields[pt.Field(i).Name]; !ok {
			t.Errorf("Project.%s is not in projectFields: say how the importer handles it", pt.Field(i).Name)
		}
	}
}

// mappedExamples are values for the fields the conversion reads: a
// generic filler would give values the spec rejects (a relative working
// directory), which the conversion reports rather than maps.
var mappedExamples = map[string]func(s *types.ServiceConfig){
	"image":       func(s *types.ServiceConfig) { s.Image = "redis:7" },
	"build":       func(s *types.ServiceConfig) { s.Build = &types.BuildConfig{Context: "."} },
	"ports":       func(s *types.ServiceConfig) { s.Ports = append(s.Ports, types.ServicePortConfig{Target: 9000}) },
	"expose":      func(s *types.ServiceConfig) { s.Expose = types.StringOrNumberList{"9000"} },
	"environment": func(s *types.ServiceConfig) { v := "b"; s.Environment = types.MappingWithEquals{"A": &v} },
	"env_file":    func(s *types.ServiceConfig) { s.EnvFiles = []types.EnvFile{{Path: "/p/.env"}} },
	"command":     func(s *types.ServiceConfig) { s.Command = types.ShellCommand{"serve"} },
	"entrypoint":  func(s *types.ServiceConfig) { s.Entrypoint = types.ShellCommand{"/bin/app"} },
	"working_dir": func(s *types.ServiceConfig) { s.WorkingDir = "/w" },
	"healthcheck": func(s *types.ServiceConfig) {
		s.HealthCheck = &types.HealthCheckConfig{Test: types.HealthCheckTest{"CMD", "true"}}
	},
	"depends_on": func(s *types.ServiceConfig) {
		s.DependsOn = types.DependsOnConfig{"other": {Condition: "service_started", Required: true}}
	},
	"user":  func(s *types.ServiceConfig) { s.User = "1000:1000" },
	"tmpfs": func(s *types.ServiceConfig) { s.Tmpfs = types.StringList{"/tmp"} },
	"volumes": func(s *types.ServiceConfig) {
		s.Volumes = []types.ServiceVolumeConfig{{Type: "volume", Source: "v", Target: "/data"}}
	},
	"volumes_from": func(s *types.ServiceConfig) { s.VolumesFrom = []string{"other"} },
	"deploy":       func(s *types.ServiceConfig) { n := 2; s.Deploy = &types.DeployConfig{Replicas: &n} },
	"scale":        func(s *types.ServiceConfig) { n := 3; s.Scale = &n },
	"restart":      func(s *types.ServiceConfig) { s.Restart = "always" },
	"secrets":      func(s *types.ServiceConfig) { s.Secrets = []types.ServiceSecretConfig{{Source: "s"}} },
	"network_mode": func(s *types.ServiceConfig) { s.NetworkMode = "host" },
	"net":          func(s *types.ServiceConfig) { s.Net = "host" },
	"networks": func(s *types.ServiceConfig) {
		s.Networks = map[string]*types.ServiceNetworkConfig{"n": {Aliases: []string{"a"}}}
	},
	"container_name":  func(s *types.ServiceConfig) { s.ContainerName = "c" },
	"hostname":        func(s *types.ServiceConfig) { s.Hostname = "h" },
	"links":           func(s *types.ServiceConfig) { s.Links = []string{"other:o"} },
	"profiles":        func(s *types.ServiceConfig) { s.Profiles = []string{"p"} },
	"mem_limit":       func(s *types.ServiceConfig) { s.MemLimit = 1 << 20 },
	"mem_reservation": func(s *types.ServiceConfig) { s.MemReservation = 1 << 20 },
	"cpus":            func(s *types.ServiceConfig) { s.CPUS = 0.5 },
	"extends":         func(s *types.ServiceConfig) { s.Extends = &types.ExtendsConfig{Service: "base"} },
}

// TestSetFieldsAreReported sets each field of a service in turn and checks
// that the spec changes or the report names the field: nothing is dropped
// silently.
func TestSetFieldsAreReported(t *testing.T) {
	project := func(edit func(*types.ServiceConfig)) *types.Project {
		app := types.ServiceConfig{Name: "app"}
		app.Image = "example/app:1"
		app.Ports = []types.ServicePortConfig{{Target: 80, Published: "8080", Protocol: "tcp"}}
		if edit != nil {
			edit(&app)
		}
		other := types.ServiceConfig{Name: "other"}
		other.Image = "example/other:1"
		return &types.Project{Name: "p", WorkingDir: "/p", Services: types.Services{"app": app, "other": other},
			Secrets: types.Secrets{"s": {File: "/p/s.txt"}}}
	}
	convert := func(p *types.Project) (*Result, error) {
		return Convert(p, readPositions(nil, func(s string) string { return s }), true)
	}
	base, err := convert(project(nil))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fieldsOf(reflect.ValueOf(types.ServiceConfig{})) {
		if f.name == "name" {
			continue
		}
		t.Run(f.name, func(t *testing.T) {
			edit, ok := mappedExamples[f.name]
			if !ok {
				if serviceFields[f.name].kind == "" {
					t.Fatalf("mapped field %s has no example in mappedExamples", f.name)
				}
				edit = func(s *types.ServiceConfig) {
					for _, g := range fieldsOf(reflect.ValueOf(s).Elem()) {
						if g.name == f.name {
							fill(g.value, 0)
						}
					}
				}
			}
			res, err := convert(project(edit))
			if err != nil {
				t.Fatalf("the import fails: %v", err)
			}
			want := f.name
			switch f.name {
			case "CustomLabels":
				want = "labels"
			case "#extensions":
				want = "x-"
			}
			named := slices.ContainsFunc(res.Report.Lines, func(l Line) bool { return l.Service == "app" && strings.HasPrefix(l.Field, want) })
			if !named && string(res.Spec) == string(base.Spec) {
				t.Errorf("setting %s changes neither the spec nor the report", f.name)
			}
			if serviceFields[f.name].kind != "" && !named {
				t.Errorf("%s is %s by its rule, but the report does not name it:\n%v", f.name, serviceFields[f.name].kind, res.Report.Lines)
			}
		})
	}
}

// fill sets v to a non-zero value.
func fill(v reflect.Value, depth int) {
	if depth > 4 || !v.CanSet() {
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("x1")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		v.SetInt(1)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		v.SetUint(1)
	case reflect.Float32, reflect.Float64:
		v.SetFloat(1)
	case reflect.Pointer:
		p := reflect.New(v.Type().Elem())
		fill(p.Elem(), depth+1)
		v.Set(p)
	case reflect.Slice:
		s := reflect.MakeSlice(v.Type(), 1, 1)
		fill(s.Index(0), depth+1)
		v.Set(s)
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k := reflect.New(v.Type().Key()).Elem()
		fill(k, depth+1)
		if v.Type().Key().Kind() == reflect.String {
			k.SetString("x-k")
		}
		e := reflect.New(v.Type().Elem()).Elem()
		fill(e, depth+1)
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i), depth+1)
			}
		}
	}
}
