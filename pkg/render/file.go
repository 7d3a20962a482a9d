package render

import "io/fs"

// File is one rendered output file, relative to the bundle directory.
type File struct {
	// Path is slash-separated and relative to the bundle directory
	// (for example "compose.yaml", "certs/tls.key", "web-deployment.yaml").
	Path string
	// Data is the full content.
	Data []byte
	// Mode is the permission the file is written with (0644, or 0600 for keys).
	Mode fs.FileMode
	// KeyMaterial marks generated secrets (the self-signed certificate and its
	// key). They are random, so they never take part in byte comparisons, and
	// an existing pair in the output directory is kept rather than rotated.
	KeyMaterial bool
}
