package blocklistredis

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultKeyPrefix is the default --redis-key-prefix.
const DefaultKeyPrefix = "blocklist:"

// SetName is the name of the blocklist SET after the key prefix: with the
// default prefix the list is the Redis key "blocklist:blocked".
const SetName = "blocked"

// maxBadReported bounds the non-canonical members Check returns.
const maxBadReported = 100

// Store is the blocklist kept in Redis: one SET whose members are IP
// addresses ("192.0.2.7", "2001:db8::7") and CIDR prefixes
// ("198.51.100.0/24", "2001:db8::/32"), IPv4 and IPv6 together, each in the
// form Canonical returns. A lookup is one SMISMEMBER of the address and of
// every prefix that contains it (34 members for IPv4, 130 for IPv6): one
// round trip, whatever the size of the list and the prefix lengths used.
//
// Its methods are safe for concurrent use; they block on the network.
type Store struct {
	rdb     *redis.Client
	key     string
	timeout time.Duration
}

// NewStore returns the store kept in the SET keyPrefix+SetName of rdb. Each
// call is bounded by timeout (none if 0) on top of the caller's context.
// The store does not close rdb.
func NewStore(rdb *redis.Client, keyPrefix string, timeout time.Duration) *Store {
	return &Store{rdb: rdb, key: keyPrefix + SetName, timeout: timeout}
}

// Key returns the name of the Redis SET holding the list.
func (s *Store) Key() string { return s.key }

// ErrInvalidAddr is returned for a lookup of the zero netip.Addr.
var ErrInvalidAddr = errors.New("blocklist-redis: invalid address")

// Blocked reports whether addr, or a prefix that contains it, is in the
// list. An IPv4-mapped IPv6 address (::ffff:192.0.2.7) is looked up as the
// IPv4 address. A Redis failure (unreachable, timeout, wrong key type) is
// returned as an error, never as "not blocked".
func (s *Store) Blocked(ctx context.Context, addr netip.Addr) (bool, error) {
	if !addr.IsValid() {
		return false, ErrInvalidAddr
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	found, err := s.rdb.SMIsMember(ctx, s.key, Members(addr)...).Result()
	if err != nil {
		return false, fmt.Errorf("blocklist-redis: SMISMEMBER %s: %w", s.key, err)
	}
	for _, f := range found {
		if f {
			return true, nil
		}
	}
	return false, nil
}

// Add puts entries (addresses or CIDR prefixes, in any form Canonical
// accepts) into the list and returns how many were not there yet. It is what
// `redis-cli SADD` does, with the entries made canonical first.
func (s *Store) Add(ctx context.Context, entries ...string) (int64, error) {
	members, err := canonicalAll(entries)
	if err != nil || len(members) == 0 {
		return 0, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	return s.rdb.SAdd(ctx, s.key, members...).Result()
}

// Remove takes entries out of the list (SREM) and returns how many were
// there. It removes exactly the entries given: unblocking 192.0.2.7 does not
// touch a listed 192.0.2.0/24.
func (s *Store) Remove(ctx context.Context, entries ...string) (int64, error) {
	members, err := canonicalAll(entries)
	if err != nil || len(members) == 0 {
		return 0, err
	}
	ctx, cancel := s.withTimeout(ctx)
	defer cancel()
	return s.rdb.SRem(ctx, s.key, members...).Result()
}

// Check reads the whole list with SSCAN (without blocking Redis) and returns
// the number of members and those that lookups can never match because they
// are not in canonical form (at most 100 of them), such as "192.0.2.5/24"
// or "2001:DB8::1". It is not bounded by the store's timeout: only by ctx.
func (s *Store) Check(ctx context.Context) (members int, bad []string, err error) {
	var cursor uint64
	for {
		var keys []string
		keys, cursor, err = s.rdb.SScan(ctx, s.key, cursor, "", 1000).Result()
		if err != nil {
			return members, bad, fmt.Errorf("blocklist-redis: SSCAN %s: %w", s.key, err)
		}
		members += len(keys)
		for _, k := range keys {
			if c, err := Canonical(k); (err != nil || c != k) && len(bad) < maxBadReported {
				bad = append(bad, k)
			}
		}
		if cursor == 0 {
			return members, bad, nil
		}
	}
}

func (s *Store) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if s.timeout <= 0 {
		return ctx, func() {}
	}
	return context.WithTimeout(ctx, s.timeout)
}

// Members returns the SET members that block addr, as SMISMEMBER arguments:
// the address itself, then every prefix that contains it from the longest
// (/32 or /128, the same address written as a prefix) to /0.
func Members(addr netip.Addr) []any {
	addr = addr.Unmap().WithZone("")
	out := make([]any, 0, addr.BitLen()+2)
	out = append(out, addr.String())
	for bits := addr.BitLen(); bits >= 0; bits-- {
		p, _ := addr.Prefix(bits) // bits is in range: no error
		out = append(out, p.String())
	}
	return out
}

// Canonical returns entry as it must be stored in the SET to match lookups:
// an address as netip.Addr.String prints it (IPv6 in RFC 5952 form, lower
// case and compressed; an IPv4-mapped address as IPv4), a prefix with its
// host bits cleared ("192.0.2.5/24" becomes "192.0.2.0/24"). Surrounding
// spaces are ignored; zones are refused.
func Canonical(entry string) (string, error) {
	entry = strings.TrimSpace(entry)
	if strings.Contains(entry, "/") {
		p, err := netip.ParsePrefix(entry)
		if err != nil {
			return "", err
		}
		if a := p.Addr(); a.Is4In6() && p.Bits() >= 96 {
			p = netip.PrefixFrom(a.Unmap(), p.Bits()-96)
		}
		return p.Masked().String(), nil
	}
	a, err := netip.ParseAddr(entry)
	if err != nil {
		return "", err
	}
	if a.Zone() != "" {
		return "", fmt.Errorf("%q: an address with a zone cannot be listed", entry)
	}
	return a.Unmap().String(), nil
}

func canonicalAll(entries []string) ([]any, error) {
	out := make([]any, 0, len(entries))
	for _, e := range entries {
		c, err := Canonical(e)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}
