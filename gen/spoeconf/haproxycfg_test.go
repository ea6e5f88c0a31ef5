package spoeconf

import (
	"reflect"
	"testing"
)

func TestHAProxyConfigVars(t *testing.T) {
	src := `frontend fe
    # var(txn.commented.out) is not read
    http-request deny if { var(txn.iprep.blocked) -m bool }
    http-request set-header X-Score "%[var(sess.iprep.ip_score,0)]" if { var(req.x),neg -m found }
    http-request return status 200 content-type text/plain string "%[var(proc.noscope)]%[var(nodot)]"
`
	c := ParseHAProxyConfig("h.cfg", []byte(src))
	var got []string
	for _, v := range c.Vars {
		got = append(got, v.Scope+" "+v.Name+" "+v.Pos.String())
	}
	want := []string{
		"txn iprep.blocked h.cfg:3:28",
		"sess iprep.ip_score h.cfg:4:37",
		"req x h.cfg:4:74",
		"proc noscope h.cfg:5:67",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Vars = %q; want %q", got, want)
	}
}
