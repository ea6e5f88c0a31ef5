package gen

import (
	"bytes"
	"fmt"
	"go/format"
	"strconv"
)

// HandlerStub returns a handler.go for package pkg: a type with every method
// of the generated Handler, to fill in. spopgen writes it once and never over
// an existing file.
func HandlerStub(f *File, opts Options) ([]byte, error) {
	m, err := collect(f, opts)
	if err != nil {
		return nil, err
	}
	g := &printer{}
	g.P("package ", opts.Package)
	g.P()
	g.P("import (")
	g.P(`"github.com/spopkit/spopkit/server"`)
	g.P(`"github.com/spopkit/spopkit/spoa"`)
	g.P(")")
	g.P()
	g.P("// handler implements Handler for ", f.Source, ". Its methods run on the event")
	g.P("// loop: hand blocking work (network calls, disk) to req.Offload.")
	if m.OnError != "" {
		g.P("// A method that returns an error (or panics) denies nothing by itself: it sets")
		g.P("// txn.<var-prefix>.", m.OnError, " (option set-on-error) to 1001 (1002 for a panic),")
		g.P("// as an SPOE error would, and the actions it wrote are dropped.")
	} else {
		g.P("// A method that returns an error (or panics) sets txn.<var-prefix>.agent_error")
		g.P("// to 1 (2 for a panic) instead of its actions.")
	}
	g.P("type handler struct{}")
	g.P()
	g.P("// NewAgent returns the agent for the spoa command line.")
	g.P("func NewAgent() spoa.Agent {")
	g.P("return spoa.Agent{")
	g.P("Name: ", strconv.Quote(opts.Package), ",")
	g.P("Help: ", strconv.Quote("Agent for "+f.Source+"."), ",")
	g.P("Setup: func(env *spoa.Env) (server.Handler, error) {")
	g.P("Configure(env.Config) // the error variable of the spoe.conf, unless --error-var")
	g.P("return NewDispatcher(handler{}), nil")
	g.P("},")
	g.P("}")
	g.P("}")
	for _, msg := range m.Messages {
		g.P()
		g.P("// ", msg.Method, " handles spoe-message ", strconv.Quote(msg.Name), ".")
		if msg.SameAs != "" {
			g.P("// msg has ", msg.SameAs, "'s type: both methods can call one function.")
		}
		g.P("func (handler) ", msg.Method, "(req *server.Request, msg ", msg.Type, ", acts Actions) error {")
		g.P("// TODO: read msg's fields, then set the variables haproxy.cfg reads.")
		g.P("return nil")
		g.P("}")
	}
	return formatted(g)
}

// MainStub returns a main.go that runs the agent of package importPath with
// the spoa command line.
func MainStub(f *File, pkg, importPath string) ([]byte, error) {
	g := &printer{}
	g.P("// Command ", pkg, " runs the SPOE agent for ", f.Source, " with the spoa")
	g.P("// command line (see --help).")
	g.P("package main")
	g.P()
	g.P("import (")
	g.P(strconv.Quote(importPath))
	g.P(`"github.com/spopkit/spopkit/spoa"`)
	g.P(")")
	g.P()
	g.P("func main() { spoa.Main(", pkg, ".NewAgent()) }")
	return formatted(g)
}

func formatted(g *printer) ([]byte, error) {
	src, err := format.Source(g.buf.Bytes())
	if err != nil {
		return nil, fmt.Errorf("gen: generated code does not parse: %v\n%s", err, numbered(g.buf.Bytes()))
	}
	return bytes.TrimLeft(src, "\n"), nil
}
