package spoa

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/record"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

// TestRecordFlags records an agent's traffic with redaction, reopens the file
// on SIGHUP, shows the counters on /metrics, and dumps the recordings.
func TestRecordFlags(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "rec.spop")
	agent := Agent{Name: "test", Handler: server.HandlerFunc(func(*server.Request, *server.Actions) error { return nil })}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc, metricsc := make(chan net.Addr, 1), make(chan net.Addr, 1)
	signals := make(chan os.Signal, 1)
	var out bytes.Buffer
	d := &deps{ctx: ctx, stdout: &out, stderr: &out, signals: signals,
		ready:        func(a net.Addr) { addrc <- a },
		metricsReady: func(a net.Addr) { metricsc <- a }}
	var code int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		code = run([]string{"-a", "127.0.0.1", "-p", "0", "-n", "1", "--metrics-addr", "127.0.0.1:0",
			"--record", path, "--record-redact", "login.password,login.ip", "test"}, d, []Agent{agent})
	}()
	var addr, maddr net.Addr
	select {
	case addr = <-addrc:
		maddr = <-metricsc
	case <-time.After(10 * time.Second):
		cancel()
		wg.Wait()
		t.Fatalf("the agent did not start: exit %d\n%s", code, out.String())
	}
	login := spoptest.Msg("login",
		spoptest.Arg("user", spopwire.StringValue("alice")),
		spoptest.Arg("password", spopwire.StringValue("hunter2")),
		spoptest.Arg("ip", spopwire.AddrValue(netip.MustParseAddr("192.0.2.7"))))
	cl := dialAgent(t, addr.String())
	cl.notify(t, login)
	// logrotate: move the file, then SIGHUP.
	waitFor(t, func() bool { st, err := os.Stat(path); return err == nil && st.Size() > 100 })
	if err := os.Rename(path, path+".1"); err != nil {
		t.Fatal(err)
	}
	signals <- syscall.SIGHUP
	waitFor(t, func() bool { _, err := os.Stat(path); return err == nil })
	cl.notify(t, login)
	metrics := scrape(t, "http://"+maddr.String()+"/metrics")
	for _, want := range []string{`spoa_record_dropped_total{agent="test"} 0`, `spoa_records_written_total{agent="test"} `} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	cancel()
	wg.Wait()
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, out.String())
	}

	for _, p := range []string{path + ".1", path} {
		recs, err := record.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		var n int
		for _, r := range recs {
			if r.Kind == record.KindNotify {
				n++
				if r.Hello == nil || bytes.Contains(r.Payload, []byte("hunter2")) || !bytes.Contains(r.Payload, []byte("alice")) {
					t.Errorf("%s: NOTIFY %x: want its HELLO, alice and no password", p, r.Payload)
				}
			}
		}
		if n != 1 {
			t.Errorf("%s: %d NOTIFYs; want 1", p, n)
		}
	}

	var text, js bytes.Buffer
	if c := Run(context.Background(), []string{"record-dump", path}, &text, &text, agent); c != 0 {
		t.Fatalf("record-dump: exit %d\n%s", c, text.String())
	}
	for _, want := range []string{" START", " HELLO supported-versions=STRING \"2.0\"", " NOTIFY ", `  login user=STRING "alice" password=STRING "" ip=IPV4 0.0.0.0`} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("record-dump lacks %q:\n%s", want, text.String())
		}
	}
	if c := Run(context.Background(), []string{"record-dump", "--json", path}, &js, &js, agent); c != 0 {
		t.Fatalf("record-dump --json: exit %d\n%s", c, js.String())
	}
	var last dumpRecord
	lines := strings.Split(strings.TrimSpace(js.String()), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &last); err != nil {
		t.Fatal(err)
	}
	if last.Kind != "NOTIFY" || len(last.Messages) != 1 || last.Messages[0].Name != "login" ||
		last.Messages[0].Args[0].Value != "alice" || last.Messages[0].Args[2].Type != "IPV4" {
		t.Errorf("record-dump --json last line = %+v", last)
	}

	// A torn file prints what it can and says where it ends.
	full, _ := os.ReadFile(path)
	torn := filepath.Join(dir, "torn.spop")
	_ = os.WriteFile(torn, full[:len(full)-2], 0o600)
	var tout bytes.Buffer
	if c := Run(context.Background(), []string{"record-dump", torn}, &tout, &tout, agent); c != 1 ||
		!strings.Contains(tout.String(), "unreadable from offset") || !strings.Contains(tout.String(), " HELLO ") {
		t.Errorf("record-dump torn: exit %d\n%s", c, tout.String())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
