//go:build linux

package bench

import (
	"net/netip"
	"strings"

	"golang.org/x/sys/unix"
)

// Target is where an agent listens: a loopback TCP address or a UNIX socket path.
type Target struct {
	Network string // "tcp" or "unix"
	Address string // "127.0.0.1:12345" or "/tmp/…/agent.sock"
}

// String returns the target as ParseTarget reads it: "tcp:127.0.0.1:9000",
// "unix:/path".
func (t Target) String() string { return t.Network + ":" + t.Address }

// ParseTarget parses "tcp:HOST:PORT" or "unix:PATH". Only loopback TCP
// addresses are accepted: the benchmark never leaves the machine.
func ParseTarget(s string) (Target, error) {
	network, addr, ok := strings.Cut(s, ":")
	if !ok {
		return Target{}, errf("target %q: want tcp:HOST:PORT or unix:PATH", s)
	}
	switch network {
	case "tcp":
		ap, err := netip.ParseAddrPort(addr)
		if err != nil {
			return Target{}, errf("target %q: %v", s, err)
		}
		if !ap.Addr().IsLoopback() {
			return Target{}, errf("target %q: loopback addresses only", s)
		}
	case "unix":
		if addr == "" {
			return Target{}, errf("target %q: empty path", s)
		}
	default:
		return Target{}, errf("target %q: network must be tcp or unix", s)
	}
	return Target{Network: network, Address: addr}, nil
}

// sockaddr returns the socket family and address of t.
func (t Target) sockaddr() (int, unix.Sockaddr, error) {
	if t.Network == "unix" {
		return unix.AF_UNIX, &unix.SockaddrUnix{Name: t.Address}, nil
	}
	ap, err := netip.ParseAddrPort(t.Address)
	if err != nil {
		return 0, nil, errf("target %v: %v", t, err)
	}
	if ap.Addr().Is4() {
		return unix.AF_INET, &unix.SockaddrInet4{Port: int(ap.Port()), Addr: ap.Addr().As4()}, nil
	}
	return unix.AF_INET6, &unix.SockaddrInet6{Port: int(ap.Port()), Addr: ap.Addr().As16()}, nil
}

// dial opens a blocking stream connection to t with TCP_NODELAY set, as
// HAProxy's SPOE connections have.
func dial(t Target) (int, error) {
	family, sa, err := t.sockaddr()
	if err != nil {
		return -1, err
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, errf("socket: %v", err)
	}
	if family != unix.AF_UNIX {
		_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	}
	for {
		err = unix.Connect(fd, sa)
		if err != unix.EINTR {
			break
		}
	}
	if err != nil {
		unix.Close(fd)
		return -1, errf("connect %v: %v", t, err)
	}
	return fd, nil
}

// listen opens a non-blocking listening socket on t and returns it with the
// address actually bound (the port chosen by the kernel for port 0).
func listen(t Target) (int, Target, error) {
	family, sa, err := t.sockaddr()
	if err != nil {
		return -1, t, err
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return -1, t, errf("socket: %v", err)
	}
	if family != unix.AF_UNIX {
		_ = unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1)
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		return -1, t, errf("bind %v: %v", t, err)
	}
	// The backlog matters for the idle-connection test, which opens
	// connections in bursts of hundreds.
	if err := unix.Listen(fd, 4096); err != nil {
		unix.Close(fd)
		return -1, t, errf("listen %v: %v", t, err)
	}
	if family == unix.AF_UNIX {
		return fd, t, nil
	}
	got, err := unix.Getsockname(fd)
	if err != nil {
		unix.Close(fd)
		return -1, t, errf("getsockname: %v", err)
	}
	switch a := got.(type) {
	case *unix.SockaddrInet4:
		t.Address = netip.AddrPortFrom(netip.AddrFrom4(a.Addr), uint16(a.Port)).String()
	case *unix.SockaddrInet6:
		t.Address = netip.AddrPortFrom(netip.AddrFrom16(a.Addr), uint16(a.Port)).String()
	}
	return fd, t, nil
}
