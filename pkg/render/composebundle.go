package render

import (
	"github.com/synctl/synctl/pkg/topology"
)

func renderComposeBundle(m *topology.Model, t topology.Target, w topology.Wiring) ([]File, error) {
	p := composeProject(m, t, w)
	compose, err := renderCompose(p, Command(t))
	if err != nil {
		return nil, err
	}
	files := []File{{Path: composeFileName, Data: compose, Mode: 0o644}}
	switch t {
	case topology.Docker, topology.DockerNetwork:
		run, err := renderDockerRun(m, t, p, w)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Path: dockerRunFileName, Data: run, Mode: 0o755})
	case topology.Nginx:
		conf, err := renderNginxConf(m, t)
		if err != nil {
			return nil, err
		}
		cert, key, err := selfSignedCert(m.Targets.Nginx.ServerName)
		if err != nil {
			return nil, err
		}
		files = append(files,
			File{Path: NginxConfPath, Data: conf, Mode: 0o644},
			File{Path: CertPath, Data: cert, Mode: 0o644, KeyMaterial: true},
			File{Path: KeyPath, Data: key, Mode: 0o600, KeyMaterial: true},
		)
	}
	return files, nil
}
