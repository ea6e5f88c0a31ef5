package spoeconf

import (
	"strconv"
	"time"
)

// File is a parsed spoe.conf.
type File struct {
	Name   string   // file name as given to Parse
	Scopes []*Scope // in order of first appearance; see Scope

	// Preproc lists the conditional blocks and message directives
	// (.if, .elif, .else, .endif, .notice, .warning, .alert, .diag).
	Preproc []*Preproc

	// Diagnostics holds every problem found while parsing, in source
	// order. Check adds the checks that need the whole file.
	Diagnostics []Diagnostic
}

// Scope returns the scope with the given name ("" for the sections written
// before any [scope] line), or nil.
func (f *File) Scope(name string) *Scope {
	for _, s := range f.Scopes {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Errors returns the diagnostics HAProxy would refuse, in source order.
func (f *File) Errors() ErrorList {
	var l ErrorList
	for _, d := range f.Diagnostics {
		if d.Kind.IsError() {
			l = append(l, d)
		}
	}
	return l
}

// A Scope is what one "filter spoe engine NAME" sees: the sections written
// under the [NAME] lines. The same name may appear on several [NAME] lines;
// their sections form one Scope. The anonymous scope (Name "") holds the
// sections written before the first [scope] line, which HAProxy uses for a
// filter line without "engine"; it is listed only when it holds a section.
type Scope struct {
	Name     string
	Pos      Pos // the '[' of the first [NAME] line; zero for the anonymous scope
	Agents   []*Agent
	Messages []*Message
	Groups   []*Group

	// Indexes of the first message and group of each name, kept by the
	// parser; nil for a Scope built by hand.
	msgIndex map[string]*Message
	grpIndex map[string]*Group
}

// Agent returns the scope's spoe-agent, or nil. HAProxy allows one per
// scope; with several (a SemanticError) it returns the first.
func (s *Scope) Agent() *Agent {
	if len(s.Agents) == 0 {
		return nil
	}
	return s.Agents[0]
}

// Message returns the first spoe-message of the scope with that name, or nil.
func (s *Scope) Message(name string) *Message {
	if s.msgIndex != nil {
		return s.msgIndex[name]
	}
	for _, m := range s.Messages {
		if m.Name == name {
			return m
		}
	}
	return nil
}

// Group returns the first spoe-group of the scope with that name, or nil.
func (s *Scope) Group(name string) *Group {
	if s.grpIndex != nil {
		return s.grpIndex[name]
	}
	for _, g := range s.Groups {
		if g.Name == name {
			return g
		}
	}
	return nil
}

// An Ident is a name written on a line, with its position.
type Ident struct {
	Name string // as HAProxy reads it (quotes removed)
	Pos  Pos
}

// Agent is a spoe-agent section.
type Agent struct {
	Name string
	Pos  Pos // position of the name (of the keyword if the name is missing)

	Messages   []Ident // every name of every "messages" line, in order
	Groups     []Ident // every name of every "groups" line, in order
	UseBackend Ident   // Name is "" without a use-backend line
	VarPrefix  Ident   // from "option var-prefix"; Name is "" without one (see Prefix)

	Timeouts         []*Timeout   // every timeout line, in order
	Options          []*Option    // every option line, "option var-prefix" included
	Directives       []*Directive // every other line: log, maxconnrate, max-frame-size, ...
	MaxFrameSize     int          // from max-frame-size; 0 without one (see FrameSize)
	RegisterVarNames []Ident      // every name of every register-var-names line

	listed map[string]Pos // "messages" and "groups" names already seen, keyed "m:NAME" or "g:NAME"
}

// DefaultMaxFrameSize is HAProxy's default max-frame-size: tune.bufsize
// (16384) minus the 4-byte length prefix; also the largest accepted value.
const DefaultMaxFrameSize = 16380

// MinMaxFrameSize is the smallest max-frame-size HAProxy accepts.
const MinMaxFrameSize = 256

// Prefix returns the variable prefix HAProxy uses for the agent's
// variables: the "option var-prefix" value, or else the agent's name.
func (a *Agent) Prefix() string {
	if a.VarPrefix.Name != "" {
		return a.VarPrefix.Name
	}
	return a.Name
}

// FrameSize returns the max-frame-size HAProxy announces for the agent.
func (a *Agent) FrameSize() int {
	if a.MaxFrameSize != 0 {
		return a.MaxFrameSize
	}
	return DefaultMaxFrameSize
}

// Timeout returns the last valid "timeout kind" of the agent.
func (a *Agent) Timeout(kind string) (time.Duration, bool) {
	for i := len(a.Timeouts) - 1; i >= 0; i-- {
		if t := a.Timeouts[i]; t.Kind == kind && t.Valid {
			return t.Duration, true
		}
	}
	return 0, false
}

// Option returns the last option line of the agent with that name (with or
// without "no"), or nil.
func (a *Agent) Option(name string) *Option {
	for i := len(a.Options) - 1; i >= 0; i-- {
		if a.Options[i].Name == name {
			return a.Options[i]
		}
	}
	return nil
}

// Enabled reports whether a flag option is on for the agent: the last
// "option NAME" or "no option NAME" line wins, else HAProxy's default
// (pipelining, async and send-frag-payload are on; dontlog-normal,
// continue-on-error and force-set-var are off).
func (a *Agent) Enabled(name string) bool {
	if o := a.Option(name); o != nil {
		return o.Modifier != "no"
	}
	switch name {
	case "pipelining", "async", "send-frag-payload":
		return true
	}
	return false
}

// OptionValue returns the value of the last option line with that name
// (set-on-error, set-process-time, set-total-time, var-prefix), or "".
func (a *Agent) OptionValue(name string) string {
	if o := a.Option(name); o != nil {
		return o.Value
	}
	return ""
}

// A Timeout is a "timeout KIND VALUE" line.
type Timeout struct {
	Kind     string // hello, idle or processing (others are refused)
	Value    string // as HAProxy reads it
	Raw      string // the value as written
	Pos      Pos    // position of the "timeout" keyword
	Duration time.Duration
	Valid    bool // Value is a valid HAProxy time
}

// An Option is an "option NAME [VALUE]" line, possibly after "no" or
// "default".
type Option struct {
	Modifier string // "", "no" or "default"
	Name     string // pipelining, var-prefix, set-on-error, ...
	Value    string // the value of var-prefix, set-on-error, set-process-time, set-total-time
	Words    []Word // the words after "option"
	Pos      Pos    // position of the first word of the line
}

// A Directive is any other line of a spoe-agent section: log, maxconnrate,
// maxerrrate, max-frame-size, max-waiting-frames, register-var-names.
type Directive struct {
	Modifier string // "" or "no" ("no log")
	Keyword  string
	Args     []Word // the words after the keyword
	Pos      Pos    // position of the first word of the line
}

// Int returns the first argument as an integer, as HAProxy's atoi would
// need it to be (digits only), and whether it is one.
func (d *Directive) Int() (int, bool) {
	if len(d.Args) == 0 {
		return 0, false
	}
	n, err := strconv.Atoi(d.Args[0].Text)
	return n, err == nil
}

// Message is a spoe-message section.
type Message struct {
	Name  string
	Pos   Pos
	Args  []*Arg     // from every "args" line, in order: the NOTIFY carries them in this order
	Event *EventDecl // nil without an event line (normal for messages sent by a group)
	ACLs  []*ACL     // named ACLs ("acl NAME criterion ...")

	argNames map[string]Pos // argument names already seen
}

// An Arg is one word of an "args" line: "name=expr" or an unnamed "expr".
type Arg struct {
	Name    string // before the first '='; "" for an unnamed argument (sent with an empty name)
	Expr    string // the sample expression as HAProxy reads it (quotes removed)
	RawExpr string // the sample expression exactly as written, quotes kept
	Pos     Pos    // start of the word
	Sample  Sample // Expr split into fetch and converters
}

// EventDecl is the effective "event" of a message. With several event lines
// the last name wins and a condition from an earlier line is kept when a
// later line has none, as in HAProxy.
type EventDecl struct {
	Event Event // as written; HAProxy refuses it unless Event.Known()
	Pos   Pos   // position of the event name
	Cond  *Condition
}

// A Condition is the "if COND" or "unless COND" part of an event line.
type Condition struct {
	Unless bool
	Words  []Word // the words after if/unless
	Text   string // "if ..." or "unless ..." as written, without the comment
	Pos    Pos    // position of "if" or "unless"
}

// An ACL is an "acl NAME CRITERION ..." line of a message.
type ACL struct {
	Name      string
	Pos       Pos    // position of the name
	Criterion []Word // the words after the name
	Text      string // the criterion as written
}

// Group is a spoe-group section.
type Group struct {
	Name     string
	Pos      Pos
	Messages []Ident // from every "messages" line, in order

	listed map[string]Pos // message names already seen
}

// Preproc is a conditional-block or message directive line.
type Preproc struct {
	Directive string // ".if", ".elif", ".else", ".endif", ".notice", ".warning", ".alert" or ".diag"
	Args      []Word
	Pos       Pos
	// Taken tells, for .if, .elif and .else, whether the block that
	// follows is used.
	Taken bool
}
