package main

import (
	"bytes"
	"context"
	"flag"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/spopkit/spopkit/spoa"
)

var update = flag.Bool("update", false, "rewrite testdata/help.golden")

func TestHelpGolden(t *testing.T) {
	var out bytes.Buffer
	if code := spoa.Run(context.Background(), []string{"--help"}, &out, &out, agents()...); code != 0 {
		t.Fatalf("exit %d\n%s", code, out.String())
	}
	path := filepath.Join("testdata", "help.golden")
	if *update {
		if err := os.WriteFile(path, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -update)", err)
	}
	if !bytes.Equal(out.Bytes(), want) {
		t.Errorf("--help differs from %s (go test -update to accept):\n%s", path, out.String())
	}
}

func freePort(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// TestProbeEveryAgent starts every agent of the binary on a free loopback
// port, as an operator would, and health-checks it with `spoa probe`.
func TestProbeEveryAgent(t *testing.T) {
	list := filepath.Join(t.TempDir(), "blocklist.txt")
	if err := os.WriteFile(list, []byte("192.0.2.0/24\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	extra := map[string][]string{
		"mirror":    {"-u", "http://127.0.0.1:1/"},
		"blocklist": {"--file", list},
	}
	for _, a := range agents() {
		t.Run(a.Name, func(t *testing.T) {
			port := freePort(t)
			ctx, cancel := context.WithCancel(context.Background())
			var out bytes.Buffer
			var mu sync.Mutex
			w := lockedWriter{&mu, &out}
			var wg sync.WaitGroup
			wg.Add(1)
			code := -1
			go func() {
				defer wg.Done()
				args := append([]string{"-a", "127.0.0.1", "-p", port, a.Name}, extra[a.Name]...)
				code = spoa.Run(ctx, args, w, w, agents()...)
			}()
			defer func() {
				cancel()
				wg.Wait()
				if code != 0 {
					t.Errorf("%s exited %d\n%s", a.Name, code, out.String())
				}
			}()
			deadline := time.Now().Add(10 * time.Second)
			for {
				var pout bytes.Buffer
				if spoa.Run(context.Background(), []string{"probe", "-q", "--timeout", "1s", "127.0.0.1:" + port}, &pout, &pout, agents()...) == 0 {
					return
				}
				if time.Now().After(deadline) {
					t.Fatalf("spoa probe never succeeded: %s\n%s", pout.String(), out.String())
				}
				time.Sleep(20 * time.Millisecond)
			}
		})
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  *bytes.Buffer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
