// Package echo is a debugging agent: it logs every message it receives (name,
// and each argument's name, type and value) and echoes every argument back as
// set-var(txn.<var-prefix>.<arg name>) with the identical typed value;
// unnamed arguments are called arg0, arg1, … by position.
//
// It works with any spoe.conf, so there is no generated code: Handler
// implements server.Handler directly over spopwire's message iterator.
package echo

import (
	"context"
	_ "embed"
	"log/slog"
	"strconv"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spoa"
	"github.com/spopkit/spopkit/spopwire"
)

// SpoeConf and HAProxyCfg are an example configuration (`spoa config echo`).
var (
	//go:embed spoe.conf
	SpoeConf string
	//go:embed haproxy.cfg
	HAProxyCfg string
)

// Flags are the echo agent's own flags.
type Flags struct {
	Scope string `default:"txn" enum:"sess,txn,req,res" help:"Scope of the echoed variables (default: ${default})."`
	Quiet bool   `help:"Do not log the messages, only echo them."`
}

// NewAgent returns the echo agent for the spoa command line.
func NewAgent() spoa.Agent {
	flags := &Flags{}
	return spoa.Agent{
		Name:  "echo",
		Help:  "Debugging agent: logs every message and echoes each argument back as txn.<prefix>.<arg name>.",
		Flags: flags,
		Setup: func(env *spoa.Env) (server.Handler, error) {
			scope, _ := spopwire.ParseScope(flags.Scope)
			h := &Handler{Scope: scope}
			if !flags.Quiet {
				h.Logger = env.Logger
			}
			return h, nil
		},
		Files: map[string]string{"spoe.conf": SpoeConf, "haproxy.cfg": HAProxyCfg},
	}
}

// Handler echoes arguments back. The zero value echoes into the proc scope
// (scope 0), so set Scope; a nil Logger logs nothing.
type Handler struct {
	Scope  spopwire.Scope
	Logger *slog.Logger
}

// argNames are the names of unnamed arguments, built once.
var argNames = func() (names [spopwire.MaxArgs]string) {
	for i := range names {
		names[i] = "arg" + strconv.Itoa(i)
	}
	return names
}()

// HandleNotify implements server.Handler.
func (h *Handler) HandleNotify(req *server.Request, acts *server.Actions) error {
	it := req.Messages()
	for m, ok := it.Next(); ok; m, ok = it.Next() {
		var attrs []slog.Attr
		if h.Logger != nil {
			attrs = append(attrs, slog.String("message", string(m.Name)),
				slog.Uint64("stream_id", req.StreamID), slog.Uint64("frame_id", req.FrameID))
		}
		args := m.Args()
		for i := 0; ; i++ {
			a, ok := args.Next()
			if !ok {
				break
			}
			name := argNames[i]
			if len(a.Name) > 0 {
				name = VarName(a.Name)
			}
			acts.SetVar(h.Scope, name, a.Value)
			if h.Logger != nil {
				attrs = append(attrs, slog.String(name, a.Value.String()))
			}
		}
		if h.Logger != nil {
			h.Logger.LogAttrs(context.Background(), slog.LevelInfo, "message", attrs...)
		}
	}
	if err := it.Err(); err != nil {
		return err
	}
	return acts.Err()
}

// VarName turns an argument name into a valid HAProxy variable name: the
// characters HAProxy refuses in variable names ([^A-Za-z0-9._]) become '_'.
func VarName(b []byte) string {
	for _, c := range b {
		if !varChar(c) {
			out := []byte(string(b))
			for i, c := range out {
				if !varChar(c) {
					out[i] = '_'
				}
			}
			return string(out)
		}
	}
	return string(b)
}

func varChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_'
}
