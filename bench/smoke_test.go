package bench_test

import (
	"context"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"
)

// TestReportSmoke builds spopbench and runs `spopbench report --smoke`: every
// contender serves real load from the generator, every ACK is validated, and
// the report renders. It fails only on a validation failure or a crash, never
// on a slow number.
func TestReportSmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs spopbench")
	}
	if runtime.GOOS != "linux" {
		t.Skip("spopbench is Linux-only")
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	bin := filepath.Join(t.TempDir(), "spopbench")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./bench/cmd/spopbench")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	run := exec.CommandContext(ctx, bin, "report", "--smoke")
	run.Dir = root
	out, err := run.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("spopbench report --smoke: %v", err)
	}
}
