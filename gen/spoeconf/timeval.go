package spoeconf

import (
	"errors"
	"fmt"
	"time"
)

// maxTimeMS is the largest time HAProxy accepts: 2147483647 ms (~24.8 days).
const maxTimeMS = 1<<31 - 1

// ParseTime reads a time the way HAProxy's parse_time_err does for
// timeouts: a decimal number and an optional unit among us, ms, s, m, h
// and d, milliseconds by default. A non-zero time below 1 ms and a time
// above 2147483647 ms are refused, as HAProxy does.
func ParseTime(s string) (time.Duration, error) {
	i := 0
	var n uint64
	for i < len(s) && isDigit(s[i]) {
		n = n*10 + uint64(s[i]-'0')
		if n > 1<<50 {
			return 0, fmt.Errorf("timer overflow in %q: the maximum is 2147483647 ms (~24.8 days)", s)
		}
		i++
	}
	if i == 0 {
		if s == "" {
			return 0, errors.New("missing time value")
		}
		return 0, fmt.Errorf("%q is not a time: it must start with a number", s)
	}
	var unitUS uint64
	switch s[i:] {
	case "us":
		unitUS = 1
	case "", "ms":
		unitUS = 1000
	case "s":
		unitUS = 1000 * 1000
	case "m":
		unitUS = 60 * 1000 * 1000
	case "h":
		unitUS = 3600 * 1000 * 1000
	case "d":
		unitUS = 86400 * 1000 * 1000
	default:
		return 0, fmt.Errorf("unexpected character %q in time %q (units are us, ms, s, m, h and d)", s[i], s)
	}
	if n > maxTimeMS*1000/unitUS+1 {
		return 0, fmt.Errorf("timer overflow in %q: the maximum is 2147483647 ms (~24.8 days)", s)
	}
	ms := n * unitUS / 1000
	if ms > maxTimeMS {
		return 0, fmt.Errorf("timer overflow in %q: the maximum is 2147483647 ms (~24.8 days)", s)
	}
	if n != 0 && ms == 0 {
		return 0, fmt.Errorf("timer underflow in %q: the smallest non-zero time is 1 ms", s)
	}
	return time.Duration(ms) * time.Millisecond, nil
}
