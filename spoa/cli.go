package spoa

import (
	"fmt"
	"net"
	"os"
	"os/user"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"
	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spopwire"
)

// cli is the whole command line: the global flags, the probe command and,
// added at run time with kong.DynamicCommand, one command per agent.
type cli struct {
	Globals

	Probe  probeCmd  `cmd:"" help:"Perform HAProxy's SPOP health check (option spop-check) against an agent: exit 0 if it answers a valid AGENT-HELLO, 1 otherwise."`
	Config configCmd `cmd:"" help:"Print an agent's example spoe.conf and haproxy.cfg."`

	RecordDump recordDumpCmd `cmd:"" name:"record-dump" help:"Print a recording made with --record, as text or JSON lines."`
	Replay     replayCmd     `cmd:"" help:"Play a recording made with --record against a running agent, as HAProxy would, validating every ACK."`
}

// Globals are the flags every agent shares. Those that HAProxy's spoa-example
// and spoa-mirror have keep their letters and meaning.
type Globals struct {
	Address         string           `short:"a" default:"127.0.0.1" env:"SPOA_ADDRESS" placeholder:"ADDR" help:"Address to listen on. SPOP has no authentication, so the default is loopback: give 0.0.0.0 (or one interface's address) to serve HAProxy on other hosts, behind a firewall (default: ${default})."`
	Port            int              `short:"p" default:"12345" env:"SPOA_PORT" placeholder:"PORT" help:"TCP port to listen on, 0 for a free one (default: ${default})."`
	Unix            string           `env:"SPOA_UNIX" placeholder:"PATH" help:"Listen on this UNIX socket instead of TCP; a socket left there by an agent that died is replaced."`
	UnixMode        string           `name:"unix-mode" default:"0660" env:"SPOA_UNIX_MODE" placeholder:"MODE" help:"Permission of the --unix socket, in octal, set before it accepts a connection (default: ${default}: the agent's user and group)."`
	UnixGroup       string           `name:"unix-group" env:"SPOA_UNIX_GROUP" placeholder:"GROUP" help:"Group of the --unix socket, a name or a number: HAProxy's (e.g. haproxy) when HAProxy runs as another user."`
	Loops           int              `short:"n" default:"0" env:"SPOA_LOOPS" placeholder:"N" help:"Event loops; 0 means one per physical core."`
	Engine          string           `default:"${default_engine}" enum:"epoll,std" env:"SPOA_ENGINE" help:"Network engine: epoll (Linux) or std (portable, a goroutine per connection) (default: ${default})."`
	MaxFrameSize    uint32           `short:"m" default:"16380" env:"SPOA_MAX_FRAME_SIZE" placeholder:"BYTES" help:"Largest frame accepted and sent; HAProxy's is tune.bufsize - 4 (default: ${default})."`
	Capability      []string         `short:"c" enum:"pipelining,async,fragmentation,none" env:"SPOA_CAPABILITY" placeholder:"NAME" help:"Capability to offer, repeatable: pipelining, async, fragmentation, or none (HAProxy then waits for each ACK before the next NOTIFY) (default: pipelining)."`
	Backlog         int              `short:"b" default:"0" env:"SPOA_BACKLOG" placeholder:"N" help:"Listen backlog; 0 means the kernel's maximum."`
	Workers         int              `default:"0" env:"SPOA_WORKERS" placeholder:"N" help:"Goroutines running offloaded (blocking) work; 0 means 64."`
	Runtime         Duration         `short:"r" default:"0" env:"SPOA_RUNTIME" placeholder:"TIME" help:"Stop after this long; 0 means never."`
	ProcessingDelay Duration         `short:"t" default:"0" env:"SPOA_PROCESSING_DELAY" placeholder:"TIME" help:"Delay every ACK by this long, off the event loop, to simulate a slow agent."`
	ShutdownTimeout Duration         `default:"10s" env:"SPOA_SHUTDOWN_TIMEOUT" placeholder:"TIME" help:"How long SIGTERM/SIGINT wait for in-flight work before closing connections (default: ${default})."`
	PassiveDrain    bool             `name:"passive-drain" env:"SPOA_PASSIVE_DRAIN" help:"On SIGTERM/SIGINT, say AGENT-DISCONNECT only with the ACK HAProxy waits for on a connection without pipelining, and otherwise let HAProxy close the connection, so that restarts lose nothing: HAProxy 3.x with max-reuse on the agent's server line; HAProxy 2.x with --capability none and a short spoe-agent timeout idle."`
	ErrorVar        string           `name:"error-var" env:"SPOA_ERROR_VAR" placeholder:"[SCOPE.]NAME" help:"Variable set to an integer > 0 when a NOTIFY cannot be answered normally (handler error, argument of the wrong type, panic): NAME is txn.<var-prefix>.NAME in haproxy.cfg; SCOPE one of proc, sess, txn, req, res. Default: the spoe.conf's set-on-error variable for a generated agent, else agent_error."`
	Debug           bool             `short:"d" env:"SPOA_DEBUG" help:"Log at debug level, including every NOTIFY and, for generated agents, each message with its argument values (long ones cut)."`
	Pidfile         string           `short:"F" type:"path" env:"SPOA_PIDFILE" placeholder:"FILE" help:"Write the process id to this file (removed at exit)."`
	Logfile         LogFile          `short:"l" env:"SPOA_LOGFILE" placeholder:"[MODE:]FILE" help:"Log to this file instead of stderr; MODE a appends (default), w truncates, A/W line-buffered."`
	LogFormat       string           `default:"text" enum:"text,json" env:"SPOA_LOG_FORMAT" help:"Log format: text or json (default: ${default})."`
	MonitorInterval Duration         `short:"i" default:"0" env:"SPOA_MONITOR_INTERVAL" placeholder:"TIME" help:"Log a statistics line this often; 0 means never."`
	MetricsAddr     string           `env:"SPOA_METRICS_ADDR" placeholder:"HOST:PORT" help:"Serve Prometheus metrics at http://HOST:PORT/metrics, and /healthz (alive) and /readyz (503 while draining)."`
	Pprof           bool             `env:"SPOA_PPROF" help:"Also serve net/http/pprof under /debug/pprof/ on --metrics-addr."`
	Version         kong.VersionFlag `short:"V" env:"-" help:"Print the version and exit."`
	RecordFlags

	unixMode os.FileMode // --unix-mode, parsed by Validate
	unixGID  int         // --unix-group, looked up by Validate; 0 for none
}

// Validate checks what the tags cannot express. A tool command (probe,
// replay...) runs no agent: it is only refused an agent flag given on its
// command line, and the rest, which may come from an environment it shares
// with the agent, is not its concern.
func (g *Globals) Validate(kctx *kong.Context) error {
	if cmd := kctx.Selected(); cmd != nil && toolCommands[cmd.Name] {
		return agentFlagsOnAgents(kctx, cmd)
	}
	if g.Port < 0 || g.Port > 65535 {
		return fmt.Errorf("--port %d outside [0, 65535]", g.Port)
	}
	if g.MaxFrameSize < spopwire.MinMaxFrameSize {
		return fmt.Errorf("--max-frame-size %d is below HAProxy's minimum %d", g.MaxFrameSize, spopwire.MinMaxFrameSize)
	}
	if g.Loops < 0 || g.Backlog < 0 {
		return fmt.Errorf("--loops and --backlog cannot be negative")
	}
	if g.Engine == server.EngineEpoll && runtime.GOOS != "linux" {
		return fmt.Errorf("--engine epoll needs Linux; use --engine std")
	}
	if slices.Contains(g.Capability, "none") && len(g.Capability) > 1 {
		return fmt.Errorf("--capability none cannot be combined with other capabilities")
	}
	if _, err := parseErrorVar(g.ErrorVar); err != nil {
		return err
	}
	if err := g.parseUnixOwnership(); err != nil {
		return err
	}
	if err := g.RecordFlags.validate(); err != nil {
		return err
	}
	if g.Pprof && g.MetricsAddr == "" {
		return fmt.Errorf("--pprof needs --metrics-addr")
	}
	if g.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(g.MetricsAddr); err != nil {
			return fmt.Errorf("--metrics-addr: %v", err)
		}
	}
	return nil
}

// agentFlagsOnAgents refuses an agent flag given on the command line to the
// tool command cmd (spoa probe -p 5 ADDR): kong lets a command inherit its
// parent's flags, but these configure an agent, which a tool command does
// not run. The environment (SPOA_PORT in a systemd unit whose probe runs
// with it) is not the command line, and stays allowed.
func agentFlagsOnAgents(kctx *kong.Context, cmd *kong.Node) error {
	for _, p := range kctx.Path {
		if p.Flag != nil && slices.Contains(kctx.Model.Flags, p.Flag) && p.Flag.Name != "help" {
			return fmt.Errorf("--%s configures an agent: %s does not take it", p.Flag.Name, cmd.Name)
		}
	}
	return nil
}

// listenAddress is the TCP address to listen on, empty with --unix.
func (g *Globals) listenAddress() string {
	if g.Unix != "" {
		return ""
	}
	return net.JoinHostPort(g.Address, strconv.Itoa(g.Port))
}

// capabilities converts the --capability list.
func (g *Globals) capabilities() spopwire.Capabilities {
	if len(g.Capability) == 0 {
		return 0 // the server's default: pipelining
	}
	caps := spopwire.ParseCapabilities([]byte(strings.Join(g.Capability, ",")))
	if caps == 0 {
		return server.CapabilitiesNone
	}
	return caps
}

// serverConfig builds the server's configuration from the flags.
func (g *Globals) serverConfig() server.Config {
	errorVar, _ := parseErrorVar(g.ErrorVar) // checked by Validate
	return server.Config{
		Address:      g.listenAddress(),
		UnixPath:     g.Unix,
		UnixMode:     g.unixMode,
		UnixGroup:    g.unixGID,
		Engine:       g.Engine,
		Loops:        g.Loops,
		MaxFrameSize: g.MaxFrameSize,
		Capabilities: g.capabilities(),
		Backlog:      g.Backlog,
		Workers:      g.Workers,
		PassiveDrain: g.PassiveDrain,
		ErrorVar:     errorVar,
	}
}

// defaultEngine is the --engine default: epoll where it exists.
func defaultEngine() string {
	if runtime.GOOS == "linux" {
		return server.EngineEpoll
	}
	return server.EngineStd
}

// shutdownTimeout is --shutdown-timeout with a floor, so that 0 still lets
// ACKs already computed go out.
func (g *Globals) shutdownTimeout() time.Duration {
	return max(g.ShutdownTimeout.D(), 100*time.Millisecond)
}

// parseUnixOwnership reads --unix-mode (octal permission bits) and
// --unix-group (a group name, or a number).
func (g *Globals) parseUnixOwnership() error {
	m, err := strconv.ParseUint(g.UnixMode, 8, 32)
	if err != nil || m > 0o777 || m == 0 {
		return fmt.Errorf("--unix-mode %q: want octal permission bits, e.g. 0660", g.UnixMode)
	}
	g.unixMode = os.FileMode(m)
	if g.UnixGroup == "" {
		return nil
	}
	gid, err := strconv.Atoi(g.UnixGroup)
	if err != nil {
		grp, lerr := user.LookupGroup(g.UnixGroup)
		if lerr != nil {
			return fmt.Errorf("--unix-group: %v", lerr)
		}
		if gid, err = strconv.Atoi(grp.Gid); err != nil {
			return fmt.Errorf("--unix-group %s: gid %q is not a number", g.UnixGroup, grp.Gid)
		}
	}
	if gid <= 0 {
		// The server reads 0 as "leave the group alone": refuse rather
		// than ignore it.
		return fmt.Errorf("--unix-group %s: want a group other than root (gid > 0)", g.UnixGroup)
	}
	g.unixGID = gid
	return nil
}
