//go:build !linux

package spoa

import "bufio"

// writeProcessMetrics writes nothing where there is no /proc: the official
// client also leaves process metrics out there (but on Windows).
func writeProcessMetrics(*bufio.Writer) {}
