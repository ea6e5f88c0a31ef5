package spopwire

import "errors"

// Negative n codes returned by the ConsumeX functions.
const (
	codeNeedMore = -1 // input ends before the value does
	codeInvalid  = -2 // bytes can never form a valid encoding
	codeTooBig   = -3 // frame length above the allowed maximum
)

// ProtocolError is a decoding failure that ends a connection; Status is what
// goes into the AGENT-DISCONNECT frame.
type ProtocolError struct {
	Status Status
	Reason string
}

func (e *ProtocolError) Error() string { return "spopwire: " + e.Reason }

// Errors reported by ParseError and by the typed helpers. They are values, so
// returning them never allocates; compare with == or errors.Is.
var (
	// ErrNeedMore says the input ends before the value does.
	ErrNeedMore = errors.New("spopwire: need more bytes")
	// ErrInvalidFrame says the bytes are malformed (status 4).
	ErrInvalidFrame = &ProtocolError{StatusInvalidFrame, "invalid frame"}
	// ErrFrameTooBig says a frame length exceeds the negotiated maximum (status 3).
	ErrFrameTooBig = &ProtocolError{StatusFrameTooBig, "frame is too big"}
)

// ParseError converts a negative n from a ConsumeX function into an error.
// It returns nil for n >= 0.
func ParseError(n int) error {
	switch {
	case n >= 0:
		return nil
	case n == codeNeedMore:
		return ErrNeedMore
	case n == codeTooBig:
		return ErrFrameTooBig
	default:
		return ErrInvalidFrame
	}
}

// StatusOf returns the status code an error maps to in an AGENT-DISCONNECT:
// the status of a *ProtocolError, StatusNormal for nil, StatusUnknown otherwise.
func StatusOf(err error) Status {
	if err == nil {
		return StatusNormal
	}
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return pe.Status
	}
	return StatusUnknown
}

// completeFrame turns "need more" into "invalid": inside a frame whose length is
// known, running out of bytes means the frame lies about its content.
func completeFrame(n int) int {
	if n == codeNeedMore {
		return codeInvalid
	}
	return n
}
