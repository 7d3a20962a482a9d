package topology

import (
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// Section is one target's part of the spec, spec.targets.<target>. The
// target that owns it decodes it strictly, applies command-line values,
// fills defaults and checks it with the same rules (and messages) as the
// rest of the spec; problems land in the spec's error with line and column,
// or against the flag that set the value.
type Section struct {
	// Path is the section's spec path, "spec.targets.<target>".
	Path string
	// Model is the app (nil when its services have problems: then the
	// target checks only what the user wrote in its section, and no
	// default derived from service names).
	Model *Model
	doc   *Document
	node  *yaml.Node
	checks
}

// Decode decodes the section into out, a pointer to the target's spec
// struct, reporting unknown fields and values of the wrong kind. It reports
// whether out can be used; an absent section leaves out as it is.
func (s *Section) Decode(out any) bool {
	if s.node == nil || (s.node.Kind == yaml.ScalarNode && s.node.Tag == "!!null") {
		return true
	}
	c := checker{pos: s.doc.pos}
	c.check(s.node, reflect.TypeOf(out), s.Path)
	if len(c.problems) > 0 {
		s.doc.problems = append(s.doc.problems, c.problems...)
		return false
	}
	if err := s.node.Decode(out); err != nil {
		s.Errorf("", "%s", yamlMessage(err))
		return false
	}
	return true
}

// Set records that the value at field (relative to the section, e.g.
// "namespace") came from flag ("--namespace chat"), so that a problem with it
// is reported against the flag.
func (s *Section) Set(field, flag string) { s.doc.flags[s.field(field)] = flag }

func (s *Section) field(f string) string {
	if f == "" {
		return s.Path
	}
	return s.Path + "." + f
}

// Errorf records a problem with field.
func (s *Section) Errorf(field, format string, args ...any) {
	s.addf(s.field(field), format, args...)
}

// Done hands the section's problems to the spec and reports whether it had
// none.
func (s *Section) Done() bool {
	s.doc.add(s.problems)
	ok := len(s.problems) == 0
	s.problems = nil
	return ok
}

// Label checks a DNS-1123 label of at most maxLen characters.
func (s *Section) Label(field, v string, maxLen int) {
	s.label(s.field(field), v, maxLen, dns1123)
}

// Hostname checks an IP address or DNS name.
func (s *Section) Hostname(field, v string) { s.hostname(s.field(field), v) }

// Subdomain checks a DNS-1123 subdomain (a Kubernetes object name).
func (s *Section) Subdomain(field, v string) { s.subdomain(s.field(field), v) }

// Port checks a port number.
func (s *Section) Port(field string, v int) { s.port(s.field(field), v) }

// Image checks an image reference with a tag or digest.
func (s *Section) Image(field, v string) { s.image(s.field(field), v) }

// Prefix checks a URL path prefix under which a public api is routed: a
// clean path that does not shadow the frontend at "/". It reports whether v
// passed.
func (s *Section) Prefix(field, v string) bool {
	return s.ok(func() {
		s.urlPath(s.field(field), v)
		if strings.Trim(v, "/") == "" && IsURLPath(v) {
			s.Errorf(field, "%q would shadow the frontend, which is served at /; use a prefix such as /api/", v)
		}
	})
}

// ServiceKeys checks that every key of a per-service map (such as
// paths.<service>) names a service allowed there; allow returns "" or why
// the service is not.
func (s *Section) ServiceKeys(field string, m map[string]string, allow func(*Service) string) {
	if s.Model == nil {
		return
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		svc, ok := s.Model.Service(k)
		if !ok {
			s.Errorf(field+"."+k, "%q is not a service of this app; choose one of %s", k, strings.Join(s.Model.ServiceNames(), ", "))
			continue
		}
		if why := allow(svc); why != "" {
			s.Errorf(field+"."+k, "service %q %s", k, why)
		}
	}
}

// Distinct checks that no two keys of m share a value.
func (s *Section) Distinct(field string, m map[string]string) {
	seen := map[string]string{}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if other, dup := seen[m[k]]; dup {
			s.Errorf(field+"."+k, "%q is also used by %s; each service needs its own", m[k], other)
		}
		seen[m[k]] = k
	}
}

// Fields lists the yaml names of a spec struct's fields, in declaration
// order, for help text: "{host, network}".
func Fields(spec any) string {
	t := reflect.TypeOf(spec)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	return fmt.Sprintf("{%s}", strings.Join(names, ", "))
}

// ReservedName reports a service named name: the target runs a container of
// its own under that name (what), which would take the service's place.
func (s *Section) ReservedName(name, what string) {
	if s.Model == nil {
		return
	}
	for i := range s.Model.Services {
		if s.Model.Services[i].Name == name {
			s.addf(fmt.Sprintf("spec.services[%d].name", i),
				"%q is the name of %s, which would replace this service on that target (its image dropped, links to it reaching %s instead); rename the service", name, what, what)
		}
	}
}
