package spoa

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/alecthomas/kong"
)

// Duration is a time value on the command line, written the way HAProxy's
// spoa-example and spoa-mirror take theirs: a number of milliseconds, or a
// number followed by one of the units us, ms, s, m, h, d ("500", "250ms",
// "2s", "1d"). Go's own syntax ("1m30s", "1.5s") is accepted too.
type Duration time.Duration

// Decode implements kong.MapperValue: kong calls it for flags, environment
// variables and defaults of type Duration.
func (d *Duration) Decode(ctx *kong.DecodeContext) error {
	var s string
	if err := ctx.Scan.PopValueInto("duration", &s); err != nil {
		return err
	}
	v, err := ParseDuration(s)
	if err != nil {
		return err
	}
	*d = Duration(v)
	return nil
}

// D returns d as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// String formats d in Go's syntax.
func (d Duration) String() string { return time.Duration(d).String() }

// durationUnits are the suffixes of spoa-example's time values.
var durationUnits = []struct {
	suffix string
	unit   time.Duration
}{
	// Longest suffixes first, so that "ms" is not read as "m" + garbage.
	{"us", time.Microsecond},
	{"ms", time.Millisecond},
	{"s", time.Second},
	{"m", time.Minute},
	{"h", time.Hour},
	{"d", 24 * time.Hour},
}

// ParseDuration parses a time value as Duration describes it. Negative values
// are refused.
func ParseDuration(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, errors.New("empty time value")
	}
	num, unit := s, time.Millisecond
	for _, u := range durationUnits {
		if strings.HasSuffix(s, u.suffix) {
			num, unit = strings.TrimSuffix(s, u.suffix), u.unit
			break
		}
	}
	if n, err := strconv.ParseUint(num, 10, 63); err == nil {
		if unit > 0 && n > uint64(1<<63-1)/uint64(unit) {
			return 0, fmt.Errorf("time value %q is too large", s)
		}
		return time.Duration(n) * unit, nil
	}
	// Go syntax: fractions and compound values.
	v, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("invalid time value %q (a number of ms, or a number with us, ms, s, m, h or d)", s)
	}
	if v < 0 {
		return 0, fmt.Errorf("negative time value %q", s)
	}
	return v, nil
}
