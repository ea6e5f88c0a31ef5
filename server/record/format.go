package record

import (
	"encoding/binary"
	"hash/crc32"
	"strconv"
	"time"
)

// The file format (docs/RECORDING.md): a header, then records.
//
//	header: "SPOPREC" Version(1 byte)
//	record: length(uint32 BE) crc(uint32 BE, CRC-32C of body) body
//	body:   kind(1) time(int64 BE, Unix ns) conn(uvarint) [stream(uvarint) frame(uvarint)] payload
const (
	// Magic starts every recording file.
	Magic = "SPOPREC"
	// Version is the format version written after Magic.
	Version = 1

	headerSize = len(Magic) + 1
	// recordHeaderSize is the length and CRC in front of every body.
	recordHeaderSize = 8
	// MaxBodySize bounds one record's body: a reader takes a bigger length
	// for corruption. It exceeds any frame (16 MiB) plus the ids.
	MaxBodySize = 1<<24 + 64
)

// Kind is the type of a record.
type Kind uint8

// Record kinds.
const (
	// KindStart marks where a writer (re)opened the file. Connection ids
	// restart with each process, so a reader forgets the HELLOs it has seen.
	KindStart Kind = 1
	// KindHello is a HAPROXY-HELLO payload (its KV-LIST), written when the
	// handshake of connection ConnID succeeds, and again before the next
	// NOTIFY of that connection after a rotation or reopen.
	KindHello Kind = 2
	// KindNotify is a complete NOTIFY payload (LIST-OF-MESSAGES).
	KindNotify Kind = 3
)

// String returns the kind's name as record-dump prints it: START, HELLO or NOTIFY.
func (k Kind) String() string {
	switch k {
	case KindStart:
		return "START"
	case KindHello:
		return "HELLO"
	case KindNotify:
		return "NOTIFY"
	}
	return "KIND(" + strconv.Itoa(int(k)) + ")"
}

// Record is one record of a recording.
type Record struct {
	Kind     Kind
	Time     time.Time
	ConnID   uint64 // the agent's connection number (server.Request.ConnID)
	StreamID uint64 // NOTIFY only
	FrameID  uint64 // NOTIFY only
	// Payload is the HELLO's KV-LIST or the NOTIFY's LIST-OF-MESSAGES.
	Payload []byte
	// Hello is, for a NOTIFY, the payload of the HELLO its connection
	// began with; nil when the file does not have it (dropped record).
	Hello []byte
	// Offset is where the record starts in the file.
	Offset int64
}

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// appendBody appends a record body without the length and CRC.
func appendBody(b []byte, k Kind, t int64, conn, stream, frame uint64, payload []byte) []byte {
	b = append(b, byte(k))
	b = binary.BigEndian.AppendUint64(b, uint64(t))
	b = binary.AppendUvarint(b, conn)
	if k == KindNotify {
		b = binary.AppendUvarint(b, stream)
		b = binary.AppendUvarint(b, frame)
	}
	return append(b, payload...)
}

// bodyOverhead bounds what appendBody adds to a payload.
const bodyOverhead = 1 + 8 + 3*binary.MaxVarintLen64

// parseBody decodes a body; the payload is a view into body.
func parseBody(body []byte) (Record, string) {
	var r Record
	if len(body) < 1+8+1 {
		return r, "body too short"
	}
	r.Kind = Kind(body[0])
	if r.Kind < KindStart || r.Kind > KindNotify {
		return r, "unknown record kind " + strconv.Itoa(int(body[0]))
	}
	r.Time = time.Unix(0, int64(binary.BigEndian.Uint64(body[1:9])))
	b := body[9:]
	var n int
	if r.ConnID, n = binary.Uvarint(b); n <= 0 {
		return r, "bad connection id"
	}
	b = b[n:]
	if r.Kind == KindNotify {
		if r.StreamID, n = binary.Uvarint(b); n <= 0 {
			return r, "bad stream id"
		}
		b = b[n:]
		if r.FrameID, n = binary.Uvarint(b); n <= 0 {
			return r, "bad frame id"
		}
		b = b[n:]
	}
	r.Payload = b
	return r, ""
}
