//go:build unix && !linux

package server

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// unixSocket creates a non-blocking, close-on-exec UNIX stream socket. Where
// socket(2) takes no such flags, the fork lock keeps an exec from inheriting
// it before close-on-exec is set, as package net does.
func unixSocket() (int, error) {
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(unix.AF_UNIX, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		return -1, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return -1, err
	}
	return fd, nil
}
