package gen

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spopkit/spopkit/gen/spoeconf"
	"github.com/spopkit/spopkit/spopwire"
)

// TestEndToEnd generates code for every golden case into a scratch module,
// adds a handler that echoes each decoded field back as an action, and runs it
// through the fake HAProxy (server/spoptest): typed values in, actions out,
// including NULL and wrong-type arguments and unknown messages in between.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles generated code with the go command; skipped in -short mode")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	mod := t.TempDir()
	gomod := "module e2e\n\ngo 1.26.0\n\nrequire github.com/spopkit/spopkit v0.0.0\n\nreplace github.com/spopkit/spopkit => " + root + "\n"
	write(t, filepath.Join(mod, "go.mod"), []byte(gomod))
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(mod, "go.sum"), sum)
	var agentPkg string
	var agentMsg genMessage
	for _, dir := range goldenCases(t) {
		name := filepath.Base(dir)
		pkg := packageName(name)
		conf := filepath.Join(dir, "spoe.conf")
		src, err := os.ReadFile(conf)
		if err != nil {
			t.Fatal(err)
		}
		parsed, err := spoeconf.Parse(conf, src)
		if err != nil {
			t.Fatal(err)
		}
		f := FromConf(parsed)
		opts := Options{Package: pkg}
		code, err := Generate(f, opts)
		if err != nil {
			t.Fatal(err)
		}
		m, err := collect(f, opts)
		if err != nil {
			t.Fatal(err)
		}
		write(t, filepath.Join(mod, pkg, "spoe.go"), code)
		write(t, filepath.Join(mod, pkg, "echo_test.go"), echoDriver(pkg, m))
		if cfg, err := os.ReadFile(filepath.Join(dir, "haproxy.cfg")); err == nil {
			// With its haproxy.cfg, the typed setters and arguments: compiled
			// (go vet below) with the handler stub.
			typed := Options{Package: pkg + "cfg", HAProxyCfg: spoeconf.ParseHAProxyConfig("haproxy.cfg", cfg)}
			code, err := Generate(f, typed)
			if err != nil {
				t.Fatal(err)
			}
			stub, err := HandlerStub(f, typed)
			if err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(mod, typed.Package, "spoe.go"), code)
			write(t, filepath.Join(mod, typed.Package, "handler.go"), stub)
		}
		if m.OnError != "" && agentPkg == "" {
			// This one also runs as a program: the stubs, built below.
			agentPkg, agentMsg = pkg, m.Messages[0]
			stub, err := HandlerStub(f, opts)
			if err != nil {
				t.Fatal(err)
			}
			main, err := MainStub(f, pkg, "e2e/"+pkg)
			if err != nil {
				t.Fatal(err)
			}
			write(t, filepath.Join(mod, pkg, "handler.go"), stub)
			write(t, filepath.Join(mod, pkg, "cmd", pkg, "main.go"), main)
		}
	}
	cmd := exec.Command("go", "test", "-count=1", "./...")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test in the generated module: %v\n%s", err, out)
	}
	t.Logf("%s", out)
	vet := exec.Command("go", "vet", "./...")
	vet.Dir = mod
	vet.Env = cmd.Env
	if out, err := vet.CombinedOutput(); err != nil {
		t.Fatalf("go vet in the generated module: %v\n%s", err, out)
	}
	if agentPkg == "" {
		t.Fatal("no golden case has option set-on-error")
	}
	t.Run("set-on-error through the network", func(t *testing.T) {
		failClosedOverNetwork(t, mod, agentPkg, agentMsg)
	})
}

// failClosedOverNetwork builds the generated cmd/<pkg>/main.go, runs it with
// the spoa command line, and plays HAProxy over TCP: a NOTIFY whose first
// typed argument has the wrong type is answered with set-var(txn, "error",
// 1001), the spoe.conf's set-on-error variable.
func failClosedOverNetwork(t *testing.T, mod, pkg string, msg genMessage) {
	bin := filepath.Join(t.TempDir(), pkg)
	build := exec.Command("go", "build", "-o", bin, "./"+pkg+"/cmd/"+pkg)
	build.Dir = mod
	build.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	var logs strings.Builder
	agent := exec.Command(bin, "--address", "127.0.0.1", "--port", strconv.Itoa(port), "--engine", "std", pkg)
	agent.Stdout, agent.Stderr = &logs, &logs
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		agent.Process.Kill()
		agent.Wait()
		if t.Failed() {
			t.Logf("agent output:\n%s", logs.String())
		}
	}()
	var c net.Conn
	for i := 0; i < 100; i++ { // up to 10 s for the agent to listen
		if c, err = net.Dial("tcp", "127.0.0.1:"+strconv.Itoa(port)); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("agent does not listen: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	hello := spopwire.AppendHAProxyHello(nil, spopwire.HAProxyHello{SupportedVersions: []byte("2.0"),
		MaxFrameSize: spopwire.DefaultMaxFrameSize, EngineID: []byte("e2e")})
	if _, err := c.Write(hello); err != nil {
		t.Fatal(err)
	}
	if f := readFrame(t, c); f.Type != spopwire.FrameAgentHello {
		t.Fatalf("got %v; want AGENT-HELLO", f.Type)
	}
	// Every argument gets a value of a type its field refuses (a BOOL where
	// no field takes one, else an INT64).
	payload := spopwire.AppendMessageHeader(nil, msg.Name, len(msg.Fields))
	for _, f := range msg.Fields {
		v := spopwire.Int64Value(1)
		if f.Kind == KindInt {
			v = spopwire.StringValue("x")
		}
		payload = spopwire.AppendArg(payload, f.Name, v)
	}
	b, start := spopwire.StartFrame(nil, spopwire.FrameNotify, spopwire.FlagFin, 1, 1)
	b = append(b, payload...)
	if n := spopwire.FinishFrame(b, start); n < 0 {
		t.Fatalf("FinishFrame: %d", n)
	}
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	f := readFrame(t, c)
	if f.Type != spopwire.FrameAck || f.StreamID != 1 || f.FrameID != 1 {
		t.Fatalf("got %v %d/%d; want ACK 1/1", f.Type, f.StreamID, f.FrameID)
	}
	var acts []string
	it := spopwire.Actions(f.Payload)
	for a, ok := it.Next(); ok; a, ok = it.Next() {
		acts = append(acts, fmt.Sprintf("%v %v %s %v", a.Type, a.Scope, a.Name, a.Value))
	}
	want := fmt.Sprintf("%v %v error INT64 1001", spopwire.ActionSetVar, spopwire.ScopeTransaction)
	if len(acts) != 1 || acts[0] != want {
		t.Fatalf("ACK actions %q; want [%s]", acts, want)
	}
	t.Logf("wrong-type %s answered with %s", msg.Name, acts[0])
}

// readFrame reads one frame from c.
func readFrame(t *testing.T, c net.Conn) spopwire.Frame {
	t.Helper()
	var buf []byte
	tmp := make([]byte, 4096)
	for {
		if f, n := spopwire.ConsumeFrame(buf, 1<<24); n > 0 {
			return f
		} else if err := spopwire.ParseError(n); err != spopwire.ErrNeedMore {
			t.Fatalf("bad frame: %v", err)
		}
		n, err := c.Read(tmp)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		buf = append(buf, tmp[:n]...)
	}
}

func write(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

// kindCase is what the driver sends for a kind and what the echo gives back.
type kindCase struct {
	good, goodEcho string // Go expressions of spopwire.Value
	wrong          string // a value of another type ("" when every type fits)
	echo           string // format of the echo expression for field %s
}

var kindCases = map[Kind]kindCase{
	KindAddr: {`spopwire.AddrValue(netip.MustParseAddr("2001:db8::7"))`, `spopwire.AddrValue(netip.MustParseAddr("2001:db8::7"))`,
		`spopwire.StringValue("x")`, `echoAddr(msg.%s)`},
	KindInt:  {`spopwire.Int64Value(-5)`, `spopwire.Int64Value(-5)`, `spopwire.StringValue("x")`, `echoInt(msg.%s)`},
	KindBool: {`spopwire.BoolValue(true)`, `spopwire.BoolValue(true)`, `spopwire.Int64Value(1)`, `echoBool(msg.%s)`},
	KindString: {`spopwire.StringValue("h\u00e9llo\x00")`, `spopwire.StringValue("h\u00e9llo\x00")`,
		`spopwire.Int64Value(1)`, `echoString(msg.%s)`},
	KindBytes: {`spopwire.BinaryValue([]byte{0, 1, 2})`, `spopwire.BinaryValue([]byte{0, 1, 2})`,
		`spopwire.BoolValue(true)`, `echoBytes(msg.%s)`},
	KindHeaders: {`spopwire.BinaryValue(spopwire.AppendHeadersEnd(spopwire.AppendHeader(nil, "host", "example.org")))`,
		`spopwire.StringValue("example.org")`, `spopwire.Int64Value(2)`, `echoHeaders(msg.%s)`},
	KindValue: {`spopwire.Uint32Value(7)`, `spopwire.Uint32Value(7)`, ``, `echoValue(msg.%s)`},
}

// echoDriver writes a test file for a generated package: a Handler whose
// methods set txn.<message>_<field> to what each field decoded, and a test
// sending good, NULL and wrong-type arguments for every message.
func echoDriver(pkg string, model *model) []byte {
	msgs := model.Messages
	errVar, errCode := "agent_error", "1"
	if model.OnError != "" {
		errVar, errCode = model.OnError, "1001"
	}
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("package %s", pkg)
	p(`import (
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/spopkit/spopkit/spoa/arg"
	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

var (
	_ = netip.Addr{}
	_ = slog.Info
	_ = strings.Contains
)

func state(s arg.State) spopwire.Value {
	switch s {
	case arg.Absent:
		return spopwire.StringValue("absent")
	case arg.Null:
		return spopwire.StringValue("null")
	case arg.WrongType:
		return spopwire.StringValue("wrong")
	}
	return spopwire.StringValue("?")
}

func echoAddr(f arg.Addr) spopwire.Value {
	if v, ok := f.Get(); ok {
		return spopwire.AddrValue(v)
	}
	if f.Err() == nil && f.State() == arg.WrongType {
		return spopwire.StringValue("no error")
	}
	return state(f.State())
}
func echoInt(f arg.Int) spopwire.Value {
	if v, ok := f.Get(); ok {
		return spopwire.Int64Value(v)
	}
	return state(f.State())
}
func echoBool(f arg.Bool) spopwire.Value {
	if v, ok := f.Get(); ok {
		return spopwire.BoolValue(v)
	}
	return state(f.State())
}
func echoString(f arg.String) spopwire.Value {
	if v, ok := f.Get(); ok {
		return spopwire.StringValue(v)
	}
	return state(f.State())
}
func echoBytes(f arg.Bytes) spopwire.Value {
	if v, ok := f.Get(); ok {
		return spopwire.BinaryValue(v)
	}
	return state(f.State())
}
func echoHeaders(f arg.Headers) spopwire.Value {
	if v, ok := f.Get("Host"); ok {
		return spopwire.BytesStringValue(v)
	}
	return state(f.State())
}
func echoValue(f arg.Value) spopwire.Value {
	if v, ok := f.Get(); ok {
		return v
	}
	return state(f.State())
}

type echo struct{}
`)
	for _, m := range msgs {
		if m.SameAs != "" {
			// One function handles both messages: the types are one.
			p("var _ = func(m %s) %s { return m }", m.SameAs, m.Type)
		}
		p("func (echo) %s(req *server.Request, msg %s, acts Actions) error {", m.Method, m.Type)
		for _, f := range m.Fields {
			p("acts.SetVar(spopwire.ScopeTransaction, %q, %s)", m.Type+"_"+f.Field, fmt.Sprintf(kindCases[f.Kind].echo, f.Field))
		}
		p("return nil")
		p("}")
	}
	p(`
type want struct {
	name string
	v    spopwire.Value
}

func check(t *testing.T, what string, got []spopwire.Action, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Fatalf("%%s: %%d actions; want %%d: %%v", what, len(got), len(wants), got)
	}
	for i, w := range wants {
		if string(got[i].Name) != w.name || !got[i].Value.Equal(w.v) {
			t.Errorf("%%s: action %%d = %%s %%v; want %%s %%v", what, i, got[i].Name, got[i].Value, w.name, w.v)
		}
	}
}

func TestEcho(t *testing.T) {
	var cfg server.Config
	Configure(&cfg)
	hp := spoptest.New(t, NewDispatcher(echo{}), spoptest.Options{Config: cfg})
	unknown := spoptest.Msg("not-in-the-conf", spoptest.Arg("a", spopwire.StringValue("x")), spoptest.Arg("", spopwire.Null()), spoptest.Arg("b", spopwire.Int64Value(3)))
	_ = unknown`)
	for _, m := range msgs {
		for _, pass := range []string{"good", "null", "wrong"} {
			var args, wants []string
			for _, f := range m.Fields {
				kc := kindCases[f.Kind]
				send, echoed := kc.good, kc.goodEcho
				switch {
				case pass == "null":
					send, echoed = "spopwire.Null()", `spopwire.StringValue("null")`
				case pass == "wrong" && kc.wrong != "":
					send, echoed = kc.wrong, `spopwire.StringValue("wrong")`
				}
				args = append(args, fmt.Sprintf("spoptest.Arg(%q, %s)", f.Name, send))
				wants = append(wants, fmt.Sprintf("{%q, %s}", m.Type+"_"+f.Field, echoed))
			}
			if pass == "wrong" && m.typed() {
				// A wrong type fails the message: the error variable only.
				wants = []string{fmt.Sprintf("{%q, spopwire.Int64Value(%s)}", errVar, errCode)}
			}
			msg := fmt.Sprintf("spoptest.Msg(%q, %s)", m.Name, strings.Join(args, ", "))
			p("{")
			// The unknown message before and after must be skipped whole.
			p("acts, err := hp.Notify(unknown, %s, unknown)", msg)
			p("if err != nil { t.Fatal(err) }")
			p("check(t, %q, acts, []want{%s})", m.Name+" "+pass, strings.Join(wants, ", "))
			p("}")
		}
		// Absent: a message sent with no arguments at all.
		var wants []string
		for _, f := range m.Fields {
			wants = append(wants, fmt.Sprintf("{%q, spopwire.StringValue(\"absent\")}", m.Type+"_"+f.Field))
		}
		p("{")
		p("acts, err := hp.Notify(spoptest.Msg(%q))", m.Name)
		p("if err != nil { t.Fatal(err) }")
		p("check(t, %q, acts, []want{%s})", m.Name+" absent", strings.Join(wants, ", "))
		p("}")
	}
	p("}")
	// LogValue: every argument by its key, through slog.
	p("func TestLogValue(t *testing.T) {")
	for _, m := range msgs {
		if len(m.Fields) == 0 {
			continue
		}
		var keys []string
		p("{")
		p("var b []byte")
		for _, f := range m.Fields {
			p("b = spopwire.AppendArg(b, %q, %s)", f.Name, kindCases[f.Kind].good)
			key := f.Name
			if f.Positional {
				key = f.Field
			}
			keys = append(keys, key)
		}
		p("var m %s", m.Type)
		p("if _, err := m.DecodeArgs(b, %d); err != nil { t.Fatal(err) }", len(m.Fields))
		p("var out strings.Builder")
		p("slog.New(slog.NewTextHandler(&out, nil)).Info(\"x\", \"msg\", m)")
		p("for _, k := range %#v {", keys)
		p("if !strings.Contains(out.String(), \"msg.\"+k+\"=\") { t.Errorf(\"%%s: no msg.%%s= in %%s\", %q, k, out.String()) }", m.Name)
		p("}")
		p("}")
	}
	p("}")
	return []byte(b.String())
}
