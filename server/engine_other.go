//go:build !linux

package server

import (
	"syscall"
)

const (
	defaultEngine  = EngineStd
	epollAvailable = false
)

func newEpollEngine(srv *Server) engine { panic("server: epoll engine on a non-Linux system") }

// reusePortControl is a no-op where SO_REUSEPORT is not used.
func reusePortControl(network, address string, c syscall.RawConn) error { return nil }
