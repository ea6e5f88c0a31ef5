package spopwire_test

import (
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

func TestParseCapabilities(t *testing.T) {
	const (
		pipe  = spopwire.CapPipelining
		async = spopwire.CapAsync
		frag  = spopwire.CapFragmentation
	)
	tests := []struct {
		list string
		want spopwire.Capabilities
	}{
		// What HAProxy sends (ref §6.4).
		{"pipelining,async", pipe | async},
		{"pipelining", pipe},
		{"async", async},
		{"", 0},

		// Spaces (and tabs) around tokens are ignored.
		{" pipelining , async ", pipe | async},
		{"pipelining,\tasync\t", pipe | async},
		{"  fragmentation", frag},
		{"pipelining,async,fragmentation", pipe | async | frag},
		{"fragmentation,pipelining", pipe | frag},

		// Unknown, empty and duplicate tokens.
		{"pipelining,foo,async", pipe | async},
		{"foo", 0},
		{",,pipelining,,", pipe},
		{"pipelining,pipelining", pipe},
		{",", 0},
		{" ", 0},

		// Tokens match exactly and case-sensitively (ref §4.6).
		{"Pipelining", 0},
		{"PIPELINING,ASYNC", 0},
		{"pipelining2", 0},
		{"pipe", 0},
		{"pipelining async", 0}, // spaces do not separate tokens
		{"async;pipelining", 0},
	}
	for _, tt := range tests {
		if got := spopwire.ParseCapabilities([]byte(tt.list)); got != tt.want {
			t.Errorf("ParseCapabilities(%q) = %v; want %v", tt.list, got, tt.want)
		}
	}
}

func TestCapabilitiesString(t *testing.T) {
	tests := []struct {
		c    spopwire.Capabilities
		want string
	}{
		{0, ""},
		{spopwire.CapPipelining, "pipelining"},
		{spopwire.CapAsync | spopwire.CapPipelining, "pipelining,async"},
		{spopwire.CapFragmentation | spopwire.CapPipelining, "pipelining,fragmentation"},
		{spopwire.CapFragmentation | spopwire.CapAsync | spopwire.CapPipelining, "pipelining,async,fragmentation"},
		{0x80 | spopwire.CapAsync, "async"}, // bits without a token are dropped
	}
	for _, tt := range tests {
		if got := tt.c.String(); got != tt.want {
			t.Errorf("Capabilities(%#x).String() = %q; want %q", uint8(tt.c), got, tt.want)
		}
		if got := string(tt.c.AppendList([]byte("x="))); got != "x="+tt.want {
			t.Errorf("Capabilities(%#x).AppendList(\"x=\") = %q; want %q", uint8(tt.c), got, "x="+tt.want)
		}
		// The canonical list parses back to the known bits.
		if got := spopwire.ParseCapabilities([]byte(tt.want)); got != tt.c&(spopwire.CapPipelining|spopwire.CapAsync|spopwire.CapFragmentation) {
			t.Errorf("ParseCapabilities(%q) = %v; want %v", tt.want, got, tt.c)
		}
	}
}

func TestCapabilitiesHas(t *testing.T) {
	c := spopwire.CapPipelining | spopwire.CapAsync
	tests := []struct {
		o    spopwire.Capabilities
		want bool
	}{
		{0, true},
		{spopwire.CapPipelining, true},
		{spopwire.CapPipelining | spopwire.CapAsync, true},
		{spopwire.CapFragmentation, false},
		{spopwire.CapPipelining | spopwire.CapFragmentation, false},
	}
	for _, tt := range tests {
		if got := c.Has(tt.o); got != tt.want {
			t.Errorf("(%v).Has(%v) = %v; want %v", c, tt.o, got, tt.want)
		}
	}
}

func TestVersionSupported(t *testing.T) {
	tests := []struct {
		list string
		want bool
	}{
		// A 2.x entry is what an agent can answer "2.0" to (ref §4.4).
		{"2.0", true},
		{" 2.0 ", true},
		{"\t2.0", true},
		{"1.0,2.0", true},
		{"1.0, 2.0", true},
		{"2.0,3.0", true},
		{"2.1", true},
		{"2.00", true},
		{"02.0", true},

		// No 2.x entry.
		{"3.0", false},
		{"1.0", false},
		{"1.0,3.0", false},
		{"", false},
		{",", false},

		// Not MAJOR.MINOR.
		{"2", false},
		{"2.", false},
		{".0", false},
		{"2.0.0", false},
		{"2.0x", false},
		{"v2.0", false},
		{"2 .0", false},
		{"2,0", false},
		{"garbage", false},
		{"-2.0", false},
		{"99999999999999999999999.0", false}, // no overflow into 2
		{"18446744073709551618.0", false},
	}
	for _, tt := range tests {
		if got := spopwire.VersionSupported([]byte(tt.list)); got != tt.want {
			t.Errorf("VersionSupported(%q) = %v; want %v", tt.list, got, tt.want)
		}
	}
	if spopwire.Version != "2.0" {
		t.Errorf("Version = %q; want \"2.0\"", spopwire.Version)
	}
}
