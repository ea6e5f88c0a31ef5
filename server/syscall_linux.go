package server

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

func newSyscallError(call string, err error) error { return os.NewSyscallError(call, err) }

// The loop's sockets are non-blocking, so read, write and a zero-timeout
// epoll_wait return at once: they go through RawSyscall, which skips the
// scheduler hand-off (entersyscall/exitsyscall) that package syscall pays on
// every call in case the call blocks. Only a blocking epoll_wait uses the
// ordinary path, so that the runtime can run other goroutines meanwhile.

// epollWait waits for events; msec 0 polls.
func epollWait(epfd int, events []unix.EpollEvent, msec int) (int, error) {
	if msec != 0 {
		return unix.EpollWait(epfd, events, msec)
	}
	r, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])),
		uintptr(len(events)), 0, 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// rawRead reads from a non-blocking socket.
func rawRead(fd int, b []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// rawWrite writes to a non-blocking socket.
func rawWrite(fd int, b []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
