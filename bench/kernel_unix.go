//go:build unix

package bench

import "golang.org/x/sys/unix"

// kernel returns the kernel's name and release, as uname -sr prints them.
func kernel() string {
	var u unix.Utsname
	if unix.Uname(&u) != nil {
		return ""
	}
	return unix.ByteSliceToString(u.Sysname[:]) + " " + unix.ByteSliceToString(u.Release[:])
}
