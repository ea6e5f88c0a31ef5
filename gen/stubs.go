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
	msgs, _, err := collectMessages(f, opts)
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
	g.P("type handler struct{}")
	g.P()
	g.P("// NewAgent returns the agent for the spoa command line.")
	g.P("func NewAgent() spoa.Agent {")
	g.P("return spoa.Agent{")
	g.P("Name: ", strconv.Quote(opts.Package), ",")
	g.P("Help: ", strconv.Quote("Agent for "+f.Source+"."), ",")
	g.P("Handler: NewDispatcher(handler{}),")
	g.P("}")
	g.P("}")
	for _, m := range msgs {
		g.P()
		g.P("// ", m.Method, " handles spoe-message ", strconv.Quote(m.Name), ".")
		g.P("func (handler) ", m.Method, "(req *server.Request, msg ", m.Type, ", acts Actions) error {")
		g.P("// TODO: read msg's fields, then set the variables haproxy.cfg reads.")
		g.P("return msg.Err()")
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
