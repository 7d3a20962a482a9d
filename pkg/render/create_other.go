//go:build !unix

package render

import (
	"io/fs"
	"os"
)

// createFile writes data to p, which must be new in an existing
// directory, with exactly mode (the mode open takes passes through the
// umask; keys must end up 0600).
func createFile(p string, data []byte, mode fs.FileMode, _ uint32) error {
	f, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return err
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(mode)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// processUmask: createFile sets every mode itself here.
func processUmask() uint32 { return 0o777 }
