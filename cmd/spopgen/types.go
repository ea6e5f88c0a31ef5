package main

import (
	"fmt"
	"strings"

	"github.com/spopkit/spopkit/gen"
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
