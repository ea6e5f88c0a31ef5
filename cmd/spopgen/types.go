package main

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spopkit/spopkit/gen"
	"github.com/spopkit/spopkit/gen/spoeconf"
)

// parseTypes reads --type MSG.ARG=KIND values, keyed "MSG.ARG".
func parseTypes(specs []string) (map[string]gen.Kind, error) {
	if len(specs) == 0 {
		return nil, nil
	}
	types := map[string]gen.Kind{}
	for _, s := range specs {
		key, kind, ok := strings.Cut(s, "=")
		k, known := gen.ParseKind(kind)
		if !ok || !strings.Contains(key, ".") || !known {
			return nil, fmt.Errorf("--type %q: want MESSAGE.ARG=KIND with KIND one of value, addr, int, bool, string, bytes, headers", s)
		}
		types[key] = k
	}
	return types, nil
}

// checkTypes refuses --type overrides that cannot be what the user meant: a
// message or an argument the selected scopes do not declare (with the
// closest name as a suggestion), and a kind whose field would refuse every
// value of an expression whose type is known (req.hdrs is a string, src an
// address, int(1) an integer).
func checkTypes(f *spoeconf.File, scopes []string, types map[string]gen.Kind) error {
	keys := make([]string, 0, len(types))
	for k := range types {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var msgs []*spoeconf.Message
	for _, s := range f.Scopes {
		if len(scopes) == 0 || slices.Contains(scopes, s.Name) {
			msgs = append(msgs, s.Messages...)
		}
	}
	for _, key := range keys {
		kind := types[key]
		flag := fmt.Sprintf("--type %s=%s", key, kind)
		m, argName := findMessage(msgs, key)
		if m == nil {
			name, _, _ := strings.Cut(key, ".")
			return fmt.Errorf("%s: no spoe-message '%s' in %s%s", flag, name, f.Name, didYouMean(name, messageNames(msgs)))
		}
		a := findArg(m, argName)
		if a == nil {
			return fmt.Errorf("%s: spoe-message '%s' (%s) has no argument '%s' (a name, or a position from 0 to %d)%s",
				flag, m.Name, m.Pos, argName, len(m.Args)-1, didYouMean(argName, argNames(m)))
		}
		if known := gen.InferKind(a.Expr); !holds(kind, known) {
			return fmt.Errorf("%s: argument %s of spoe-message '%s' (%s) is %s, of type %s: a field of kind %s would refuse every value HAProxy sends for it",
				flag, argLabel(m, a), m.Name, a.Pos, a.Expr, known, kind)
		}
	}
	return nil
}

// findMessage returns the message a "MSG.ARG" key names, and ARG. Message
// names may hold dots, so the longest message name that prefixes the key
// wins.
func findMessage(msgs []*spoeconf.Message, key string) (*spoeconf.Message, string) {
	var best *spoeconf.Message
	for _, m := range msgs {
		if strings.HasPrefix(key, m.Name+".") && (best == nil || len(m.Name) > len(best.Name)) {
			best = m
		}
	}
	if best == nil {
		return nil, ""
	}
	return best, key[len(best.Name)+1:]
}

// findArg returns the argument of m that ARG names: a named argument, else
// a 0-based position.
func findArg(m *spoeconf.Message, name string) *spoeconf.Arg {
	for i := range m.Args {
		if m.Args[i].Name != "" && m.Args[i].Name == name {
			return m.Args[i]
		}
	}
	if i, err := strconv.Atoi(name); err == nil && i >= 0 && i < len(m.Args) {
		return m.Args[i]
	}
	return nil
}

// holds reports whether a field of kind can hold the values of an
// expression of kind known: the same kind, or a kind whose field accepts
// the same SPOP types (a string field takes BINARY, a bytes field STRING, a
// headers field any BINARY). value holds anything, and an unknown
// expression may be anything.
func holds(kind, known gen.Kind) bool {
	if kind == known || kind == gen.KindValue || known == gen.KindValue {
		return true
	}
	switch kind {
	case gen.KindString, gen.KindBytes:
		return known == gen.KindString || known == gen.KindBytes || known == gen.KindHeaders
	case gen.KindHeaders:
		return known == gen.KindBytes
	}
	return false
}

func argLabel(m *spoeconf.Message, a *spoeconf.Arg) string {
	if a.Name != "" {
		return "'" + a.Name + "'"
	}
	for i := range m.Args {
		if m.Args[i] == a {
			return strconv.Itoa(i)
		}
	}
	return "?"
}

func messageNames(msgs []*spoeconf.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Name
	}
	return out
}

func argNames(m *spoeconf.Message) []string {
	var out []string
	for _, a := range m.Args {
		if a.Name != "" {
			out = append(out, a.Name)
		}
	}
	return out
}

// didYouMean is "; did you mean 'X'?" for the closest candidate, or "".
func didYouMean(name string, candidates []string) string {
	if s := spoeconf.Suggest(name, candidates); s != "" {
		return fmt.Sprintf("; did you mean '%s'?", s)
	}
	return ""
}
