package blocklistredis

import "syscall"

// killedWithTest makes a child process die with the test binary, however
// it ends.
func killedWithTest() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
