package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
)

var update = flag.Bool("update", false, "rewrite the golden help files in testdata")

// exited is the panic value of the test's kong.Exit.
type exited struct{ code int }

// run parses args as spopgen does and runs the selected command. It returns
// what the command and kong wrote, the parsed CLI, the command's error, and
// the exit code when kong exited (-1 otherwise).
func run(t *testing.T, args ...string) (stdout, stderr string, cli *CLI, cmd string, err error, code int) {
	t.Helper()
	var out, errb bytes.Buffer
	cli = &CLI{}
	opts := append(options(&out),
		kong.Writers(&out, &errb),
		kong.Exit(func(c int) { panic(exited{c}) }),
	)
	parser, perr := kong.New(cli, opts...)
	if perr != nil {
		t.Fatalf("kong.New: %v", perr)
	}
	code = -1
	func() {
		defer func() {
			if r := recover(); r != nil {
				e, ok := r.(exited)
				if !ok {
					panic(r)
				}
				code = e.code
			}
		}()
		ctx, perr := parser.Parse(args)
		if perr != nil {
			err = perr
			return
		}
		cmd = ctx.Command()
		err = ctx.Run()
	}()
	return out.String(), errb.String(), cli, cmd, err, code
}

// parse parses args as spopgen does without running the command: running
// generate would write files into the source tree.
func parse(t *testing.T, args ...string) (cli *CLI, cmd string, err error) {
	t.Helper()
	var out, errb bytes.Buffer
	cli = &CLI{}
	opts := append(options(&out),
		kong.Writers(&out, &errb),
		kong.Exit(func(c int) { panic(exited{c}) }),
	)
	parser, err := kong.New(cli, opts...)
	if err != nil {
		t.Fatalf("kong.New: %v", err)
	}
	ctx, err := parser.Parse(args)
	if err != nil {
		return cli, "", err
	}
	return cli, ctx.Command(), nil
}

func TestParseArgs(t *testing.T) {
	tests := []struct {
		args []string
		cmd  string
		want func(*CLI) string // the parsed fields that matter, "" to skip
		err  string            // substring of the parse error, "" if none
	}{
		{[]string{"dump", "testdata/ok.conf"}, "dump <file>",
			func(c *CLI) string { return c.Dump.File }, ""},
		{[]string{"check", "--haproxy-cfg", "testdata/haproxy.cfg", "testdata/ok.conf"}, "check <file>",
			func(c *CLI) string { return c.Check.File + " " + c.Check.HAProxyCfg }, ""},
		{[]string{"check", "testdata/ok.conf", "--haproxy-version=3.2"}, "check <file>",
			func(c *CLI) string { return c.Check.HAProxyVersion }, ""},
		{[]string{"testdata/ok.conf", "-o", "out"}, "generate <file>",
			func(c *CLI) string { return c.Generate.File + " " + filepath.Base(c.Generate.Output) }, ""},
		{[]string{"generate", "testdata/ok.conf"}, "generate <file>",
			func(c *CLI) string { return c.Generate.File }, ""},
		{[]string{"check"}, "", nil, "expected \"<file>\""},
		{[]string{"check", "testdata/nope.conf"}, "", nil, "nope.conf"},
		{[]string{"check", "--haproxy-cfg", "testdata/nope.cfg", "testdata/ok.conf"}, "", nil, "nope.cfg"},
		{[]string{"dump", "testdata/ok.conf", "extra"}, "", nil, "unexpected argument"},
	}
	wants := map[string]string{
		"dump testdata/ok.conf": "testdata/ok.conf",
		"check --haproxy-cfg testdata/haproxy.cfg testdata/ok.conf": "testdata/ok.conf " + mustAbs(t, "testdata/haproxy.cfg"),
		"check testdata/ok.conf --haproxy-version=3.2":              "3.2",
		"testdata/ok.conf -o out":                                   "testdata/ok.conf out",
		"generate testdata/ok.conf":                                 "testdata/ok.conf",
	}
	for _, tt := range tests {
		key := strings.Join(tt.args, " ")
		cli, cmd, err := parse(t, tt.args...)
		if tt.err != "" {
			var perr *kong.ParseError
			if err == nil || !strings.Contains(err.Error(), tt.err) || (!errors.As(err, &perr) && !strings.Contains(key, "nope")) {
				t.Errorf("spopgen %s: error = %v; want a parse error containing %q", key, err, tt.err)
			}
			continue
		}
		if cmd != tt.cmd {
			t.Errorf("spopgen %s: command = %q; want %q", key, cmd, tt.cmd)
		}
		if got := normalize(tt.want(cli)); got != normalize(wants[key]) {
			t.Errorf("spopgen %s: parsed %q; want %q", key, got, wants[key])
		}
	}
}

// normalize makes paths comparable: kong turns existing files into absolute
// paths for "existingfile" but keeps "arg" strings as given.
func normalize(s string) string {
	wd, _ := os.Getwd()
	return strings.ReplaceAll(s, wd+string(filepath.Separator), "")
}

func mustAbs(t *testing.T, p string) string {
	t.Helper()
	a, err := filepath.Abs(p)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestDump(t *testing.T) {
	stdout, _, _, _, err, _ := run(t, "dump", "testdata/bad.conf")
	if err != nil {
		t.Fatalf("spopgen dump testdata/bad.conf error = %v; want nil (problems are part of the dump)", err)
	}
	var got struct {
		Scopes []struct {
			Name     string
			Messages []struct {
				Name  string
				Event string
				Args  []struct{ Name, Expr string }
			}
		}
		Errors []struct {
			Line, Column int
			Token        string
		}
		SemanticIssues []struct{ Line int } `json:"semantic_issues"`
	}
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatalf("spopgen dump output is not JSON: %v\n%s", err, stdout)
	}
	summary := fmt.Sprintf("%s %s %s %v %v %v", got.Scopes[0].Name, got.Scopes[0].Messages[0].Name, got.Scopes[0].Messages[0].Event,
		got.Scopes[0].Messages[0].Args, got.Errors, got.SemanticIssues)
	want := "iprep check-ip on-client-sesion [{ip src}] [{8 17 \\} {9 10 port=src_port}] [{10}]"
	if summary != want {
		t.Errorf("spopgen dump testdata/bad.conf = %s; want %s", summary, want)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		args   []string
		stdout []string // expected line prefixes, in order
		errMsg string   // the summary kong prints, "" for exit status 0
	}{
		{[]string{"check", "testdata/ok.conf"}, nil, ""},
		{[]string{"check", "--haproxy-cfg", "testdata/haproxy.cfg", "testdata/ok.conf"}, nil, ""},
		{[]string{"check", "testdata/bad.conf"}, []string{
			"testdata/bad.conf:2:12: spoe-agent 'iprep-agent' has no 'option var-prefix', so its name is the variable prefix",
			"testdata/bad.conf:8:17: a lone backslash is not a sample expression",
			"testdata/bad.conf:9:10: warning: unknown keyword 'port=src_port' in spoe-message section",
			"testdata/bad.conf:10:11: unknown event 'on-client-sesion': HAProxy refuses the line; did you mean on-client-session?",
		}, "testdata/bad.conf: 3 errors, 1 warning"},
		{[]string{"check", "--haproxy-cfg", "testdata/haproxy.cfg", "testdata/bad.conf"}, []string{
			"testdata/bad.conf:2:12:", "testdata/bad.conf:8:17:", "testdata/bad.conf:9:10:", "testdata/bad.conf:10:11:",
		}, "testdata/bad.conf: 3 errors, 1 warning"},

		// Only warnings: HAProxy starts, so check succeeds unless --strict.
		{[]string{"check", "testdata/warn.conf"}, []string{
			"testdata/warn.conf:3:12: warning: spoe-agent 'iprep-agent' has no 'timeout processing'",
			"testdata/warn.conf:12:14: warning: spoe-message 'unused' is never sent",
		}, ""},
		{[]string{"check", "--strict", "testdata/warn.conf"}, []string{
			"testdata/warn.conf:3:12: warning:", "testdata/warn.conf:12:14: warning:",
		}, "testdata/warn.conf: 0 errors, 2 warnings"},

		// Names that are not declared.
		{[]string{"check", "testdata/undeclared.conf"}, []string{
			"testdata/undeclared.conf:4:23: spoe-message 'nope' is listed by spoe-agent 'iprep-agent' but not declared",
			"testdata/undeclared.conf:5:20: spoe-group 'nogroup' is listed by spoe-agent 'iprep-agent' but not declared",
			"testdata/undeclared.conf:15:14: spoe-message 'missing' of spoe-group 'lookups' is not declared",
		}, "testdata/undeclared.conf: 3 errors, 0 warnings"},

		// Problems in haproxy.cfg: the summary names that file.
		{[]string{"check", "--haproxy-cfg", "testdata/failopen.cfg", "testdata/ok.conf"}, []string{
			"testdata/failopen.cfg:7:5: warning: spoe-agent 'iprep-agent' (testdata/ok.conf:3:12): no rule reads var(txn.iprep.agent_error): handler errors and agent outages let requests through (fail-open)",
		}, ""},
		{[]string{"check", "--strict", "--haproxy-cfg", "testdata/failopen.cfg", "testdata/ok.conf"}, []string{
			"testdata/failopen.cfg:7:5: warning:",
		}, "testdata/failopen.cfg: 0 errors, 1 warning"},
		{[]string{"check", "--haproxy-cfg", "testdata/noagent.cfg", "testdata/warn.conf"}, []string{
			"testdata/warn.conf:3:12: warning:", "testdata/warn.conf:12:14: warning:",
			"testdata/noagent.cfg:7:5: 'filter spoe' in 'fe' uses scope [nope]",
		}, "testdata/warn.conf: 0 errors, 2 warnings; testdata/noagent.cfg: 1 error, 0 warnings"},
	}
	for _, tt := range tests {
		key := strings.Join(tt.args, " ")
		stdout, _, _, _, err, _ := run(t, tt.args...)
		var lines []string
		if s := strings.TrimSuffix(normalize(stdout), "\n"); s != "" {
			lines = strings.Split(s, "\n")
		}
		if len(lines) != len(tt.stdout) {
			t.Errorf("spopgen %s printed %d lines; want %d:\n%s", key, len(lines), len(tt.stdout), stdout)
			continue
		}
		for i, want := range tt.stdout {
			if !strings.HasPrefix(lines[i], want) {
				t.Errorf("spopgen %s line %d = %q; want prefix %q", key, i+1, lines[i], want)
			}
		}
		if tt.errMsg == "" {
			if err != nil {
				t.Errorf("spopgen %s error = %v; want nil (exit status 0)", key, err)
			}
			continue
		}
		var coder kong.ExitCoder
		if err == nil || !errors.As(err, &coder) || coder.ExitCode() != 1 || normalize(err.Error()) != tt.errMsg {
			t.Errorf("spopgen %s error = %v; want %q with exit status 1", key, err, tt.errMsg)
		}
	}
}

func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.org/agents\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "okagent")
	stdout, _, _, cmd, err, _ := run(t, "testdata/ok.conf", "-o", out)
	if err != nil || !strings.HasPrefix(cmd, "generate") {
		t.Fatalf("spopgen testdata/ok.conf -o DIR: command %q, error %v; want generate, nil", cmd, err)
	}
	for _, name := range []string{"ok_spoe.go", "handler.go", "cmd/okagent/main.go"} {
		if _, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("spopgen did not write %s: %v\n%s", name, err, stdout)
		}
	}
	main, _ := os.ReadFile(filepath.Join(out, "cmd/okagent/main.go"))
	if !strings.Contains(string(main), `"example.org/agents/okagent"`) {
		t.Errorf("main.go does not import the package by its import path:\n%s", main)
	}
	// Stubs are written once: a filled-in handler.go survives a new run.
	handler := filepath.Join(out, "handler.go")
	if err := os.WriteFile(handler, []byte("package okagent // mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err, _ := run(t, "generate", "testdata/ok.conf", "-o", out); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(handler); string(b) != "package okagent // mine\n" {
		t.Errorf("a second run overwrote handler.go: %q", b)
	}
}

// TestGenerateRefuses checks that generate refuses, writing nothing, every
// file check finds an error in and every --type that cannot be meant.
func TestGenerateRefuses(t *testing.T) {
	tests := []struct {
		args   []string
		stdout string // a line generate prints before refusing, "" for none
		err    string // substring of the error
	}{
		{[]string{"testdata/bad.conf"}, "testdata/bad.conf:10:11: unknown event",
			"testdata/bad.conf: 3 errors, 1 warning (HAProxy refuses it: nothing written)"},
		{[]string{"testdata/undeclared.conf"}, "testdata/undeclared.conf:4:23: spoe-message 'nope' is listed by spoe-agent",
			"testdata/undeclared.conf: 3 errors, 0 warnings"},
		{[]string{"testdata/warn.conf", "--haproxy-cfg", "testdata/noagent.cfg"}, "testdata/noagent.cfg:7:5: 'filter spoe'",
			"testdata/warn.conf: 0 errors, 2 warnings; testdata/noagent.cfg: 1 error, 0 warnings"},

		// --type: the syntax, then names that do not exist, then kinds
		// that contradict a known type.
		{[]string{"testdata/ok.conf", "--type", "nodot=int"}, "", "want MESSAGE.ARG=KIND"},
		{[]string{"testdata/ok.conf", "--type", "m.a=float"}, "", "want MESSAGE.ARG=KIND"},
		{[]string{"testdata/ok.conf", "--type", "chek-ip.ip=addr"}, "", "no spoe-message 'chek-ip' in testdata/ok.conf; did you mean 'check-ip'?"},
		{[]string{"testdata/ok.conf", "--type", "zzz.ip=addr"}, "", "no spoe-message 'zzz' in testdata/ok.conf"},
		{[]string{"testdata/ok.conf", "--type", "check-ip.iq=addr"}, "", "spoe-message 'check-ip' (testdata/ok.conf:9:14) has no argument 'iq' (a name, or a position from 0 to 0); did you mean 'ip'?"},
		{[]string{"testdata/ok.conf", "--type", "check-ip.1=addr"}, "", "has no argument '1'"},
		{[]string{"testdata/ok.conf", "--scope", "other", "--type", "check-ip.ip=addr"}, "", "no spoe-message 'check-ip'"},
		{[]string{"testdata/ok.conf", "--type", "check-ip.ip=string"}, "", "argument 'ip' of spoe-message 'check-ip' (testdata/ok.conf:10:10) is src, of type addr: a field of kind string would refuse every value HAProxy sends for it"},
		{[]string{"testdata/types.conf", "--type", "req.hdrs=headers"}, "", "is req.hdrs, of type string: a field of kind headers"},
		{[]string{"testdata/types.conf", "--type", "req.s=int"}, "", "is str(x), of type string: a field of kind int"},
		{[]string{"testdata/types.conf", "--type", "req.n=string"}, "", "is int(1), of type int: a field of kind string"},
		{[]string{"testdata/types.conf", "--type", "req.7=addr"}, "", "argument 7 of spoe-message 'req' (testdata/types.conf:10:97) is src_port, of type int: a field of kind addr"},
	}
	for _, tt := range tests {
		out := t.TempDir()
		args := append(append([]string{}, tt.args...), "-o", out, "--no-stubs")
		key := strings.Join(tt.args, " ")
		stdout, _, _, _, err, _ := run(t, args...)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("spopgen %s: error = %v; want one containing %q", key, err, tt.err)
		}
		if !strings.Contains(stdout, tt.stdout) || strings.Contains(stdout, "wrote") {
			t.Errorf("spopgen %s printed\n%s\nwant a line %q and nothing written", key, stdout, tt.stdout)
		}
		if written, _ := os.ReadDir(out); len(written) != 0 {
			t.Errorf("spopgen %s wrote %d files; want none", key, len(written))
		}
	}
}

// TestGenerateWarnings checks that generate prints warnings and still
// writes the code, and accepts --type overrides that fit.
func TestGenerateWarnings(t *testing.T) {
	tests := []struct {
		args   []string
		stdout []string // substrings of the output
	}{
		{[]string{"testdata/warn.conf"}, []string{"testdata/warn.conf:3:12: warning: spoe-agent 'iprep-agent' has no 'timeout processing'",
			"testdata/warn.conf:12:14: warning: spoe-message 'unused' is never sent", "wrote "}},
		{[]string{"testdata/ok.conf", "--haproxy-cfg", "testdata/failopen.cfg"}, []string{
			"testdata/failopen.cfg:7:5: warning: spoe-agent 'iprep-agent' (testdata/ok.conf:3:12): no rule reads var(txn.iprep.agent_error): handler errors and agent outages let requests through (fail-open)", "wrote "}},
		{[]string{"testdata/types.conf", "--type", "req.ip=value", "--type", "req.raw=bytes", "--type", "req.body=headers",
			"--type", "req.hdrs=bytes", "--type", "req.any=int", "--type", "req.7=int", "--type", "req.s=bytes"}, []string{"wrote "}},
	}
	for _, tt := range tests {
		out := t.TempDir()
		args := append(append([]string{}, tt.args...), "-o", out, "--no-stubs")
		key := strings.Join(tt.args, " ")
		stdout, _, _, _, err, _ := run(t, args...)
		if err != nil {
			t.Errorf("spopgen %s: error = %v; want nil", key, err)
		}
		for _, want := range tt.stdout {
			if !strings.Contains(stdout, want) {
				t.Errorf("spopgen %s printed\n%s\nwant %q", key, stdout, want)
			}
		}
	}
}

func TestVerify(t *testing.T) {
	dir := t.TempDir()
	conf, err := os.ReadFile("testdata/ok.conf")
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"ok.conf": string(conf),
		"gen.go":  "package x\n\n//go:generate go run github.com/spopkit/spopkit/cmd/spopgen ok.conf --package x --no-stubs\n",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, _, _, err, _ := run(t, "verify", dir); err == nil {
		t.Error("spopgen verify with the generated file missing: error = nil; want stale")
	}
	if _, _, _, _, err, _ := run(t, filepath.Join(dir, "ok.conf"), "--package", "x", "--no-stubs"); err != nil {
		t.Fatal(err)
	}
	if stdout, _, _, _, err, _ := run(t, "verify", dir); err != nil || !strings.Contains(stdout, "1 generated files checked, 0 stale") {
		t.Errorf("spopgen verify after generating: %q, %v; want 1 checked, 0 stale", stdout, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ok_spoe.go"), []byte("package x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, err, _ := run(t, "verify", dir); err == nil {
		t.Error("spopgen verify with an edited generated file: error = nil; want stale")
	}
	// Without a directory, verify checks the current one.
	if _, _, _, _, err, _ := run(t, filepath.Join(dir, "ok.conf"), "--package", "x", "--no-stubs"); err != nil {
		t.Fatal(err)
	}
	t.Chdir(dir)
	if stdout, _, _, _, err, _ := run(t, "verify"); err != nil || !strings.Contains(stdout, "1 generated files checked, 0 stale") {
		t.Errorf("spopgen verify (no directory) in the generated package: %q, %v; want 1 checked, 0 stale", stdout, err)
	}
	// A spoe.conf that HAProxy refuses fails verify, with its diagnostics.
	if err := os.WriteFile("ok.conf", append(conf, "spoe-group g\n    messages nope\n"...), 0o644); err != nil {
		t.Fatal(err)
	}
	if stdout, _, _, _, err, _ := run(t, "verify"); err == nil || !strings.Contains(stdout, "ok.conf:13:14: spoe-message 'nope' of spoe-group 'g' is not declared") {
		t.Errorf("spopgen verify with a refused spoe.conf: %q, %v; want its diagnostics and an error", stdout, err)
	}
}

func TestVersion(t *testing.T) {
	stdout, _, _, _, _, code := run(t, "--version")
	if code != 0 || !strings.HasPrefix(stdout, "spopgen ") {
		t.Errorf("spopgen --version = %q, exit %d; want \"spopgen ...\", exit 0", stdout, code)
	}
}

// TestHelp compares the --help output of spopgen and of each command with
// the golden files in testdata; run "go test ./cmd/spopgen -update" after an
// intended change.
func TestHelp(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		golden string
	}{
		{[]string{"--help"}, "help.golden"},
		{[]string{"dump", "--help"}, "help-dump.golden"},
		{[]string{"check", "--help"}, "help-check.golden"},
		{[]string{"generate", "--help"}, "help-generate.golden"},
	} {
		stdout, _, _, _, _, code := run(t, tt.args...)
		if code != 0 {
			t.Errorf("spopgen %s exit status = %d; want 0", strings.Join(tt.args, " "), code)
		}
		golden := filepath.Join("testdata", tt.golden)
		if *update {
			if err := os.WriteFile(golden, []byte(stdout), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./cmd/spopgen -update)", err)
		}
		if stdout != string(want) {
			t.Errorf("spopgen %s =\n%s\nwant (%s)\n%s", strings.Join(tt.args, " "), stdout, golden, want)
		}
	}
}
