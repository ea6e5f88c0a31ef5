package spoa

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
)

func TestFormatVersion(t *testing.T) {
	rev := "5727483abcdef0123456789abcdef0123456789a"
	vcs := func(modified string) []debug.BuildSetting {
		return []debug.BuildSetting{{Key: "vcs", Value: "git"}, {Key: "vcs.revision", Value: rev}, {Key: "vcs.modified", Value: modified}}
	}
	tests := []struct {
		name string
		bi   debug.BuildInfo
		want string
	}{
		{"go install of a release", debug.BuildInfo{GoVersion: "go1.26.0", Path: "github.com/spopkit/spopkit/cmd/spoa",
			Main: debug.Module{Path: modulePath, Version: "v1.2.0"}},
			"github.com/spopkit/spopkit/cmd/spoa v1.2.0, go1.26.0"},
		{"checkout, clean", debug.BuildInfo{GoVersion: "go1.26.0", Path: "github.com/spopkit/spopkit/cmd/spoa",
			Main: debug.Module{Path: modulePath, Version: "v0.0.0-20261204171234-5727483abcde"}, Settings: vcs("false")},
			"github.com/spopkit/spopkit/cmd/spoa v0.0.0-20261204171234-5727483abcde, commit " + rev + ", go1.26.0"},
		{"checkout, uncommitted changes, old toolchain", debug.BuildInfo{GoVersion: "go1.23.0", Path: "github.com/spopkit/spopkit/cmd/spoa",
			Main: debug.Module{Path: modulePath, Version: "(devel)"}, Settings: vcs("true")},
			"github.com/spopkit/spopkit/cmd/spoa devel, commit " + rev + " (modified), go1.23.0"},
		{"generated agent", debug.BuildInfo{GoVersion: "go1.26.0", Path: "example.com/waf/cmd/waf",
			Main: debug.Module{Path: "example.com/waf", Version: "(devel)"}, Settings: vcs("false"),
			Deps: []*debug.Module{{Path: "golang.org/x/sys", Version: "v0.49.0"}, {Path: modulePath, Version: "v1.2.0"}}},
			"example.com/waf/cmd/waf devel, commit " + rev + ", spopkit v1.2.0, go1.26.0"},
		{"generated agent on a local spopkit", debug.BuildInfo{GoVersion: "go1.26.0", Path: "example.com/waf",
			Main: debug.Module{Path: "example.com/waf", Version: "v0.1.0"},
			Deps: []*debug.Module{{Path: modulePath, Version: "v0.0.0", Replace: &debug.Module{Path: "../spopkit"}}}},
			"example.com/waf v0.1.0, spopkit v0.0.0 => ../spopkit, go1.26.0"},
	}
	for _, tt := range tests {
		if got := formatVersion(&tt.bi); got != tt.want {
			t.Errorf("%s: formatVersion = %q; want %q", tt.name, got, tt.want)
		}
	}
}

// TestVersionFlag: --version prints the version line and exits 0, before
// any validation of the other flags.
func TestVersionFlag(t *testing.T) {
	for _, args := range [][]string{{"--version"}, {"-V"}, {"-p", "70000", "--version"}} {
		var out bytes.Buffer
		var f testFlags
		code := run(args, &deps{ctx: context.Background(), stdout: &out, stderr: &out}, testAgents(&f))
		if code != 0 || strings.TrimSpace(out.String()) != version() {
			t.Errorf("%q: exit %d, output %q; want 0, %q", args, code, out.String(), version())
		}
	}
}

// TestExitCodes: Run's status is 0 for help, 2 for a command-line error,
// 1 for a command that fails.
func TestExitCodes(t *testing.T) {
	tests := []struct {
		args []string
		want int
	}{
		{[]string{"--help"}, 0},
		{[]string{"alpha", "--bogus"}, 2},
		{[]string{"-p", "-1", "alpha"}, 2},
		{[]string{"-r", "soon", "alpha"}, 2},
		{[]string{"probe"}, 2},
		{[]string{"config", "beta"}, 1}, // beta ships no files: the command fails
		{[]string{"probe", "--timeout", "100ms", "/nonexistent/spoa.sock"}, 1},
		{[]string{"probe", "-p", "5", "--timeout", "100ms", "/nonexistent/spoa.sock"}, 2}, // an agent flag
		{[]string{"--port", "5", "probe", "--timeout", "100ms", "/nonexistent/spoa.sock"}, 2},
		{[]string{"replay", "--debug", "--to", "127.0.0.1:1", "version_test.go"}, 2}, // 1 without --debug: not a recording
	}
	for _, tt := range tests {
		var out bytes.Buffer
		var f testFlags
		if code := Run(context.Background(), tt.args, &out, &out, testAgents(&f)...); code != tt.want {
			t.Errorf("Run(%q) = %d; want %d\n%s", tt.args, code, tt.want, out.String())
		}
	}
}

// TestVersionOfCheckoutBuild builds an agent the way an operator does (go
// build in a git checkout of the agent's own module, spopkit as a
// dependency) and checks that --version names the commit, and says
// "modified" once the tree has uncommitted changes.
func TestVersionOfCheckoutBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a binary")
	}
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("no git")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	gomod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	// The agent's module requires what spopkit requires (so that the build
	// needs no network) plus spopkit itself, replaced by this tree.
	_, requires, _ := strings.Cut(string(gomod), "require (")
	requires, _, _ = strings.Cut(requires, ")")
	writeFile(t, filepath.Join(dir, "go.mod"), "module example.com/agent\n\ngo 1.26.0\n\nrequire (\n"+requires+
		"\tgithub.com/spopkit/spopkit v0.0.0\n)\n\nreplace github.com/spopkit/spopkit => "+root+"\n")
	gosum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "go.sum"), string(gosum))
	writeFile(t, filepath.Join(dir, "main.go"), `package main

import (
	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spoa"
)

func main() {
	spoa.Main(spoa.Agent{Name: "agent", Help: "Test agent.",
		Handler: server.HandlerFunc(func(*server.Request, *server.Actions) error { return nil })})
}
`)
	run := func(name string, args ...string) string {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOPROXY=off", "GIT_CONFIG_GLOBAL=/dev/null",
			"GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com", "GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	goBin := filepath.Join(runtime.GOROOT(), "bin", "go")
	run(git, "init", "-q")
	run(git, "add", ".")
	run(git, "commit", "-q", "-m", "agent")
	rev := run(git, "rev-parse", "HEAD")
	bin := filepath.Join(dir, "agent")
	// -buildvcs=true: stamping must not silently depend on the GOFLAGS of
	// the machine running the test.
	run(goBin, "build", "-buildvcs=true", "-o", bin, ".")
	got := run(bin, "--version")
	if !strings.HasPrefix(got, "example.com/agent ") || !strings.Contains(got, ", commit "+rev+", spopkit ") || strings.Contains(got, "modified") {
		t.Errorf("--version = %q; want example.com/agent, commit %s, not modified, spopkit's version", got, rev)
	}

	writeFile(t, filepath.Join(dir, "main.go"), "// changed\n"+readFile(t, filepath.Join(dir, "main.go")))
	run(goBin, "build", "-buildvcs=true", "-o", bin, ".")
	if got = run(bin, "--version"); !strings.Contains(got, ", commit "+rev+" (modified)") {
		t.Errorf("--version after a change = %q; want commit %s (modified)", got, rev)
	}
	t.Logf("--version: %s", got)

	// A generated agent has no example files: its help offers no config
	// command, and a usage error exits 2.
	if help := run(bin, "--help"); strings.Contains(help, "config") {
		t.Errorf("--help of an agent without example files offers config:\n%s", help)
	}
	cmd := exec.Command(bin, "--bogus")
	if err := cmd.Run(); cmd.ProcessState == nil || cmd.ProcessState.ExitCode() != 2 {
		t.Errorf("agent --bogus: %v; want exit status 2", err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestToolCommandIgnoresAgentEnvironment: a tool command shares the agent's
// environment (a systemd unit's probe) but not its validation.
func TestToolCommandIgnoresAgentEnvironment(t *testing.T) {
	t.Setenv("SPOA_UNIX_GROUP", "no-such-group-here")
	var out bytes.Buffer
	var f testFlags
	if code := Run(context.Background(), []string{"probe", "--timeout", "100ms", "/nonexistent/spoa.sock"}, &out, &out, testAgents(&f)...); code != 1 {
		t.Errorf("probe = %d; want 1 (the probe fails, not the agent's settings)\n%s", code, out.String())
	}
	out.Reset()
	if code := Run(context.Background(), []string{"alpha"}, &out, &out, testAgents(&f)...); code != 2 {
		t.Errorf("alpha = %d; want 2 (an unknown group)\n%s", code, out.String())
	}
}
