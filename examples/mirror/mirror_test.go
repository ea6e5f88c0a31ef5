package mirror

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/spopkit/spopkit/examples/internal/exampletest"
	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spopwire"
)

// seen is one request as the mirror target received it.
type seen struct {
	method, uri, host string
	header            http.Header
	body              []byte
}

// target starts an HTTP server that reports every request on the channel.
func target(t *testing.T, hold <-chan struct{}) (*url.URL, <-chan seen) {
	ch := make(chan seen, 100)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if hold != nil {
			<-hold
		}
		ch <- seen{r.Method, r.RequestURI, r.Host, r.Header.Clone(), body}
	}))
	t.Cleanup(ts.Close)
	u, _ := url.Parse(ts.URL + "/mirror")
	return u, ch
}

var body = []byte("a\x00b\x00\x00c\xff end")

func hdrsBin() spopwire.Value {
	b := spopwire.AppendHeader(nil, "host", "www.example.com")
	b = spopwire.AppendHeader(b, "x-dup", "a")
	b = spopwire.AppendHeader(b, "x-dup", "b")
	b = spopwire.AppendHeader(b, "content-type", "application/octet-stream")
	b = spopwire.AppendHeader(b, "connection", "keep-alive")
	return spopwire.BinaryValue(spopwire.AppendHeadersEnd(b))
}

func hdrsText() spopwire.Value {
	return spopwire.StringValue("host: www.example.com\r\nx-dup: a\r\nx-dup: b\r\ncontent-type: application/octet-stream\r\nconnection: keep-alive\r\n\r\n")
}

func mirrorMsg(hdrs spopwire.Value) spoptest.Message {
	return spoptest.Msg("mirror",
		spoptest.Arg("arg_method", spopwire.StringValue("PUT")),
		spoptest.Arg("arg_path", spopwire.StringValue("/p/q?x=1&y=%20")),
		spoptest.Arg("arg_ver", spopwire.StringValue("1.1")),
		spoptest.Arg("arg_hdrs", hdrs),
		spoptest.Arg("arg_body", spopwire.BinaryValue(body)),
	)
}

func TestMirrorReplaysRequestIntact(t *testing.T) {
	for _, tt := range []struct {
		name string
		hdrs spopwire.Value
	}{{"req.hdrs_bin", hdrsBin()}, {"req.hdrs", hdrsText()}} {
		t.Run(tt.name, func(t *testing.T) {
			u, ch := target(t, nil)
			r := New(Options{URL: u, Workers: 2, Queue: 4})
			defer r.Close()
			hp := spoptest.New(t, NewHandler(r), spoptest.Options{})
			acts, err := hp.Notify(mirrorMsg(tt.hdrs))
			if err != nil || len(acts) != 0 {
				t.Fatalf("Notify = %v, %v; want an empty ACK", acts, err)
			}
			select {
			case got := <-ch:
				if got.method != "PUT" || got.uri != "/mirror/p/q?x=1&y=%20" || got.host != "www.example.com" {
					t.Errorf("got %s %s host %s; want PUT /mirror/p/q?x=1&y=%%20 host www.example.com", got.method, got.uri, got.host)
				}
				if d := got.header["X-Dup"]; len(d) != 2 || d[0] != "a" || d[1] != "b" {
					t.Errorf("X-Dup = %q; want [a b]", d)
				}
				if ct := got.header.Get("Content-Type"); ct != "application/octet-stream" {
					t.Errorf("Content-Type = %q", ct)
				}
				if !bytes.Equal(got.body, body) {
					t.Errorf("body = %q; want %q", got.body, body)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("the mirror target got nothing")
			}
		})
	}
}

func TestAckDoesNotWaitForTheMirror(t *testing.T) {
	hold := make(chan struct{})
	u, ch := target(t, hold)
	r := New(Options{URL: u, Workers: 1, Queue: 1})
	defer r.Close()
	hp := spoptest.New(t, NewHandler(r), spoptest.Options{})
	// The target holds every replay until all 5 ACKs are in: an ACK that
	// waited for its replay would never come.
	for range 5 { // 1 in progress, 1 queued, 3 dropped
		if _, err := hp.Notify(mirrorMsg(hdrsBin())); err != nil {
			t.Fatal(err)
		}
	}
	close(hold)
	// One replay runs, at most one waits in the queue, the rest are dropped
	// (how many exactly depends on when the worker took the first one).
	deadline := time.Now().Add(5 * time.Second)
	for {
		sent, failed, dropped := r.Stats()
		if sent+failed+dropped == 5 {
			if failed != 0 || sent < 1 || sent > 2 || dropped < 3 {
				t.Errorf("sent %d, failed %d, dropped %d; want 1-2 sent, 0 failed, the rest dropped", sent, failed, dropped)
			}
			for range sent {
				<-ch
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("sent %d, failed %d, dropped %d after 5 s; want 5 in all", sent, failed, dropped)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestFailuresAreCounted(t *testing.T) {
	u, _ := url.Parse("http://127.0.0.1:1/") // nothing listens on port 1
	r := New(Options{URL: u, Workers: 1, Timeout: time.Second})
	defer r.Close()
	hp := spoptest.New(t, NewHandler(r), spoptest.Options{})
	if _, err := hp.Notify(mirrorMsg(hdrsBin())); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for _, failed, _ := r.Stats(); failed != 1; _, failed, _ = r.Stats() {
		if time.Now().After(deadline) {
			t.Fatal("the failed replay was not counted")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestParsePortRange(t *testing.T) {
	tests := []struct {
		in        string
		low, high int
		ok        bool
	}{
		{"", 0, 0, true}, {"4000", 4000, 4000, true}, {"4000-4010", 4000, 4010, true},
		{"4010-4000", 0, 0, false}, {"0", 0, 0, false}, {"70000", 0, 0, false}, {"a-b", 0, 0, false},
	}
	for _, tt := range tests {
		low, high, err := ParsePortRange(tt.in)
		if low != tt.low || high != tt.high || (err == nil) != tt.ok {
			t.Errorf("ParsePortRange(%q) = %d, %d, %v; want %d, %d, ok %v", tt.in, low, high, err, tt.low, tt.high, tt.ok)
		}
	}
}

func TestLocalAddressAndPortRange(t *testing.T) {
	var remote string
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { remote = r.RemoteAddr }))
	defer ts.Close()
	u, _ := url.Parse(ts.URL)
	low := 20000 + int(time.Now().UnixNano()%20000)
	r := New(Options{URL: u, LocalAddr: []byte{127, 0, 0, 1}, PortLow: low, PortHigh: low + 50, Workers: 1})
	defer r.Close()
	if err := r.replay(&Request{Method: "GET", Target: "/"}); err != nil {
		t.Fatal(err)
	}
	host, port, _ := splitHostPort(remote)
	if host != "127.0.0.1" || port < low || port > low+50 {
		t.Errorf("connection came from %s; want 127.0.0.1:%d-%d", remote, low, low+50)
	}
}

func TestMirrorOverSocket(t *testing.T) {
	u, ch := target(t, nil)
	r := New(Options{URL: u})
	defer r.Close()
	_, addr := exampletest.Start(t, NewHandler(r), server.Config{})
	c := exampletest.Dial(t, addr)
	if _, err := c.Notify(5*time.Second, mirrorMsg(hdrsBin())); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-ch:
		if !bytes.Equal(got.body, body) {
			t.Errorf("body = %q; want %q", got.body, body)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("nothing mirrored")
	}
}
