// Package blocklist answers "is this client blocked?" from a list of IPv4 and
// IPv6 addresses and prefixes kept in a file: message check-ip carries the
// client address, and the agent sets the boolean txn.<prefix>.blocked, which
// haproxy.cfg turns into a 403.
//
// The list is held as sorted disjoint ranges (Set): a lookup is a binary
// search (IPv4 narrowed by a /16 index first), ~240 ns with a million
// entries. The file is
// reloaded when its modification time or size changes (polled, --poll) and
// on SIGHUP; the new Set replaces the old with one atomic pointer store, so
// NOTIFYs being handled meanwhile see either list, never a half-built one,
// and no frame waits.
package blocklist

//go:generate go run github.com/spopkit/spopkit/cmd/spopgen generate spoe.conf -o . --package blocklist --haproxy-cfg haproxy.cfg --no-stubs

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spoa"
)

// SpoeConf and HAProxyCfg are the example configuration (`spoa config blocklist`).
var (
	//go:embed spoe.conf
	SpoeConf string
	//go:embed haproxy.cfg
	HAProxyCfg string
)

// Flags are the blocklist agent's own flags.
type Flags struct {
	File string        `required:"" type:"existingfile" placeholder:"FILE" help:"The list: one IP address or CIDR prefix per line, # comments."`
	Poll spoa.Duration `default:"1s" placeholder:"TIME" help:"Check the file for changes this often; 0 only reloads on SIGHUP (default: ${default})."`
}

// NewAgent returns the blocklist agent for the spoa command line.
func NewAgent() spoa.Agent {
	flags := &Flags{}
	var list *List
	return spoa.Agent{
		Name:  "blocklist",
		Help:  "Sets txn.<prefix>.blocked for clients in a file of IPs and CIDRs, reloaded on change and on SIGHUP.",
		Flags: flags,
		Setup: func(env *spoa.Env) (server.Handler, error) {
			var err error
			if list, err = Open(flags.File, env.Logger); err != nil {
				return nil, err
			}
			if flags.Poll > 0 {
				go list.Watch(env.Context, flags.Poll.D())
			}
			Configure(env.Config) // a failed lookup sets txn.blocklist.error: haproxy.cfg denies
			return NewHandler(list), nil
		},
		Reload: func() error { return list.Reload() },
		Files:  map[string]string{"spoe.conf": SpoeConf, "haproxy.cfg": HAProxyCfg},
	}
}

// List is a Set loaded from a file, swapped atomically on reload. Its methods
// are safe for concurrent use.
type List struct {
	path string
	log  *slog.Logger
	set  atomic.Pointer[Set]

	mu      sync.Mutex // serializes reloads
	modTime time.Time
	size    int64
	reloads atomic.Uint64
}

// Open loads the list at path. A nil logger logs nothing.
func Open(path string, log *slog.Logger) (*List, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	l := &List{path: path, log: log}
	if err := l.Reload(); err != nil {
		return nil, err
	}
	return l, nil
}

// Set returns the current set.
func (l *List) Set() *Set { return l.set.Load() }

// Reloads returns how many times the list was (re)loaded successfully.
func (l *List) Reloads() uint64 { return l.reloads.Load() }

// Reload reads the file again and swaps the set in. On error the current set
// stays in use.
func (l *List) Reload() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.reloadLocked()
}

func (l *List) reloadLocked() error {
	f, err := os.Open(l.path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	start := time.Now()
	s, err := ParseSet(f)
	if err != nil {
		return fmt.Errorf("%s: %w", l.path, err)
	}
	l.set.Store(s)
	l.modTime, l.size = fi.ModTime(), fi.Size()
	l.reloads.Add(1)
	l.log.Info("blocklist loaded", "file", l.path, "ranges", s.Len(), "took", time.Since(start))
	return nil
}

// Watch reloads the list whenever the file's modification time or size
// changes, checking every interval, until ctx ends.
func (l *List) Watch(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		fi, err := os.Stat(l.path)
		if err != nil {
			l.log.Warn("blocklist: stat failed; keeping the current list", "err", err)
			continue
		}
		l.mu.Lock()
		changed := !fi.ModTime().Equal(l.modTime) || fi.Size() != l.size
		if changed {
			if err := l.reloadLocked(); err != nil && !errors.Is(err, context.Canceled) {
				l.log.Warn("blocklist: reload failed; keeping the current list", "err", err)
				// Do not retry the same broken file on every tick.
				l.modTime, l.size = fi.ModTime(), fi.Size()
			}
		}
		l.mu.Unlock()
	}
}

// NewHandler returns the agent's server.Handler over list.
func NewHandler(list *List) server.Handler {
	return NewDispatcher(handler{list: list})
}

// handler implements Handler.
type handler struct {
	list *List
}

// CheckIP handles spoe-message "check-ip".
func (h handler) CheckIP(req *server.Request, msg CheckIP, acts Actions) error {
	if err := msg.Err(); err != nil {
		return err
	}
	ip, ok := msg.IP.Get()
	if !ok {
		return nil
	}
	acts.SetTxnBlocked(h.list.Set().Contains(ip))
	return nil
}
