//go:build linux

package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime/pprof"
	"strconv"
	"strings"

	"github.com/spopkit/spopkit/bench"
	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spopwire"
)

// startChild runs this program as the agent (--child) and returns its
// address, its process id and a function that stops it.
func startChild(engine string, cpu int, profile, handler string) (string, int, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", 0, nil, err
	}
	args := []string{"--child", engine, "--agent-cpu", strconv.Itoa(cpu), "--handler", handler}
	if profile != "" {
		args = append(args, "--cpuprofile", profile+"."+engine)
	}
	cmd := exec.Command(exe, args...)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", 0, nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return "", 0, nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	stop := func() {
		stdin.Close()
		cmd.Wait()
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ready ") {
		stop()
		return "", 0, nil, fmt.Errorf("agent (%s) did not start: %q %v", engine, line, err)
	}
	return strings.TrimSpace(strings.TrimPrefix(line, "ready ")), cmd.Process.Pid, stop, nil
}

// runAgent is the child: the server on one CPU, one event loop, until stdin
// closes. It prints "ready ADDR" once it listens.
func runAgent(engine string, cpu int, profile, handler string) error {
	if err := bench.PinProcess(cpu); err != nil {
		return err
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	h := server.HandlerFunc(bench.IPRepHandler)
	if handler == "setvar" {
		h = setVar
	}
	srv, err := server.New(server.Config{Engine: engine, Address: "127.0.0.1:0", Loops: 1, LoopCPUs: []int{cpu}, Workers: -1}, h)
	if err != nil {
		return err
	}
	defer srv.Close()
	if err := srv.Start(); err != nil {
		return err
	}
	fmt.Printf("ready %s\n", srv.Addr())
	_, err = io.Copy(io.Discard, os.Stdin)
	return err
}

// setVar answers every NOTIFY with sess.ip_score = 42 without reading it.
func setVar(req *server.Request, acts *server.Actions) error {
	acts.SetVar(spopwire.ScopeSession, "ip_score", spopwire.Int64Value(42))
	return nil
}
