package spopwire_test

import (
	"errors"
	"fmt"
	"strconv"
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

func TestStatusString(t *testing.T) {
	// HAProxy's texts, ref §5.1.
	tests := []struct {
		s    spopwire.Status
		want string
	}{
		{spopwire.StatusNormal, "normal"},
		{spopwire.StatusIOError, "I/O error"},
		{spopwire.StatusTimeout, "a timeout occurred"},
		{spopwire.StatusFrameTooBig, "frame is too big"},
		{spopwire.StatusInvalidFrame, "invalid frame received"},
		{spopwire.StatusNoVersion, "version value not found"},
		{spopwire.StatusNoMaxFrameSize, "max-frame-size value not found"},
		{spopwire.StatusNoCapabilities, "capabilities value not found"},
		{spopwire.StatusUnsupportedVersion, "unsupported version"},
		{spopwire.StatusBadMaxFrameSize, "max-frame-size too big or too small"},
		{spopwire.StatusFragmentationNotSupp, "fragmentation not supported"},
		{spopwire.StatusInvalidInterlacedFrame, "invalid interlaced frames"},
		{spopwire.StatusFrameIDNotFound, "frame-id not found"},
		{spopwire.StatusResourceAllocation, "resource allocation error"},
		{spopwire.StatusUnknown, "an unknown error occurred"},

		// Codes without a text of their own.
		{14, "an unknown error occurred (14)"},
		{42, "an unknown error occurred (42)"},
		{100, "an unknown error occurred (100)"},
		{1<<32 - 1, "an unknown error occurred (4294967295)"},
	}
	for _, tt := range tests {
		if got := tt.s.String(); got != tt.want {
			t.Errorf("Status(%d).String() = %q; want %q", uint32(tt.s), got, tt.want)
		}
	}
	// The numeric values of ref §5.1.
	for i, s := range []spopwire.Status{
		spopwire.StatusNormal, spopwire.StatusIOError, spopwire.StatusTimeout, spopwire.StatusFrameTooBig,
		spopwire.StatusInvalidFrame, spopwire.StatusNoVersion, spopwire.StatusNoMaxFrameSize,
		spopwire.StatusNoCapabilities, spopwire.StatusUnsupportedVersion, spopwire.StatusBadMaxFrameSize,
		spopwire.StatusFragmentationNotSupp, spopwire.StatusInvalidInterlacedFrame,
		spopwire.StatusFrameIDNotFound, spopwire.StatusResourceAllocation,
	} {
		if uint32(s) != uint32(i) {
			t.Errorf("%q = %d; want %d", s, uint32(s), i)
		}
	}
	if spopwire.StatusUnknown != 99 {
		t.Errorf("StatusUnknown = %d; want 99", uint32(spopwire.StatusUnknown))
	}
}

// TestStatusStringLarge is a regression test: Status.String indexed its table
// with int(s), which is negative for codes ≥ 2^31 on 32-bit platforms
// (GOARCH=386, arm) and panicked. ParseDisconnect saturates status-code at
// 2^32−1, so a peer could send such a code.
func TestStatusStringLarge(t *testing.T) {
	for _, s := range []spopwire.Status{1 << 31, 1<<31 + 4, 1<<32 - 14, 1<<32 - 1} {
		want := "an unknown error occurred (" + strconv.FormatUint(uint64(s), 10) + ")"
		if got := s.String(); got != want {
			t.Errorf("Status(%d).String() = %q; want %q", uint32(s), got, want)
		}
	}
	d, err := spopwire.ParseDisconnect(dhex(`0b "status-code" 05 ff f0 fe fe fe fe fe fe fe 0e`))
	if err != nil || d.Status != 1<<32-1 || d.Status.String() != "an unknown error occurred (4294967295)" {
		t.Errorf("ParseDisconnect(UINT64 max) = %d (%q), %v", uint32(d.Status), d.Status, err)
	}
}

func TestParseError(t *testing.T) {
	// The three outcomes of every ConsumeX, as produced by real decoders.
	_, needMore := spopwire.ConsumeVarint(nil)
	_, invalid := spopwire.ConsumeValue([]byte{0x0a})
	_, tooBig := spopwire.ConsumeFrameLength([]byte{0xff, 0xff, 0xff, 0xff}, spopwire.DefaultMaxFrameSize)
	tests := []struct {
		n    int
		want error
	}{
		{0, nil},
		{1, nil},
		{needMore, spopwire.ErrNeedMore},
		{invalid, spopwire.ErrInvalidFrame},
		{tooBig, spopwire.ErrFrameTooBig},
		{-100, spopwire.ErrInvalidFrame}, // any other negative n is corruption
	}
	for _, tt := range tests {
		if got := spopwire.ParseError(tt.n); got != tt.want {
			t.Errorf("ParseError(%d) = %v; want %v", tt.n, got, tt.want)
		}
	}
	if needMore >= 0 || invalid >= 0 || tooBig >= 0 || needMore == invalid || invalid == tooBig || needMore == tooBig {
		t.Errorf("codes need more %d, invalid %d, too big %d: want three distinct negatives", needMore, invalid, tooBig)
	}
}

func TestStatusOf(t *testing.T) {
	tests := []struct {
		err  error
		want spopwire.Status
	}{
		{nil, spopwire.StatusNormal},
		{spopwire.ErrInvalidFrame, spopwire.StatusInvalidFrame},
		{spopwire.ErrFrameTooBig, spopwire.StatusFrameTooBig},
		{fmt.Errorf("reading: %w", spopwire.ErrFrameTooBig), spopwire.StatusFrameTooBig},
		{&spopwire.ProtocolError{Status: spopwire.StatusUnsupportedVersion, Reason: "version 3.0"}, spopwire.StatusUnsupportedVersion},
		{spopwire.ErrNeedMore, spopwire.StatusUnknown},
		{errors.New("boom"), spopwire.StatusUnknown},
	}
	for _, tt := range tests {
		if got := spopwire.StatusOf(tt.err); got != tt.want {
			t.Errorf("StatusOf(%v) = %d; want %d", tt.err, got, tt.want)
		}
	}

	if got := spopwire.ErrInvalidFrame.Error(); got != "spopwire: invalid frame" {
		t.Errorf("ErrInvalidFrame.Error() = %q; want %q", got, "spopwire: invalid frame")
	}
	if got := (&spopwire.ProtocolError{Status: 8, Reason: "unsupported version 3.0"}).Error(); got != "spopwire: unsupported version 3.0" {
		t.Errorf("ProtocolError.Error() = %q; want %q", got, "spopwire: unsupported version 3.0")
	}
	if !errors.Is(fmt.Errorf("x: %w", spopwire.ErrNeedMore), spopwire.ErrNeedMore) {
		t.Errorf("errors.Is(wrapped ErrNeedMore, ErrNeedMore) = false")
	}
}
