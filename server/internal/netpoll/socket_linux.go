package netpoll

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// ListenAddr is a resolved TCP listening address.
type ListenAddr struct {
	family int
	v6only bool
	ip     netip.Addr // unspecified for "every interface"
	Port   int        // 0: the kernel picks one
}

// ResolveTCP resolves a TCP listening address as package net would listen on it.
func ResolveTCP(network, address string) (ListenAddr, error) {
	ta, err := net.ResolveTCPAddr(network, address)
	if err != nil {
		return ListenAddr{}, err
	}
	a := ListenAddr{Port: ta.Port}
	ip, _ := netip.AddrFromSlice(ta.IP)
	ip = ip.Unmap()
	switch {
	case network == "tcp4" || ip.Is4():
		a.family, a.ip = unix.AF_INET, netip.IPv4Unspecified()
		if ip.IsValid() {
			a.ip = ip
		}
	case network == "tcp6":
		a.family, a.v6only, a.ip = unix.AF_INET6, true, netip.IPv6Unspecified()
		if ip.IsValid() {
			a.ip = ip
		}
	case ip.IsValid() && !ip.IsUnspecified():
		a.family, a.v6only, a.ip = unix.AF_INET6, true, ip
	default:
		// "tcp" on every interface: one dual-stack IPv6 socket takes IPv4
		// too (as package net does), unless the host has no IPv6.
		a.family, a.ip = unix.AF_INET6, netip.IPv6Unspecified()
		if !ipv6Available() {
			a.family, a.ip = unix.AF_INET, netip.IPv4Unspecified()
		}
	}
	return a, nil
}

func ipv6Available() bool {
	fd, err := unix.Socket(unix.AF_INET6, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return false
	}
	unix.Close(fd)
	return true
}

// ListenTCP opens a non-blocking listening socket with SO_REUSEPORT on a.
// SO_REUSEPORT is what lets every loop have a listener of its own on the same
// port, with the kernel spreading new connections over them by a hash of the
// 4-tuple (no shared accept queue, no thundering herd), and what lets a new
// process bind the port while the old one drains. It must be set on every
// socket of the group before bind, by the same user.
func ListenTCP(a ListenAddr, backlog int) (int, error) {
	fd, err := unix.Socket(a.family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, unix.IPPROTO_TCP)
	if err != nil {
		return -1, os.NewSyscallError("socket", err)
	}
	fail := func(call string, err error) (int, error) {
		unix.Close(fd)
		return -1, os.NewSyscallError(call, err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEADDR, 1); err != nil {
		return fail("setsockopt SO_REUSEADDR", err)
	}
	if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_REUSEPORT, 1); err != nil {
		return fail("setsockopt SO_REUSEPORT", err)
	}
	var sa unix.Sockaddr
	if a.family == unix.AF_INET6 {
		v6only := 0
		if a.v6only {
			v6only = 1
		}
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_IPV6, unix.IPV6_V6ONLY, v6only); err != nil {
			return fail("setsockopt IPV6_V6ONLY", err)
		}
		sa = &unix.SockaddrInet6{Port: a.Port, Addr: a.ip.As16()}
	} else {
		sa = &unix.SockaddrInet4{Port: a.Port, Addr: a.ip.As4()}
	}
	if err := unix.Bind(fd, sa); err != nil {
		return fail("bind", err)
	}
	if err := unix.Listen(fd, backlog); err != nil {
		return fail("listen", err)
	}
	return fd, nil
}

// BoundTCPAddr returns the address a listening socket is bound to.
func BoundTCPAddr(fd int) (*net.TCPAddr, error) {
	sa, err := unix.Getsockname(fd)
	if err != nil {
		return nil, os.NewSyscallError("getsockname", err)
	}
	return net.TCPAddrFromAddrPort(sockaddrAddrPort(sa)), nil
}

func sockaddrAddrPort(sa unix.Sockaddr) netip.AddrPort {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrPortFrom(netip.AddrFrom4(sa.Addr), uint16(sa.Port))
	case *unix.SockaddrInet6:
		return netip.AddrPortFrom(netip.AddrFrom16(sa.Addr).Unmap(), uint16(sa.Port))
	}
	return netip.AddrPort{}
}

// DupListener takes a non-blocking duplicate of ln's socket, for Serve.
func DupListener(ln net.Listener) (int, error) {
	sc, ok := ln.(syscall.Conn)
	if !ok {
		return -1, errors.New("server: the epoll engine needs a listener with a file descriptor (use Engine: \"std\")")
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return -1, err
	}
	nfd := -1
	var derr error
	if err := rc.Control(func(fd uintptr) {
		nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return -1, err
	}
	if derr != nil {
		return -1, os.NewSyscallError("fcntl F_DUPFD_CLOEXEC", derr)
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return -1, os.NewSyscallError("fcntl O_NONBLOCK", err)
	}
	return nfd, nil
}

// Accept takes a connection from a non-blocking listener: a non-blocking,
// close-on-exec socket, and the peer's address (the zero AddrPort for a UNIX
// socket).
func Accept(fd int) (int, netip.AddrPort, error) {
	nfd, sa, err := unix.Accept4(fd, unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC)
	if err != nil {
		return -1, netip.AddrPort{}, err
	}
	return nfd, sockaddrAddrPort(sa), nil
}

// SetNoDelay turns Nagle's algorithm off on a TCP socket.
func SetNoDelay(fd int) error {
	return unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
}

// ReusePortControl is a net.ListenConfig Control function that sets
// SO_REUSEPORT, so that a new process can bind the same port while this one
// drains (zero-downtime restart), as ListenTCP's sockets allow.
func ReusePortControl(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	})
	if err != nil {
		return err
	}
	return serr
}
