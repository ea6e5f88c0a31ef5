package server

import (
	"errors"
	"net"
	"os"
	"syscall"
	"time"
)

// defaultBacklog is passed to listen(2) when Config.Backlog is 0; the kernel
// silently caps it at net.core.somaxconn, so this means "the maximum".
const defaultBacklog = 65535

// DefaultUnixMode is the permission of the UNIX socket when Config.UnixMode
// is 0: the agent's user and group may connect, nobody else (SPOP has no
// authentication).
const DefaultUnixMode os.FileMode = 0o660

// removeStaleSocket removes path when it is a UNIX socket that no process
// listens on any more (an agent killed before it could remove it), so that
// a restart can bind it again, and reports whether it did. A socket that
// answers, or a file of another kind, is left alone.
func removeStaleSocket(path string) bool {
	fi, err := os.Lstat(path)
	if err != nil || fi.Mode()&os.ModeSocket == 0 {
		return false
	}
	c, err := net.DialTimeout("unix", path, time.Second)
	if err == nil {
		c.Close()
		return false
	}
	if !errors.Is(err, syscall.ECONNREFUSED) {
		return false
	}
	return os.Remove(path) == nil
}
