package server

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/spopkit/spopkit/server/internal/spopclient"
)

// TestUnixAcceptBalance is the measurement behind the UNIX socket design
// (see epollEngine): HAProxy opens its agent connections one after another
// as load rises and keeps them, so what matters is how they spread over the
// loops. It compares accepting on loop 0 with round-robin hand-off (the
// design) against one socket shared by every loop's epoll with
// EPOLLEXCLUSIVE, and asserts that the hand-off balances.
func TestUnixAcceptBalance(t *testing.T) {
	const conns = 1000
	for _, shared := range []bool{false, true} {
		name := "handoff"
		if shared {
			name = "epollexclusive"
		}
		t.Run(name, func(t *testing.T) {
			unixAcceptShared = shared
			defer func() { unixAcceptShared = false }()
			path := filepath.Join(t.TempDir(), "a.sock")
			srv, err := New(Config{Engine: EngineEpoll, UnixPath: path, Loops: 2}, HandlerFunc(func(*Request, *Actions) error { return nil }))
			if err != nil {
				t.Fatal(err)
			}
			if err := srv.Start(); err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			start := time.Now()
			for range conns {
				c, err := spopclient.Dial("unix", path)
				if err != nil {
					t.Fatal(err)
				}
				if _, err := c.Hello(spopclient.HAProxy3Hello()); err != nil {
					t.Fatal(err)
				}
				c.Close()
			}
			elapsed := time.Since(start)
			var per []uint64
			for _, l := range srv.eng.(*epollEngine).loops {
				per = append(per, l.sh.c[cConnsOpened].Load())
			}
			t.Logf("%s: %d connections opened one by one in %v (%.0f conn/s); per loop %v",
				name, conns, elapsed.Round(time.Millisecond), conns/elapsed.Seconds(), per)
			if !shared && (per[0] < conns*4/10 || per[1] < conns*4/10) {
				t.Errorf("hand-off per loop %v; want about %d each", per, conns/2)
			}
		})
	}
}
