package gen

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spopkit/spopkit/gen/spoeconf"
)

// resolveTypes matches each type override ("MSG.ARG" to a kind, ARG a name
// or a 0-based position) with the argument it names among msgs, and returns
// the kinds by message name and argument position. It refuses what cannot be
// what the user meant: a message or an argument msgs do not declare (with the
// closest name as a suggestion), and a kind whose field would refuse every
// value of an expression whose type is known (req.hdrs is a string, src an
// address, int(1) an integer). path names the spoe.conf in errors.
func resolveTypes(path string, msgs []Message, types map[string]Kind) (map[string]map[int]Kind, error) {
	if len(types) == 0 {
		return nil, nil
	}
	keys := make([]string, 0, len(types))
	for k := range types {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := map[string]map[int]Kind{}
	for _, key := range keys {
		kind := types[key]
		what := fmt.Sprintf("gen: type override %s=%s", key, kind)
		m, argName := findMessage(msgs, key)
		if m == nil {
			name, _, _ := strings.Cut(key, ".")
			return nil, fmt.Errorf("%s: no spoe-message '%s' in %s%s", what, name, path, didYouMean(name, messageNames(msgs)))
		}
		idx := findArgs(m, argName)
		if len(idx) == 0 {
			return nil, fmt.Errorf("%s: spoe-message '%s' (%s:%d:%d) has no argument '%s' (a name, or a position from 0 to %d)%s",
				what, m.Name, path, m.Line, m.Col, argName, len(m.Args)-1, didYouMean(argName, argNames(m)))
		}
		for _, i := range idx {
			a := m.Args[i]
			if known := InferKind(a.Expr); !holds(kind, known) {
				label := strconv.Itoa(i)
				if a.Name != "" {
					label = "'" + a.Name + "'"
				}
				return nil, fmt.Errorf("%s: argument %s of spoe-message '%s' (%s:%d:%d) is %s, of type %s: a field of kind %s would refuse every value HAProxy sends for it",
					what, label, m.Name, path, a.Line, a.Col, a.Expr, known, kind)
			}
			if out[m.Name] == nil {
				out[m.Name] = map[int]Kind{}
			}
			if k, dup := out[m.Name][i]; dup && k != kind {
				return nil, fmt.Errorf("%s: argument %d of spoe-message '%s' is also given kind %s", what, i, m.Name, k)
			}
			out[m.Name][i] = kind
		}
	}
	return out, nil
}

// findMessage returns the message a "MSG.ARG" key names, and ARG. Message
// names may hold dots, so the longest message name that prefixes the key
// wins.
func findMessage(msgs []Message, key string) (*Message, string) {
	var best *Message
	for i := range msgs {
		m := &msgs[i]
		if strings.HasPrefix(key, m.Name+".") && (best == nil || len(m.Name) > len(best.Name)) {
			best = m
		}
	}
	if best == nil {
		return nil, ""
	}
	return best, key[len(best.Name)+1:]
}

// findArgs returns the positions of the arguments of m that name names:
// every argument of that name (a name may repeat), else the 0-based position
// name is; none when it names nothing.
func findArgs(m *Message, name string) []int {
	var out []int
	for i, a := range m.Args {
		if a.Name != "" && a.Name == name {
			out = append(out, i)
		}
	}
	if out != nil {
		return out
	}
	if i, err := strconv.Atoi(name); err == nil && i >= 0 && i < len(m.Args) {
		return []int{i}
	}
	return nil
}

// holds reports whether a field of kind can hold the values of an
// expression of kind known: the same kind, or a kind whose field accepts
// the same SPOP types (a string field takes BINARY, a bytes field STRING, a
// headers field any BINARY). value holds anything, and an unknown
// expression may be anything.
func holds(kind, known Kind) bool {
	if kind == known || kind == KindValue || known == KindValue {
		return true
	}
	switch kind {
	case KindString, KindBytes:
		return known == KindString || known == KindBytes || known == KindHeaders
	case KindHeaders:
		return known == KindBytes
	}
	return false
}

func messageNames(msgs []Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Name
	}
	return out
}

func argNames(m *Message) []string {
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
