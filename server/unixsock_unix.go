//go:build unix

package server

import (
	"errors"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// listenUnixFD opens a non-blocking, close-on-exec listening UNIX stream
// socket at path. The mode and group (gid > 0) are set between bind and
// listen, so no process can connect through the looser permissions the
// umask gave the file. A stale socket left at path is replaced.
func listenUnixFD(path string, backlog int, mode os.FileMode, gid int) (int, error) {
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	unix.CloseOnExec(fd)
	fail := func(op string, err error) (int, error) {
		unix.Close(fd)
		return -1, &net.OpError{Op: "listen", Net: "unix", Addr: &net.UnixAddr{Name: path, Net: "unix"}, Err: os.NewSyscallError(op, err)}
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		return fail("setnonblock", err)
	}
	sa := &unix.SockaddrUnix{Name: path}
	err = unix.Bind(fd, sa)
	if errors.Is(err, unix.EADDRINUSE) && removeStaleSocket(path) {
		err = unix.Bind(fd, sa)
	}
	if err != nil {
		return fail("bind", err)
	}
	if err := unix.Chmod(path, uint32(mode.Perm())); err != nil {
		os.Remove(path)
		return fail("chmod", err)
	}
	if gid > 0 {
		if err := unix.Chown(path, -1, gid); err != nil {
			os.Remove(path)
			return fail("chown", err)
		}
	}
	if backlog <= 0 {
		backlog = defaultBacklog
	}
	if err := unix.Listen(fd, backlog); err != nil {
		os.Remove(path)
		return fail("listen", err)
	}
	return fd, nil
}

// listenUnix is listenUnixFD as a net.Listener, which removes the file when
// closed.
func listenUnix(path string, backlog int, mode os.FileMode, gid int) (net.Listener, error) {
	fd, err := listenUnixFD(path, backlog, mode, gid)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		os.Remove(path)
		return nil, err
	}
	ln.(*net.UnixListener).SetUnlinkOnClose(true)
	return ln, nil
}
