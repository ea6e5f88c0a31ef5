package spoeconf

import (
	"fmt"
	"strings"
)

// Sample is a sample expression split into its fetch and its converters:
// "req.hdr(host),lower" is the fetch req.hdr with argument "host" followed
// by the converter lower.
type Sample struct {
	Fetch      Call
	Converters []Call
}

// A Call is a fetch or converter keyword with the text of its arguments.
type Call struct {
	Name    string
	Args    string // the text between the parentheses
	HasArgs bool   // parentheses were written, even empty ones ("req.hdr_names()")
}

// String writes the call back in HAProxy syntax.
func (c Call) String() string {
	if c.HasArgs {
		return c.Name + "(" + c.Args + ")"
	}
	return c.Name
}

// String writes the expression back in HAProxy syntax.
func (s Sample) String() string {
	var b strings.Builder
	b.WriteString(s.Fetch.String())
	for _, c := range s.Converters {
		b.WriteByte(',')
		b.WriteString(c.String())
	}
	return b.String()
}

// A SampleError reports why a sample expression cannot be parsed.
type SampleError struct {
	Offset int // byte offset of the problem in the expression
	Msg    string
}

// Error returns the message.
func (e *SampleError) Error() string { return e.Msg }

// isIdChar is HAProxy's is_idchar: the characters of fetch and converter
// names (and of section names, with invalid_char).
func isIdChar(c byte) bool {
	return isAlnum(c) || c == '.' || c == '_' || c == '-' || c == '+' || c == ':'
}

// ParseSample splits a sample expression into fetch and converters and
// checks the syntax HAProxy's sample_parse_expr requires: a fetch name, an
// optional parenthesised argument list, then converters separated by
// commas. It does not know HAProxy's fetch and converter names, so it
// accepts "unknown" ones, and it accepts nested parentheses that HAProxy may
// refuse: it rejects only what HAProxy certainly rejects.
func ParseSample(expr string) (Sample, error) {
	var s Sample
	i := 0
	call := func(what string) (Call, error) {
		start := i
		for i < len(expr) && isIdChar(expr[i]) {
			i++
		}
		if i == start {
			if i < len(expr) {
				return Call{}, &SampleError{i, fmt.Sprintf("missing %s name: %q cannot start a %s", what, expr[i], what)}
			}
			return Call{}, &SampleError{i, "missing " + what + " name"}
		}
		c := Call{Name: expr[start:i]}
		if i < len(expr) && expr[i] == '(' {
			end, err := closingParen(expr, i)
			if err != nil {
				return Call{}, err
			}
			c.Args, c.HasArgs = expr[i+1:end], true
			i = end + 1
		}
		return c, nil
	}
	fetch, err := call("fetch method")
	if err != nil {
		return Sample{}, err
	}
	s.Fetch = fetch
	last := fetch.Name
	for i < len(expr) {
		if expr[i] != ',' {
			return Sample{}, &SampleError{i, fmt.Sprintf("missing comma after %q (found %q)", last, expr[i])}
		}
		for i < len(expr) && expr[i] == ',' { // HAProxy tolerates repeated and trailing commas
			i++
		}
		if i == len(expr) {
			break
		}
		conv, err := call("converter")
		if err != nil {
			return Sample{}, err
		}
		s.Converters = append(s.Converters, conv)
		last = conv.Name
	}
	return s, nil
}

// closingParen returns the index of the ')' matching the '(' at expr[open],
// skipping quoted text and backslash-escaped characters.
func closingParen(expr string, open int) (int, error) {
	depth := 0
	for i := open; i < len(expr); i++ {
		switch c := expr[i]; c {
		case '\\':
			i++
		case '"', '\'':
			j := i + 1
			for j < len(expr) && expr[j] != c {
				if expr[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(expr) {
				return 0, &SampleError{i, "unmatched quote in arguments"}
			}
			i = j
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return i, nil
			}
		}
	}
	return 0, &SampleError{open, "missing closing ')'"}
}
