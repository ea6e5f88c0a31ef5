package arg_test

import (
	"bytes"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/spopkit/spopkit/examples/iprep"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spoa/arg"
	"github.com/spopkit/spopkit/spopwire"
)

// TestDebugLogsArguments: with a debug logger set (spoa --debug), a generated
// dispatcher logs each message it decodes with its argument values; without
// one it logs nothing and does not allocate for logging.
func TestDebugLogsArguments(t *testing.T) {
	var buf bytes.Buffer
	hp := spoptest.New(t, iprep.NewHandler(42), spoptest.Options{})
	msg := spoptest.Msg("check-client-ip", spoptest.Arg("ip", spopwire.AddrValue(netip.MustParseAddr("192.0.2.7"))))

	if _, err := hp.Notify(msg); err != nil {
		t.Fatal(err)
	}
	if buf.Len() != 0 || arg.Debugging() {
		t.Fatalf("logged without a debug logger: %q", buf.String())
	}

	arg.SetDebugLogger(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
	defer arg.SetDebugLogger(nil)
	if _, err := hp.Notify(msg); err != nil {
		t.Fatal(err)
	}
	got := buf.String()
	for _, want := range []string{"msg=message", "name=check-client-ip", "args.ip=192.0.2.7", "stream_id="} {
		if !strings.Contains(got, want) {
			t.Errorf("debug log = %q; want it to contain %q", got, want)
		}
	}
}
