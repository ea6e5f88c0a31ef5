//go:build !unix

package server

import (
	"errors"
	"net"
	"os"
)

// listenUnix listens on a UNIX stream socket at path. Outside Unix the file's
// mode and group mean nothing to who may connect, and are not set.
func listenUnix(path string, _ int, _ os.FileMode, gid int) (net.Listener, error) {
	if gid > 0 {
		return nil, errors.New("server: UnixGroup needs a Unix system")
	}
	ln, err := net.Listen("unix", path)
	if err != nil && removeStaleSocket(path) {
		ln, err = net.Listen("unix", path)
	}
	return ln, err
}
