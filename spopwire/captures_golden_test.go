package spopwire_test

// TestCaptureValues decodes the capture scenarios a1-iprep-unnamed,
// a2-iprep-named, b-http-types, d-healthcheck, f1-fragmentation and
// i2-bad-version and compares what they carry, frame by frame, with
// ../testdata/captures/values.golden. That file was first transcribed from the
// decoded views in ../testdata/captures/haproxy-{2.6,3.x}/README.md, made
// there with a decoder independent of this package; a frame's header fields
// are checked against index.json by TestCaptureIndex. After a deliberate
// change, regenerate it with
//
//	go test ./spopwire -run TestCaptureValues -update
//
// and review the diff.

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

var update = flag.Bool("update", false, "rewrite ../testdata/captures/values.golden")

var valueScenarios = []string{"a1-iprep-unnamed", "a2-iprep-named", "b-http-types", "d-healthcheck", "f1-fragmentation", "i2-bad-version"}

func TestCaptureValues(t *testing.T) {
	var b strings.Builder
	for _, v := range captureVersions {
		for _, sc := range valueScenarios {
			for _, p := range capturePaths(t, v.dir+"/"+sc+".conn*.bin") {
				data, err := os.ReadFile(filepath.Join(capturesDir, p))
				if err != nil {
					t.Fatal(err)
				}
				if err := renderCapture(&b, p, data); err != nil {
					t.Error(err)
				}
			}
		}
	}
	golden := filepath.Join(capturesDir, "values.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	got, wantLines := strings.Split(b.String(), "\n"), strings.Split(string(want), "\n")
	for i := range max(len(got), len(wantLines)) {
		g, w := lineAt(got, i), lineAt(wantLines, i)
		if g != w {
			t.Fatalf("values.golden line %d:\n got %.200s\nwant %.200s\n(run with -update after a deliberate change)", i+1, g, w)
		}
	}
}

func lineAt(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "<end>"
}

// renderCapture writes one line per frame (index, type, fragment marker)
// followed by what its payload carries, indented: KV items, messages with
// their arguments (and the headers of an hdrs_bin argument), or actions. A
// fragmented NOTIFY's values come with its FIN fragment, reassembled.
func renderCapture(b *strings.Builder, path string, data []byte) error {
	fmt.Fprintf(b, "== %s\n", path)
	var frag []byte
	for i := 0; len(data) > 0; i++ {
		f, n := spopwire.ConsumeFrame(data, spopwire.DefaultMaxFrameSize)
		if n < 0 {
			return fmt.Errorf("%s: frame %d: ConsumeFrame = %s", path, i, nstr(n))
		}
		data = data[n:]
		payload := f.Payload
		if f.Type == spopwire.FrameNotify && !f.Flags.Fin() || f.Type == spopwire.FrameUnset {
			fmt.Fprintf(b, "%d %v fragment\n", i, f.Type)
			if frag = append(frag, f.Payload...); !f.Flags.Fin() {
				continue
			}
			payload, frag = frag, nil
		} else {
			fmt.Fprintf(b, "%d %v\n", i, f.Type)
		}
		var err error
		switch f.Type {
		case spopwire.FrameHAProxyHello, spopwire.FrameAgentHello, spopwire.FrameHAProxyDisconnect, spopwire.FrameAgentDisconnect:
			err = renderKVs(b, payload)
		case spopwire.FrameNotify, spopwire.FrameUnset:
			err = renderMessages(b, payload)
		case spopwire.FrameAck:
			err = renderActions(b, payload)
		}
		if err != nil {
			return fmt.Errorf("%s: frame %d: %v", path, i, err)
		}
	}
	return nil
}

func renderKVs(b *strings.Builder, payload []byte) error {
	it := spopwire.KVs(payload)
	for key, v, ok := it.Next(); ok; key, v, ok = it.Next() {
		fmt.Fprintf(b, "\tkv %q %v\n", key, v)
	}
	return it.Err()
}

func renderMessages(b *strings.Builder, payload []byte) error {
	it := spopwire.Messages(payload)
	for msg, ok := it.Next(); ok; msg, ok = it.Next() {
		fmt.Fprintf(b, "\tmessage %q nb-args=%d\n", msg.Name, msg.NumArgs)
		args := msg.Args()
		for a, ok := args.Next(); ok; a, ok = args.Next() {
			fmt.Fprintf(b, "\t\targ %q %v\n", a.Name, a.Value)
			if string(a.Name) != "hdrs_bin" || a.Value.Type() != spopwire.TypeBinary {
				continue
			}
			hs := spopwire.Headers(a.Value.Bytes())
			for name, value, ok := hs.Next(); ok; name, value, ok = hs.Next() {
				fmt.Fprintf(b, "\t\t\theader %q %q\n", name, value)
			}
			if err := hs.Err(); err != nil {
				return err
			}
		}
	}
	return it.Err()
}

func renderActions(b *strings.Builder, payload []byte) error {
	it := spopwire.Actions(payload)
	for a, ok := it.Next(); ok; a, ok = it.Next() {
		fmt.Fprintf(b, "\t%v %v %q %v\n", a.Type, a.Scope, a.Name, a.Value)
	}
	return it.Err()
}
