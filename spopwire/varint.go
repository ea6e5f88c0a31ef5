package spopwire

import "math/bits"

// MaxVarintLen is the longest valid varint encoding (2^64-1 takes 10 bytes).
const MaxVarintLen = 10

// AppendVarint appends the SPOP varint encoding of v (HAProxy's "peers"
// encoding, ref §2). It is not LEB128: the first byte carries 4 value bits and
// the decoder adds every byte whole, continuation bit included.
func AppendVarint(b []byte, v uint64) []byte {
	if v < 240 {
		return append(b, byte(v))
	}
	b = append(b, byte(v)|0xF0)
	v = (v - 240) >> 4
	for v >= 128 {
		b = append(b, byte(v)|0x80)
		v = (v - 128) >> 7
	}
	return append(b, byte(v))
}

// varintLimits[i] is the first value that needs i+2 bytes.
var varintLimits = [...]uint64{
	240, 2288, 264432, 33818864, 4328786160, 554084600048,
	70922828777712, 9078122083518704, 1161999626690365680,
}

// SizeVarint returns the number of bytes AppendVarint uses for v.
func SizeVarint(v uint64) int {
	for i, lim := range varintLimits {
		if v < lim {
			return i + 1
		}
	}
	return MaxVarintLen
}

// ConsumeVarint decodes a varint from the start of b and returns it with the
// number of bytes read, or a negative n (see ParseError): "need more" when b ends
// inside the encoding, invalid when the encoding exceeds 10 bytes or 64 bits.
func ConsumeVarint(b []byte) (uint64, int) {
	if len(b) > 0 && b[0] < 240 {
		return uint64(b[0]), 1
	}
	return consumeVarintLong(b)
}

func consumeVarintLong(b []byte) (uint64, int) {
	if len(b) == 0 {
		return 0, codeNeedMore
	}
	v := uint64(b[0])
	shift := uint(4)
	for i := 1; i < MaxVarintLen; i++ {
		if i >= len(b) {
			return 0, codeNeedMore
		}
		c := uint64(b[i])
		if shift == 60 {
			// The 10th byte: it must end the encoding and the sum must stay in
			// 64 bits. HAProxy's decoder would silently wrap; we call it corrupt.
			var carry uint64
			if c >= 16 {
				return 0, codeInvalid
			}
			v, carry = bits.Add64(v, c<<60, 0)
			if carry != 0 {
				return 0, codeInvalid
			}
			return v, i + 1
		}
		v += c << shift
		if c < 128 {
			return v, i + 1
		}
		shift += 7
	}
	return 0, codeInvalid // unreachable: the loop returns at i == 9
}
