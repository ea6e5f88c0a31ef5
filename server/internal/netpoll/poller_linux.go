package netpoll

import (
	"os"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Poller is one epoll instance with an eventfd registered in it: the
// doorbell through which another goroutine ends a Wait (Ring). Wait, Add and
// Delete belong to the goroutine that polls; Ring may be called from any
// goroutine until Close, and the caller must order the two (the server's loop
// rings and closes under one mutex).
type Poller struct {
	epfd int
	bell int
}

// Open creates an epoll instance and its doorbell.
func Open() (Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return Poller{-1, -1}, os.NewSyscallError("epoll_create1", err)
	}
	// eventfd is a counter that becomes readable when another goroutine
	// writes to it, so a queue push can end epoll_wait.
	bell, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		unix.Close(epfd)
		return Poller{-1, -1}, os.NewSyscallError("eventfd", err)
	}
	p := Poller{epfd, bell}
	if err := p.Add(bell, unix.EPOLLIN); err != nil {
		p.Close()
		return Poller{-1, -1}, err
	}
	return p, nil
}

// Add registers fd for events (unix.EPOLLIN, …).
func (p *Poller) Add(fd int, events uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(fd)}
	if err := unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
		return os.NewSyscallError("epoll_ctl", err)
	}
	return nil
}

// Delete removes fd from the set. Closing a descriptor that was never
// duplicated removes it too, without this call.
func (p *Poller) Delete(fd int) {
	unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, fd, nil)
}

// IsBell reports whether an event is the doorbell's.
func (p *Poller) IsBell(ev *unix.EpollEvent) bool { return int(ev.Fd) == p.bell }

var one = [8]byte{1} // little-endian uint64 1

// Ring makes the doorbell readable, ending a Wait in progress or the next one.
func (p *Poller) Ring() { unix.Write(p.bell, one[:]) }

// Silence resets the doorbell's counter. Call it before taking what the
// ringers queued: a push after the take rings again and is seen next round.
func (p *Poller) Silence() {
	var b [8]byte
	unix.Read(p.bell, b[:])
}

// Close closes the doorbell and the epoll instance.
func (p *Poller) Close() {
	if p.epfd >= 0 {
		unix.Close(p.epfd)
		p.epfd = -1
	}
	if p.bell >= 0 {
		unix.Close(p.bell)
		p.bell = -1
	}
}

// Every call here goes through RawSyscall, which skips the scheduler
// hand-off (entersyscall/exitsyscall) that package syscall pays on every call
// in case the call blocks. Read and write on non-blocking sockets return at
// once. Wait may block: the calling thread then sleeps in the kernel holding
// its P, with no hand-off of the P to another thread and no sysmon retaking
// it every 20 µs (a third of the agent's CPU through HAProxy 3.x before). The
// caller must be a goroutine that owns its thread and whose P is accounted
// for (the server's loops raise GOMAXPROCS by one each while they run). A
// preemption request (GC stop-the-world, sysmon) interrupts the sleep with a
// signal: Wait returns EINTR and the caller yields at its next safe point.

// Wait waits up to msec milliseconds for events (0 polls, −1 blocks).
func (p *Poller) Wait(events []unix.EpollEvent, msec int) (int, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(p.epfd), uintptr(unsafe.Pointer(&events[0])),
		uintptr(len(events)), uintptr(msec), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// Read reads from a non-blocking socket.
func Read(fd int, b []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

// Write writes to a non-blocking socket.
func Write(fd int, b []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
