//go:build linux

package bench

import (
	"reflect"
	"testing"
)

func TestParseHAContender(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want HAContender
	}{
		{"epoll=epoll", HAContender{Name: "epoll", Engine: "epoll", Env: []string{}}},
		{"std=std", HAContender{Name: "std", Engine: "std", Loops: 1, Env: []string{}}},
		{"one=epoll:1", HAContender{Name: "one", Engine: "epoll", Loops: 1, Env: []string{}}},
		{"u=epoll:1/unix", HAContender{Name: "u", Engine: "epoll", Loops: 1, Unix: true, Env: []string{}}},
		{"su=std/unix@/tmp/sb", HAContender{Name: "su", Engine: "std", Loops: 1, Unix: true, Exe: []string{"/tmp/sb"}, Env: []string{}}},
		{"x=epoll:0@/tmp/sb,GOMAXPROCS=3,GODEBUG=a=1", HAContender{Name: "x", Engine: "epoll",
			Exe: []string{"/tmp/sb"}, Env: []string{"GOMAXPROCS=3", "GODEBUG=a=1"}}},
	} {
		got, err := ParseHAContender(tc.in)
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("ParseHAContender(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"epoll", "=epoll", "x=epoll:-1", "x=epoll:two", "x=epoll/tcp"} {
		if _, err := ParseHAContender(bad); err == nil {
			t.Errorf("ParseHAContender(%q): no error", bad)
		}
	}
}

func TestParsePerfCSV(t *testing.T) {
	out := "168571,,raw_syscalls:sys_enter,977361306,100.00,,\n" +
		"63183,,syscalls:sys_enter_read,977361306,100.00,,\n" +
		"<not supported>,,syscalls:sys_enter_tgkill,0,100.00,,\n" +
		"12,,context-switches,977361306,100.00,,\n"
	got := parsePerfCSV(out)
	want := map[string]uint64{"syscalls": 168571, "read": 63183, "cs": 12}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parsePerfCSV = %v, want %v", got, want)
	}
}
