package server_test

import (
	"errors"
	"fmt"
	"net"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/internal/spopclient"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

// engines lists the engines every conformance test runs against.
func engines() []string {
	if runtime.GOOS == "linux" {
		return []string{server.EngineStd, server.EngineEpoll}
	}
	return []string{server.EngineStd}
}

// forEachEngine runs f as a subtest per engine.
func forEachEngine(t *testing.T, f func(t *testing.T, engine string)) {
	for _, e := range engines() {
		t.Run(e, func(t *testing.T) { f(t, e) })
	}
}

const ioTimeout = 10 * time.Second

// agent is a started server under test.
type agent struct {
	t       *testing.T
	srv     *server.Server
	network string
	addr    string
	errs    *errLog
}

// errLog collects what Config.OnError saw.
type errLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errLog) add(err error) { l.mu.Lock(); l.errs = append(l.errs, err); l.mu.Unlock() }

func (l *errLog) list() []error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]error(nil), l.errs...)
}

// startAgent starts a server with cfg (on 127.0.0.1:0 and two loops unless
// set) and the test handler; it is closed when the test ends.
func startAgent(t *testing.T, engine string, cfg server.Config, h server.Handler) *agent {
	t.Helper()
	cfg.Engine = engine
	if cfg.Address == "" && cfg.UnixPath == "" {
		cfg.Address = "127.0.0.1:0"
	}
	if cfg.Loops == 0 {
		cfg.Loops = 2
	}
	a := &agent{t: t, errs: &errLog{}}
	if cfg.OnError == nil {
		cfg.OnError = a.errs.add
	}
	if h == nil {
		h = testHandler{}
	}
	srv, err := server.New(cfg, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	a.srv = srv
	switch ad := srv.Addr().(type) {
	case *net.TCPAddr:
		a.network, a.addr = "tcp", ad.String()
	case *net.UnixAddr:
		a.network, a.addr = "unix", ad.Name
	default:
		t.Fatalf("Addr() = %v", srv.Addr())
	}
	return a
}

// dial opens a raw connection, closed when the test ends.
func (a *agent) dial() *spopclient.Conn {
	a.t.Helper()
	c, err := spopclient.Dial(a.network, a.addr)
	if err != nil {
		a.t.Fatal(err)
	}
	a.t.Cleanup(func() { c.Close() })
	return c
}

// connect dials and performs a 3.x handshake.
func (a *agent) connect() *spopclient.Conn {
	a.t.Helper()
	c := a.dial()
	if _, err := c.Hello(spopclient.HAProxy3Hello()); err != nil {
		a.t.Fatal(err)
	}
	return c
}

// waitStats polls Stats until cond holds (bounded: fails after ioTimeout).
func (a *agent) waitStats(what string, cond func(server.Stats) bool) server.Stats {
	a.t.Helper()
	deadline := time.Now().Add(ioTimeout)
	for {
		st := a.srv.Stats()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("timed out waiting for %s; stats %+v", what, st)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// testHandler answers by message name:
//
//	score           set sess.ip_score = 42
//	echo <args>     set txn.<arg-name or argN> = the argument, for each argument
//	size <args>     set txn.<arg-name> = the length of the argument's bytes
//	fill <n>        set txn.fill = n zero bytes
//	fail            return an error
//	panic           panic
//	big             set a 20000-byte binary (too big for the frame)
//	sleep <ms>      offload: sleep, then set txn.slept = ms
//	block           offload: wait for a value on the handler's channel, set txn.released
//	anything else   no action
type testHandler struct {
	release chan int64
}

func (h testHandler) HandleNotify(req *server.Request, acts *server.Actions) error {
	it := req.Messages()
	for msg, ok := it.Next(); ok; msg, ok = it.Next() {
		args := msg.Args()
		switch string(msg.Name) {
		case "score":
			acts.SetVar(spopwire.ScopeSession, "ip_score", spopwire.Int64Value(42))
		case "echo":
			for i := 0; args.Len() > 0; i++ {
				a, _ := args.Next()
				name := string(a.Name)
				if name == "" {
					name = "arg" + strconv.Itoa(i)
				}
				acts.SetVar(spopwire.ScopeTransaction, name, a.Value)
			}
		case "size":
			for args.Len() > 0 {
				a, _ := args.Next()
				acts.SetVar(spopwire.ScopeTransaction, string(a.Name), spopwire.Int64Value(int64(len(a.Value.Bytes()))))
			}
		case "fill":
			a, _ := args.Next()
			acts.SetVar(spopwire.ScopeTransaction, "fill", spopwire.BinaryValue(make([]byte, a.Value.Int64())))
		case "fail":
			return errors.New("handler failure")
		case "panic":
			panic("handler panic")
		case "big":
			acts.SetVar(spopwire.ScopeTransaction, "big", spopwire.BinaryValue(make([]byte, 20000)))
		case "sleep":
			a, _ := args.Next()
			ms := a.Value.Int64()
			return req.Offload(func(acts *server.Actions) error {
				time.Sleep(time.Duration(ms) * time.Millisecond)
				acts.SetVar(spopwire.ScopeTransaction, "slept", spopwire.Int64Value(ms))
				return nil
			})
		case "block":
			release := h.release
			return req.Offload(func(acts *server.Actions) error {
				v := <-release
				acts.SetVar(spopwire.ScopeTransaction, "released", spopwire.Int64Value(v))
				return nil
			})
		}
	}
	return it.Err()
}

// payload builds a NOTIFY payload.
func payload(msgs ...spoptest.Message) []byte { return spoptest.AppendMessages(nil, msgs...) }

var (
	msgScore = spoptest.Msg("score", spoptest.Arg("", spopwire.Int64Value(1)))
	msgEmpty = spoptest.Msg("nothing")
)

// expectAck reads one ACK for sid/fid and returns its actions.
func expectAck(t *testing.T, c *spopclient.Conn, sid, fid uint64) []spopwire.Action {
	t.Helper()
	acts, err := c.ReadAck(sid, fid, ioTimeout)
	if err != nil {
		t.Fatalf("ACK %d/%d: %v", sid, fid, err)
	}
	return acts
}

// expectVar checks that acts is exactly one set-var name = v.
func expectVar(t *testing.T, acts []spopwire.Action, name string, v int64) {
	t.Helper()
	if len(acts) != 1 || string(acts[0].Name) != name || acts[0].Value.Int64() != v {
		t.Fatalf("actions = %s; want %s = %d", fmtActions(acts), name, v)
	}
}

func fmtActions(acts []spopwire.Action) string {
	s := "["
	for i, a := range acts {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%v %v.%s=%v", a.Type, a.Scope, a.Name, a.Value)
	}
	return s + "]"
}

// expectDisconnect reads an AGENT-DISCONNECT with status want, then the close.
func expectDisconnect(t *testing.T, c *spopclient.Conn, want spopwire.Status) {
	t.Helper()
	f, err := c.ReadFrame(ioTimeout)
	if err != nil {
		t.Fatalf("want AGENT-DISCONNECT %d: %v", want, err)
	}
	if f.Type != spopwire.FrameAgentDisconnect || f.Flags != spopwire.FlagFin || f.StreamID != 0 || f.FrameID != 0 {
		t.Fatalf("got %v flags %x ids %d/%d; want AGENT-DISCONNECT FIN 0/0", f.Type, uint32(f.Flags), f.StreamID, f.FrameID)
	}
	d, err := spopwire.ParseDisconnect(f.Payload)
	if err != nil {
		t.Fatal(err)
	}
	if d.Status != want {
		t.Fatalf("AGENT-DISCONNECT status = %d (%q); want %d", d.Status, d.Message, want)
	}
	if len(d.Message) == 0 {
		t.Errorf("AGENT-DISCONNECT without a message")
	}
	if err := c.ExpectClosed(ioTimeout); err != nil {
		t.Fatal(err)
	}
}
