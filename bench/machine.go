package bench

import (
	"os"
	"runtime"
	"strings"

	"github.com/klauspost/cpuid/v2"
)

// Machine describes where a report was measured.
type Machine struct {
	CPU           string
	PhysicalCores int
	LogicalCores  int
	Kernel        string
	GoVersion     string
	LoadAvg       string // /proc/loadavg when the report started
}

// DescribeMachine reads the CPU from cpuid, the kernel from uname and the load
// average from /proc.
func DescribeMachine() Machine {
	m := Machine{
		CPU:           strings.TrimSpace(cpuid.CPU.BrandName),
		PhysicalCores: cpuid.CPU.PhysicalCores,
		LogicalCores:  cpuid.CPU.LogicalCores,
		GoVersion:     runtime.Version() + " " + runtime.GOOS + "/" + runtime.GOARCH,
	}
	if m.LogicalCores == 0 {
		m.LogicalCores = runtime.NumCPU()
	}
	m.Kernel = kernel()
	m.LoadAvg = loadAvg()
	return m
}

// loadAvg returns the 1-, 5- and 15-minute load averages.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
