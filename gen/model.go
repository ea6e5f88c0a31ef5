// Package gen generates Go code from a spoe.conf: for each spoe-message a
// struct with typed fields and a zero-allocation decoder, a Handler interface
// with one typed method per message, the dispatch switch that the runtime's
// Dispatcher calls, typed action helpers, and (once, never overwritten) a
// handler stub and a main.go that runs the agent with the spoa command line.
// The generated code's runtime is package spoa/arg; gen itself is needed only
// to generate.
//
// It works in stages: package gen/spoeconf parses the file into an AST with
// positions; FromConf turns it into the File below; Generate collects what
// the output holds (collect.go: selection, names, kinds, setters) and prints
// it (emit.go) as gofmt'd source. cmd/spopgen is a thin shell over them.
package gen

// File is what the generator needs from a parsed spoe.conf.
type File struct {
	Source string  // the file's base name, written into the header
	Path   string  // the file name as given, for error messages
	Scopes []Scope // in file order
}

// Scope is one [scope] of the file ("" for sections before any scope line).
type Scope struct {
	Name     string
	Agent    *Agent // nil when the scope has no spoe-agent
	Messages []Message
	Groups   []Group
}

// Agent is the part of a spoe-agent section the generated code refers to.
type Agent struct {
	Name      string
	VarPrefix string   // option var-prefix, or the agent name
	Line      int      // where the section starts
	Messages  []string // the messages line(s)
	Groups    []string // the groups line(s)
	// HAProxyVars lists the variables HAProxy sets itself under the prefix
	// (set-on-error, set-process-time, set-total-time): no setter is generated.
	HAProxyVars []string
	// SetOnError is the variable of "option set-on-error" ("" without it),
	// declared at line SetOnErrorLine.
	SetOnError     string
	SetOnErrorLine int
}

// Message is a spoe-message section.
type Message struct {
	Name  string
	Line  int
	Col   int // of the name
	Args  []Arg
	Event string // event name, empty for messages sent through groups
}

// Arg is one argument of an args line.
type Arg struct {
	Name string // empty for an unnamed argument
	Expr string // the sample expression as written
	Line int
	Col  int
}

// Group is a spoe-group section.
type Group struct {
	Name     string
	Line     int
	Messages []string
}
