package server_test

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/internal/spopclient"
)

func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	return len(ents)
}

// TestNoLeaks starts and stops servers with traffic and checks that every
// descriptor and goroutine they used is gone.
func TestNoLeaks(t *testing.T) {
	forEachEngine(t, func(t *testing.T, engine string) {
		fds, goroutines := openFDs(t), runtime.NumGoroutine()
		for _, graceful := range []bool{true, false} {
			srv, err := server.New(server.Config{Engine: engine, Address: "127.0.0.1:0", Loops: 2, Workers: 4}, testHandler{})
			if err != nil {
				t.Fatal(err)
			}
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			var conns []*spopclient.Conn
			for i := range 20 {
				c, err := spopclient.Dial("tcp", srv.Addr().String())
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.Hello(spopclient.HAProxy3Hello()); err != nil {
					t.Fatal(err)
				}
				c.Write(spopclient.Notify(uint64(i), 1, payload(msgScore)))
				expectAck(t, c, uint64(i), 1)
				conns = append(conns, c)
			}
			if graceful {
				ctx, cancel := context.WithTimeout(context.Background(), ioTimeout)
				if err := srv.Shutdown(ctx); err != nil {
					t.Fatal(err)
				}
				cancel()
			} else {
				srv.Close()
			}
			for _, c := range conns {
				c.Close()
			}
		}
		deadline := time.Now().Add(ioTimeout)
		for openFDs(t) > fds || runtime.NumGoroutine() > goroutines {
			if time.Now().After(deadline) {
				t.Fatalf("fds %d → %d, goroutines %d → %d", fds, openFDs(t), goroutines, runtime.NumGoroutine())
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}
