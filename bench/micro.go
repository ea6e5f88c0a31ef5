//go:build linux

package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// MicroBench is the summary of one Go benchmark over -count runs.
type MicroBench struct {
	Pkg         string
	Name        string // without the "Benchmark" prefix and the -GOMAXPROCS suffix
	NsPerOp     float64
	MinNs       float64
	MaxNs       float64
	BytesPerOp  float64 // median
	AllocsPerOp float64 // the largest of the runs: one allocating run is enough to miss the target
	MBPerS      float64
	Runs        int
}

// MicroResult is the microbenchmark section of the report.
type MicroResult struct {
	Command      string
	Packages     []string
	Benchmarks   []MicroBench
	Benchstat    string // benchstat's output, or empty
	BenchstatCmd string
	Note         string // why benchstat is missing, if it is
}

// hotPathPatterns are the packages whose benchmarks are the hot path.
var hotPathPatterns = []string{"./spopwire/...", "./server/...", "./spoa/arg/...", "./bench/internal/..."}

// RunMicro runs the hot-path microbenchmarks count times and summarises them,
// with benchstat when the module proxy can provide it.
func RunMicro(root string, count int, quick bool, log io.Writer) (*MicroResult, error) {
	var pkgs []string
	for _, p := range hotPathPatterns {
		if out, err := runCmd(root, time.Minute, "go", "list", p); err == nil {
			for _, l := range strings.Fields(out) {
				pkgs = append(pkgs, l)
			}
		}
	}
	if len(pkgs) == 0 {
		return nil, errf("no hot-path package found under %s", root)
	}
	benchtime := "1s"
	if quick {
		benchtime = "200ms"
	}
	args := []string{"test", "-run=^$", "-bench=.", "-benchmem", "-count=" + strconv.Itoa(count), "-benchtime=" + benchtime}
	for _, p := range hotPathPatterns {
		if _, err := os.Stat(filepath.Join(root, strings.TrimSuffix(p, "/..."))); err == nil {
			args = append(args, p)
		}
	}
	mr := &MicroResult{Command: "go " + strings.Join(args, " "), Packages: pkgs}
	out, err := runCmd(root, 8*time.Minute, "go", args...)
	if err != nil {
		return mr, fmt.Errorf("%s: %v\n%s", mr.Command, err, tail(out, 2000))
	}
	mr.Benchmarks = ParseBenchOutput(out)
	dir, err := os.MkdirTemp("", "spopbench-micro-")
	if err != nil {
		return mr, err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "micro.txt"), []byte(out), 0o644); err != nil {
		return mr, err
	}
	mr.BenchstatCmd = "go run golang.org/x/perf/cmd/benchstat@latest micro.txt"
	if log != nil {
		fmt.Fprintln(log, "benchstat…")
	}
	// Run from the temp dir: `go run pkg@version` needs no module, and
	// benchstat then names the file micro.txt in its output.
	bs, err := runCmdEnv(dir, 4*time.Minute, []string{"GOFLAGS=-buildvcs=false"}, "go", "run", "golang.org/x/perf/cmd/benchstat@latest", "micro.txt")
	if err != nil {
		mr.Note = "benchstat unavailable (" + firstLine(bs) + "); medians below computed by spopbench"
	} else {
		var keep []string
		for _, l := range strings.Split(bs, "\n") {
			if !strings.HasPrefix(l, "go: ") { // "go: downloading …" progress
				keep = append(keep, l)
			}
		}
		mr.Benchstat = strings.Join(keep, "\n")
	}
	return mr, nil
}

// ParseBenchOutput reads `go test -bench -benchmem` output and returns one
// summary per benchmark, in first-seen order.
func ParseBenchOutput(out string) []MicroBench {
	type acc struct {
		pkg                     string
		name                    string
		ns, bytes, allocs, mbps []float64
	}
	var order []*acc
	byKey := map[string]*acc{}
	pkg := ""
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimSpace(p)
			continue
		}
		if !strings.HasPrefix(line, "Benchmark") {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		key := pkg + " " + name
		a := byKey[key]
		if a == nil {
			a = &acc{pkg: pkg, name: name}
			byKey[key] = a
			order = append(order, a)
		}
		for i := 2; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				continue
			}
			switch f[i+1] {
			case "ns/op":
				a.ns = append(a.ns, v)
			case "B/op":
				a.bytes = append(a.bytes, v)
			case "allocs/op":
				a.allocs = append(a.allocs, v)
			case "MB/s":
				a.mbps = append(a.mbps, v)
			}
		}
	}
	var res []MicroBench
	for _, a := range order {
		b := MicroBench{Pkg: a.pkg, Name: a.name, Runs: len(a.ns)}
		b.NsPerOp, b.MinNs, b.MaxNs = medianOf(a.ns)
		b.BytesPerOp, _, _ = medianOf(a.bytes)
		_, _, b.AllocsPerOp = medianOf(a.allocs)
		b.MBPerS, _, _ = medianOf(a.mbps)
		res = append(res, b)
	}
	return res
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}
