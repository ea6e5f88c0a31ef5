// Package netpoll is the Linux system interface of the server's epoll
// engine: an epoll instance with an eventfd doorbell (Poller), reads and
// writes on non-blocking sockets, and the listening sockets with their
// options (SO_REUSEPORT, IPV6_V6ONLY, TCP_NODELAY). It knows nothing of SPOP;
// package server's event loop is built on it. Other systems use the
// server's portable engine, which needs none of this.
package netpoll
