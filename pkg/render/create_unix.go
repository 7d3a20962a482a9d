//go:build unix

package render

import (
	"errors"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// createFile writes data to p, which must be new in an existing
// directory, with exactly mode (the mode open takes passes through the
// umask; keys must end up 0600). A bundle of a large app is thousands of
// files, so it goes straight to the system calls: open, write, close, and
// fchmod only where umask (processUmask's) takes bits of mode away. os.File would add a
// poller registration and a cleanup per file.
func createFile(p string, data []byte, mode fs.FileMode, umask uint32) error {
	perm := uint32(mode.Perm())
	fd, err := ignoringEINTR(func() (int, error) {
		return syscall.Open(p, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_EXCL|syscall.O_CLOEXEC, perm)
	})
	if err != nil {
		return &fs.PathError{Op: "open", Path: p, Err: err}
	}
	for len(data) > 0 && err == nil {
		var n int
		n, err = ignoringEINTR(func() (int, error) { return syscall.Write(fd, data) })
		if err == nil && n == 0 {
			err = syscall.EIO
		}
		data = data[n:]
	}
	if err == nil && perm&umask != 0 {
		_, err = ignoringEINTR(func() (int, error) { return 0, syscall.Fchmod(fd, perm) })
	}
	if cerr := syscall.Close(fd); err == nil {
		err = cerr
	}
	if err != nil {
		return &fs.PathError{Op: "write", Path: p, Err: err}
	}
	return nil
}

func ignoringEINTR(f func() (int, error)) (int, error) {
	for {
		n, err := f()
		if !errors.Is(err, syscall.EINTR) {
			return n, err
		}
	}
}

// processUmask is the process's umask, from /proc/self/status (reading it
// with umask(2) means setting it, a race with any other goroutine creating
// a file); where that cannot be read, every bit, so that createFile always
// sets the mode itself.
func processUmask() uint32 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0o777
	}
	for line := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(line, "Umask:"); ok {
			if m, err := strconv.ParseUint(strings.TrimSpace(v), 8, 32); err == nil {
				return uint32(m)
			}
		}
	}
	return 0o777
}
