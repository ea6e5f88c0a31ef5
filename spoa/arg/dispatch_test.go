package arg_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/server/spoptest"
	"github.com/spopkit/spopkit/spoa/arg"
	"github.com/spopkit/spopkit/spopwire"
)

// counter is a Switch that knows the message "known": it reads its one
// argument and counts the calls, or fails with fail.
type counter struct {
	calls *int
	fail  error
}

func (c counter) Dispatch(req *server.Request, acts *server.Actions, name []byte, nargs int, b []byte) (int, bool, error) {
	if string(name) != "known" {
		return 0, false, nil
	}
	_, n := spopwire.ConsumeRawBytes(b)
	_, m := spopwire.ConsumeValue(b[n:])
	*c.calls++
	return n + m, true, c.fail
}

func payload(names ...string) []byte {
	var b []byte
	for _, name := range names {
		b = spopwire.AppendMessageHeader(b, name, 1)
		b = spopwire.AppendArg(b, "x", spopwire.StringValue("v"))
	}
	return b
}

func TestDispatcher(t *testing.T) {
	boom := errors.New("boom")
	for _, tt := range []struct {
		name      string
		payload   []byte
		fail      error
		wantCalls int
		wantErr   error
	}{
		{"known only", payload("known", "known"), nil, 2, nil},
		{"unknown skipped", payload("other", "known", "other"), nil, 1, nil},
		{"empty", nil, nil, 0, nil},
		{"handler error ends the NOTIFY", payload("known", "known"), boom, 1, boom},
		{"truncated header", payload("known")[:3], nil, 0, spopwire.ErrInvalidFrame},
		{"truncated unknown message", payload("other")[:9], nil, 0, spopwire.ErrInvalidFrame},
	} {
		t.Run(tt.name, func(t *testing.T) {
			calls := 0
			d := arg.NewDispatcher(counter{&calls, tt.fail})
			err := d.HandleNotify(&server.Request{Payload: tt.payload}, &server.Actions{})
			if !errors.Is(err, tt.wantErr) || calls != tt.wantCalls {
				t.Errorf("HandleNotify = %v with %d calls; want %v with %d", err, calls, tt.wantErr, tt.wantCalls)
			}
		})
	}
}

func TestDispatcherAllocs(t *testing.T) {
	calls := 0
	var h server.Handler = arg.NewDispatcher(counter{calls: &calls})
	req := &server.Request{Payload: payload("other", "known", "known")}
	acts := &server.Actions{}
	allocs := testing.AllocsPerRun(1000, func() {
		if err := h.HandleNotify(req, acts); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("HandleNotify allocates %v times per run; want 0", allocs)
	}
}

// FailClosed points the error variable at set-on-error's with codes from
// 1001, unless the configuration already names one (spoa --error-var); the
// server then answers a handler error with it.
func TestFailClosed(t *testing.T) {
	onError := server.Var{Scope: spopwire.ScopeTransaction, Name: "error"}
	override := server.Var{Scope: spopwire.ScopeSession, Name: "mine"}
	for _, tt := range []struct {
		name string
		cfg  server.Config
		want string
	}{
		{"set-on-error", server.Config{}, "txn error INT64 1001"},
		{"--error-var wins, with the plain codes", server.Config{ErrorVar: override}, "sess mine INT64 1"},
		{"--error-var naming the set-on-error variable", server.Config{ErrorVar: onError}, "txn error INT64 1001"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := tt.cfg
			arg.FailClosed(&cfg, onError)
			calls := 0
			hp := spoptest.New(t, arg.NewDispatcher(counter{&calls, errors.New("boom")}), spoptest.Options{Config: cfg})
			acts, err := hp.Notify(spoptest.Msg("known", spoptest.Arg("x", spopwire.StringValue("v"))))
			if err != nil {
				t.Fatal(err)
			}
			if len(acts) != 1 || fmt.Sprintf("%v %s %v", acts[0].Scope, acts[0].Name, acts[0].Value) != tt.want {
				t.Errorf("actions %v; want [set-var %s]", acts, tt.want)
			}
		})
	}
}
