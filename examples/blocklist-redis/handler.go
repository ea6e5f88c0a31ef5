// Package blocklistredis answers "is this client blocked?" from a list of
// IPv4 and IPv6 addresses and CIDR prefixes kept in Redis: message check-ip
// carries the client address, and the agent sets the boolean
// txn.<prefix>.blocked, which haproxy.cfg turns into a 403. It is
// examples/blocklist with the list in Redis instead of a file, so that
// several agents share one list and operators change it with redis-cli, at
// once and without a reload.
//
// The list is one Redis SET (see Store). A lookup is one SMISMEMBER round
// trip, made by the blocking go-redis client on the server's worker pool
// (Request.Offload), so the event loop never waits for Redis. When Redis
// fails, the handler returns the error and the server answers at once with
// txn.<prefix>.error = 1001 (spoe.conf's set-on-error variable, through
// Configure) and no "blocked": haproxy.cfg denies the request with a 503,
// as it does when HAProxy itself sets that variable (agent down, timeout).
//
// It is a module of its own, so that spopkit itself does not depend on
// go-redis; cmd/blocklist-redis runs it.
package blocklistredis

//go:generate go run github.com/spopkit/spopkit/cmd/spopgen generate spoe.conf -o . --package blocklistredis --haproxy-cfg haproxy.cfg --no-stubs

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spoa"
)

// SpoeConf and HAProxyCfg are the example configuration (`blocklist-redis config blocklist-redis`).
var (
	//go:embed spoe.conf
	SpoeConf string
	//go:embed haproxy.cfg
	HAProxyCfg string
)

// Flags are the agent's own flags; each also reads SPOA_<NAME>
// (SPOA_REDIS_ADDR, SPOA_REDIS_PASSWORD…).
type Flags struct {
	RedisAddr      string        `default:"127.0.0.1:6379" placeholder:"HOST:PORT|PATH" help:"Redis server: host:port, or the path of its UNIX socket (default: ${default})."`
	RedisKeyPrefix string        `default:"blocklist:" placeholder:"PREFIX" help:"Prefix of the Redis keys: the list is the SET <PREFIX>blocked (default: ${default})."`
	RedisPassword  string        `placeholder:"PASSWORD" help:"Redis password (requirepass); better given as SPOA_REDIS_PASSWORD than on the command line."`
	RedisTimeout   spoa.Duration `default:"200ms" placeholder:"TIME" help:"Bound on each lookup, connecting included; keep it below spoe.conf's timeout processing (default: ${default})."`
}

// NewAgent returns the blocklist-redis agent for the spoa command line.
func NewAgent() spoa.Agent {
	flags := &Flags{}
	var (
		rdb   *redis.Client
		store *Store
		log   *slog.Logger
	)
	return spoa.Agent{
		Name:  "blocklist-redis",
		Help:  "Sets txn.<prefix>.blocked for clients whose IP, or a CIDR containing it, is in a Redis SET.",
		Flags: flags,
		Setup: func(env *spoa.Env) (server.Handler, error) {
			if env.Config.Workers == 0 {
				env.Config.Workers = server.DefaultWorkers
			}
			log = env.Logger
			// go-redis's own messages (a failed dial…) go to the debug
			// log: the failures reach the handler as errors and are
			// logged as such.
			redis.SetLogger(redisLogger{log})
			rdb = redis.NewClient(ClientOptions(flags.RedisAddr, flags.RedisPassword, flags.RedisTimeout.D(), env.Config.Workers))
			store = NewStore(rdb, flags.RedisKeyPrefix, flags.RedisTimeout.D())
			if env.Config.OnError == nil {
				env.Config.OnError = newErrorLog(log, 10*time.Second).report
			}
			// Redis may be down at start: the agent serves anyway (error
			// ACKs until Redis is back) and says so.
			go checkList(env.Context, store, log)
			Configure(env.Config) // a failed lookup sets txn.blocklist.error: haproxy.cfg denies
			return NewHandler(store), nil
		},
		Reload: func() error {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			return checkList(ctx, store, log)
		},
		Close: func() error { return rdb.Close() },
		Files: map[string]string{"spoe.conf": SpoeConf, "haproxy.cfg": HAProxyCfg},
	}
}

// ClientOptions returns the go-redis options the agent uses: addr is
// host:port, or a UNIX socket path (starting with / or unix:); every
// connection attempt and command is bounded by timeout; a failed command is
// retried once (on a fresh connection after Redis restarted); the pool holds
// one connection per worker, since each offloaded lookup uses one.
func ClientOptions(addr, password string, timeout time.Duration, workers int) *redis.Options {
	opt := &redis.Options{
		Network:               "tcp",
		Addr:                  addr,
		Password:              password,
		Protocol:              2, // RESP2: plain request/answer, no HELLO or push notifications
		DisableIdentity:       true,
		MaxRetries:            1,
		MinRetryBackoff:       -1, // retry at once: a retry is for a connection Redis closed
		MaxRetryBackoff:       -1,
		DialerRetries:         1,
		DialTimeout:           timeout,
		ReadTimeout:           timeout,
		WriteTimeout:          timeout,
		ContextTimeoutEnabled: true,
		PoolSize:              workers,
	}
	if p, ok := strings.CutPrefix(addr, "unix:"); ok || strings.HasPrefix(addr, "/") {
		opt.Network, opt.Addr = "unix", p
	}
	return opt
}

// checkList logs whether Redis answers, how big the list is, and members
// that can never match.
func checkList(ctx context.Context, store *Store, log *slog.Logger) error {
	n, bad, err := store.Check(ctx)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			log.Warn("blocklist-redis: cannot read the list; lookups fail (error ACKs) until Redis answers", "key", store.Key(), "err", err)
		}
		return err
	}
	if n == 0 {
		// Redis answers SMISMEMBER on a missing key with "not a member":
		// a wrong prefix or database would let every address through.
		log.Warn("blocklist-redis: the list is empty or its key does not exist: every address passes; check --redis-key-prefix and the database", "key", store.Key())
	} else {
		log.Info("blocklist-redis: list readable", "key", store.Key(), "members", n)
	}
	for _, m := range bad {
		c, err := Canonical(m)
		if err != nil {
			log.Warn("blocklist-redis: member is not an address or CIDR; remove it", "key", store.Key(), "member", m, "err", err)
		} else {
			log.Warn("blocklist-redis: member is not in canonical form and never matches", "key", store.Key(), "member", m, "use", c)
		}
	}
	return nil
}

// redisLogger passes go-redis's log messages to slog at debug level.
type redisLogger struct{ log *slog.Logger }

// Printf implements go-redis's logger interface.
func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	if l.log.Enabled(ctx, slog.LevelDebug) {
		l.log.DebugContext(ctx, "go-redis: "+fmt.Sprintf(format, v...))
	}
}

// errorLog logs failed NOTIFYs (server.HandlerError, through
// Config.OnError) at most once per interval, counting those it left out, so
// that a Redis outage under load does not write a line per request. Other
// errors (connections ended by protocol errors) are logged as the server
// does.
type errorLog struct {
	log   *slog.Logger
	every time.Duration

	mu      sync.Mutex
	last    time.Time
	dropped int
}

func newErrorLog(log *slog.Logger, every time.Duration) *errorLog {
	return &errorLog{log: log, every: every}
}

// report is Config.OnError: it runs on a loop or a worker and does not block
// beyond the log write.
func (l *errorLog) report(err error) {
	if _, ok := errors.AsType[*server.HandlerError](err); !ok {
		l.log.Warn(err.Error())
		return
	}
	l.mu.Lock()
	now := time.Now()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.dropped++
		l.mu.Unlock()
		return
	}
	dropped := l.dropped
	l.last, l.dropped = now, 0
	l.mu.Unlock()
	l.log.Warn("NOTIFY failed", "err", err, "similar_failures_not_logged", dropped)
}

// NewHandler returns the agent's server.Handler over store.
func NewHandler(store *Store) server.Handler {
	return NewDispatcher(handler{store: store})
}

// handler implements Handler.
type handler struct {
	store *Store
}

// CheckIP handles spoe-message "check-ip". A NULL or missing address (no
// src, e.g. a UNIX-socket client) sets nothing, which haproxy.cfg reads as
// "not blocked"; an argument of another type is an error.
func (h handler) CheckIP(req *server.Request, msg CheckIP, acts Actions) error {
	if err := msg.Err(); err != nil {
		return err
	}
	ip, ok := msg.IP.Get()
	if !ok {
		return nil
	}
	// ip is a netip.Addr, a value: the offloaded function may keep it (a
	// message with string arguments would need msg.Clone()).
	store := h.store
	return req.Offload(func(a *server.Actions) error {
		blocked, err := store.Blocked(context.Background(), ip)
		if err != nil {
			return err // the server answers with txn.<prefix>.error = 1001 (Configure)
		}
		ActionsOf(a).SetTxnBlocked(blocked)
		return nil
	})
}
