package server

import "golang.org/x/sys/unix"

// unixSocket creates a non-blocking, close-on-exec UNIX stream socket in one
// system call: no exec in between can inherit it.
func unixSocket() (int, error) {
	return unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
}
