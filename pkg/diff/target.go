package diff

import (
	"github.com/synctl/synctl/pkg/render"
	"github.com/synctl/synctl/pkg/topology"
)

// BundleSide is a rendered bundle as a side, labelled with its target's
// name, with the model's wiring (the entry URL included).
func BundleSide(b *render.Bundle) Side {
	urls := make([]URL, 0, len(b.Wiring.URLs))
	for _, u := range b.Wiring.URLs {
		urls = append(urls, URL{Name: b.Wiring.Key(u), Value: u.URL, Known: true})
	}
	return Side{Label: b.Target, Files: b.Files, Wiring: urls}
}

// DirSide reads dir as a side labelled with the directory as given. Its
// wiring is read from the files: the value of each URL of expect (the app's
// wiring on some target: which env var on which service, and which service
// the entry URL routes to) found there.
func DirSide(dir string, expect topology.Wiring) (Side, error) {
	files, err := ReadDir(dir)
	if err != nil {
		return Side{}, err
	}
	s := Side{Label: dir, Files: files}
	for _, u := range expect.URLs {
		e := Expected{Name: expect.Key(u)}
		if u.Entry {
			e.Route, e.Like = u.To, u.URL
		} else {
			e.Service, e.Env = u.Service, u.Name
		}
		s.Expect = append(s.Expect, e)
	}
	return s, nil
}
