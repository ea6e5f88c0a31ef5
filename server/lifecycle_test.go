package server_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/internal/spopclient"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

func TestShutdownDrains(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		h := testHandler{release: make(chan int64)}
		a := startAgent(t, engine, server.Config{}, h)
		idle := a.connect()
		busy := a.connect()
		busy.Write(spopclient.Notify(1, 1, payload(spoptest.Msg("block"))))
		a.waitStats("offload in flight", func(st server.Stats) bool { return st.InFlight == 1 })

		done := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
			defer cancel()
			done <- a.srv.Shutdown(ctx)
		}()
		// The idle connection is told goodbye at its first quiet tick; new
		// connections are refused.
		expectDisconnect(t, idle, spopwire.StatusNormal)
		if c, err := net.DialTimeout(a.network, a.addr, time.Second); err == nil {
			// A connection that raced into a backlog is closed unanswered.
			c.SetReadDeadline(time.Now().Add(ioTimeout))
			if n, _ := c.Read(make([]byte, 1)); n != 0 {
				t.Errorf("a connection made during shutdown got data")
			}
			c.Close()
		}
		// The busy one is still served while its offloaded work runs:
		// HAProxy may have NOTIFYs on the wire, and each one dropped would
		// fail a request.
		busy.Write(spopclient.Notify(3, 1, payload(msgScore)))
		expectVar(t, expectAck(t, busy, 3, 1), "ip_score", 42)
		// Then its offloaded ACK, then the goodbye.
		h.release <- 1
		expectVar(t, expectAck(t, busy, 1, 1), "released", 1)
		expectDisconnect(t, busy, spopwire.StatusNormal)
		if err := <-done; err != nil {
			t.Fatalf("Shutdown = %v; want nil", err)
		}
		if st := a.srv.Stats(); st.ConnsCurrent != 0 || st.Disconnects[0] != 2 {
			t.Errorf("after Shutdown: %d conns, %d normal disconnects; want 0, 2", st.ConnsCurrent, st.Disconnects[0])
		}
		if err := a.srv.Start(); !errors.Is(err, server.ErrServerClosed) {
			t.Errorf("Start after Shutdown = %v; want ErrServerClosed", err)
		}
	})
}

func TestShutdownDeadline(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		h := testHandler{release: make(chan int64)}
		defer close(h.release)
		a := startAgent(t, engine, server.Config{}, h)
		busy := a.connect()
		busy.Write(spopclient.Notify(1, 1, payload(spoptest.Msg("block"))))
		a.waitStats("offload in flight", func(st server.Stats) bool { return st.InFlight == 1 })
		ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
		defer cancel()
		if err := a.srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Shutdown = %v; want DeadlineExceeded", err)
		}
		if err := busy.ExpectClosed(ioTimeout); err != nil {
			t.Fatal(err)
		}
	})
}

func TestListenAndServeReturns(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		srv, err := server.New(server.Config{Engine: engine, Address: "127.0.0.1:0", Loops: 2}, testHandler{})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- srv.ListenAndServe() }()
		for srv.Addr() == nil {
			time.Sleep(time.Millisecond)
		}
		srv.Close()
		if err := <-done; err != server.ErrServerClosed {
			t.Fatalf("ListenAndServe = %v; want ErrServerClosed", err)
		}
	})
}

func TestHelloTimeout(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		a := startAgent(t, engine, server.Config{HelloTimeout: 300 * time.Millisecond}, nil)
		good := a.connect()
		silent := a.dial()
		partial := a.dial()
		partial.Write(helloFrame(kvVersions, kvMax)[:10])
		expectDisconnect(t, silent, spopwire.StatusTimeout)
		expectDisconnect(t, partial, spopwire.StatusTimeout)
		good.Write(spopclient.Notify(1, 1, payload(msgScore)))
		expectAck(t, good, 1, 1)
	})
}

func TestIdleTimeout(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		h := testHandler{release: make(chan int64)}
		a := startAgent(t, engine, server.Config{IdleTimeout: 300 * time.Millisecond}, h)
		busy := a.connect()
		busy.Write(spopclient.Notify(1, 1, payload(spoptest.Msg("block"))))
		idle := a.connect()
		expectDisconnect(t, idle, spopwire.StatusTimeout)
		// Work in progress keeps a connection alive past the idle timeout.
		time.Sleep(300 * time.Millisecond)
		h.release <- 1
		expectAck(t, busy, 1, 1)
		expectDisconnect(t, busy, spopwire.StatusTimeout)
	})
}

func TestMaxConns(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		a := startAgent(t, engine, server.Config{MaxConns: 2}, nil)
		c1, c2 := a.connect(), a.connect()
		extra := a.dial()
		if err := extra.ExpectClosed(ioTimeout); err != nil {
			t.Fatal(err)
		}
		a.waitStats("rejection counted", func(st server.Stats) bool { return st.ConnsRejected == 1 })
		for _, c := range []*spopclient.Conn{c1, c2} {
			c.Write(spopclient.Notify(1, 1, payload(msgScore)))
			expectAck(t, c, 1, 1)
		}
		c1.Close()
		a.waitStats("slot freed", func(st server.Stats) bool { return st.ConnsCurrent == 1 })
		a.connect()
	})
}

func TestManyConnections(t *testing.T) {
	const n = 1000
	forEachEngine(t, func(t *testing.T, engine string) {
		a := startAgent(t, engine, server.Config{}, nil)
		conns := make([]*spopclient.Conn, n)
		for i := range conns {
			conns[i] = a.dial()
		}
		hello := spopwire.AppendHAProxyHello(nil, spopclient.HAProxy3Hello())
		for _, c := range conns {
			if err := c.Write(hello); err != nil {
				t.Fatal(err)
			}
		}
		for _, c := range conns {
			if f, err := c.ReadFrame(ioTimeout); err != nil || f.Type != spopwire.FrameAgentHello {
				t.Fatalf("HELLO: %v %v", f.Type, err)
			}
		}
		for i, c := range conns {
			c.Write(spopclient.Notify(uint64(i), 1, payload(msgScore)))
		}
		for i, c := range conns {
			expectAck(t, c, uint64(i), 1)
		}
		a.waitStats("all connected", func(st server.Stats) bool { return st.ConnsCurrent == n && st.Acks == n })
		for _, c := range conns {
			c.Close()
		}
		a.waitStats("all closed", func(st server.Stats) bool { return st.ConnsCurrent == 0 })
	})
}

func TestUnixSocket(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		path := filepath.Join(t.TempDir(), "agent.sock")
		a := startAgent(t, engine, server.Config{UnixPath: path, Loops: 3}, nil)
		if a.network != "unix" {
			t.Fatalf("Addr network %q; want unix", a.network)
		}
		for i := range 6 {
			c := a.connect()
			c.Write(spopclient.Notify(uint64(i), 1, payload(msgScore)))
			expectVar(t, expectAck(t, c, uint64(i), 1), "ip_score", 42)
		}
		a.srv.Close()
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("socket file still there after Close: %v", err)
		}
	})
}

// TestUnixSocketFile: the socket gets its mode (0660 by default) before it
// accepts anything; a socket left by a dead agent is replaced, one a live
// agent listens on is not, nor a file of another kind.
func TestUnixSocketFile(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		dir := t.TempDir()
		for _, tt := range []struct {
			mode, want os.FileMode
		}{{0, 0o660}, {0o600, 0o600}, {0o666, 0o666}} {
			path := filepath.Join(dir, "mode.sock")
			a := startAgent(t, engine, server.Config{UnixPath: path, UnixMode: tt.mode}, nil)
			if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != tt.want {
				t.Errorf("UnixMode %o: socket %v, %v; want mode %o", tt.mode, fi.Mode(), err, tt.want)
			}
			a.srv.Close()
		}

		stale := filepath.Join(dir, "stale.sock")
		ln, err := net.Listen("unix", stale)
		if err != nil {
			t.Fatal(err)
		}
		ln.(*net.UnixListener).SetUnlinkOnClose(false)
		ln.Close() // the file stays, nothing listens: a SIGKILLed agent's
		a := startAgent(t, engine, server.Config{UnixPath: stale}, nil)
		a.connect()

		srv, err := server.New(server.Config{Engine: engine, UnixPath: stale}, testHandler{})
		if err != nil {
			t.Fatal(err)
		}
		if err := srv.Start(); err == nil || !strings.Contains(err.Error(), "address already in use") {
			srv.Close()
			t.Errorf("second agent on a live socket: %v; want address already in use", err)
		}
		a.connect() // the live agent still has its socket

		plain := filepath.Join(dir, "plain")
		os.WriteFile(plain, []byte("x"), 0o600)
		if srv, err := server.New(server.Config{Engine: engine, UnixPath: plain}, testHandler{}); err != nil {
			t.Fatal(err)
		} else if err := srv.Start(); err == nil {
			srv.Close()
			t.Error("listening over a regular file succeeded")
		}
		if b, err := os.ReadFile(plain); err != nil || string(b) != "x" {
			t.Errorf("the regular file was touched: %q, %v", b, err)
		}
	})
}

// TestUnixSocketReplacedWhileDraining: a draining agent gives its socket
// file up first, so a newer agent can bind the path at once; the old one's
// end does not remove the newer one's socket.
func TestUnixSocketReplacedWhileDraining(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		path := filepath.Join(t.TempDir(), "agent.sock")
		release := make(chan struct{})
		started := make(chan struct{}, 1)
		old := startAgent(t, engine, server.Config{UnixPath: path}, server.HandlerFunc(func(*server.Request, *server.Actions) error {
			started <- struct{}{}
			<-release // keeps the drain going
			return nil
		}))
		c := old.connect()
		c.Write(spopclient.Notify(1, 1, payload(msgScore)))
		<-started
		stopped := make(chan error, 1)
		go func() { stopped <- old.srv.Shutdown(context.Background()) }()
		for deadline := time.Now().Add(ioTimeout); ; time.Sleep(time.Millisecond) {
			if _, err := os.Lstat(path); os.IsNotExist(err) {
				break
			} else if time.Now().After(deadline) {
				t.Fatal("the draining agent kept its socket file")
			}
		}
		newer := startAgent(t, engine, server.Config{UnixPath: path}, nil)
		close(release)
		if err := <-stopped; err != nil {
			t.Fatal(err)
		}
		newer.connect()
	})
}

// TestAbstractUnixSocket: an abstract socket (@name) has no file to chmod
// or remove.
func TestAbstractUnixSocket(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		name := fmt.Sprintf("@spopkit-test-%d-%s", os.Getpid(), engine)
		a := startAgent(t, engine, server.Config{UnixPath: name}, nil)
		a.connect()
	})
}

func TestTCPAndUnix(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		path := filepath.Join(t.TempDir(), "agent.sock")
		a := startAgent(t, engine, server.Config{Address: "127.0.0.1:0", UnixPath: path}, nil)
		for _, netw := range [][2]string{{"tcp", a.addr}, {"unix", path}} {
			c, err := spopclient.Dial(netw[0], netw[1])
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Hello(spopclient.HAProxy3Hello()); err != nil {
				t.Fatal(err)
			}
			c.Close()
		}
	})
}

func TestIPv6AndDualStack(t *testing.T) {
	if ln, err := net.Listen("tcp", "[::1]:0"); err != nil {
		t.Skip("no IPv6 loopback")
	} else {
		ln.Close()
	}
	forEachEngine(t, func(t *testing.T, engine string) {
		a := startAgent(t, engine, server.Config{Address: "[::1]:0"}, nil)
		a.connect()
		d := startAgent(t, engine, server.Config{Address: ":0"}, nil)
		_, port, _ := net.SplitHostPort(d.addr)
		for _, host := range []string{"127.0.0.1", "::1"} {
			c, err := spopclient.Dial("tcp", net.JoinHostPort(host, port))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Hello(spopclient.HAProxy3Hello()); err != nil {
				t.Fatal(err)
			}
			c.Close()
		}
	})
}

// TestReusePortTakeover is the zero-downtime restart: a second server binds
// the port of the first (SO_REUSEPORT) and keeps serving after the first
// shuts down.
func TestReusePortTakeover(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		old := startAgent(t, engine, server.Config{}, nil)
		c := old.connect() // before next exists: the kernel spreads new ones over both
		next := startAgent(t, engine, server.Config{Address: old.addr}, nil)
		if next.addr != old.addr {
			t.Fatalf("second server on %s; want %s", next.addr, old.addr)
		}
		ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- old.srv.Shutdown(ctx) }()
		expectDisconnect(t, c, spopwire.StatusNormal)
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		for range 10 {
			c := next.connect()
			c.Write(spopclient.Notify(1, 1, payload(msgScore)))
			expectAck(t, c, 1, 1)
		}
	})
}

func TestServeListener(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		srv, err := server.New(server.Config{Engine: engine, Loops: 2}, testHandler{})
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- srv.Serve(ln) }()
		for range 6 {
			c, err := spopclient.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.Hello(spopclient.HAProxy3Hello()); err != nil {
				t.Fatal(err)
			}
			c.Write(spopclient.Notify(1, 1, payload(msgScore)))
			expectAck(t, c, 1, 1)
			c.Close()
		}
		srv.Close()
		if err := <-done; err != server.ErrServerClosed {
			t.Fatalf("Serve = %v", err)
		}
	})
}

func TestStatsLatency(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		a := startAgent(t, engine, server.Config{Loops: 1}, nil)
		c := a.connect()
		for i := range uint64(4 * server.LatencySampleRate) {
			c.Write(spopclient.Notify(i, 1, payload(msgScore)))
			expectAck(t, c, i, 1)
		}
		st := a.waitStats("latency sampled", func(st server.Stats) bool { return st.HandlerLatency.Count >= 2 })
		var sum uint64
		for _, b := range st.HandlerLatency.Buckets {
			sum += b
		}
		if sum != st.HandlerLatency.Count || st.HandlerLatency.Sum <= 0 {
			t.Errorf("histogram: buckets sum %d, count %d, total %v", sum, st.HandlerLatency.Count, st.HandlerLatency.Sum)
		}
	})
}
