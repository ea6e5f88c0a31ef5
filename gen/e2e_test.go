package gen

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spopkit/spopkit/gen/spoeconf"
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
		write(t, filepath.Join(mod, pkg, "echo_test.go"), echoDriver(pkg, m.Messages))
	}
	cmd := exec.Command("go", "test", "-count=1", "./...")
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test in the generated module: %v\n%s", err, out)
	}
	t.Logf("%s", out)
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
func echoDriver(pkg string, msgs []genMessage) []byte {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	p("package %s", pkg)
	p(`import (
	"net/netip"
	"testing"

	"github.com/spopkit/spopkit/spoa/arg"
	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

var _ = netip.Addr{}

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
	hp := spoptest.New(t, NewDispatcher(echo{}), spoptest.Options{})
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
	return []byte(b.String())
}
