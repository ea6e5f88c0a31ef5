package server

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"time"

	"github.com/klauspost/cpuid/v2"
	"github.com/spopkit/spopkit/spopwire"
)

// Engine names for Config.Engine.
const (
	// EngineEpoll is the Linux engine: one event loop per core, each with its
	// own SO_REUSEPORT listener and epoll instance.
	EngineEpoll = "epoll"
	// EngineStd is the portable engine: package net, a goroutine per connection.
	EngineStd = "std"
)

// CapabilitiesNone, as Config.Capabilities, offers no capability at all
// (HAProxy then sends one NOTIFY at a time per connection). It exists because
// the zero value of Config.Capabilities means "the default", pipelining.
const CapabilitiesNone spopwire.Capabilities = 1 << 7

// Defaults applied by New to zero Config fields.
const (
	DefaultMaxInFlight          = 20
	DefaultMaxFragmentedPayload = 256 << 10
	DefaultWorkers              = 64
	DefaultOffloadQueue         = 1024
	DefaultHelloTimeout         = 5 * time.Second
	DefaultErrorVarName         = "agent_error"
)

// Var names a variable set in HAProxy by an action: HAProxy prefixes Name with
// the scope and the agent's var-prefix (txn.<prefix>.<Name>).
type Var struct {
	Scope spopwire.Scope
	Name  string
}

// The values of the error variable (Config.ErrorVar), plus Config.ErrorCodeBase,
// an INT64 set in the ACK of a NOTIFY the handler could not answer normally.
// The actions the handler wrote before the failure are discarded.
const (
	ErrorCodeHandler    int64 = 1 // HandleNotify or an OffloadFunc returned an error
	ErrorCodePanic      int64 = 2 // HandleNotify or an OffloadFunc panicked
	ErrorCodeAckTooBig  int64 = 3 // the actions did not fit the negotiated max-frame-size
	ErrorCodeOverloaded int64 = 4 // Offload found the worker queue full
)

// Config configures a Server. The zero value listens nowhere; set Address
// and/or UnixPath. Every other zero field takes the documented default.
type Config struct {
	// Network selects the TCP family for Address: "tcp" (the default: IPv4
	// and IPv6, dual-stack when the host part is empty), "tcp4" or "tcp6".
	Network string
	// Address is the TCP address to listen on, "host:port". An empty host
	// listens on every interface; port 0 picks a free port (see Server.Addr),
	// which every loop then shares.
	Address string
	// UnixPath is the path of a UNIX stream socket to listen on, in addition
	// to (or instead of) Address. The file is removed when the server stops;
	// a socket left there by an agent that died (nothing listens on it) is
	// replaced.
	UnixPath string
	// UnixMode is the permission of the UNIX socket, set before it accepts
	// any connection; 0 means DefaultUnixMode (0660).
	UnixMode os.FileMode
	// UnixGroup, when > 0, is the group id the UNIX socket is given (e.g.
	// HAProxy's group, which UnixMode 0660 then lets connect).
	UnixGroup int

	// Engine is EngineEpoll (the default on Linux) or EngineStd (the default
	// elsewhere, and the only one available there).
	Engine string
	// Loops is the number of event loops of the epoll engine; 0 means one per
	// physical core (logical CPUs when that is unknown), at most GOMAXPROCS.
	// Each running loop raises GOMAXPROCS by one for its lifetime: a loop
	// sleeps in epoll_wait holding its P (no scheduler hand-off per
	// wake-up), and the extra P keeps the rest of the program's share. See
	// "Loops and GOMAXPROCS" in the package documentation.
	Loops int
	// LoopCPUs, if set, pins event loop i to CPU LoopCPUs[i % len(LoopCPUs)]
	// (epoll engine, Linux only).
	LoopCPUs []int

	// MaxFrameSize is the largest frame the agent accepts and sends, length
	// prefix excluded; 0 means spopwire.DefaultMaxFrameSize (16380). The
	// handshake settles on min(HAProxy's value, MaxFrameSize). At least 256.
	MaxFrameSize uint32
	// Capabilities is what the agent offers; a capability is used when
	// HAProxy offers it too. 0 means spopwire.CapPipelining; CapabilitiesNone
	// offers nothing. CapAsync lets an offloaded ACK go out on another
	// connection of the same engine-id when its own is gone (HAProxy 2.x);
	// CapFragmentation makes the agent reassemble fragmented NOTIFYs (HAProxy
	// 2.x only; announce it when HAProxy 2.x may send payloads larger than the
	// frame size, see haproxy-behaviour.md §4).
	Capabilities spopwire.Capabilities
	// MaxInFlight bounds the NOTIFYs of one connection that are offloaded and
	// not yet answered; at the cap the connection is not read until some
	// complete. 0 means 20 (HAProxy's own limit per connection).
	MaxInFlight int
	// MaxFragmentedPayload bounds the reassembled payload of a fragmented
	// NOTIFY; a bigger one is abandoned with an ACK carrying FIN|ABORT.
	// 0 means 256 KiB.
	MaxFragmentedPayload int

	// Workers is the number of goroutines running offloaded work
	// (Request.Offload); 0 means 64, negative disables Offload.
	Workers int
	// OffloadQueue bounds the offloaded work waiting for a worker; beyond it
	// Offload fails with ErrOverloaded. 0 means 1024.
	OffloadQueue int

	// HelloTimeout closes a connection that has not completed the handshake
	// in time (slowloris protection); 0 means 5 s, negative disables it.
	HelloTimeout time.Duration
	// IdleTimeout closes, with AGENT-DISCONNECT status 2, a connection that
	// has received nothing for that long and has no work in progress; 0
	// disables it (HAProxy 2.x has its own `timeout idle`, 3.x keeps idle
	// connections pooled on purpose).
	IdleTimeout time.Duration
	// MaxConns bounds the open connections of the server; beyond it new
	// connections are accepted and closed at once. 0 means no limit.
	MaxConns int
	// Backlog is the listen backlog of the epoll engine and of the UNIX
	// socket; 0 means the kernel's maximum (net.core.somaxconn). The std
	// engine's TCP listener uses package net's.
	Backlog int
	// PassiveDrain makes Shutdown say AGENT-DISCONNECT only where it cannot
	// race with a NOTIFY on the wire, and otherwise wait for HAProxy to close
	// the connection; connections still open at Shutdown's deadline are
	// closed. The race-free goodbye is the one written with the ACK of the
	// NOTIFY HAProxy waits for on a connection without pipelining or async
	// (Capabilities: CapabilitiesNone). The recipes for restarts that lose
	// nothing: HAProxy 3.x, `max-reuse N` on the agent's server line (HAProxy
	// retires each pooled connection itself between two streams); HAProxy
	// 2.x, CapabilitiesNone and a short spoe-agent `timeout idle` (HAProxy
	// closes the connections that get no NOTIFY). 2.x and 3.x fail the
	// NOTIFYs they had on the wire to a connection when they read the agent's
	// DISCONNECT, which the default drain can only make rare.
	PassiveDrain bool

	// ErrorVar is the variable set with an ErrorCode* value when a NOTIFY
	// cannot be answered normally; the zero value means txn "agent_error"
	// (txn.<var-prefix>.agent_error in haproxy.cfg).
	ErrorVar Var
	// ErrorCodeBase is added to the ErrorCode* value written in ErrorVar
	// (HandlerError.Code and Stats keep the plain code). Agents generated
	// from a spoe.conf with "option set-on-error" use arg.ErrorCodeBase
	// (1000), so that their values stay apart from HAProxy's own in the
	// same variable (1-5, 255, 256+status).
	ErrorCodeBase int64
	// OnError, if set, observes every handler failure (*HandlerError) and
	// every connection ended by a protocol error (*ConnError). It is called
	// on the loop or worker that saw the failure and must not block.
	OnError func(err error)
	// Recorder, if set, sees every HELLO and complete NOTIFY received
	// (capture; see package server/record). nil costs nothing.
	Recorder Recorder
	// Logger receives lifecycle messages and, when OnError is nil, failures
	// at level Warn. nil means no logging.
	Logger *slog.Logger
}

// settings is a Config with the defaults applied and everything validated:
// what the engines and sessions read.
type settings struct {
	Config
	caps        spopwire.Capabilities // offered, CapabilitiesNone removed
	loops       int
	errVarScope spopwire.Scope
	errVarName  string
}

func newSettings(cfg Config) (*settings, error) {
	s := &settings{Config: cfg}
	if s.Engine == "" {
		s.Engine = defaultEngine
	}
	switch s.Engine {
	case EngineEpoll:
		if !epollAvailable {
			return nil, fmt.Errorf("server: engine %q is not available on %s", s.Engine, runtime.GOOS)
		}
	case EngineStd:
	default:
		return nil, fmt.Errorf("server: unknown engine %q", s.Engine)
	}
	switch s.Network {
	case "":
		s.Network = "tcp"
	case "tcp", "tcp4", "tcp6":
	default:
		return nil, fmt.Errorf("server: unsupported network %q (tcp, tcp4, tcp6; use UnixPath for UNIX sockets)", s.Network)
	}
	if s.UnixMode == 0 {
		s.UnixMode = DefaultUnixMode
	}
	if s.UnixMode&^os.ModePerm != 0 {
		return nil, fmt.Errorf("server: UnixMode %v holds more than permission bits", s.UnixMode)
	}
	if s.MaxFrameSize == 0 {
		s.MaxFrameSize = spopwire.DefaultMaxFrameSize
	}
	if s.MaxFrameSize < spopwire.MinMaxFrameSize || s.MaxFrameSize > maxFrameSizeLimit {
		return nil, fmt.Errorf("server: MaxFrameSize %d outside [%d, %d]", s.MaxFrameSize, spopwire.MinMaxFrameSize, maxFrameSizeLimit)
	}
	switch {
	case s.Capabilities == 0:
		s.caps = spopwire.CapPipelining
	case s.Capabilities&CapabilitiesNone != 0:
		s.caps = 0
	default:
		s.caps = s.Capabilities & (spopwire.CapPipelining | spopwire.CapAsync | spopwire.CapFragmentation)
	}
	if s.MaxInFlight <= 0 {
		s.MaxInFlight = DefaultMaxInFlight
	}
	if s.MaxFragmentedPayload <= 0 {
		s.MaxFragmentedPayload = DefaultMaxFragmentedPayload
	}
	if s.Workers == 0 {
		s.Workers = DefaultWorkers
	}
	if s.OffloadQueue <= 0 {
		s.OffloadQueue = DefaultOffloadQueue
	}
	if s.HelloTimeout == 0 {
		s.HelloTimeout = DefaultHelloTimeout
	}
	if s.IdleTimeout < 0 {
		s.IdleTimeout = 0
	}
	if s.MaxConns < 0 {
		s.MaxConns = 0
	}
	s.loops = s.Loops
	if s.loops <= 0 {
		// CPUID describes the package, not what this process may use: a
		// container limited to 2 CPUs of a 64-core host still reads 64. Cap
		// it by GOMAXPROCS, which follows the affinity mask and cgroup quota.
		s.loops = cpuid.CPU.PhysicalCores
		if s.loops <= 0 {
			s.loops = runtime.NumCPU()
		}
		s.loops = min(s.loops, programProcs())
	}
	s.errVarScope, s.errVarName = spopwire.ScopeTransaction, DefaultErrorVarName
	if s.ErrorVar.Name != "" {
		s.errVarScope, s.errVarName = s.ErrorVar.Scope, s.ErrorVar.Name
		if s.errVarScope > spopwire.ScopeResponse {
			return nil, fmt.Errorf("server: ErrorVar scope %d is not a valid scope", s.errVarScope)
		}
	}
	if len(s.errVarName) > spopwire.MaxVarName {
		return nil, errors.New("server: ErrorVar name longer than spopwire.MaxVarName")
	}
	return s, nil
}

// maxFrameSizeLimit bounds Config.MaxFrameSize: HAProxy's own limit is
// tune.bufsize − 4, and a read buffer holds at least two frames.
const maxFrameSizeLimit = 1<<24 - 4

// reportError hands err to OnError, or logs it.
func (s *settings) reportError(err error) {
	if s.OnError != nil {
		s.OnError(err)
		return
	}
	if s.Logger != nil {
		s.Logger.Warn(err.Error())
	}
}

// drainTick is how often a draining connection that receives nothing is
// checked for a quiet point (Session.DrainTick).
const drainTick = 10 * time.Millisecond
