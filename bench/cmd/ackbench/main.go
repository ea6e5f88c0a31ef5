//go:build linux

// Command ackbench measures ACKs per second of the server's engines: it runs
// the agent in a child process pinned to one CPU (one event loop for the
// epoll engine) and a load generator pinned to another, over loopback TCP,
// with a one-argument NOTIFY (check-client-ip ip=<IPv4>) answered by a
// set-var. Each connection keeps -depth NOTIFYs in flight (closed loop: every
// ACK releases the next NOTIFY on its connection).
//
//	go run ./server/internal/ackbench                    # both engines, 1×1, 1×20, 4×20
//	go run ./server/internal/ackbench -target 127.0.0.1:9000 -target-pid 1234   # any running agent
//
// Besides ACKs/s it reports ACKs per CPU-second of the agent (user+system
// time of the whole agent process over the window, from /proc): on a shared
// machine the throughput moves with the neighbours' load, the cost per ACK
// much less.
//
// It is a quick tool for the server's own numbers; bench/ is the project's
// full benchmark.
package main

import (
	"bufio"
	"encoding/binary"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spopkit/spopkit/bench"
	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spopwire"
	"golang.org/x/sys/unix"
)

func main() {
	child := flag.String("child", "", "internal: run the agent with this engine")
	engines := flag.String("engines", "epoll,std", "engines to measure")
	target := flag.String("target", "", "measure an agent already listening at this TCP address instead")
	targetPid := flag.Int("target-pid", 0, "process id of the -target agent, for its CPU time")
	configs := flag.String("configs", "1x1,1x20,4x20", "connections x NOTIFYs in flight")
	duration := flag.Duration("duration", 2*time.Second, "measured window per run")
	runs := flag.Int("runs", 3, "runs per configuration (the median is reported)")
	agentCPU := flag.Int("agent-cpu", 0, "CPU of the agent")
	loadCPU := flag.Int("load-cpu", 1, "CPU of the load generator")
	cpuProfile := flag.String("cpuprofile", "", "write the agent's CPU profile to this file")
	handler := flag.String("handler", "iprep", "agent logic: iprep (walk every argument, set sess.ip_score) or setvar (only the set-var, like a canned responder)")
	flag.Parse()
	if *child != "" {
		runAgent(*child, *agentCPU, *cpuProfile, *handler)
		return
	}
	if err := pinProcess(*loadCPU); err != nil {
		log.Fatal(err)
	}
	measure := func(label, addr string, pid int) {
		for _, cfg := range strings.Split(*configs, ",") {
			conns, depth := parseConfig(cfg)
			var rates, perCPU []float64
			for range *runs {
				rate, eff, err := load(addr, pid, conns, depth, *duration)
				if err != nil {
					log.Fatalf("%s %s: %v", label, cfg, err)
				}
				rates, perCPU = append(rates, rate), append(perCPU, eff)
			}
			fmt.Printf("%-8s %2d conn × %2d in flight: %s ACKs/s (runs %s); %s ACKs per agent CPU-second (runs %s)\n",
				label, conns, depth, kfmt(median(rates)), fmtRates(rates), kfmt(median(perCPU)), fmtRates(perCPU))
		}
	}
	if *target != "" {
		measure("target", *target, *targetPid)
		return
	}
	for _, eng := range strings.Split(*engines, ",") {
		addr, pid, stop := startChild(eng, *agentCPU, *cpuProfile, *handler)
		measure(eng, addr, pid)
		stop()
	}
}

func parseConfig(s string) (conns, depth int) {
	a, b, ok := strings.Cut(s, "x")
	c, err1 := strconv.Atoi(a)
	d, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || c < 1 || d < 1 {
		log.Fatalf("bad config %q (want CONNSxDEPTH)", s)
	}
	return c, d
}

// startChild runs this program as the agent and returns its address.
func startChild(engine string, cpu int, profile, handler string) (string, int, func()) {
	exe, err := os.Executable()
	if err != nil {
		log.Fatal(err)
	}
	args := []string{"-child", engine, "-agent-cpu", strconv.Itoa(cpu), "-handler", handler}
	if profile != "" {
		args = append(args, "-cpuprofile", profile+"."+engine)
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	stdin, _ := cmd.StdinPipe()
	stdout, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		log.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready ") {
		log.Fatalf("agent did not start: %q %v", line, err)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "ready ")), cmd.Process.Pid, func() {
		stdin.Close()
		cmd.Wait()
	}
}

// runAgent is the child: the server on one CPU until stdin closes.
func runAgent(engine string, cpu int, profile, handler string) {
	if err := pinProcess(cpu); err != nil {
		log.Fatal(err)
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			log.Fatal(err)
		}
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	h := server.HandlerFunc(bench.IPRepHandler)
	if handler == "setvar" {
		h = setVar
	}
	srv, err := server.New(server.Config{Engine: engine, Address: "127.0.0.1:0", Loops: 1, LoopCPUs: []int{cpu}, Workers: -1}, h)
	if err != nil {
		log.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("ready %s\n", srv.Addr())
	io.Copy(io.Discard, os.Stdin)
	srv.Close()
}

// setVar answers every NOTIFY with sess.ip_score = 42 without reading it.
func setVar(req *server.Request, acts *server.Actions) error {
	acts.SetVar(spopwire.ScopeSession, "ip_score", spopwire.Int64Value(42))
	return nil
}

// pinProcess pins every thread of this process to cpu; threads created
// later inherit the mask of their creator.
func pinProcess(cpu int) error {
	var set unix.CPUSet
	set.Set(cpu)
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		return err
	}
	for _, t := range tasks {
		if tid, err := strconv.Atoi(t.Name()); err == nil {
			if err := unix.SchedSetaffinity(tid, &set); err != nil && err != unix.ESRCH {
				return err
			}
		}
	}
	return nil
}

// lconn is one load connection.
type lconn struct {
	fd   int
	buf  []byte
	have int
}

// load runs conns connections with depth NOTIFYs in flight each, on one
// locked thread with its own epoll, and returns the ACK rate over duration
// (after a 300 ms warm-up) and the ACKs per CPU-second of process pid
// (0 if pid is 0).
func load(addr string, pid, conns, depth int, duration time.Duration) (float64, float64, error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	ap, err := netip.ParseAddrPort(addr)
	if err != nil {
		return 0, 0, err
	}
	p := spopwire.AppendMessageHeader(nil, "check-client-ip", 1)
	p = spopwire.AppendArg(p, "ip", spopwire.AddrValue(netip.MustParseAddr("192.0.2.17")))
	var notifies []byte
	frameLen := 0
	for i := range uint64(depth) {
		b, start := spopwire.StartFrame(notifies, spopwire.FrameNotify, spopwire.FlagFin, 2*i+1, 1)
		notifies = append(b, p...)
		spopwire.FinishFrame(notifies, start)
		if i == 0 {
			frameLen = len(notifies)
		}
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return 0, 0, err
	}
	defer unix.Close(epfd)
	cs := make([]*lconn, conns)
	for i := range cs {
		c, err := dialLoad(ap)
		if err != nil {
			return 0, 0, err
		}
		defer unix.Close(c.fd)
		cs[i] = c
		unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, c.fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(i)})
		if err := writeAll(c.fd, notifies); err != nil {
			return 0, 0, err
		}
	}
	events := make([]unix.EpollEvent, conns)
	var acks uint64
	start := time.Now()
	warm := start.Add(300 * time.Millisecond)
	end := warm.Add(duration)
	var measuring bool
	var base uint64
	var cpu0 time.Duration
	for {
		now := time.Now()
		if !measuring && now.After(warm) {
			measuring, base, start = true, acks, now
			cpu0 = cpuTime(pid)
		}
		if now.After(end) {
			break
		}
		n, err := unix.EpollWait(epfd, events, 100)
		if err != nil && err != unix.EINTR {
			return 0, 0, err
		}
		for _, ev := range events[:n] {
			c := cs[ev.Fd]
			k, err := c.readAcks()
			if err != nil {
				return 0, 0, err
			}
			acks += uint64(k)
			if k > 0 {
				if err := writeAll(c.fd, notifies[:k*frameLen]); err != nil {
					return 0, 0, err
				}
			}
		}
	}
	n := float64(acks - base)
	elapsed := time.Since(start)
	perCPU := 0.0
	if cpu := cpuTime(pid) - cpu0; cpu > 0 {
		perCPU = n / cpu.Seconds()
	}
	return n / elapsed.Seconds(), perCPU, nil
}

// cpuTime returns the user+system time of process pid (all threads).
func cpuTime(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0
	}
	// Fields after the command (which may contain spaces): state is field 3,
	// utime and stime are fields 14 and 15.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	const hz = 100 // USER_HZ, the unit of /proc/pid/stat times on Linux
	return time.Duration(ut+st) * time.Second / hz
}

func dialLoad(ap netip.AddrPort) (*lconn, error) {
	nc, err := net.Dial("tcp", ap.String())
	if err != nil {
		return nil, err
	}
	f, err := nc.(*net.TCPConn).File()
	nc.Close()
	if err != nil {
		return nil, err
	}
	fd, err := unix.Dup(int(f.Fd()))
	f.Close()
	if err != nil {
		return nil, err
	}
	c := &lconn{fd: fd, buf: make([]byte, 256<<10)}
	unix.SetNonblock(fd, false)
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	hello := spopwire.AppendHAProxyHello(nil, spopwire.HAProxyHello{SupportedVersions: []byte("2.0"),
		MaxFrameSize: spopwire.DefaultMaxFrameSize, Capabilities: spopwire.CapPipelining, EngineID: []byte("ackbench")})
	if err := writeAll(fd, hello); err != nil {
		return nil, err
	}
	for c.frames() == 0 {
		n, err := unix.Read(fd, c.buf[c.have:])
		if err != nil || n == 0 {
			return nil, fmt.Errorf("no AGENT-HELLO: %v", err)
		}
		c.have += n
	}
	if spopwire.FrameType(c.buf[4]) != spopwire.FrameAgentHello {
		return nil, fmt.Errorf("got frame type %d, want AGENT-HELLO", c.buf[4])
	}
	c.consume(1)
	unix.SetNonblock(fd, true)
	return c, nil
}

// frames counts the whole frames buffered.
func (c *lconn) frames() int {
	n := 0
	for off := 0; c.have-off >= 4; n++ {
		l := int(binary.BigEndian.Uint32(c.buf[off:]))
		if c.have-off < 4+l {
			break
		}
		off += 4 + l
	}
	return n
}

// consume drops k whole frames, checking that ACKs are ACKs.
func (c *lconn) consume(k int) error {
	off := 0
	for range k {
		l := int(binary.BigEndian.Uint32(c.buf[off:]))
		off += 4 + l
	}
	c.have = copy(c.buf, c.buf[off:c.have])
	return nil
}

// readAcks reads what is there and returns the number of whole ACKs.
func (c *lconn) readAcks() (int, error) {
	n, err := unix.Read(c.fd, c.buf[c.have:])
	if err == unix.EAGAIN {
		return 0, nil
	}
	if err != nil || n == 0 {
		return 0, fmt.Errorf("read: %v (agent closed?)", err)
	}
	c.have += n
	k, off := 0, 0
	for c.have-off >= 4 {
		l := int(binary.BigEndian.Uint32(c.buf[off:]))
		if c.have-off < 4+l {
			break
		}
		if spopwire.FrameType(c.buf[off+4]) != spopwire.FrameAck {
			return 0, fmt.Errorf("got frame type %d, want ACK", c.buf[off+4])
		}
		off += 4 + l
		k++
	}
	c.have = copy(c.buf, c.buf[off:c.have])
	return k, nil
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := unix.Write(fd, b)
		if err == unix.EAGAIN {
			var pfd = []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
			unix.Poll(pfd, 1000)
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}

func kfmt(r float64) string { return fmt.Sprintf("%7.0fk", r/1000) }

func fmtRates(v []float64) string {
	parts := make([]string, len(v))
	for i, r := range v {
		parts[i] = fmt.Sprintf("%.0fk", r/1000)
	}
	return strings.Join(parts, " ")
}
