//go:build !unix

package bench

// kernel returns "" where there is no uname.
func kernel() string { return "" }
