package server

import (
	"runtime"
	"sync"
)

// A loop sleeps in a raw epoll_wait (netpoll.Poller.Wait) and keeps its P
// meanwhile: the runtime neither hands the P to another thread nor wakes
// sysmon to retake it, which through HAProxy 3.x (a wake-up for every one or
// two NOTIFYs) was a third of the agent's CPU. The price is that a sleeping
// loop's P runs nothing else, so each running loop adds one P for its
// lifetime and the rest of the program keeps the GOMAXPROCS it had: offload
// workers, timers and the application's goroutines never wait for a loop to
// wake.
//
// GOMAXPROCS is process-wide: the mutex makes the loops of several Servers
// compose, and when the last loop exits GOMAXPROCS is back to the value it
// had when the first one started. runtime.GOMAXPROCS stops the world, which
// is why this happens at loop start and exit only. Setting GOMAXPROCS stops
// the runtime's automatic updates from the cgroup CPU quota (Go 1.25+); and
// a program that sets GOMAXPROCS itself while loops run should count one P
// per loop, or its goroutines share what the sleeping loops leave.
var procs struct {
	sync.Mutex
	base, extra int
}

// reserveP adds a P for the calling loop.
func reserveP() {
	procs.Lock()
	defer procs.Unlock()
	if procs.extra == 0 {
		procs.base = runtime.GOMAXPROCS(0)
	}
	procs.extra++
	runtime.GOMAXPROCS(procs.base + procs.extra)
}

// releaseP gives back the P reserveP added.
func releaseP() {
	procs.Lock()
	defer procs.Unlock()
	procs.extra--
	runtime.GOMAXPROCS(procs.base + procs.extra)
}

// programProcs is the program's own GOMAXPROCS: without the Ps that running
// loops added.
func programProcs() int {
	procs.Lock()
	defer procs.Unlock()
	if procs.extra > 0 {
		return procs.base
	}
	return runtime.GOMAXPROCS(0)
}
