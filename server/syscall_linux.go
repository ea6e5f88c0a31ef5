package server

import (
	"os"

	"golang.org/x/sys/unix"
)

func newSyscallError(call string, err error) error { return os.NewSyscallError(call, err) }

// epollWait waits for events.
func epollWait(epfd int, events []unix.EpollEvent, msec int) (int, error) {
	return unix.EpollWait(epfd, events, msec)
}

// rawRead and rawWrite act on non-blocking sockets.
func rawRead(fd int, b []byte) (int, error)  { return unix.Read(fd, b) }
func rawWrite(fd int, b []byte) (int, error) { return unix.Write(fd, b) }
