package spopwire_test

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

func BenchmarkAppendVarint(b *testing.B) {
	for _, v := range []uint64{42, 16380, 1 << 32, 1<<64 - 1} {
		b.Run(fmt.Sprintf("%dB", spopwire.SizeVarint(v)), func(b *testing.B) {
			buf := make([]byte, 0, spopwire.MaxVarintLen)
			b.SetBytes(int64(spopwire.SizeVarint(v)))
			b.ReportAllocs()
			for b.Loop() {
				buf = spopwire.AppendVarint(buf[:0], v)
			}
		})
	}
}

func BenchmarkConsumeVarint(b *testing.B) {
	for _, v := range []uint64{42, 16380, 1 << 32, 1<<64 - 1} {
		enc := spopwire.AppendVarint(nil, v)
		b.Run(fmt.Sprintf("%dB", len(enc)), func(b *testing.B) {
			b.SetBytes(int64(len(enc)))
			b.ReportAllocs()
			for b.Loop() {
				sink.u, sink.n = spopwire.ConsumeVarint(enc)
			}
		})
	}
}

// captureFrame returns frame i of a capture file.
func captureFrame(b *testing.B, path string, i int) []byte {
	b.Helper()
	data, err := os.ReadFile(filepath.Join(capturesDir, path))
	if err != nil {
		b.Fatal(err)
	}
	for ; ; i-- {
		_, n := spopwire.ConsumeFrame(data, spopwire.DefaultMaxFrameSize)
		if n <= 0 {
			b.Fatalf("%s: ConsumeFrame = %s", path, nstr(n))
		}
		if i == 0 {
			return data[:n]
		}
		data = data[n:]
	}
}

func BenchmarkNotify(b *testing.B) {
	frames := []struct {
		name  string
		frame []byte
		args  int
	}{
		// a2-iprep-named: check-client-ip with ip=src (IPv4).
		{"1-arg", captureFrame(b, "haproxy-2.6/a2-iprep-named.conn01.h2a.bin", 1), 1},
		{"13-arg", notify13, 13},
		// b-http-types: 26 + 3 args, hdrs, hdrs_bin, body.
		{"29-arg-captured", captureFrame(b, "haproxy-2.6/b-http-types.conn01.h2a.bin", 1), 29},
	}
	for _, tt := range frames {
		b.Run(tt.name, func(b *testing.B) {
			if got := decodeNotifyIter(tt.frame); got != tt.args {
				b.Fatalf("%d args; want %d", got, tt.args)
			}
			b.SetBytes(int64(len(tt.frame)))
			b.ReportAllocs()
			for b.Loop() {
				decodeNotifyIter(tt.frame)
			}
		})
		b.Run(tt.name+"/check", func(b *testing.B) {
			if got := checkNotify(tt.frame); got < 1 {
				b.Fatalf("checkNotify = %d messages; want some", got)
			}
			b.SetBytes(int64(len(tt.frame)))
			b.ReportAllocs()
			for b.Loop() {
				checkNotify(tt.frame)
			}
		})
		b.Run(tt.name+"/low-level", func(b *testing.B) {
			b.SetBytes(int64(len(tt.frame)))
			b.ReportAllocs()
			for b.Loop() {
				decodeNotifyLowLevel(tt.frame)
			}
		})
	}
}

func BenchmarkAck(b *testing.B) {
	src := netip.MustParseAddr("192.0.2.7")
	buf := appendAck5(nil, src)
	b.Run("5-set-var", func(b *testing.B) {
		b.SetBytes(int64(len(buf)))
		b.ReportAllocs()
		for b.Loop() {
			buf = appendAck5(buf[:0], src)
		}
	})
	b.Run("1-set-var", func(b *testing.B) {
		one := func(buf []byte) []byte {
			buf, start := spopwire.StartFrame(buf, spopwire.FrameAck, spopwire.FlagFin, 3, 1)
			buf = spopwire.AppendSetVar(buf, spopwire.ScopeSession, "ip_score", spopwire.Int64Value(42))
			spopwire.FinishFrame(buf, start)
			return buf
		}
		buf := one(nil)
		b.SetBytes(int64(len(buf)))
		b.ReportAllocs()
		for b.Loop() {
			buf = one(buf[:0])
		}
	})
}

func BenchmarkHeaders(b *testing.B) {
	// The hdrs_bin argument of the first b-http-types NOTIFY (6 headers).
	frame := captureFrame(b, "haproxy-2.6/b-http-types.conn01.h2a.bin", 1)
	f, _ := spopwire.ConsumeFrame(frame, spopwire.DefaultMaxFrameSize)
	it := spopwire.Messages(f.Payload)
	msg, _ := it.Next()
	var hdrsBin []byte
	args := msg.Args()
	for a, ok := args.Next(); ok; a, ok = args.Next() {
		if string(a.Name) == "hdrs_bin" {
			hdrsBin = a.Value.Bytes()
		}
	}
	if len(hdrsBin) != 125 {
		b.Fatalf("hdrs_bin: %d bytes; want 125", len(hdrsBin))
	}
	b.SetBytes(int64(len(hdrsBin)))
	b.ReportAllocs()
	for b.Loop() {
		hs := spopwire.Headers(hdrsBin)
		for name, value, ok := hs.Next(); ok; name, value, ok = hs.Next() {
			sink.n += len(name) + len(value)
		}
	}
}

func BenchmarkHello(b *testing.B) {
	frame := captureFrame(b, "haproxy-2.6/a1-iprep-unnamed.conn01.h2a.bin", 0)
	buf := make([]byte, 0, 128)
	b.Run("parse", func(b *testing.B) {
		b.SetBytes(int64(len(frame)))
		b.ReportAllocs()
		for b.Loop() {
			f, _ := spopwire.ConsumeFrame(frame, spopwire.DefaultMaxFrameSize)
			h, _ := spopwire.ParseHAProxyHello(f.Payload)
			sink.ok = spopwire.VersionSupported(h.SupportedVersions)
		}
	})
	b.Run("reply", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			buf = spopwire.AppendAgentHello(buf[:0], 16380, spopwire.CapPipelining)
		}
		b.SetBytes(int64(len(buf)))
	})
}
