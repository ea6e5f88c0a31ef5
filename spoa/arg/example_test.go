package arg_test

import (
	"fmt"
	"net/netip"

	"github.com/spopkit/spopkit/spoa/arg"
	"github.com/spopkit/spopkit/spopwire"
)

// A field of a generated message struct is in one of four states. Get
// reports whether a value of the expected type arrived; Or substitutes a
// default otherwise; Err reports a value of another type (the dispatcher
// then fails the message before the handler runs, through the error
// variable).
func ExampleInt() {
	var absent, null, set, wrong arg.Int // generated decoders fill them
	null.Set(spopwire.Null())
	set.Set(spopwire.Int64Value(42))
	wrong.Set(spopwire.StringValue("42"))

	for _, f := range []arg.Int{absent, null, set, wrong} {
		v, ok := f.Get()
		fmt.Printf("%-28s Get=%d,%v Or(-1)=%d IsNull=%v Err=%v\n", f, v, ok, f.Or(-1), f.IsNull(), f.Err())
	}
	// Output:
	// <absent>                     Get=0,false Or(-1)=-1 IsNull=true Err=<nil>
	// <null>                       Get=0,false Or(-1)=-1 IsNull=true Err=<nil>
	// 42                           Get=42,true Or(-1)=42 IsNull=false Err=<nil>
	// <wrong type: STRING>         Get=0,false Or(-1)=-1 IsNull=false Err=arg: got STRING, want an integer
}

// Addr holds src or dst: an IPV4 or IPV6 value.
func ExampleAddr() {
	var src arg.Addr
	src.Set(spopwire.AddrValue(netip.MustParseAddr("192.0.2.7")))
	ip, ok := src.Get()
	fmt.Println(ip, ok, netip.MustParsePrefix("192.0.2.0/24").Contains(src.Or(netip.IPv4Unspecified())))
	// Output: 192.0.2.7 true true
}

// String and Bytes are views into the NOTIFY frame, valid until the handler
// returns: Clone (or the message's Clone) copies them for later, e.g. for
// Request.Offload.
func ExampleString() {
	frame := []byte("/admin/login")
	var path arg.String
	path.Set(spopwire.BytesStringValue(frame))
	kept := path.Clone()
	copy(frame, "/public/xxxxx") // the frame's buffer is reused for the next NOTIFY
	fmt.Println(path.Or("/"), kept.Or("/"))
	// Output: /public/xxxx /admin/login
}

// Headers holds req.hdrs_bin: Get finds a header case-insensitively, Iter
// walks them all in order.
func ExampleHeaders() {
	var hdrs arg.Headers
	hdrs.Set(spopwire.BinaryValue([]byte("\x04host\x0bexample.com\x0auser-agent\x04curl\x00\x00")))
	ua, ok := hdrs.Get("User-Agent")
	fmt.Printf("%s %v\n", ua, ok)
	it := hdrs.Iter()
	for name, value, ok := it.Next(); ok; name, value, ok = it.Next() {
		fmt.Printf("%s: %s\n", name, value)
	}
	// Output:
	// curl true
	// host: example.com
	// user-agent: curl
}
