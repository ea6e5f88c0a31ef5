package spoeconf

import (
	"reflect"
	"testing"
)

// TestHAProxyConfigVars: one scanner records every read and write of a
// variable, with what each read says of its type and what each set-var
// stores.
func TestHAProxyConfigVars(t *testing.T) {
	src := `frontend fe
    # var(txn.commented.out) is not read
    http-request deny if { var(txn.iprep.blocked) -m bool }
    http-request set-header X-Score "%[var(sess.iprep.ip_score,0)]" if { var(req.x),neg -m found }
    http-request return status 200 content-type text/plain string "%[var(proc.noscope)]%[var(nodot)]"
    http-request set-var(txn.coraza.app) str(sample_app)
    http-request unset-var(txn.coraza.gone)
    http-request set-header X-A %[req.hdr(a),set-var(txn.a.copy)]
    acl hot var(txn.iprep.score) gt 50
    acl bad var(txn.iprep.error) -m int gt 0
    acl pfx var(txn.iprep.path) -m beg /admin
    acl v6 var(txn.iprep.ip) -m ip 10.0.0.0/8
    http-request deny if { var(txn.iprep.n),add(1) -m int gt 3 } || { var(txn.iprep.s),lower -m str x }
    http-request set-var-fmt(txn.iprep.f) "%[src]:%[src_port]"
`
	c := ParseHAProxyConfig("h.cfg", []byte(src))
	var got []string
	for _, v := range c.Vars {
		s := v.Name + " " + v.Pos.String()
		if v.Write {
			s += " write " + v.Expr
		} else {
			s += " read " + v.Type + " " + v.How
		}
		got = append(got, s)
	}
	want := []string{
		"txn.iprep.blocked h.cfg:3:28 read bool -m bool",
		"sess.iprep.ip_score h.cfg:4:37 read str %[var()]",
		"req.x h.cfg:4:74 read int ,neg",
		"proc.noscope h.cfg:5:67 read str %[var()]",
		"nodot h.cfg:5:67 read str %[var()]",
		"txn.coraza.app h.cfg:6:18 write str(sample_app)",
		"txn.coraza.gone h.cfg:7:18 write ",
		"txn.a.copy h.cfg:8:33 write req.hdr(a)",
		"txn.iprep.score h.cfg:9:13 read int gt",
		"txn.iprep.error h.cfg:10:13 read int -m int",
		"txn.iprep.path h.cfg:11:13 read str -m beg",
		"txn.iprep.ip h.cfg:12:12 read ip -m ip",
		"txn.iprep.n h.cfg:13:28 read int ,add",
		"txn.iprep.s h.cfg:13:71 read str ,lower",
		"txn.iprep.f h.cfg:14:18 write ",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Vars =\n%q\nwant\n%q", got, want)
	}
	if !c.ReadsVar("txn.iprep.error") || c.ReadsVar("txn.coraza.app") {
		t.Errorf("ReadsVar: a read is one, a set-var is not")
	}
}
