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
		stdout []string // expected lines, in order
		errMsg string   // the summary kong prints, "" for success
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
	}
	for _, tt := range tests {
		key := strings.Join(tt.args, " ")
		stdout, _, cli, _, err, _ := run(t, tt.args...)
		var lines []string
		if s := strings.TrimSuffix(stdout, "\n"); s != "" {
			lines = strings.Split(s, "\n")
		}
		file := cli.Check.File
		for i := range lines {
			lines[i] = strings.Replace(lines[i], file, "testdata/"+filepath.Base(file), 1)
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
		if err == nil || !errors.As(err, &coder) || coder.ExitCode() != 1 || !strings.HasSuffix(err.Error(), tt.errMsg[strings.Index(tt.errMsg, ":"):]) {
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

func TestGenerateErrors(t *testing.T) {
	for _, args := range [][]string{
		{"testdata/bad.conf", "-o", t.TempDir(), "--no-stubs"},
		{"testdata/ok.conf", "-o", t.TempDir(), "--no-stubs", "--type", "nodot=int"},
		{"testdata/ok.conf", "-o", t.TempDir(), "--no-stubs", "--type", "m.a=float"},
	} {
		if _, _, _, _, err, _ := run(t, args...); err == nil {
			t.Errorf("spopgen %s: error = nil; want an error", strings.Join(args, " "))
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
