package spoeconf

import (
	"fmt"
	"sort"
)

// Kind classifies a Diagnostic by what HAProxy does with the problem.
type Kind uint8

// The kinds of diagnostics, from the most to the least severe.
const (
	// SyntaxError marks a line HAProxy refuses and that declares nothing:
	// the tokenizer refuses it, the keyword is unknown in its section, a
	// required word is missing, or an args word is not a sample expression.
	// Dump lists these under "errors", and the line's content is not
	// recorded in the AST.
	SyntaxError Kind = iota + 1

	// SemanticError marks a well-formed line that HAProxy 3.x refuses while
	// it reads the section: an unknown event, an unsupported option, a
	// second spoe-agent in a scope, a timeout other than processing, a name
	// with forbidden characters, a duplicate name, a value out of range.
	// Dump lists these under "semantic_issues"; the AST still records the
	// line as written.
	SemanticError

	// ConfigError marks a problem HAProxy finds only when it loads a scope
	// as a whole (no agent, no use-backend, a listed message that does not
	// exist, a backend missing from haproxy.cfg), or one the file reader
	// refuses without affecting any declaration (no LF on the last line).
	// Check reports these; Dump does not.
	ConfigError

	// Warning marks something HAProxy accepts but that is probably not what
	// the author meant or that HAProxy ignores (a listed message without
	// event, a message no agent sends, a missing timeout processing, ...).
	Warning

	// IgnoredLine marks a line HAProxy silently skips, so that it declares
	// nothing: an unknown keyword in a spoe-message section (HAProxy's test
	// for it is inverted). It is a warning, but Dump lists it under "errors"
	// with the lines that declare nothing, because such a line is almost
	// always a typo ("arg src") or a broken line continuation that loses
	// arguments or the event.
	IgnoredLine
)

var kindNames = [...]string{
	SyntaxError:   "syntax error",
	SemanticError: "semantic error",
	ConfigError:   "configuration error",
	Warning:       "warning",
	IgnoredLine:   "ignored line",
}

// String returns a short lower-case name of the kind.
func (k Kind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// IsError reports whether HAProxy refuses a configuration with this problem.
func (k Kind) IsError() bool { return k >= SyntaxError && k <= ConfigError }

// A Diagnostic is one problem found in a spoe.conf (or in the haproxy.cfg it
// is checked against).
type Diagnostic struct {
	Pos   Pos    // where the offending word starts
	Kind  Kind   // how bad it is for HAProxy
	Token string // the offending word as written, "" when no single word is at fault
	Msg   string // what is wrong and what HAProxy does about it
}

// Error formats the diagnostic as "file:line:col: message", with a
// "warning: " prefix on the message for warnings and ignored lines.
func (d Diagnostic) Error() string {
	if !d.Kind.IsError() {
		return d.Pos.String() + ": warning: " + d.Msg
	}
	return d.Pos.String() + ": " + d.Msg
}

// String is the same as Error.
func (d Diagnostic) String() string { return d.Error() }

// ErrorList is a list of diagnostics that is itself an error, like
// go/scanner.ErrorList. Parse returns one holding every SyntaxError and
// SemanticError of the file.
type ErrorList []Diagnostic

// Error describes the first problem and how many more there are.
func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	case 2:
		return l[0].Error() + " (and 1 more error)"
	}
	return fmt.Sprintf("%s (and %d more errors)", l[0].Error(), len(l)-1)
}

// Err returns l as an error, or nil when l is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// sortDiagnostics orders diagnostics by position, keeping the order of
// diagnostics at the same position.
func sortDiagnostics(ds []Diagnostic) {
	sort.SliceStable(ds, func(i, j int) bool { return ds[i].Pos.before(ds[j].Pos) })
}
