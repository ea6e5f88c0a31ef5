package blocklistredis

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisServer is the redis-server to run: $REDIS_SERVER_BIN (set by .ci/run
// from scripts/install-test-deps), else Debian's (apt-get install redis-server).
var redisServer = cmp.Or(os.Getenv("REDIS_SERVER_BIN"), "/usr/bin/redis-server")

// The test package's Redis, started by TestMain; redisSock is empty and
// redisMissing says why when it could not start.
var (
	redisSock    string
	redisMissing string
)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	redis.SetLogger(redisLogger{slog.New(slog.DiscardHandler)}) // dial failures are expected here
	dir, err := os.MkdirTemp("", "blocklist-redis-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	r, err := startRedis(filepath.Join(dir, "redis.sock"))
	if err != nil {
		redisMissing = err.Error()
	} else {
		defer r.stop()
		redisSock = r.sock
	}
	return m.Run()
}

// needRedis skips the test when the package's Redis could not start, and
// fails it instead under CI=true, where nothing may be skipped.
func needRedis(t testing.TB) {
	t.Helper()
	if redisSock != "" {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("redis-server is required under CI=true: %s", redisMissing)
	}
	t.Skipf("no Redis to test against: %s", redisMissing)
}

// redisProc is one redis-server process started by the tests.
type redisProc struct {
	cmd    *exec.Cmd
	sock   string
	stderr *bytes.Buffer
	done   chan struct{}
}

// startRedis runs redis-server on the UNIX socket sock only (no TCP port,
// no persistence) and waits until it answers PING.
func startRedis(sock string) (*redisProc, error) {
	if _, err := os.Stat(redisServer); err != nil {
		return nil, fmt.Errorf("%s not installed (apt-get install redis-server): %v", redisServer, err)
	}
	var out bytes.Buffer
	cmd := exec.Command(redisServer, "--port", "0", "--unixsocket", sock, "--unixsocketperm", "700",
		"--save", "", "--appendonly", "no", "--dir", filepath.Dir(sock), "--loglevel", "warning")
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = killedWithTest() // never outlive the test binary
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %v", redisServer, err)
	}
	r := &redisProc{cmd: cmd, sock: sock, stderr: &out, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); close(r.done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := ping(sock); err == nil {
			return r, nil
		} else if time.Now().After(deadline) {
			r.stop()
			return nil, fmt.Errorf("%s did not answer on %s: %v; output: %s", redisServer, sock, err, strings.TrimSpace(out.String()))
		}
		select {
		case <-r.done:
			return nil, fmt.Errorf("%s exited: %v; output: %s", redisServer, cmd.ProcessState, strings.TrimSpace(out.String()))
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// stop ends the process by its PID (SIGTERM, then SIGKILL) and waits for it.
func (r *redisProc) stop() {
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.done:
	case <-time.After(5 * time.Second):
		_ = r.cmd.Process.Kill()
		<-r.done
	}
}

// ping sends a RESP PING and expects +PONG.
func ping(sock string) error {
	c, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	buf := make([]byte, 7)
	n, err := c.Read(buf)
	if err != nil {
		return err
	}
	if string(buf[:n]) != "+PONG\r\n" {
		return fmt.Errorf("PING answered %q", buf[:n])
	}
	return nil
}

// newClient returns a client of the agent's configuration for the Redis at
// addr, closed when the test ends.
func newClient(t testing.TB, addr string, timeout time.Duration) *redis.Client {
	t.Helper()
	rdb := redis.NewClient(ClientOptions(addr, "", timeout, 64))
	t.Cleanup(func() { rdb.Close() })
	return rdb
}

// newStore returns a store on the package's Redis under a key prefix of the
// test's own, emptied when the test ends.
func newStore(t testing.TB) *Store {
	t.Helper()
	needRedis(t)
	rdb := newClient(t, redisSock, time.Second)
	s := NewStore(rdb, "test:"+t.Name()+":", time.Second)
	t.Cleanup(func() { rdb.Del(context.Background(), s.Key()) })
	if err := rdb.Del(context.Background(), s.Key()).Err(); err != nil {
		t.Fatal(err)
	}
	return s
}
