//go:build linux

package e2e

import (
	"bufio"
	"cmp"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// startRedis runs redis-server ($REDIS_SERVER_BIN, else Debian's
// /usr/bin/redis-server; scripts/install-test-deps provides it) on a UNIX
// socket only (no TCP port, no persistence), waits until it answers PING and
// returns the socket's path. Without redis-server the test skips, or fails
// under CI=true. The server is stopped in t.Cleanup.
func startRedis(t testing.TB) string {
	t.Helper()
	bin := cmp.Or(os.Getenv("REDIS_SERVER_BIN"), "/usr/bin/redis-server")
	if _, err := os.Stat(bin); err != nil {
		if inCI() {
			t.Fatalf("redis-server is required under CI=true: %v", err)
		}
		t.Skipf("no redis-server (set REDIS_SERVER_BIN or run scripts/install-test-deps): %v", err)
	}
	dir := socketDir(t)
	sock := filepath.Join(dir, "redis.sock")
	cmd := exec.Command(bin, "--port", "0", "--unixsocket", sock, "--unixsocketperm", "700",
		"--save", "", "--appendonly", "no", "--dir", dir, "--loglevel", "warning")
	var out syncWriter
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		reply, err := redisCommand(sock, "PING")
		if err == nil && reply == "+PONG" {
			return sock
		}
		select {
		case <-exited:
			t.Fatalf("%s exited: %s", bin, out.b.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not answer PING on %s: %q %v", bin, sock, reply, err)
		}
	}
}

// redisCommand sends one command (RESP) to the Redis at the UNIX socket
// sock and returns the first line of the reply (":1", "+OK", "-ERR …").
func redisCommand(sock string, args ...string) (string, error) {
	c, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%s\r\n%s\r\n", strconv.Itoa(len(a)), a)
	}
	if _, err := c.Write([]byte(b.String())); err != nil {
		return "", err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return strings.TrimRight(line, "\r\n"), err
}
