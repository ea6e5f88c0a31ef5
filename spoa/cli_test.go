package spoa

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/alecthomas/kong"
	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spopwire"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// testFlags are an agent's own flags.
type testFlags struct {
	Seed  uint64   `help:"Seed."`
	Delay Duration `default:"1s" help:"Delay."`
}

var nop = server.HandlerFunc(func(*server.Request, *server.Actions) error { return nil })

func testAgents(f *testFlags) []Agent {
	return []Agent{
		{Name: "alpha", Help: "Agent alpha.", Handler: nop, Flags: f},
		{Name: "beta", Help: "Agent beta.", Handler: nop},
	}
}

// parse parses args like Run, without running the command, and returns the
// globals, the selected command and the exit code kong asked for (-1: none).
func parse(t *testing.T, args []string, env map[string]string) (g Globals, f testFlags, cmd string, code int, out string) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	var buf bytes.Buffer
	d := &deps{ctx: context.Background(), stdout: &buf, stderr: &buf}
	p, err := newParser(d, testAgents(&f))
	if err != nil {
		t.Fatal(err)
	}
	code = -1
	func() {
		defer func() {
			if r := recover(); r != nil {
				code = int(r.(exitCode))
			}
		}()
		cmd = mustParse(p, args).Command()
	}()
	c := p.Model.Target.Addr().Interface().(*cli)
	return c.Globals, f, cmd, code, buf.String()
}

func TestParse(t *testing.T) {
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, g Globals, f testFlags)
		cmd   string
	}{
		{"defaults", []string{"alpha"}, nil, func(t *testing.T, g Globals, f testFlags) {
			if g.Address != "127.0.0.1" || g.Port != 12345 || g.MaxFrameSize != 16380 || g.Loops != 0 ||
				g.Runtime != 0 || g.LogFormat != "text" || f.Delay.D() != time.Second {
				t.Errorf("defaults: %+v %+v", g, f)
			}
			// SPOP has no authentication: loopback unless told otherwise.
			if g.serverConfig().Address != "127.0.0.1:12345" {
				t.Errorf("address %q; want 127.0.0.1:12345", g.serverConfig().Address)
			}
		}, "alpha"},
		{"spoa-example letters", []string{"-a", "127.0.0.1", "-p", "9000", "-n", "3", "-m", "1024", "-c", "pipelining", "-c", "async", "-b", "64", "-r", "2s", "-t", "10", "-d", "-F", "/tmp/x.pid", "-i", "1m", "beta"}, nil,
			func(t *testing.T, g Globals, f testFlags) {
				want := Globals{Address: "127.0.0.1", Port: 9000, Loops: 3, MaxFrameSize: 1024, Capability: []string{"pipelining", "async"},
					Backlog: 64, Runtime: Duration(2 * time.Second), ProcessingDelay: Duration(10 * time.Millisecond), Debug: true,
					Pidfile: "/tmp/x.pid", MonitorInterval: Duration(time.Minute)}
				g.Engine, g.LogFormat, g.ShutdownTimeout, g.UnixMode, g.unixMode = "", "", 0, "", 0
				if !reflect.DeepEqual(g, want) {
					t.Errorf("got  %+v\nwant %+v", g, want)
				}
				if c := g.capabilities(); c != spopwire.CapPipelining|spopwire.CapAsync {
					t.Errorf("capabilities %v", c)
				}
			}, "beta"},
		{"global flags after the agent", []string{"alpha", "--seed", "7", "-p", "1", "--delay", "250us"}, nil, func(t *testing.T, g Globals, f testFlags) {
			if g.Port != 1 || f.Seed != 7 || f.Delay.D() != 250*time.Microsecond {
				t.Errorf("port %d seed %d delay %v", g.Port, f.Seed, f.Delay)
			}
		}, "alpha"},
		{"every interface", []string{"--address", "0.0.0.0", "alpha"}, nil, func(t *testing.T, g Globals, f testFlags) {
			if a := g.serverConfig().Address; a != "0.0.0.0:12345" {
				t.Errorf("address %q; want 0.0.0.0:12345", a)
			}
		}, "alpha"},
		{"environment", []string{"alpha"}, map[string]string{"SPOA_ADDRESS": "::1", "SPOA_PORT": "7", "SPOA_SEED": "9", "SPOA_RUNTIME": "1d", "SPOA_CAPABILITY": "fragmentation"},
			func(t *testing.T, g Globals, f testFlags) {
				if g.Address != "::1" || g.Port != 7 || f.Seed != 9 || g.Runtime.D() != 24*time.Hour || g.serverConfig().Address != "[::1]:7" {
					t.Errorf("from env: %+v %+v", g, f)
				}
				if g.capabilities() != spopwire.CapFragmentation {
					t.Errorf("capabilities %v", g.capabilities())
				}
			}, "alpha"},
		{"no capability", []string{"-c", "none", "--passive-drain", "alpha"}, nil, func(t *testing.T, g Globals, f testFlags) {
			if c := g.serverConfig(); c.Capabilities != server.CapabilitiesNone || !c.PassiveDrain {
				t.Errorf("capabilities %v, passive drain %v; want none, true", c.Capabilities, c.PassiveDrain)
			}
		}, "alpha"},
		{"unix socket", []string{"--unix", "/run/spoa.sock", "beta"}, nil, func(t *testing.T, g Globals, f testFlags) {
			if c := g.serverConfig(); c.Address != "" || c.UnixPath != "/run/spoa.sock" || c.UnixMode != 0o660 || c.UnixGroup != 0 {
				t.Errorf("config %+v", c)
			}
		}, "beta"},
		{"unix socket owner", []string{"--unix", "/run/spoa.sock", "--unix-mode", "600", "--unix-group", "123", "beta"}, nil, func(t *testing.T, g Globals, f testFlags) {
			if c := g.serverConfig(); c.UnixMode != 0o600 || c.UnixGroup != 123 {
				t.Errorf("UnixMode %o, UnixGroup %d; want 600, 123", c.UnixMode, c.UnixGroup)
			}
		}, "beta"},
		{"error variable", []string{"--error-var", "error", "alpha"}, nil, func(t *testing.T, g Globals, f testFlags) {
			if v := g.serverConfig().ErrorVar; v != (server.Var{Scope: spopwire.ScopeTransaction, Name: "error"}) {
				t.Errorf("ErrorVar = %+v; want txn error", v)
			}
		}, "alpha"},
		{"error variable with a scope, from the environment", []string{"alpha"}, map[string]string{"SPOA_ERROR_VAR": "sess.waf.failed"}, func(t *testing.T, g Globals, f testFlags) {
			if v := g.serverConfig().ErrorVar; v != (server.Var{Scope: spopwire.ScopeSession, Name: "waf.failed"}) {
				t.Errorf("ErrorVar = %+v; want sess waf.failed", v)
			}
		}, "alpha"},
		{"no error variable", []string{"alpha"}, nil, func(t *testing.T, g Globals, f testFlags) {
			if v := g.serverConfig().ErrorVar; v != (server.Var{}) {
				t.Errorf("ErrorVar = %+v; want the zero Var (the agent's choice)", v)
			}
		}, "alpha"},
		{"log file modes", []string{"-l", "W:/tmp/spoa.log", "--log-format", "json", "beta"}, nil, func(t *testing.T, g Globals, f testFlags) {
			if g.Logfile != (LogFile{Path: "/tmp/spoa.log", Truncate: true, Line: true}) || g.LogFormat != "json" {
				t.Errorf("logfile %+v format %s", g.Logfile, g.LogFormat)
			}
		}, "beta"},
		{"probe", []string{"probe", "127.0.0.1:1", "--timeout", "5s"}, nil, func(t *testing.T, g Globals, f testFlags) {}, "probe <addr>"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, f, cmd, code, out := parse(t, tt.args, tt.env)
			if code != -1 {
				t.Fatalf("exit %d:\n%s", code, out)
			}
			if cmd != tt.cmd {
				t.Errorf("command %q; want %q", cmd, tt.cmd)
			}
			tt.check(t, g, f)
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{}, "expected one of"},
		{[]string{"gamma"}, "unexpected argument gamma"},
		{[]string{"-m", "100", "alpha"}, "below HAProxy's minimum"},
		{[]string{"-p", "70000", "alpha"}, "outside [0, 65535]"},
		{[]string{"-c", "turbo", "alpha"}, "must be one of"},
		{[]string{"-r", "soon", "alpha"}, "invalid time value"},
		{[]string{"--runtime=-5s", "alpha"}, "negative time value"},
		{[]string{"-l", "x:file", "alpha"}, "invalid log file mode"},
		{[]string{"--engine", "kqueue", "alpha"}, "must be one of"},
		{[]string{"--pprof", "alpha"}, "--pprof needs --metrics-addr"},
		{[]string{"-c", "none", "-c", "async", "alpha"}, "cannot be combined"},
		{[]string{"alpha", "--bogus"}, "unknown flag --bogus"},
		{[]string{"--unix-mode", "0999", "alpha"}, `--unix-mode "0999": want octal permission bits`},
		{[]string{"--unix-mode", "01777", "alpha"}, `--unix-mode "01777": want octal permission bits`},
		{[]string{"--unix-group", "no-such-group-here", "alpha"}, "--unix-group: group: unknown group no-such-group-here"},
		{[]string{"--unix-group", "root", "alpha"}, "--unix-group root: want a group other than root (gid > 0)"},
		{[]string{"--unix-group", "0", "alpha"}, "--unix-group 0: want a group other than root (gid > 0)"},
		{[]string{"--error-var", "bad-name", "alpha"}, `'-' is not allowed in a variable name`},
		{[]string{"--error-var", "txn.", "alpha"}, "no variable name"},
		{[]string{"--record-sample", "3", "alpha"}, "need --record"},
		{[]string{"--record", "x.spop", "--record-max-bytes=-1", "alpha"}, "cannot be negative"},
	}
	for _, tt := range tests {
		_, _, _, code, out := parse(t, tt.args, nil)
		if code != 2 || !strings.Contains(out, tt.want) {
			t.Errorf("%q: exit %d, output:\n%s\nwant exit 2 and a usage error containing %q", tt.args, code, out, tt.want)
		}
	}
}

func TestParseDuration(t *testing.T) {
	tests := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"0", 0, true},
		{"250", 250 * time.Millisecond, true}, // bare numbers are ms, as in spoa-example
		{"10us", 10 * time.Microsecond, true},
		{"10ms", 10 * time.Millisecond, true},
		{"3s", 3 * time.Second, true},
		{"2m", 2 * time.Minute, true},
		{"1h", time.Hour, true},
		{"7d", 7 * 24 * time.Hour, true},
		{"1m30s", 90 * time.Second, true},
		{"1.5s", 1500 * time.Millisecond, true},
		{" 5s ", 5 * time.Second, true},
		{"", 0, false},
		{"s", 0, false},
		{"5x", 0, false},
		{"-1s", 0, false},
		{"99999999999999d", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseDuration(tt.in)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("ParseDuration(%q) = %v, %v; want %v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestParseLogFile(t *testing.T) {
	tests := []struct {
		in   string
		want LogFile
		ok   bool
	}{
		{"/var/log/spoa.log", LogFile{Path: "/var/log/spoa.log"}, true},
		{"a:/l", LogFile{Path: "/l"}, true},
		{"w:/l", LogFile{Path: "/l", Truncate: true}, true},
		{"A:/l", LogFile{Path: "/l", Line: true}, true},
		{"W:/l", LogFile{Path: "/l", Truncate: true, Line: true}, true},
		{"q:/l", LogFile{}, false},
		{"a:", LogFile{}, false},
	}
	for _, tt := range tests {
		got, err := ParseLogFile(tt.in)
		if (err == nil) != tt.ok || tt.ok && got != tt.want {
			t.Errorf("ParseLogFile(%q) = %+v, %v; want %+v, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

func TestLogFileModes(t *testing.T) {
	dir := t.TempDir()
	for _, mode := range []string{"a", "w", "A", "W"} {
		path := filepath.Join(dir, mode+".log")
		if err := os.WriteFile(path, []byte("old\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		l, _ := ParseLogFile(mode + ":" + path)
		sink, err := openLogSink(l, nil)
		if err != nil {
			t.Fatal(err)
		}
		newLogger(sink, "text", false).Info("hello")
		if err := sink.Close(); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(path)
		wantOld := mode == "a" || mode == "A"
		if strings.HasPrefix(string(b), "old\n") != wantOld || !strings.Contains(string(b), "msg=hello") {
			t.Errorf("mode %s: file %q", mode, b)
		}
	}
}

// TestHelpGolden keeps the --help output of the command line; run with
// -update after a deliberate change.
func TestHelpGolden(t *testing.T) {
	tests := []struct {
		file string
		args []string
	}{
		{"help.golden", []string{"--help"}},
		{"help-agent.golden", []string{"alpha", "--help"}},
		{"help-probe.golden", []string{"probe", "--help"}},
		{"help-config.golden", []string{"config", "--help"}},
		// A generated agent: one agent, no example files, so no config
		// command.
		{"help-single.golden", []string{"--help"}},
	}
	t.Setenv("COLUMNS", "100")
	for _, tt := range tests {
		var out bytes.Buffer
		var f testFlags
		agents := testAgents(&f)
		agents[0].Files = map[string]string{"spoe.conf": "[alpha]\n"}
		if tt.file == "help-single.golden" {
			agents = []Agent{{Name: "alpha", Help: "Agent alpha.", Handler: nop, Flags: &f}}
		}
		if code := run(tt.args, &deps{ctx: context.Background(), stdout: &out, stderr: &out}, agents); code != 0 {
			t.Fatalf("%v: exit %d", tt.args, code)
		}
		golden(t, filepath.Join("testdata", tt.file), out.Bytes())
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (run go test -update to accept):\n%s", path, got)
	}
}

func TestSingleAgentNeedsNoName(t *testing.T) {
	var f testFlags
	d := &deps{ctx: context.Background(), stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	p, err := newParser(d, testAgents(&f)[:1])
	if err != nil {
		t.Fatal(err)
	}
	kctx, err := p.Parse([]string{"-p", "5", "--seed", "3"})
	if err != nil {
		t.Fatal(err)
	}
	if kctx.Command() != "alpha" || f.Seed != 3 {
		t.Errorf("command %q seed %d; want alpha, 3", kctx.Command(), f.Seed)
	}
	var _ = kong.Exit
}
