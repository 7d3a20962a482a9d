package diff

import (
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/topology"
)

// TargetSide renders m for t and returns it as a side labelled with the
// target's name, with the model's wiring (CHAT_URL included).
func TargetSide(m *topology.Model, t topology.Target) (Side, error) {
	files, err := render.Render(m, t)
	if err != nil {
		return Side{}, err
	}
	w := topology.Wire(m, t)
	urls := make([]URL, 0, len(w.URLs))
	for _, u := range w.URLs {
		urls = append(urls, URL{Name: u.Name, Value: u.URL, Known: true})
	}
	return Side{Label: string(t), Files: files, Wiring: urls}, nil
}

// DirSide reads dir as a side labelled with the directory as given; its
// wiring is derived from the files.
func DirSide(dir string) (Side, error) {
	files, err := ReadDir(dir)
	if err != nil {
		return Side{}, err
	}
	return Side{Label: dir, Files: files}, nil
}
