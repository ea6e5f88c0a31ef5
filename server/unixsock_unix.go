//go:build unix

package server

import (
	"errors"
	"net"
	"os"

	"golang.org/x/sys/unix"
)

// listenUnixFD opens a non-blocking, close-on-exec listening UNIX stream
// socket at path and returns it with the file it bound. The mode and group
// (gid > 0) are set between bind and listen, so no process can connect
// through the looser permissions the umask gave the file. A stale socket
// left at path is replaced. An abstract name (@name) has no file: no mode,
// group or removal apply.
func listenUnixFD(path string, backlog int, mode os.FileMode, gid int) (int, socketFile, error) {
	fd, err := unixSocket()
	if err != nil {
		return -1, socketFile{}, os.NewSyscallError("socket", err)
	}
	var file socketFile
	fail := func(op string, err error) (int, socketFile, error) {
		file.remove()
		unix.Close(fd)
		return -1, socketFile{}, &net.OpError{Op: "listen", Net: "unix", Addr: &net.UnixAddr{Name: path, Net: "unix"}, Err: os.NewSyscallError(op, err)}
	}
	abstract := len(path) > 0 && path[0] == '@'
	sa := &unix.SockaddrUnix{Name: path}
	err = unix.Bind(fd, sa)
	if errors.Is(err, unix.EADDRINUSE) && !abstract && removeStaleSocket(path) {
		err = unix.Bind(fd, sa)
	}
	if err != nil {
		return fail("bind", err)
	}
	if !abstract {
		if file, err = boundFile(path); err != nil {
			return fail("lstat", err)
		}
		if err := unix.Chmod(path, uint32(mode.Perm())); err != nil {
			return fail("chmod", err)
		}
		if gid > 0 {
			if err := unix.Chown(path, -1, gid); err != nil {
				return fail("chown", err)
			}
		}
	}
	if backlog <= 0 {
		backlog = defaultBacklog
	}
	if err := unix.Listen(fd, backlog); err != nil {
		return fail("listen", err)
	}
	return fd, file, nil
}

// socketFile is the file of a UNIX socket this process bound. Its removal
// checks that the path still names that file: after this process stopped
// listening, a newer agent may have replaced the socket with its own.
type socketFile struct {
	path     string // "" for none (an abstract socket)
	dev, ino uint64
}

func boundFile(path string) (socketFile, error) {
	var st unix.Stat_t
	if err := unix.Lstat(path, &st); err != nil {
		return socketFile{}, err
	}
	return socketFile{path: path, dev: uint64(st.Dev), ino: uint64(st.Ino)}, nil
}

// remove removes the file if the path still names it.
func (f socketFile) remove() {
	if f.path == "" {
		return
	}
	if now, err := boundFile(f.path); err == nil && now == f {
		os.Remove(f.path)
	}
}

// listenUnix is listenUnixFD as a net.Listener, which removes its file (if
// still its own) when closed, before it stops listening.
func listenUnix(path string, backlog int, mode os.FileMode, gid int) (net.Listener, error) {
	fd, file, err := listenUnixFD(path, backlog, mode, gid)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), path)
	defer f.Close()
	ln, err := net.FileListener(f)
	if err != nil {
		file.remove()
		return nil, err
	}
	return &unixListener{Listener: ln, file: file}, nil
}

// unixListener removes its socket file at Close, while still listening, so
// that a newer agent can never find it stale and replace it in between.
type unixListener struct {
	net.Listener
	file socketFile
}

func (l *unixListener) Close() error {
	l.file.remove()
	return l.Listener.Close()
}
