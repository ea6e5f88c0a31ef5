package spopwire_test

// One fuzz target per decoder. Every target is seeded at run time from the
// captures (../testdata/captures) and from the tables of the other tests, and
// has a small committed corpus under testdata/fuzz/<Name>/ so that a plain
// `go test` runs them too. Properties checked everywhere: no panic, n within
// bounds, decoded names and values are views into the input, and what was
// decoded encodes back to the same bytes (or, where the input may use
// non-canonical flag bits, to bytes that decode to the same thing).

import (
	"bytes"
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

// seedFrames returns every frame of every capture, decoded, plus the
// reassembled payload of the fragmented NOTIFY as a NOTIFY frame.
func seedFrames(f *testing.F) (files [][]byte, frames []spopwire.Frame) {
	f.Helper()
	for _, c := range loadCaptures(f) {
		files = append(files, c.data)
		var frag []byte
		for data := c.data; len(data) > 0; {
			fr, n := spopwire.ConsumeFrame(data, spopwire.DefaultMaxFrameSize)
			if n <= 0 {
				f.Fatalf("%s: ConsumeFrame = %s", c.path, nstr(n))
			}
			data = data[n:]
			switch {
			case fr.Type == spopwire.FrameNotify && !fr.Flags.Fin(), fr.Type == spopwire.FrameUnset:
				frag = append(frag, fr.Payload...)
				if fr.Flags.Fin() {
					frames = append(frames, spopwire.Frame{Type: spopwire.FrameNotify, Flags: spopwire.FlagFin, Payload: frag})
					frag = nil
				}
			}
			frames = append(frames, fr)
		}
	}
	return files, frames
}

func seedPayloads(f *testing.F, types ...spopwire.FrameType) [][]byte {
	f.Helper()
	_, frames := seedFrames(f)
	seen := map[string]bool{}
	var out [][]byte
	for _, fr := range frames {
		for _, t := range types {
			if fr.Type == t && fr.Flags.Fin() && !seen[string(fr.Payload)] {
				seen[string(fr.Payload)] = true
				out = append(out, fr.Payload)
			}
		}
	}
	return out
}

func FuzzConsumeFrame(f *testing.F) {
	files, frames := seedFrames(f)
	for _, data := range files {
		f.Add(data, uint32(spopwire.DefaultMaxFrameSize))
	}
	for _, fr := range frames[:50] {
		raw := spopwire.AppendFrame(nil, fr)
		f.Add(raw, uint32(len(raw)-5))
		f.Add(raw[:len(raw)/2], uint32(spopwire.MinMaxFrameSize))
	}
	for _, tt := range frameTests {
		f.Add(dhex(tt.raw), uint32(spopwire.DefaultMaxFrameSize))
	}

	f.Fuzz(func(t *testing.T, data []byte, max uint32) {
		// Split the input as a read loop would.
		for b := data; ; {
			fr, n := spopwire.ConsumeFrame(b, max)
			l, ln := spopwire.ConsumeFrameLength(b, max)
			var into spopwire.Frame
			if m := spopwire.ConsumeFrameInto(&into, b, max); m != n || n >= 0 && !frameEqual(into, fr) {
				t.Fatalf("ConsumeFrameInto = %+v, %s; ConsumeFrame = %+v, %s", into, nstr(m), fr, nstr(n))
			}
			// HasWholeFrame is "ConsumeFrame without a maximum is not need more",
			// except for a length below the minimum, invalid before it is whole.
			_, any := spopwire.ConsumeFrame(b, ^uint32(0))
			whole, short := spopwire.HasWholeFrame(b), spopwire.ParseError(any) == spopwire.ErrNeedMore
			tiny := len(b) >= spopwire.LengthSize && b[0]|b[1]|b[2] == 0 && b[3] < spopwire.MinFrameLength
			if whole && short || !whole && !short && !tiny || n >= 0 && !whole {
				t.Fatalf("HasWholeFrame(%d bytes) = %v; ConsumeFrame without maximum = %s", len(b), whole, nstr(any))
			}
			if n < 0 {
				if n != ln && ln < 0 {
					t.Fatalf("ConsumeFrame = %s but ConsumeFrameLength = %s", nstr(n), nstr(ln))
				}
				switch spopwire.ParseError(n) {
				case spopwire.ErrNeedMore:
					if ln >= 0 && uint64(len(b)-spopwire.LengthSize) >= uint64(l) {
						t.Fatalf("need more with %d bytes for a %d-byte frame", len(b), l)
					}
				case spopwire.ErrFrameTooBig:
					if len(b) < spopwire.LengthSize || uint32(b[0])<<24|uint32(b[1])<<16|uint32(b[2])<<8|uint32(b[3]) <= max {
						t.Fatalf("too big with prefix %x and max %d", b[:min(4, len(b))], max)
					}
				}
				break
			}
			if ln != spopwire.LengthSize || uint64(n) != spopwire.LengthSize+uint64(l) || n > len(b) || l > max || l < spopwire.MinFrameLength {
				t.Fatalf("ConsumeFrame = n=%d, ConsumeFrameLength = %d, %s; input %d bytes, max %d", n, l, nstr(ln), len(b), max)
			}
			if !within(fr.Payload, b[:n]) || cap(fr.Payload) != len(fr.Payload) {
				t.Fatalf("payload is not a capped view into the frame")
			}
			// Frames re-encode byte for byte: the varint ids are canonical.
			if got := spopwire.AppendFrame(nil, fr); !bytes.Equal(got, b[:n]) {
				t.Fatalf("AppendFrame(ConsumeFrame(%x)) = %x", b[:n], got)
			}
			// One byte less is "need more" (unless the prefix is cut and ok).
			if _, m := spopwire.ConsumeFrame(b[:n-1], max); spopwire.ParseError(m) != spopwire.ErrNeedMore {
				t.Fatalf("ConsumeFrame(frame minus its last byte) = %s; want need more", nstr(m))
			}
			body, bn := spopwire.ConsumeFrameBody(b[spopwire.LengthSize:n])
			if bn != n-spopwire.LengthSize || !frameEqual(body, fr) {
				t.Fatalf("ConsumeFrameBody = %+v, %s; want %+v", body, nstr(bn), fr)
			}
			b = b[n:]
		}

		// The input as a frame body.
		fr, n := spopwire.ConsumeFrameBody(data)
		switch {
		case n >= 0 && (n != len(data) || !within(fr.Payload, data)):
			t.Fatalf("ConsumeFrameBody(%d bytes) = n=%d", len(data), n)
		case n < 0 && spopwire.ParseError(n) != spopwire.ErrInvalidFrame:
			t.Fatalf("ConsumeFrameBody = %s; a complete body is valid or invalid", nstr(n))
		}
	})
}

// canonicalType reports whether a typed-data type byte is the one AppendValue
// writes for its value: flags 0, or 0x1 for a true BOOL.
func canonicalType(b byte) bool {
	return b&0xF0 == 0 || b == 0x11
}

func checkValue(t *testing.T, in []byte, v spopwire.Value, n int) {
	t.Helper()
	if n <= 0 || n > len(in) {
		t.Fatalf("ConsumeValue n=%d with %d bytes", n, len(in))
	}
	if !within(v.Bytes(), in[:n]) {
		t.Fatalf("value %v is not a view into its bytes %x", v, in[:n])
	}
	enc := spopwire.AppendValue(nil, v)
	if spopwire.SizeValue(v) != len(enc) {
		t.Fatalf("SizeValue(%v) = %d; AppendValue wrote %d", v, spopwire.SizeValue(v), len(enc))
	}
	if canonicalType(in[0]) {
		if !bytes.Equal(enc, in[:n]) {
			t.Fatalf("AppendValue(ConsumeValue(%x)) = %x", in[:n], enc)
		}
		return
	}
	if w, m := spopwire.ConsumeValue(enc); m != len(enc) || !w.Equal(v) {
		t.Fatalf("ConsumeValue(AppendValue(%v)) = %v, %s", v, w, nstr(m))
	}
}

func FuzzConsumeValue(f *testing.F) {
	for _, tt := range valueTests {
		raw := dhex(tt.raw)
		f.Add(raw)
		f.Add(raw[:len(raw)-1])
	}
	for _, raw := range []string{"31", "f0", "14 2a", "0a", "ff", "04 ff ff ff ff ff ff ff ff ff 7f"} {
		f.Add(dhex(raw))
	}
	for _, p := range seedPayloads(f, spopwire.FrameNotify) {
		it := spopwire.Messages(p)
		for msg, ok := it.Next(); ok; msg, ok = it.Next() {
			args := msg.Args()
			for a, ok := args.Next(); ok; a, ok = args.Next() {
				f.Add(spopwire.AppendValue(nil, a.Value))
			}
		}
	}

	f.Fuzz(func(t *testing.T, data []byte) {
		v, n := spopwire.ConsumeValue(data)
		if m := spopwire.SkipValue(data); m != n {
			t.Fatalf("SkipValue(%x) = %s; ConsumeValue = %s", data, nstr(m), nstr(n))
		}
		if n < 0 {
			if err := spopwire.ParseError(n); err != spopwire.ErrNeedMore && err != spopwire.ErrInvalidFrame {
				t.Fatalf("ConsumeValue = %s", nstr(n))
			}
			if len(data) > 0 && data[0]&0x0F >= 10 && spopwire.ParseError(n) != spopwire.ErrInvalidFrame {
				t.Fatalf("ConsumeValue(reserved type %#x) = %s; want invalid", data[0], nstr(n))
			}
			return
		}
		if data[0]&0x0F >= 10 {
			t.Fatalf("ConsumeValue(reserved type %#x) = %v, n=%d", data[0], v, n)
		}
		if v.Type() != spopwire.Type(data[0]&0x0F) {
			t.Fatalf("ConsumeValue(%x).Type() = %v", data[:n], v.Type())
		}
		checkValue(t, data, v, n)
	})
}

func FuzzVarint(f *testing.F) {
	for _, tt := range varintTests {
		raw := dhex(tt.raw)
		f.Add(raw, tt.v)
		f.Add(raw[:len(raw)-1], tt.v+1)
	}
	f.Add(dhex("ff ff ff ff ff ff ff ff ff 7f"), uint64(0))
	f.Add(dhex("ff ff ff ff ff ff ff ff ff 0f"), uint64(1<<63))

	f.Fuzz(func(t *testing.T, data []byte, v uint64) {
		// Decode → encode reproduces the consumed bytes.
		u, n := spopwire.ConsumeVarint(data)
		switch {
		case n > 0:
			if n > spopwire.MaxVarintLen || n > len(data) {
				t.Fatalf("ConsumeVarint(%x) = n=%d", data, n)
			}
			if got := spopwire.AppendVarint(nil, u); !bytes.Equal(got, data[:n]) {
				t.Fatalf("AppendVarint(ConsumeVarint(%x) = %d) = %x", data[:n], u, got)
			}
			if spopwire.SizeVarint(u) != n {
				t.Fatalf("SizeVarint(%d) = %d; want %d", u, spopwire.SizeVarint(u), n)
			}
		case spopwire.ParseError(n) == spopwire.ErrNeedMore:
			if len(data) >= spopwire.MaxVarintLen {
				t.Fatalf("ConsumeVarint(%x) = need more with %d bytes", data, len(data))
			}
		case spopwire.ParseError(n) == spopwire.ErrInvalidFrame:
			if len(data) < spopwire.MaxVarintLen {
				t.Fatalf("ConsumeVarint(%x) = invalid before the 10th byte", data)
			}
		default:
			t.Fatalf("ConsumeVarint(%x) = %s", data, nstr(n))
		}

		// Encode → decode gives v back, whatever follows.
		enc := spopwire.AppendVarint(nil, v)
		if len(enc) != spopwire.SizeVarint(v) {
			t.Fatalf("len(AppendVarint(%d)) = %d; SizeVarint = %d", v, len(enc), spopwire.SizeVarint(v))
		}
		if got, m := spopwire.ConsumeVarint(append(enc, data...)); got != v || m != len(enc) {
			t.Fatalf("ConsumeVarint(AppendVarint(%d)+…) = %d, %s; want n=%d", v, got, nstr(m), len(enc))
		}
	})
}

func FuzzKV(f *testing.F) {
	for _, p := range seedPayloads(f, spopwire.FrameHAProxyHello, spopwire.FrameHAProxyDisconnect, spopwire.FrameAgentHello, spopwire.FrameAgentDisconnect) {
		f.Add(p)
	}
	f.Add(dhex(`0c "capabilities" 08 15 " async , pipelining  " 00 08 00`))
	f.Add(dhex(`0e "max-frame-size" 04 f0 f1 fe fe 7e 0b "status-code" 05 2a`))

	f.Fuzz(func(t *testing.T, payload []byte) {
		// The generic iterator.
		var enc []byte
		canonical := true
		it := spopwire.KVs(payload)
		rest := payload
		for key, v, ok := it.Next(); ok; key, v, ok = it.Next() {
			_, _, n := spopwire.ConsumeKV(rest)
			if n <= 0 || len(key) == 0 || !within(key, rest[:n]) || !within(v.Bytes(), rest[:n]) {
				t.Fatalf("KVs: item %q %v (n=%d) not a non-empty view into %x", key, v, n, rest)
			}
			canonical = canonical && canonicalType(rest[n-spopwire.SizeValue(v)])
			rest = rest[n:]
			enc = spopwire.AppendKV(enc, string(key), v)
		}
		err := it.Err()
		if err != nil && err != spopwire.ErrInvalidFrame {
			t.Fatalf("KVs.Err() = %v", err)
		}
		if err == nil && canonical && !bytes.Equal(enc, payload) {
			t.Fatalf("AppendKV(KVs(%x)) = %x", payload, enc)
		}

		// The three typed parsers fail exactly when the list is bad, and
		// what they parsed survives a round trip through their encoders.
		hh, herr := spopwire.ParseHAProxyHello(payload)
		ah, aerr := spopwire.ParseAgentHello(payload)
		d, derr := spopwire.ParseDisconnect(payload)
		if herr != err || aerr != err || derr != err {
			t.Fatalf("Parse* errors %v, %v, %v; KVs.Err() = %v", herr, aerr, derr, err)
		}
		if !within(hh.SupportedVersions, payload) || !within(hh.EngineID, payload) || !within(ah.Version, payload) || !within(d.Message, payload) {
			t.Fatalf("Parse*: byte fields are not views into the payload")
		}
		if err != nil {
			return
		}

		fr, _ := spopwire.ConsumeFrame(spopwire.AppendHAProxyHello(nil, hh), ^uint32(0))
		if got, err := spopwire.ParseHAProxyHello(fr.Payload); err != nil || !helloEqual(got, hh) {
			t.Fatalf("ParseHAProxyHello(AppendHAProxyHello(%+v)) = %+v, %v", hh, got, err)
		}
		fr, _ = spopwire.ConsumeFrame(spopwire.AppendAgentHello(nil, ah.MaxFrameSize, ah.Capabilities), ^uint32(0))
		if got, err := spopwire.ParseAgentHello(fr.Payload); err != nil || got.MaxFrameSize != ah.MaxFrameSize ||
			got.Capabilities != ah.Capabilities || string(got.Version) != spopwire.Version {
			t.Fatalf("ParseAgentHello(AppendAgentHello(%+v)) = %+v, %v", ah, got, err)
		}
		wantMsg := string(d.Message)
		if wantMsg == "" {
			wantMsg = d.Status.String()
		}
		wantMsg = wantMsg[:min(len(wantMsg), spopwire.MaxDisconnectMessage)]
		fr, _ = spopwire.ConsumeFrame(spopwire.AppendDisconnect(nil, spopwire.FrameAgentDisconnect, d.Status, string(d.Message)), ^uint32(0))
		if got, err := spopwire.ParseDisconnect(fr.Payload); err != nil || got.Status != d.Status || string(got.Message) != wantMsg {
			t.Fatalf("ParseDisconnect(AppendDisconnect(%d, %q)) = {%d %q}, %v", d.Status, d.Message, got.Status, got.Message, err)
		}
	})
}

func FuzzMessages(f *testing.F) {
	for _, p := range seedPayloads(f, spopwire.FrameNotify) {
		f.Add(p)
	}
	for _, tt := range messagesTests {
		f.Add(dhex(tt.raw))
	}

	f.Fuzz(func(t *testing.T, payload []byte) {
		var enc []byte
		canonical := true
		it := spopwire.Messages(payload)
		rest := payload
		for msg, ok := it.Next(); ok; msg, ok = it.Next() {
			// The low-level path agrees with the iterator.
			name, nargs, n := spopwire.ConsumeMessageHeader(rest)
			if n <= 0 || string(name) != string(msg.Name) || nargs != msg.NumArgs || !within(msg.Name, rest[:n]) {
				t.Fatalf("ConsumeMessageHeader = %q, %d, %s; iterator gave %q, %d", name, nargs, nstr(n), msg.Name, msg.NumArgs)
			}
			if nargs < 0 || nargs > spopwire.MaxArgs {
				t.Fatalf("NumArgs = %d", nargs)
			}
			m := spopwire.SkipArgs(rest[n:], nargs)
			if m < 0 || n+m > len(rest) {
				t.Fatalf("SkipArgs = %s for a message the iterator accepted", nstr(m))
			}
			if k := spopwire.SkipMessage(rest); k != n+m {
				t.Fatalf("SkipMessage = %s; header and arguments take %d bytes", nstr(k), n+m)
			}
			enc = spopwire.AppendMessageHeader(enc, string(msg.Name), msg.NumArgs)
			args := msg.Args()
			argBytes := rest[n : n+m]
			count := 0
			for a, ok := args.Next(); ok; a, ok = args.Next() {
				_, v, k := spopwire.ConsumeArg(argBytes)
				if k <= 0 || !v.Equal(a.Value) || !within(a.Name, argBytes[:k]) || !within(a.Value.Bytes(), argBytes[:k]) {
					t.Fatalf("arg %d: ConsumeArg = %v, %s; iterator gave %q %v", count, v, nstr(k), a.Name, a.Value)
				}
				canonical = canonical && canonicalType(argBytes[k-spopwire.SizeValue(v)])
				argBytes = argBytes[k:]
				enc = spopwire.AppendArg(enc, string(a.Name), a.Value)
				count++
			}
			if count != msg.NumArgs || args.Len() != 0 || len(argBytes) != 0 {
				t.Fatalf("message %q: %d args read, Len %d, %d bytes left; NumArgs %d", msg.Name, count, args.Len(), len(argBytes), msg.NumArgs)
			}
			rest = rest[n+m:]
		}
		err := it.Err()
		if _, k := spopwire.ConsumeAction(rest); err != nil && k > 0 {
			t.Fatalf("Actions.Err() = %v but ConsumeAction = %d", err, k)
		}
		switch {
		case err != nil && err != spopwire.ErrInvalidFrame:
			t.Fatalf("Messages.Err() = %v", err)
		case err == nil && len(rest) != 0:
			t.Fatalf("Messages ended without error with %d bytes left", len(rest))
		case err == nil && canonical && !bytes.Equal(enc, payload):
			t.Fatalf("re-encoded messages = %x; want %x", enc, payload)
		case err == nil:
			// Non-canonical flag bits: the re-encoding means the same.
			want, _ := readMessages(payload)
			got, gerr := readMessages(enc)
			if gerr != nil || !messagesEqual(got, want) {
				t.Fatalf("Messages(re-encoded) = %s, %v; want %s", messagesString(got), gerr, messagesString(want))
			}
		}
	})
}

func FuzzActions(f *testing.F) {
	for _, p := range seedPayloads(f, spopwire.FrameAck) {
		f.Add(p)
	}
	f.Add(dhex(`01 03 02 05 "score" 02 2a 02 02 01 04 "flag"`))
	f.Add(dhex(`01 03 04 01 "x" 07 00000000000000000000ffffc0000207 01 03 00 00 11`))

	f.Fuzz(func(t *testing.T, payload []byte) {
		var enc []byte
		canonical := true
		it := spopwire.Actions(payload)
		rest := payload
		for a, ok := it.Next(); ok; a, ok = it.Next() {
			b, n := spopwire.ConsumeAction(rest)
			if n <= 0 || !actionEqual(a, b) || !within(a.Name, rest[:n]) || !within(a.Value.Bytes(), rest[:n]) {
				t.Fatalf("ConsumeAction = %s, %s; iterator gave %s", actionString(b), nstr(n), actionString(a))
			}
			if a.Scope > spopwire.ScopeResponse || (a.Type != spopwire.ActionSetVar && a.Type != spopwire.ActionUnsetVar) {
				t.Fatalf("accepted action %s", actionString(a))
			}
			if a.Type == spopwire.ActionSetVar {
				canonical = canonical && canonicalType(rest[n-spopwire.SizeValue(a.Value)])
			} else if !a.Value.IsNull() {
				t.Fatalf("unset-var with a value: %s", actionString(a))
			}
			rest = rest[n:]
			enc = spopwire.AppendAction(enc, a)
		}
		err := it.Err()
		if _, k := spopwire.ConsumeAction(rest); err != nil && k > 0 {
			t.Fatalf("Actions.Err() = %v but ConsumeAction = %d", err, k)
		}
		switch {
		case err != nil && err != spopwire.ErrInvalidFrame:
			t.Fatalf("Actions.Err() = %v", err)
		case err == nil && len(rest) != 0:
			t.Fatalf("Actions ended without error with %d bytes left", len(rest))
		case err == nil && canonical && !bytes.Equal(enc, payload):
			t.Fatalf("AppendAction(Actions(%x)) = %x", payload, enc)
		case err == nil:
			it := spopwire.Actions(enc)
			for _, ok := it.Next(); ok; _, ok = it.Next() {
			}
			if it.Err() != nil {
				t.Fatalf("Actions(re-encoded) = %v", it.Err())
			}
		}
	})
}

func FuzzHeaders(f *testing.F) {
	for _, p := range seedPayloads(f, spopwire.FrameNotify) {
		it := spopwire.Messages(p)
		for msg, ok := it.Next(); ok; msg, ok = it.Next() {
			args := msg.Args()
			for a, ok := args.Next(); ok; a, ok = args.Next() {
				if string(a.Name) == "hdrs_bin" {
					f.Add(a.Value.Bytes())
				}
			}
		}
	}
	f.Add(dhex(`04 "host" 0f "127.0.0.1:18080" 05 "x-dup" 01 "a" 05 "x-dup" 01 "b" 00 00`))
	f.Add(dhex(`01 "a" 01 "1"`))

	f.Fuzz(func(t *testing.T, block []byte) {
		got, err := readHeaders(block)
		if err != nil && err != spopwire.ErrInvalidFrame {
			t.Fatalf("Headers.Err() = %v", err)
		}
		var enc []byte
		it := spopwire.Headers(block)
		for name, value, ok := it.Next(); ok; name, value, ok = it.Next() {
			if len(name) == 0 || !within(name, block) || !within(value, block) {
				t.Fatalf("header %q: %q is not a view into the block", name, value)
			}
			enc = spopwire.AppendHeader(enc, string(name), string(value))
		}
		enc = spopwire.AppendHeadersEnd(enc)
		// The headers read before the end (or an error) re-encode to a block
		// that reads the same and is a prefix of the input up to its marker.
		again, err := readHeaders(enc)
		if err != nil || !headersEqual(again, got) {
			t.Fatalf("Headers(re-encoded) = %q, %v; want %q", again, err, got)
		}
		if body := enc[:len(enc)-2]; !bytes.HasPrefix(block, body) {
			t.Fatalf("re-encoded headers %x are not a prefix of %x", body, block)
		}
	})
}
