package bench

import (
	"errors"
	"fmt"
)

// ErrUnavailable says a contender cannot run in this build (for example an
// engine that does not exist yet); the report lists it as skipped.
var ErrUnavailable = errors.New("bench: contender unavailable")

// errf formats an error with the package prefix.
func errf(format string, args ...any) error {
	return fmt.Errorf("bench: "+format, args...)
}
