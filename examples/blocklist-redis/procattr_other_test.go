//go:build !linux

package blocklistredis

import "syscall"

// killedWithTest is nil where the kernel cannot kill a child with its
// parent: the tests stop their children themselves.
func killedWithTest() *syscall.SysProcAttr { return nil }
