package templates

// go test ./... -update passes -update to every test binary; this package
// has no golden files of its own but must accept the flag.
import _ "github.com/synctl/synctl/internal/golden"
