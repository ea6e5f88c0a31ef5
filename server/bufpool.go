package server

import "math/bits"

// bufPool keeps byte slices of power-of-two capacities, from 512 B to
// 128 KiB, for the partial input and unwritten output of connections. It
// belongs to one loop (no locking): connections borrow a buffer only while
// they hold bytes the loop's shared buffers cannot keep, so an idle
// connection costs no buffer at all.
type bufPool struct {
	free [bufClasses][][]byte
}

const (
	bufMinShift   = 9 // 512 B
	bufClasses    = 9 // up to 128 KiB
	bufKeepPerCls = 256
)

func bufClass(n int) int {
	if n <= 1<<bufMinShift {
		return 0
	}
	return bits.Len(uint(n-1)) - bufMinShift
}

// get returns an empty slice with capacity at least n.
func (p *bufPool) get(n int) []byte {
	c := bufClass(n)
	if c >= bufClasses {
		return make([]byte, 0, n)
	}
	if l := len(p.free[c]); l > 0 {
		b := p.free[c][l-1]
		p.free[c][l-1] = nil
		p.free[c] = p.free[c][:l-1]
		return b
	}
	return make([]byte, 0, 1<<(bufMinShift+c))
}

// put returns b to the pool; slices not made by get are left to the GC.
func (p *bufPool) put(b []byte) {
	n := cap(b)
	if n < 1<<bufMinShift || n&(n-1) != 0 {
		return
	}
	c := bufClass(n)
	if c >= bufClasses || len(p.free[c]) >= bufKeepPerCls {
		return
	}
	p.free[c] = append(p.free[c], b[:0])
}
