package iprep

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/spopkit/spopkit/examples/internal/exampletest"
	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spoa"
	"github.com/spopkit/spopkit/spopwire"
)

var client = netip.MustParseAddr("192.0.2.7")

func TestScoreRepeatableWithSeed(t *testing.T) {
	for _, addr := range []netip.Addr{client, netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("10.0.0.1")} {
		a, b := NewScorer(42).Score(addr), NewScorer(42).Score(addr)
		if a != b || a < 0 || a > 100 {
			t.Errorf("Score(%v) with seed 42 = %d then %d; want one value in [0, 100]", addr, a, b)
		}
	}
	for range 1000 {
		if s := NewScorer(0).Score(client); s < 0 || s > 100 {
			t.Fatalf("random Score = %d; want [0, 100]", s)
		}
	}
}

func TestCheckClientIP(t *testing.T) {
	want := spopwire.Int64Value(NewScorer(7).Score(client))
	tests := []struct {
		name    string
		args    []spoptest.Argument
		want    spopwire.Value
		wantSet bool
	}{
		{"named ip=src", []spoptest.Argument{spoptest.Arg("ip", spopwire.AddrValue(client))}, want, true},
		{"unnamed src", []spoptest.Argument{spoptest.Arg("", spopwire.AddrValue(client))}, want, true},
		{"IPv4-mapped", []spoptest.Argument{spoptest.Arg("ip", spopwire.AddrValue(netip.AddrFrom16(client.As16())))},
			spopwire.Int64Value(NewScorer(7).Score(netip.AddrFrom16(client.As16()))), true},
		{"NULL (unix socket client)", []spoptest.Argument{spoptest.Arg("ip", spopwire.Null())}, spopwire.Value{}, false},
		{"no argument", nil, spopwire.Value{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hp := spoptest.New(t, NewHandler(7), spoptest.Options{})
			acts, err := hp.Notify(spoptest.Msg("check-client-ip", tt.args...))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := exampletest.Find(acts, "ip_score")
			if ok != tt.wantSet || ok && !got.Equal(tt.want) {
				t.Fatalf("ip_score = %v (set %v); want %v (set %v)", got, ok, tt.want, tt.wantSet)
			}
			if ok && acts[0].Scope != spopwire.ScopeSession {
				t.Errorf("scope = %v; want sess", acts[0].Scope)
			}
		})
	}
}

func TestWrongTypeIsAnError(t *testing.T) {
	hp := spoptest.New(t, NewHandler(0), spoptest.Options{})
	acts, err := hp.Notify(spoptest.Msg("check-client-ip", spoptest.Arg("ip", spopwire.StringValue("192.0.2.7"))))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := exampletest.Find(acts, server.DefaultErrorVarName); !ok {
		t.Fatalf("actions %v; want the error variable", acts)
	}
}

func TestOverSocket(t *testing.T) {
	_, addr := exampletest.Start(t, NewHandler(3), server.Config{})
	c := exampletest.Dial(t, addr)
	for range 3 {
		acts, err := c.Notify(5*time.Second, spoptest.Msg("check-client-ip", spoptest.Arg("ip", spopwire.AddrValue(client))))
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := exampletest.Find(acts, "ip_score"); !ok || got.Int64() != NewScorer(3).Score(client) {
			t.Fatalf("ip_score = %v, %v; want %d", got, ok, NewScorer(3).Score(client))
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if _, err := spoa.Probe(ctx, addr); err != nil {
		t.Fatalf("probe: %v", err)
	}
}
