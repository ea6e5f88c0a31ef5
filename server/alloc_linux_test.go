package server_test

import (
	"encoding/binary"
	"net"
	"runtime"
	"testing"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spopwire"
	"golang.org/x/sys/unix"
)

// rawClient is a blocking socket driven with plain syscalls, so that the
// client side allocates nothing either and MemStats sees only the server.
type rawClient struct {
	fd  int
	buf []byte
}

func dialRaw(t *testing.T, addr string) *rawClient {
	t.Helper()
	ta, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	sa := &unix.SockaddrInet4{Port: ta.Port}
	copy(sa.Addr[:], ta.IP.To4())
	if err := unix.Connect(fd, sa); err != nil {
		t.Fatal(err)
	}
	unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	t.Cleanup(func() { unix.Close(fd) })
	return &rawClient{fd: fd, buf: make([]byte, 256<<10)}
}

func (c *rawClient) write(t *testing.T, b []byte) {
	for len(b) > 0 {
		n, err := unix.Write(c.fd, b)
		if err != nil {
			t.Fatal(err)
		}
		b = b[n:]
	}
}

// readFrames reads until n whole frames arrived and returns the last one's
// type.
func (c *rawClient) readFrames(t *testing.T, n int) spopwire.FrameType {
	have, got := 0, 0
	var last spopwire.FrameType
	off := 0
	for got < n {
		m, err := unix.Read(c.fd, c.buf[have:])
		if err != nil || m == 0 {
			t.Fatalf("read: %v", err)
		}
		have += m
		for have-off >= 4 {
			l := int(binary.BigEndian.Uint32(c.buf[off:]))
			if have-off < 4+l {
				break
			}
			last = spopwire.FrameType(c.buf[off+4])
			off += 4 + l
			got++
		}
	}
	if off != have {
		t.Fatalf("%d bytes beyond the %d frames", have-off, n)
	}
	return last
}

// TestLoopZeroAlloc runs NOTIFY→ACK round trips through a live epoll loop
// and asserts that the process allocated nothing per NOTIFY in steady state.
func TestLoopZeroAlloc(t *testing.T) {
	a := startAgent(t, server.EngineEpoll, server.Config{Loops: 1}, iprepHandler)
	c := dialRaw(t, a.addr)
	c.write(t, spopwire.AppendHAProxyHello(nil, spopwire.HAProxyHello{
		SupportedVersions: []byte("2.0"), MaxFrameSize: 16380, Capabilities: spopwire.CapPipelining, EngineID: []byte("e"),
	}))
	if typ := c.readFrames(t, 1); typ != spopwire.FrameAgentHello {
		t.Fatalf("got %v; want AGENT-HELLO", typ)
	}
	const depth = 20
	var batch []byte
	for i := range uint64(depth) {
		b, start := spopwire.StartFrame(batch, spopwire.FrameNotify, spopwire.FlagFin, 2*i+1, 1)
		batch = append(b, iprepPayload...)
		spopwire.FinishFrame(batch, start)
	}
	roundTrips := func(n int) {
		for range n {
			c.write(t, batch)
			if typ := c.readFrames(t, depth); typ != spopwire.FrameAck {
				t.Fatalf("got %v; want ACK", typ)
			}
		}
	}
	roundTrips(200) // warm up: buffers, pools, first-use paths
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	const batches = 1000
	roundTrips(batches)
	runtime.ReadMemStats(&after)
	mallocs := after.Mallocs - before.Mallocs
	perNotify := float64(mallocs) / (batches * depth)
	t.Logf("%d NOTIFY→ACK round trips: %d mallocs in the process (%.4f per NOTIFY)", batches*depth, mallocs, perNotify)
	// A few allocations come from the runtime and the test itself (MemStats,
	// timers); one per NOTIFY would be 20000.
	if perNotify > 0.01 {
		t.Errorf("%.4f allocations per NOTIFY; want 0", perNotify)
	}
}
