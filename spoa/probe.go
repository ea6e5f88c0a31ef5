package spoa

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/spopkit/spopkit/spopwire"
)

// healthcheckMaxFrameSize is the max-frame-size of HAProxy's health-check
// HELLO (tune.bufsize − 4 with the default bufsize).
const healthcheckMaxFrameSize = spopwire.DefaultMaxFrameSize

// HealthcheckHello returns the 82 bytes HAProxy 2.6 and 3.x send for
// `option spop-check` (spop-reference.md §4.2): supported-versions "2.0",
// max-frame-size 16380, capabilities "" and healthcheck true, no engine-id.
func HealthcheckHello() []byte {
	return spopwire.AppendHAProxyHello(nil, spopwire.HAProxyHello{
		SupportedVersions: []byte(spopwire.Version),
		MaxFrameSize:      healthcheckMaxFrameSize,
		Healthcheck:       true,
	})
}

// ProbeResult is what a successful probe learnt from the AGENT-HELLO.
type ProbeResult struct {
	Version      string
	MaxFrameSize uint64
	Capabilities string
	RTT          time.Duration // from connect to the complete AGENT-HELLO
}

// Probe performs HAProxy's SPOP health check against the agent at addr
// ("host:port", or a UNIX socket path starting with "/" or "unix:"): it
// connects, sends HealthcheckHello and validates the answer as strictly as
// HAProxy 3.x does. The agent is healthy when err is nil.
func Probe(ctx context.Context, addr string) (ProbeResult, error) {
	var res ProbeResult
	network := "tcp"
	if strings.HasPrefix(addr, "unix:") {
		network, addr = "unix", strings.TrimPrefix(addr, "unix:")
	} else if strings.HasPrefix(addr, "/") || strings.HasPrefix(addr, "@") {
		network = "unix"
	}
	start := time.Now()
	var dialer net.Dialer
	conn, err := dialer.DialContext(ctx, network, addr)
	if err != nil {
		return res, err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	// Closing the connection unblocks the reads when ctx is cancelled early.
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()

	if _, err := conn.Write(HealthcheckHello()); err != nil {
		return res, fmt.Errorf("sending HELLO: %w", err)
	}
	var prefix [spopwire.LengthSize]byte
	if _, err := io.ReadFull(conn, prefix[:]); err != nil {
		return res, readError(ctx, err)
	}
	length, n := spopwire.ConsumeFrameLength(prefix[:], healthcheckMaxFrameSize)
	if n < 0 {
		return res, fmt.Errorf("reading AGENT-HELLO: %w", spopwire.ParseError(n))
	}
	body := make([]byte, length)
	if _, err := io.ReadFull(conn, body); err != nil {
		return res, readError(ctx, err)
	}
	res.RTT = time.Since(start)
	f, n := spopwire.ConsumeFrameBody(body)
	if n < 0 {
		return res, fmt.Errorf("decoding the reply: %w", spopwire.ParseError(n))
	}
	if err := checkAgentHello(f, &res); err != nil {
		return res, err
	}
	return res, nil
}

// checkAgentHello applies HAProxy 3.x's health-check rules (exact keys,
// flags exactly FIN, all three keys present).
func checkAgentHello(f spopwire.Frame, res *ProbeResult) error {
	switch f.Type {
	case spopwire.FrameAgentHello:
	case spopwire.FrameAgentDisconnect:
		d, err := spopwire.ParseDisconnect(f.Payload)
		if err != nil {
			return fmt.Errorf("agent answered AGENT-DISCONNECT (undecodable: %v)", err)
		}
		return fmt.Errorf("agent answered AGENT-DISCONNECT, status %d: %q", d.Status, d.Message)
	default:
		return fmt.Errorf("agent answered a %v frame instead of AGENT-HELLO", f.Type)
	}
	if f.Flags != spopwire.FlagFin {
		return fmt.Errorf("AGENT-HELLO flags are %#08x, want exactly FIN (0x00000001)", uint32(f.Flags))
	}
	if f.StreamID != 0 || f.FrameID != 0 {
		return fmt.Errorf("AGENT-HELLO has stream-id %d, frame-id %d; want 0, 0", f.StreamID, f.FrameID)
	}
	var haveVersion, haveSize, haveCaps bool
	it := spopwire.KVs(f.Payload)
	for key, v, ok := it.Next(); ok; key, v, ok = it.Next() {
		switch string(key) {
		case spopwire.KeyVersion:
			if v.Type() != spopwire.TypeString {
				return fmt.Errorf("AGENT-HELLO version is %v, want a STRING", v.Type())
			}
			haveVersion, res.Version = true, string(v.Bytes())
		case spopwire.KeyMaxFrameSize:
			if !v.Type().IsInteger() {
				return fmt.Errorf("AGENT-HELLO max-frame-size is %v, want an integer", v.Type())
			}
			haveSize, res.MaxFrameSize = true, v.Uint64()
		case spopwire.KeyCapabilities:
			if v.Type() != spopwire.TypeString {
				return fmt.Errorf("AGENT-HELLO capabilities is %v, want a STRING", v.Type())
			}
			haveCaps, res.Capabilities = true, string(v.Bytes())
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("decoding AGENT-HELLO: %w", err)
	}
	switch {
	case !haveVersion:
		return errors.New("AGENT-HELLO has no version")
	case !haveSize:
		return errors.New("AGENT-HELLO has no max-frame-size")
	case !haveCaps:
		return errors.New("AGENT-HELLO has no capabilities (HAProxy 3.x checks require the key)")
	}
	if !versionIs20(res.Version) {
		return fmt.Errorf("AGENT-HELLO version %q, want 2.0", res.Version)
	}
	if res.MaxFrameSize < spopwire.MinMaxFrameSize || res.MaxFrameSize > healthcheckMaxFrameSize {
		return fmt.Errorf("AGENT-HELLO max-frame-size %d outside [%d, %d]", res.MaxFrameSize, spopwire.MinMaxFrameSize, healthcheckMaxFrameSize)
	}
	return nil
}

// versionIs20 reports whether v converts to 2.0 the way HAProxy reads it:
// "MAJOR.MINOR" with optional surrounding spaces ("2.0", "2.00", " 2.0 ").
func versionIs20(v string) bool {
	major, minor, ok := strings.Cut(strings.TrimSpace(v), ".")
	if !ok || major != "2" || minor == "" {
		return false
	}
	return strings.Trim(minor, "0") == ""
}

// readError explains a failed read: the deadline, or the agent's close.
func readError(ctx context.Context, err error) error {
	var ne net.Error
	switch {
	case ctx.Err() != nil:
		return fmt.Errorf("no AGENT-HELLO before the timeout: %w", ctx.Err())
	case errors.As(err, &ne) && ne.Timeout():
		return fmt.Errorf("no AGENT-HELLO before the timeout: %w", err)
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return errors.New("reading AGENT-HELLO: connection closed by the agent")
	}
	return fmt.Errorf("reading AGENT-HELLO: %w", err)
}
