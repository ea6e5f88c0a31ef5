//go:build linux

package bench

import (
	"os"
	"runtime"
	"strconv"

	"golang.org/x/sys/unix"
)

// PinProcess sets the CPU affinity of every thread of the current process to
// cpus. sched_setaffinity acts on one thread, and threads started later
// inherit the mask of the thread that creates them, so pinning all existing
// threads pins the process for good.
func PinProcess(cpus ...int) error {
	var set unix.CPUSet
	for _, c := range cpus {
		set.Set(c)
	}
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, t := range tasks {
		tid, err := strconv.Atoi(t.Name())
		if err != nil {
			continue
		}
		if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
			return errf("sched_setaffinity(%d): %v", tid, err)
		}
	}
	return nil
}

// AllCPUs returns the CPUs this process may run on at startup.
func AllCPUs() []int {
	var set unix.CPUSet
	if unix.SchedGetaffinity(0, &set) != nil {
		return nil
	}
	var cpus []int
	for i := range 1024 {
		if set.IsSet(i) {
			cpus = append(cpus, i)
		}
	}
	return cpus
}

// withThreadAffinity runs fn on an OS thread pinned to cpus, then restores the
// thread's mask. A child process forked inside fn inherits the mask from its
// first instruction, so a Go child sizes GOMAXPROCS from it.
func withThreadAffinity(cpus []int, fn func() error) error {
	if len(cpus) == 0 {
		return fn()
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var old, set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &old); err != nil {
		return errf("sched_getaffinity: %v", err)
	}
	for _, c := range cpus {
		set.Set(c)
	}
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return errf("sched_setaffinity: %v", err)
	}
	defer unix.SchedSetaffinity(0, &old)
	return fn()
}
