package spoa

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spopwire"
)

// TestHealthcheckHello checks the probe's HELLO against the bytes HAProxy
// 2.6 and 3.x send (spop-reference.md §4.2).
func TestHealthcheckHello(t *testing.T) {
	var want []byte
	want = append(want, 0x00, 0x00, 0x00, 0x4e, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00)
	want = append(want, 0x12)
	want = append(want, "supported-versions"...)
	want = append(want, 0x08, 0x03)
	want = append(want, "2.0"...)
	want = append(want, 0x0e)
	want = append(want, "max-frame-size"...)
	want = append(want, 0x03, 0xfc, 0xf0, 0x06)
	want = append(want, 0x0c)
	want = append(want, "capabilities"...)
	want = append(want, 0x08, 0x00)
	want = append(want, 0x0b)
	want = append(want, "healthcheck"...)
	want = append(want, 0x11)
	got := HealthcheckHello()
	if len(got) != 82 || !bytes.Equal(got, want) {
		t.Fatalf("HealthcheckHello() = %d bytes\n%s\nwant 82 bytes\n%s", len(got), hex.Dump(got), hex.Dump(want))
	}
}

// fakeAgent accepts one connection at a time, reads the HELLO and answers
// with reply (nil: never answers; the connection stays open).
func fakeAgent(t *testing.T, reply []byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				buf := make([]byte, 82)
				if _, err := io.ReadFull(c, buf); err != nil {
					return
				}
				if reply == nil {
					_, _ = io.Copy(io.Discard, c)
					return
				}
				_, _ = c.Write(reply)
			}()
		}
	}()
	return ln.Addr().String()
}

// agentHello builds an AGENT-HELLO frame with the given KV items and flags.
func agentHello(flags spopwire.Flags, kvs ...func([]byte) []byte) []byte {
	b, start := spopwire.StartFrame(nil, spopwire.FrameAgentHello, flags, 0, 0)
	for _, kv := range kvs {
		b = kv(b)
	}
	spopwire.FinishFrame(b, start)
	return b
}

func kv(key string, v spopwire.Value) func([]byte) []byte {
	return func(b []byte) []byte { return spopwire.AppendKV(b, key, v) }
}

func TestProbe(t *testing.T) {
	version := kv("version", spopwire.StringValue("2.0"))
	size := kv("max-frame-size", spopwire.Uint32Value(16380))
	caps := kv("capabilities", spopwire.StringValue(""))

	real, err := server.New(server.Config{Address: "127.0.0.1:0", Engine: server.EngineStd}, nop)
	if err != nil {
		t.Fatal(err)
	}
	if err := real.Start(); err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	closed := fakeAgent(t, nil)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort := ln.Addr().String()
	ln.Close()

	tests := []struct {
		name, addr string
		wantErr    string // "" for a healthy agent
	}{
		{"spopkit server", real.Addr().String(), ""},
		{"minimal valid hello", fakeAgent(t, agentHello(spopwire.FlagFin, version, size, caps)), ""},
		{"version with spaces", fakeAgent(t, agentHello(spopwire.FlagFin, kv("version", spopwire.StringValue(" 2.00 ")), size, caps)), ""},
		{"closed port", closedPort, "refused"},
		{"silent agent", closed, "before the timeout"},
		{"disconnect", fakeAgent(t, spopwire.AppendDisconnect(nil, spopwire.FrameAgentDisconnect, spopwire.StatusUnsupportedVersion, "")), "AGENT-DISCONNECT, status 8"},
		{"garbage", fakeAgent(t, []byte("HTTP/1.1 400 Bad Request\r\n\r\n")), "frame is too big"},
		{"short garbage", fakeAgent(t, []byte{0, 0, 0, 9, 0xff, 1, 2, 3, 4, 5, 6, 7, 8}), "AGENT-HELLO"},
		{"closes at once", fakeAgent(t, []byte{}), "closed by the agent"},
		{"version 3.0", fakeAgent(t, agentHello(spopwire.FlagFin, kv("version", spopwire.StringValue("3.0")), size, caps)), "want 2.0"},
		{"no FIN", fakeAgent(t, agentHello(0, version, size, caps)), "exactly FIN"},
		{"extra flag", fakeAgent(t, agentHello(spopwire.FlagFin|0x100, version, size, caps)), "exactly FIN"},
		{"no capabilities", fakeAgent(t, agentHello(spopwire.FlagFin, version, size)), "no capabilities"},
		{"no max-frame-size", fakeAgent(t, agentHello(spopwire.FlagFin, version, caps)), "no max-frame-size"},
		{"frame size too small", fakeAgent(t, agentHello(spopwire.FlagFin, version, kv("max-frame-size", spopwire.Uint32Value(100)), caps)), "outside"},
		{"frame size too big", fakeAgent(t, agentHello(spopwire.FlagFin, version, kv("max-frame-size", spopwire.Uint32Value(65536)), caps)), "outside"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
			defer cancel()
			_, err := Probe(ctx, tt.addr)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("Probe = %v; want success", err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("Probe = %v; want an error containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestProbeCommandExitStatus(t *testing.T) {
	real, err := server.New(server.Config{Address: "127.0.0.1:0"}, nop)
	if err != nil {
		t.Fatal(err)
	}
	if err := real.Start(); err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	closedPort := ln.Addr().String()
	ln.Close()
	for _, tt := range []struct {
		addr string
		want int
	}{{real.Addr().String(), 0}, {closedPort, 1}} {
		var out bytes.Buffer
		code := Run(context.Background(), []string{"probe", "--timeout", "1s", tt.addr}, &out, &out, Agent{Name: "x", Handler: nop})
		if code != tt.want {
			t.Errorf("spoa probe %s: exit %d; want %d\n%s", tt.addr, code, tt.want, out.String())
		}
	}
}
