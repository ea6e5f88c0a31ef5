package spoa

import (
	"cmp"
	"runtime/debug"
	"strings"
)

// version is what --version prints and the "agent ready" log line says:
// see formatVersion.
func version() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown (no build information)"
	}
	return formatVersion(bi)
}

// formatVersion names the main package, its module version, the VCS
// revision the build recorded (go build in a checkout: the commit, and
// "modified" when the tree had uncommitted changes), spopkit's version when
// the main module is another one (a generated agent), and the Go toolchain.
// A checkout build's module version is "(devel)" before Go 1.24 and a
// pseudo-version after; either way the commit says what was built.
func formatVersion(bi *debug.BuildInfo) string {
	v := bi.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var b strings.Builder
	b.WriteString(cmp.Or(bi.Path, bi.Main.Path, "spoa"))
	b.WriteString(" " + v)
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		b.WriteString(", commit " + rev)
		if modified == "true" {
			b.WriteString(" (modified)")
		}
	}
	if bi.Main.Path != modulePath {
		for _, dep := range bi.Deps {
			if dep.Path == modulePath {
				b.WriteString(", spopkit " + dep.Version)
				if r := dep.Replace; r != nil {
					b.WriteString(" => " + cmp.Or(strings.TrimPrefix(r.Version, "(devel)"), r.Path))
				}
			}
		}
	}
	if bi.GoVersion != "" {
		b.WriteString(", " + bi.GoVersion)
	}
	return b.String()
}

// modulePath is spopkit's module.
const modulePath = "github.com/spopkit/spopkit"
