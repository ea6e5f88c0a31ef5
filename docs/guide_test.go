//go:build linux

package docs

import (
	"bufio"
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A block of GUIDE.md: a fenced code block and the directive in the HTML
// comment right above it, which says how the test checks it:
//
//	<!-- guide: run -->         a shell block, run by bash in the walk's module
//	<!-- guide: file PATH -->   the whole of PATH (repo-relative); also written
//	                            into the walk's module, as the reader would
//	<!-- guide: in PATH -->     a verbatim part of PATH (repo-relative)
type block struct {
	line      int    // of the opening fence
	directive string // run, file or in
	path      string
	text      string
}

// parseGuide returns the fenced blocks of the guide with their directives; a
// fence without a directive right above it is an error.
func parseGuide(src []byte) ([]block, error) {
	var blocks []block
	var pending *block
	var cur *block
	var body strings.Builder
	sc := bufio.NewScanner(bytes.NewReader(src))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur != nil && line == "```":
			cur.text = body.String()
			blocks = append(blocks, *cur)
			cur = nil
		case cur != nil:
			body.WriteString(line + "\n")
		case strings.HasPrefix(line, "```"):
			if pending == nil {
				return nil, fmt.Errorf("GUIDE.md:%d: a code block without a <!-- guide: ... --> line right above it", n)
			}
			cur, pending = pending, nil
			cur.line = n
			body.Reset()
		case strings.HasPrefix(line, "<!-- guide: "):
			f := strings.Fields(strings.TrimSuffix(strings.TrimPrefix(line, "<!-- guide: "), " -->"))
			ok := len(f) == 1 && f[0] == "run" || len(f) == 2 && (f[0] == "file" || f[0] == "in")
			if !ok {
				return nil, fmt.Errorf("GUIDE.md:%d: bad directive %q", n, line)
			}
			pending = &block{directive: f[0]}
			if len(f) == 2 {
				pending.path = f[1]
			}
		case pending != nil:
			return nil, fmt.Errorf("GUIDE.md:%d: the <!-- guide: %s --> line must be right above a code block", n-1, pending.directive)
		}
	}
	if cur != nil || pending != nil {
		return nil, fmt.Errorf("GUIDE.md ends inside a code block or after a directive")
	}
	return blocks, nil
}

// The guide cannot show a block that the test does not check.
func TestParseGuideRefuses(t *testing.T) {
	for _, src := range []string{
		"text\n```sh\necho unchecked\n```\n",
		"<!-- guide: run -->\ntext between\n```sh\necho\n```\n",
		"<!-- guide: runs -->\n```sh\necho\n```\n",
		"<!-- guide: file -->\n```\nx\n```\n",
		"<!-- guide: run -->\n```sh\necho\n",
	} {
		if _, err := parseGuide([]byte(src)); err == nil {
			t.Errorf("parseGuide accepted %q", src)
		}
	}
	blocks, err := parseGuide([]byte("<!-- guide: in a/b.go -->\n```go\nx := 1\n```\n"))
	if err != nil || len(blocks) != 1 || blocks[0].directive != "in" || blocks[0].path != "a/b.go" || blocks[0].text != "x := 1\n" {
		t.Errorf("got %+v, %v", blocks, err)
	}
}

// TestGuide walks GUIDE.md as a reader would: it writes the files the guide
// shows into a new module, runs every command (go mod init, spopgen, go
// generate, vet, test, the agent answering `probe`), and checks that each
// snippet is a copy of a file the module's tests build and run. Two things
// differ from a reader's machine: `go get github.com/spopkit/spopkit@latest`
// points the module at this checkout (a replace directive, no network), and
// the ports 12345 and 9912 become free ones.
func TestGuide(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the guide's agent with the go command; skipped in -short mode")
	}
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("the guide's commands need %s: %v", tool, err)
			}
			t.Skipf("the guide's commands need %s: %v", tool, err)
		}
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("GUIDE.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks, err := parseGuide(src)
	if err != nil {
		t.Fatal(err)
	}

	tmp := t.TempDir()
	walk := filepath.Join(tmp, "waf") // the reader's directory: package waf
	bin := filepath.Join(tmp, "bin")
	for _, d := range []string{walk, bin} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	realGo, err := exec.LookPath("go")
	if err != nil {
		t.Fatal(err)
	}
	wrapper := fmt.Sprintf(`#!/bin/sh
# go, except that "go get github.com/spopkit/spopkit@latest" uses the checkout.
if [ "$1" = get ] && [ "$2" = github.com/spopkit/spopkit@latest ]; then
	cp %[2]q/go.sum go.sum
	exec %[1]q mod edit -require=github.com/spopkit/spopkit@v0.0.0 -replace=github.com/spopkit/spopkit=%[2]q
fi
exec %[1]q "$@"
`, realGo, root)
	if err := os.WriteFile(filepath.Join(bin, "go"), []byte(wrapper), 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"),
		"GOPROXY=off", // everything comes from the module cache and the checkout
		"GOFLAGS=-mod=mod -buildvcs=false",
		"GOWORK=off",
	)
	ports := strings.NewReplacer("12345", freePort(t), "9912", freePort(t))

	for _, b := range blocks {
		switch b.directive {
		case "file":
			want, err := os.ReadFile(filepath.Join(root, b.path))
			if err != nil {
				t.Fatalf("GUIDE.md:%d: %v", b.line, err)
			}
			if b.text != string(want) {
				t.Errorf("GUIDE.md:%d: the block is not the whole of %s (copy the file into the guide)", b.line, b.path)
			}
			dst := filepath.Join(walk, strings.TrimPrefix(b.path, "docs/guide/waf/"))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, want, 0o644); err != nil {
				t.Fatal(err)
			}
		case "in":
			file, err := os.ReadFile(filepath.Join(root, b.path))
			if err != nil {
				t.Fatalf("GUIDE.md:%d: %v", b.line, err)
			}
			if !bytes.Contains(file, []byte(b.text)) {
				t.Errorf("GUIDE.md:%d: the block is not a verbatim part of %s", b.line, b.path)
			}
		case "run":
			run(t, b, walk, env, ports.Replace(b.text))
		}
	}
}

// run runs one shell block in its own process group, which it kills when the
// block ends (an agent the block left running included).
func run(t *testing.T, b block, dir string, env []string, script string) {
	t.Helper()
	// The output goes to a file, not a pipe: an agent left running in the
	// background would keep a pipe open, and Wait would wait for it.
	out, err := os.CreateTemp(t.TempDir(), "out")
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	cmd := exec.Command("bash", "-euo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-time.After(3 * time.Minute):
		err = fmt.Errorf("still running after 3 minutes")
	}
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // the group this block started
	text, _ := os.ReadFile(out.Name())
	if err != nil {
		t.Fatalf("GUIDE.md:%d: %v\n%s\n--- output:\n%s", b.line, err, script, text)
	}
	t.Logf("GUIDE.md:%d: ok\n%s", b.line, text)
}

// freePort returns a TCP port free on loopback at the time of the call.
func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}
