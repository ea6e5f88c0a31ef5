package server_test

import (
	"fmt"
	"net/netip"
	"reflect"
	"testing"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/internal/spopclient"
	"github.com/spopkit/spopkit/spopwire"
)

// TestRequestMessages checks Request.Messages on the paths of its message
// ends: a few messages (ends from validation), more than the validation
// records (the iterator walks), and a payload reassembled from fragments.
func TestRequestMessages(t *testing.T) {
	msgs := func(n int) ([]byte, []string) {
		var p []byte
		var want []string
		for i := range n {
			p = spopwire.AppendMessageHeader(p, fmt.Sprint("m", i), i%3)
			for j := range i % 3 {
				p = spopwire.AppendArg(p, "a", spopwire.Int64Value(int64(10*i+j)))
			}
			want = append(want, fmt.Sprintf("m%d%v", i, []int{10 * i, 10*i + 1}[:i%3]))
		}
		return p, want
	}
	three, want3 := msgs(3)
	twenty, want20 := msgs(20)
	for _, tt := range []struct {
		name  string
		input []byte
		want  []string
	}{
		{"3 messages", spopclient.Notify(1, 1, three), want3},
		{"20 messages", spopclient.Notify(1, 1, twenty), want20},
		{"20 messages in fragments", fragments(1, 1, twenty, 40), want20},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			h := server.HandlerFunc(func(req *server.Request, acts *server.Actions) error {
				it := req.Messages()
				for msg, ok := it.Next(); ok; msg, ok = it.Next() {
					vals := []int64{}
					args := msg.Args()
					for a, ok := args.Next(); ok; a, ok = args.Next() {
						vals = append(vals, a.Value.Int64())
					}
					got = append(got, fmt.Sprintf("%s%v", msg.Name, vals))
				}
				return it.Err()
			})
			cfg := server.Config{Capabilities: spopwire.CapPipelining | spopwire.CapFragmentation, Workers: -1}
			srv, err := server.New(cfg, h)
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			sess := srv.NewSession(netip.AddrPort{}, func() {})
			defer sess.Close()
			hello := helloFrame(kvVersions, kvMax, kv{"capabilities", spopwire.StringValue("pipelining,fragmentation")}, kvEngine)
			in := append(hello, tt.input...)
			n, out := sess.Receive(in, nil)
			if n != len(in) {
				t.Fatalf("Receive took %d of %d bytes", n, len(in))
			}
			var last spopwire.Frame
			for len(out) > 0 {
				f, k := spopwire.ConsumeFrame(out, 16380)
				if k <= 0 {
					t.Fatalf("bad output frame: %d", k)
				}
				last, out = f, out[k:]
			}
			if last.Type != spopwire.FrameAck {
				t.Fatalf("last frame %v; want ACK", last.Type)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("messages = %v; want %v", got, tt.want)
			}
		})
	}
}
