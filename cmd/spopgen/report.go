package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/spopkit/spopkit/gen/spoeconf"
)

// problemsError reports that diagnostics failed a command (check, or
// generate refusing a file); its exit status is 1.
type problemsError struct {
	files  []fileProblems // the spoe.conf first, then haproxy.cfg
	result string         // what the command did about it, "" for check
}

// fileProblems counts the problems found in one file.
type fileProblems struct {
	name             string
	errors, warnings int
}

// Error summarises the problems per file, e.g.
// "spoe.conf: 2 errors, 1 warning; haproxy.cfg: 0 errors, 1 warning",
// leaving out files without problems.
func (e *problemsError) Error() string {
	var parts []string
	for _, f := range e.files {
		if f.errors+f.warnings > 0 {
			parts = append(parts, fmt.Sprintf("%s: %s, %s", f.name, count(f.errors, "error"), count(f.warnings, "warning")))
		}
	}
	s := strings.Join(parts, "; ")
	if e.result != "" {
		s += " (" + e.result + ")"
	}
	return s
}

// ExitCode makes kong exit with status 1.
func (e *problemsError) ExitCode() int { return 1 }

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// report prints the diagnostics of the spoe.conf conf to out, one line each,
// and returns a *problemsError when they fail the command: when there is an
// error (HAProxy refuses the configuration), or with strict a warning.
// HAProxy starts with warnings, so without strict they pass.
func report(out io.Writer, conf string, ds []spoeconf.Diagnostic, strict bool) error {
	perr := &problemsError{files: []fileProblems{{name: conf}}}
	fail := false
	for _, d := range ds {
		if _, err := fmt.Fprintln(out, d); err != nil {
			return err
		}
		f := perr.file(d.Pos.Filename, conf)
		if d.Kind.IsError() {
			f.errors++
			fail = true
		} else {
			f.warnings++
			fail = fail || strict
		}
	}
	if !fail {
		return nil
	}
	return perr
}

// file returns the counts of the named file, adding them if new. A
// diagnostic without a file name is about the spoe.conf.
func (e *problemsError) file(name, conf string) *fileProblems {
	if name == "" {
		name = conf
	}
	for i := range e.files {
		if e.files[i].name == name {
			return &e.files[i]
		}
	}
	e.files = append(e.files, fileProblems{name: name})
	return &e.files[len(e.files)-1]
}
