package netpoll

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestPollerBell checks the doorbell: Ring makes a Wait return with the
// bell's event, and Silence resets it so that the next poll finds nothing.
func TestPollerBell(t *testing.T) {
	p, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	events := make([]unix.EpollEvent, 4)
	if n, err := p.Wait(events, 0); n != 0 || err != nil {
		t.Fatalf("Wait before Ring = %d, %v; want 0, nil", n, err)
	}
	p.Ring()
	p.Ring()
	if n, err := p.Wait(events, 1000); n != 1 || err != nil || !p.IsBell(&events[0]) {
		t.Fatalf("Wait after Ring = %d, %v; want the bell", n, err)
	}
	p.Silence()
	if n, err := p.Wait(events, 0); n != 0 || err != nil {
		t.Fatalf("Wait after Silence = %d, %v; want 0, nil", n, err)
	}
}

// TestListenAcceptReadWrite runs one connection through the package over
// loopback: listen, connect, accept, write, readiness, read.
func TestListenAcceptReadWrite(t *testing.T) {
	a, err := ResolveTCP("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	lfd, err := ListenTCP(a, 16)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(lfd)
	addr, err := BoundTCPAddr(lfd)
	if err != nil || addr.Port == 0 {
		t.Fatalf("BoundTCPAddr = %v, %v", addr, err)
	}
	cfd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(cfd)
	if err := unix.Connect(cfd, &unix.SockaddrInet4{Port: addr.Port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	p, err := Open()
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	events := make([]unix.EpollEvent, 4)
	if err := p.Add(lfd, unix.EPOLLIN); err != nil {
		t.Fatal(err)
	}
	if n, err := p.Wait(events, 1000); n != 1 || err != nil || int(events[0].Fd) != lfd {
		t.Fatalf("Wait for the listener = %d, %v", n, err)
	}
	fd, remote, err := Accept(lfd)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	if !remote.Addr().Is4() || remote.Port() == 0 {
		t.Fatalf("Accept remote = %v; want 127.0.0.1:port", remote)
	}
	if err := SetNoDelay(fd); err != nil {
		t.Fatal(err)
	}
	if err := p.Add(fd, unix.EPOLLIN); err != nil {
		t.Fatal(err)
	}
	if n, err := Write(cfd, []byte("ping")); n != 4 || err != nil {
		t.Fatalf("Write = %d, %v", n, err)
	}
	if n, err := p.Wait(events, 1000); n != 1 || err != nil || int(events[0].Fd) != fd {
		t.Fatalf("Wait for the connection = %d, %v", n, err)
	}
	buf := make([]byte, 16)
	if n, err := Read(fd, buf); string(buf[:n]) != "ping" || err != nil {
		t.Fatalf("Read = %q, %v; want ping", buf[:n], err)
	}
	if _, err := Read(fd, buf); err != unix.EAGAIN {
		t.Fatalf("Read of a drained socket = %v; want EAGAIN", err)
	}
}
