package blocklist

import (
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/spopkit/spopkit/examples/internal/exampletest"
	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

func writeList(t testing.TB, path, body string) {
	t.Helper()
	// Write then rename, as a careful operator (or a config tool) does: the
	// agent never reads a half-written file.
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func checkIP(ip string) spoptest.Message {
	return spoptest.Msg("check-ip", spoptest.Arg("ip", spopwire.AddrValue(netip.MustParseAddr(ip))))
}

func TestCheckIP(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list")
	writeList(t, path, "192.0.2.0/24\n2001:db8::/32\n")
	list, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	hp := spoptest.New(t, NewHandler(list), spoptest.Options{})
	tests := []struct {
		ip      string
		blocked bool
	}{
		{"192.0.2.99", true}, {"192.0.3.1", false}, {"2001:db8::5", true}, {"::1", false},
	}
	for _, tt := range tests {
		acts, err := hp.Notify(checkIP(tt.ip))
		if err != nil {
			t.Fatal(err)
		}
		v, ok := exampletest.Find(acts, "blocked")
		if !ok || v.Type() != spopwire.TypeBool || v.Bool() != tt.blocked || acts[0].Scope != spopwire.ScopeTransaction {
			t.Errorf("%s: blocked = %v, %v; want txn BOOL %v", tt.ip, v, ok, tt.blocked)
		}
	}
}

func TestReloadKeepsOldListOnError(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list")
	writeList(t, path, "192.0.2.1\n")
	list, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	writeList(t, path, "192.0.2.1\nbogus\n")
	if err := list.Reload(); err == nil {
		t.Fatal("Reload of a broken file succeeded")
	}
	if !list.Set().Contains(netip.MustParseAddr("192.0.2.1")) {
		t.Fatal("the old list was dropped after a failed reload")
	}
}

// TestReloadUnderLoad swaps the list back and forth (by polling and by
// explicit Reload, as SIGHUP does) while pipelined NOTIFYs flow over real
// sockets: every NOTIFY must get its ACK with the variable set, and the
// answers must follow the list.
func TestReloadUnderLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "list")
	listA := "192.0.2.7\n"       // 192.0.2.7 blocked
	listB := "198.51.100.0/24\n" // 192.0.2.7 allowed
	writeList(t, path, listA)
	list, err := Open(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // the watcher, as the agent runs it
		defer wg.Done()
		ctx, cancel := contextUntil(stop)
		defer cancel()
		list.Watch(ctx, 5*time.Millisecond)
	}()
	wg.Add(1)
	go func() { // the operator: rewrite the file, sometimes send SIGHUP
		defer wg.Done()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			case <-time.After(3 * time.Millisecond):
			}
			body := listA
			if i%2 == 0 {
				body = listB + "# " + time.Now().String() + "\n" // new size, so the poll notices
			}
			writeList(t, path, body)
			if i%3 == 0 {
				_ = list.Reload()
			}
		}
	}()

	_, addr := exampletest.Start(t, NewHandler(list), server.Config{Loops: 2})
	const conns, perConn, window = 4, 1500, 16
	var blocked, allowed [conns]int
	errs := make(chan error, conns)
	for c := range conns {
		conn := exampletest.Dial(t, addr)
		go func() {
			sent, acked := 0, 0
			for acked < perConn {
				for sent < perConn && sent-acked < window {
					if _, err := conn.Send(checkIP("192.0.2.7")); err != nil {
						errs <- err
						return
					}
					sent++
				}
				_, acts, err := conn.Ack(10 * time.Second)
				if err != nil {
					errs <- err
					return
				}
				acked++
				v, ok := exampletest.Find(acts, "blocked")
				switch {
				case !ok:
					errs <- errNoVar
					return
				case v.Bool():
					blocked[c]++
				default:
					allowed[c]++
				}
			}
			errs <- nil
		}()
	}
	for range conns {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	close(stop)
	wg.Wait()
	total, nb := 0, 0
	for c := range conns {
		total += blocked[c] + allowed[c]
		nb += blocked[c]
	}
	t.Logf("%d NOTIFYs, %d ACKs (%d blocked, %d allowed) across %d list loads", conns*perConn, total, nb, total-nb, list.Reloads())
	if total != conns*perConn {
		t.Errorf("%d ACKs for %d NOTIFYs", total, conns*perConn)
	}
	if list.Reloads() < 3 || nb == 0 || nb == total {
		t.Errorf("%d reloads, %d of %d blocked: the load did not see the list change", list.Reloads(), nb, total)
	}
}
