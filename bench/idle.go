//go:build linux

package bench

import (
	"time"

	"golang.org/x/sys/unix"
)

// measureIdle starts a contender, reads its RSS, opens o.IdleConns connections
// that each complete the HELLO handshake and then stay idle, and reads the RSS
// again. The agent stops before the generator closes its sockets, so TIME_WAIT
// lands on the agent's side and the ephemeral ports are free for the next run.
func measureIdle(o ReportOptions, engine string, cpus []int) IdleResult {
	ir := IdleResult{Engine: engine, Conns: o.IdleConns}
	p, err := StartAgent(AgentSpec{Exe: o.Exe, Engine: engine, Listen: Target{"tcp", "127.0.0.1:0"}, CPUs: cpus})
	if err != nil {
		ir.Err = err.Error()
		return ir
	}
	var fds []int
	defer func() {
		if err := p.Stop(); err != nil && ir.Err == "" {
			ir.Err = err.Error()
		}
		for _, fd := range fds {
			unix.Close(fd)
		}
	}()
	time.Sleep(100 * time.Millisecond)
	if ir.BaseKiB, err = ReadRSSKiB(p.Pid); err != nil {
		ir.Err = err.Error()
		return ir
	}
	hello := haproxyHello()
	// Batches keep the listen backlog from overflowing: a dropped SYN would
	// cost a one-second retransmit.
	const batch = 256
	deadline := time.Now().Add(60 * time.Second)
	for len(fds) < o.IdleConns {
		n := min(batch, o.IdleConns-len(fds))
		start := len(fds)
		for range n {
			fd, err := dial(p.Addr)
			if err == nil {
				err = writeAll(fd, hello)
			}
			if err != nil {
				ir.Err = err.Error()
				return ir
			}
			fds = append(fds, fd)
		}
		for _, fd := range fds[start:] {
			f, err := readFrame(fd, 5*time.Second)
			if err == nil {
				err = checkAgentHello(f, true)
			}
			if err != nil {
				ir.Err = err.Error()
				return ir
			}
		}
		if time.Now().After(deadline) {
			ir.Err = "idle connections: 60 s budget exceeded"
			return ir
		}
	}
	time.Sleep(300 * time.Millisecond) // let the agent settle (buffers released, GC)
	if ir.LoadedKiB, err = ReadRSSKiB(p.Pid); err != nil {
		ir.Err = err.Error()
		return ir
	}
	ir.PerConnKiB = float64(ir.LoadedKiB-ir.BaseKiB) / float64(ir.Conns)
	return ir
}
