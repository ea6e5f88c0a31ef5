//go:build !linux

// spopbench needs Linux: its load generator and ceiling responder
// are built on epoll, and it pins processes with sched_setaffinity.

package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "spopbench needs Linux (epoll, sched_setaffinity)")
	os.Exit(1)
}
