package spoa

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spopkit/spopkit/server/record"
	"github.com/spopkit/spopkit/spopwire"
)

// replayCmd plays a recording against a running agent.
type replayCmd struct {
	File  string `arg:"" type:"existingfile" help:"Recording written by --record."`
	To    string `required:"" placeholder:"HOST:PORT" help:"The agent to replay to: a loopback or literal IP address and port."`
	Rate  string `default:"max" placeholder:"original|max|N/s" help:"Pace: the recorded inter-arrival times, as fast as the agent answers, or N NOTIFYs per second (default: ${default})."`
	Conns int    `default:"1" placeholder:"N" help:"Connections (default: ${default})."`
	Loop  int    `default:"1" placeholder:"N" help:"Play the recording N times (default: ${default})."`
	Acks  string `type:"path" placeholder:"FILE" help:"Write each ACK's actions to FILE as JSON lines (offset of the NOTIFY, loop, actions)."`
}

// Validate checks --to and --rate.
func (c *replayCmd) Validate() error {
	host, _, err := net.SplitHostPort(c.To)
	if err != nil {
		return fmt.Errorf("--to: %v", err)
	}
	if host != "localhost" && net.ParseIP(host) == nil {
		return fmt.Errorf("--to %q: give a literal IP address or localhost, not a name", c.To)
	}
	if _, _, err := c.rate(); err != nil {
		return err
	}
	if c.Conns < 1 || c.Loop < 1 {
		return fmt.Errorf("--conns and --loop must be at least 1")
	}
	return nil
}

func (c *replayCmd) rate() (perSec float64, original bool, err error) {
	switch c.Rate {
	case "max":
		return 0, false, nil
	case "original":
		return 0, true, nil
	}
	n, err := strconv.ParseFloat(strings.TrimSuffix(c.Rate, "/s"), 64)
	if err != nil || n <= 0 {
		return 0, false, fmt.Errorf("--rate %q: want original, max or N/s", c.Rate)
	}
	return n, false, nil
}

// ackLine is one line of --acks.
type ackLine struct {
	Offset  int64     `json:"offset"`
	Loop    int       `json:"loop"`
	Actions []dumpArg `json:"actions"`
}

// Run replays and prints a progress line each second and a summary.
func (c *replayCmd) Run(d *deps) error {
	recs, err := record.ReadFile(c.File)
	if err != nil {
		if len(recs) == 0 {
			return err
		}
		fmt.Fprintf(d.stderr, "replay: %v; replaying the %d records before it\n", err, len(recs))
	}
	perSec, original, _ := c.rate()
	opts := record.ReplayOptions{Addr: c.To, Rate: perSec, Original: original, Conns: c.Conns, Loop: c.Loop}
	if c.Acks != "" {
		f, err := os.OpenFile(c.Acks, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		bw := bufio.NewWriter(f)
		defer bw.Flush()
		enc := json.NewEncoder(bw)
		opts.OnAck = func(r *record.Record, loop int, acts []spopwire.Action) {
			line := ackLine{Offset: r.Offset, Loop: loop, Actions: []dumpArg{}}
			for _, a := range acts {
				line.Actions = append(line.Actions, actionJSON(a))
			}
			_ = enc.Encode(line)
		}
	}
	rp, err := record.NewReplayer(recs, opts)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(d.ctx)
	defer cancel()
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		var last uint64
		for {
			select {
			case <-t.C:
				p := rp.Progress()
				fmt.Fprintf(d.stderr, "replay: %s sent %d acked %d invalid %d (%d/s)\n",
					p.Elapsed.Round(time.Second), p.Sent, p.Acked, p.Invalid, p.Acked-last)
				last = p.Acked
			case <-done:
				return
			}
		}
	}()
	st, err := rp.Run(ctx)
	close(done)
	secs := max(st.Elapsed.Seconds(), 1e-9)
	fmt.Fprintf(d.stdout, "sent %d acked %d invalid %d skipped %d in %s: %.0f NOTIFY/s\n",
		st.Sent, st.Acked, st.Invalid, st.Skipped, st.Elapsed.Round(time.Millisecond), float64(st.Acked)/secs)
	fmt.Fprintf(d.stdout, "latency p50 %s p90 %s p99 %s p99.9 %s max %s\n",
		st.Percentile(50), st.Percentile(90), st.Percentile(99), st.Percentile(99.9), st.Percentile(100))
	if err != nil {
		return fmt.Errorf("replay: %w", err)
	}
	if st.Invalid > 0 || st.Acked != st.Sent {
		return fmt.Errorf("replay: %d of %d NOTIFYs without a valid ACK", st.Sent-st.Acked, st.Sent)
	}
	return nil
}

// actionJSON renders an action as record-dump renders an argument, its
// name prefixed by its scope and "unset " for unset-var.
func actionJSON(a spopwire.Action) dumpArg {
	name := a.Scope.String() + "." + string(a.Name)
	if a.Type == spopwire.ActionUnsetVar {
		return dumpArg{Name: name, Type: "UNSET"}
	}
	return dumpArg{Name: name, Type: a.Value.Type().String(), Value: jsonValue(a.Value)}
}
