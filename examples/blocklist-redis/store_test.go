package blocklistredis

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"os"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestCanonical(t *testing.T) {
	tests := []struct{ in, want string }{
		{"192.0.2.7", "192.0.2.7"},
		{" 192.0.2.7\n", "192.0.2.7"},
		{"192.0.2.7/32", "192.0.2.7/32"},
		{"192.0.2.77/24", "192.0.2.0/24"},
		{"2001:DB8:0:0::7", "2001:db8::7"},
		{"2001:db8:1:2::/32", "2001:db8::/32"},
		{"::ffff:192.0.2.7", "192.0.2.7"},
		{"::ffff:192.0.2.0/120", "192.0.2.0/24"},
		{"0.0.0.0/0", "0.0.0.0/0"},
		{"::/0", "::/0"},
	}
	for _, tt := range tests {
		got, err := Canonical(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Canonical(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "192.0.2", "192.0.2.0/33", "fe80::1%eth0", "example.com", "2001:db8::/129"} {
		if got, err := Canonical(bad); err == nil {
			t.Errorf("Canonical(%q) = %q; want an error", bad, got)
		}
	}
}

// TestMembersMatchCanonical: every address is matched by the canonical form
// of each prefix containing it, of any length, and only by those.
func TestMembersMatchCanonical(t *testing.T) {
	for _, s := range []string{"192.0.2.7", "::ffff:192.0.2.7", "2001:db8::7", "::", "255.255.255.255"} {
		addr := netip.MustParseAddr(s)
		members := Members(addr)
		u := addr.Unmap()
		if want := u.BitLen() + 2; len(members) != want {
			t.Errorf("%s: %d members; want %d", s, len(members), want)
		}
		has := func(e string) bool {
			c, err := Canonical(e)
			if err != nil {
				t.Fatal(err)
			}
			return slices.Contains(members, any(c))
		}
		if !has(s) {
			t.Errorf("%s: the address itself is not a member", s)
		}
		for bits := 0; bits <= u.BitLen(); bits++ {
			p := netip.PrefixFrom(u, bits) // host bits set, as an operator may type it
			if !has(p.String()) {
				t.Errorf("%s: %s is not a member", s, p)
			}
		}
		other := netip.MustParseAddr("198.51.100.1")
		if u.Is6() {
			other = netip.MustParseAddr("2001:db8:ffff::1")
		}
		if has(other.String()) || has(netip.PrefixFrom(other, other.BitLen()-8).String()) {
			t.Errorf("%s: matched by %s", s, other)
		}
	}
}

func TestCheck(t *testing.T) {
	store := newStore(t)
	ctx := context.Background()
	good := []any{"192.0.2.7", "198.51.100.0/24", "2001:db8::/32"}
	bad := []any{"192.0.2.5/24", "2001:DB8::1", "not-an-ip"}
	if err := store.rdb.SAdd(ctx, store.Key(), append(good, bad...)...).Err(); err != nil {
		t.Fatal(err)
	}
	n, got, err := store.Check(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := []string{"192.0.2.5/24", "2001:DB8::1", "not-an-ip"}
	if n != len(good)+len(bad) || !slices.Equal(got, want) {
		t.Errorf("Check = %d, %q; want %d, %q", n, got, len(good)+len(bad), want)
	}
}

// BenchmarkBlocked is one lookup through Redis: on the test package's Redis
// (UNIX socket), or on BLOCKLIST_REDIS_ADDR if set (e.g. 127.0.0.1:6379),
// against a list of 100 000 entries.
func BenchmarkBlocked(b *testing.B) {
	addr := os.Getenv("BLOCKLIST_REDIS_ADDR")
	if addr == "" {
		needRedis(b)
		addr = redisSock
	}
	rdb := newClient(b, addr, time.Second)
	store := NewStore(rdb, "bench:", time.Second)
	ctx := context.Background()
	b.Cleanup(func() { rdb.Del(ctx, store.Key()) })
	if rdb.SCard(ctx, store.Key()).Val() < 100_000 {
		batch := make([]any, 0, 10_000)
		for i := range 100_000 {
			if i%2 == 0 {
				batch = append(batch, netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}).String())
			} else {
				batch = append(batch, netip.PrefixFrom(netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, byte(i >> 16), byte(i >> 8), byte(i)}), 64).String())
			}
			if len(batch) == cap(batch) {
				if err := rdb.SAdd(ctx, store.Key(), batch...).Err(); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
	}
	b.Run("PING", func(b *testing.B) { // the round trip alone, for reference
		for b.Loop() {
			if err := rdb.Ping(ctx).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, bc := range []struct{ name, ip string }{
		{"IPv4", "10.0.1.2"},
		{"IPv6", "2001:db8:0:103::1"},
	} {
		ip := netip.MustParseAddr(bc.ip)
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if ok, err := store.Blocked(ctx, ip); err != nil || !ok {
					b.Fatal(ok, err)
				}
			}
		})
		b.Run(bc.name+"-parallel", func(b *testing.B) {
			b.SetParallelism(16)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if ok, err := store.Blocked(ctx, ip); err != nil || !ok {
						b.Error(ok, err)
						return
					}
				}
			})
		})
	}
}

// TestCheckListEmpty: a list that is empty, or a key that does not exist
// (a wrong --redis-key-prefix), lets every address through: the startup
// check says so.
func TestCheckListEmpty(t *testing.T) {
	store := newStore(t)
	var out bytes.Buffer
	if err := checkList(context.Background(), store, slog.New(slog.NewTextHandler(&out, nil))); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "level=WARN") || !strings.Contains(out.String(), "every address passes") {
		t.Errorf("log:\n%s\nwant a warning that every address passes", out.String())
	}
}
