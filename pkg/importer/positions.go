package importer

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// positions finds where each field of the loaded project was written:
// compose-go's project keeps no positions, so the importer reads the YAML
// nodes of every compose file itself, in the order compose merges them.
type positions struct {
	// files are the compose files in load order, included files first.
	files []string
	// at maps a file to its field paths ("services\x00web\x00ports") and
	// the line of each.
	at map[string]map[string]int
	// extends maps "file\x00service" to the service it extends.
	extends map[string]ref
	// display turns an absolute file name into the name the report shows.
	display func(string) string
	// main is the first compose file given, as displayed.
	main string
}

type ref struct{ file, service string }

// where is a field's location in the report.
type where struct {
	File string
	Line int
}

func key(path ...string) string { return strings.Join(path, "\x00") }

// readPositions indexes files (absolute paths), following include and
// extends references to other files. A file that cannot be read or parsed
// is left out: compose-go has loaded them already, so this happens only
// for remote includes, and the report then names the top-level file.
func readPositions(files []string, display func(string) string) *positions {
	p := &positions{at: map[string]map[string]int{}, extends: map[string]ref{}, display: display}
	if len(files) > 0 {
		p.main = display(files[0])
	}
	for _, f := range files {
		p.read(f)
	}
	return p
}

func (p *positions) read(file string) {
	if _, done := p.at[file]; done {
		return
	}
	p.at[file] = map[string]int{}
	data, err := os.ReadFile(file)
	if err != nil {
		return
	}
	var doc yaml.Node
	if yaml.Unmarshal(data, &doc) != nil || len(doc.Content) == 0 {
		return
	}
	root := doc.Content[0]
	dir := filepath.Dir(file)
	// Included files are merged before the file that includes them.
	if inc := mapValue(root, "include"); inc != nil {
		for _, item := range inc.Content {
			for _, path := range includePaths(item) {
				if !filepath.IsAbs(path) {
					path = filepath.Join(dir, path)
				}
				p.read(path)
			}
		}
	}
	p.files = append(p.files, file)
	p.walk(p.at[file], root, nil)
	services := mapValue(root, "services")
	for i := 0; services != nil && i+1 < len(services.Content); i += 2 {
		name := services.Content[i].Value
		ext := mapValue(services.Content[i+1], "extends")
		switch {
		case ext == nil:
		case ext.Kind == yaml.ScalarNode:
			p.extends[key(file, name)] = ref{file, ext.Value}
		default:
			r := ref{file, ""}
			if s := mapValue(ext, "service"); s != nil {
				r.service = s.Value
			}
			if f := mapValue(ext, "file"); f != nil {
				r.file = f.Value
				if !filepath.IsAbs(r.file) {
					r.file = filepath.Join(dir, r.file)
				}
				p.read(r.file)
			}
			p.extends[key(file, name)] = r
		}
	}
}

func includePaths(n *yaml.Node) []string {
	switch n.Kind {
	case yaml.ScalarNode:
		return []string{n.Value}
	case yaml.MappingNode:
		v := mapValue(n, "path")
		if v == nil {
			return nil
		}
		if v.Kind == yaml.ScalarNode {
			return []string{v.Value}
		}
		var out []string
		for _, c := range v.Content {
			out = append(out, c.Value)
		}
		return out
	}
	return nil
}

// walk records the line of every mapping key and sequence item under path.
// A "KEY=value" item of a list (environment, labels) is also recorded
// under KEY.
func (p *positions) walk(at map[string]int, n *yaml.Node, path []string) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := append(path[:len(path):len(path)], n.Content[i].Value)
			at[key(k...)] = n.Content[i].Line
			p.walk(at, n.Content[i+1], k)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			k := append(path[:len(path):len(path)], "["+strconv.Itoa(i)+"]")
			at[key(k...)] = c.Line
			if c.Kind == yaml.ScalarNode {
				if name, _, ok := strings.Cut(c.Value, "="); ok {
					at[key(append(path[:len(path):len(path)], name)...)] = c.Line
				}
			}
			p.walk(at, c, k)
		}
	}
}

// service locates a field of a compose service: the last file that writes
// it (override files win), else the service it extends, else the service's
// own key, else the first file.
func (p *positions) service(svc string, field ...string) where {
	path := append([]string{"services", svc}, field...)
	for n := len(path); n >= 2; n-- {
		if w, ok := p.find(svc, path[2:n]); ok {
			return w
		}
	}
	return p.top()
}

func (p *positions) find(svc string, field []string) (where, bool) {
	for i := len(p.files) - 1; i >= 0; i-- {
		f := p.files[i]
		if w, ok := p.inService(f, svc, field, 0); ok {
			return w, true
		}
	}
	return where{}, false
}

func (p *positions) inService(file, svc string, field []string, depth int) (where, bool) {
	if line, ok := p.at[file][key(append([]string{"services", svc}, field...)...)]; ok {
		return where{p.display(file), line}, true
	}
	if r, ok := p.extends[key(file, svc)]; ok && depth < 10 && len(field) > 0 {
		return p.inService(r.file, r.service, field, depth+1)
	}
	return where{}, false
}

// project locates a top-level field such as secrets.db_password.
func (p *positions) project(field ...string) where {
	for n := len(field); n >= 1; n-- {
		for i := len(p.files) - 1; i >= 0; i-- {
			if line, ok := p.at[p.files[i]][key(field[:n]...)]; ok {
				return where{p.display(p.files[i]), line}
			}
		}
	}
	return p.top()
}

// top is the first compose file given, with no line.
func (p *positions) top() where { return where{File: p.main} }

func mapValue(n *yaml.Node, k string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == k {
			return n.Content[i+1]
		}
	}
	return nil
}
