package spopwire

import "strconv"

// Status is an SPOP status code, carried by the status-code key of DISCONNECT
// frames (ref §5.1).
type Status uint32

// The status codes HAProxy defines.
const (
	StatusNormal                 Status = 0
	StatusIOError                Status = 1
	StatusTimeout                Status = 2
	StatusFrameTooBig            Status = 3
	StatusInvalidFrame           Status = 4
	StatusNoVersion              Status = 5
	StatusNoMaxFrameSize         Status = 6
	StatusNoCapabilities         Status = 7
	StatusUnsupportedVersion     Status = 8
	StatusBadMaxFrameSize        Status = 9
	StatusFragmentationNotSupp   Status = 10
	StatusInvalidInterlacedFrame Status = 11
	StatusFrameIDNotFound        Status = 12
	StatusResourceAllocation     Status = 13
	StatusUnknown                Status = 99
)

var statusText = [...]string{
	StatusNormal:                 "normal",
	StatusIOError:                "I/O error",
	StatusTimeout:                "a timeout occurred",
	StatusFrameTooBig:            "frame is too big",
	StatusInvalidFrame:           "invalid frame received",
	StatusNoVersion:              "version value not found",
	StatusNoMaxFrameSize:         "max-frame-size value not found",
	StatusNoCapabilities:         "capabilities value not found",
	StatusUnsupportedVersion:     "unsupported version",
	StatusBadMaxFrameSize:        "max-frame-size too big or too small",
	StatusFragmentationNotSupp:   "fragmentation not supported",
	StatusInvalidInterlacedFrame: "invalid interlaced frames",
	StatusFrameIDNotFound:        "frame-id not found",
	StatusResourceAllocation:     "resource allocation error",
}

// String returns HAProxy's canonical message for s ("normal", "frame is too
// big", …); codes without one read "an unknown error occurred (N)".
func (s Status) String() string {
	if s < Status(len(statusText)) { // not int(s): it wraps negative on 32-bit platforms
		return statusText[s]
	}
	if s == StatusUnknown {
		return "an unknown error occurred"
	}
	return "an unknown error occurred (" + strconv.FormatUint(uint64(s), 10) + ")"
}
