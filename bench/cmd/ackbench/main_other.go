//go:build !linux

// ackbench needs Linux: bench's load generator is built on epoll, and it pins
// processes with sched_setaffinity.

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "ackbench needs Linux (epoll, sched_setaffinity)")
	os.Exit(1)
}
