package spoeconf

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const goodConf = `[iprep]
spoe-agent iprep-agent
    messages check-ip
    groups lookups
    option var-prefix iprep
    timeout processing 10ms
    use-backend agents

spoe-message check-ip
    args ip=src
    event on-client-session

spoe-message lookup
    args host=req.hdr(host)

spoe-group lookups
    messages lookup
`

const goodCfg = `defaults
    mode http

frontend fe
    bind :80
    filter spoe engine iprep config /etc/haproxy/spoe.conf
    http-request send-spoe-group iprep lookups
    http-request deny if { var(txn.iprep.agent_error) -m found }

backend agents
    mode tcp
    server a 127.0.0.1:12345
`

func checkForTest(t *testing.T, conf, cfg string) []Diagnostic {
	t.Helper()
	f := parseForTest(t, conf)
	var hc *HAProxyConfig
	if cfg != "" {
		hc = ParseHAProxyConfig("haproxy.cfg", []byte(cfg))
	}
	return Check(f, hc)
}

func TestCheckClean(t *testing.T) {
	if ds := checkForTest(t, goodConf, goodCfg); len(ds) != 0 {
		t.Errorf("Check(goodConf, goodCfg) = %q; want nothing", ds)
	}
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		conf string
		cfg  string
		want []string // "file:line:col kind token"
	}{
		{"no agent at all", "spoe-message m\n args a=src\n", "",
			[]string{"t.conf:1:1 configuration error ", "t.conf:1:14 configuration error "}},
		{"empty file", "", "", []string{"t.conf:1:1 configuration error "}},
		{"scope without agent", strings.Replace(goodConf, "", "", 1) + "[other]\nspoe-message x\n", "",
			[]string{"t.conf:18:1 configuration error "}},
		{"sections before the first scope without agent", "spoe-message early\n" + goodConf, "",
			[]string{"t.conf:1:14 warning "}},
		{"agent without use-backend", "spoe-agent a\n timeout processing 1s\n", "",
			[]string{"t.conf:1:12 configuration error a"}},
		{"agent name as prefix with a dash", "spoe-agent my-agent\n use-backend b\n timeout processing 1s\n", "",
			[]string{"t.conf:1:12 configuration error my-agent"}},
		{"no timeout processing", "spoe-agent a\n use-backend b\n", "",
			[]string{"t.conf:1:12 warning a"}},
		{"listed message not declared", strings.Replace(goodConf, "messages check-ip", "messages check-ip nope", 1), "",
			[]string{"t.conf:3:23 configuration error nope"}},
		{"listed group not declared", strings.Replace(goodConf, "groups lookups", "groups lookups nope", 1), "",
			[]string{"t.conf:4:20 configuration error nope"}},
		{"group message not declared", goodConf + "    messages nope\n", "",
			[]string{"t.conf:18:14 configuration error nope"}},
		{"listed message without event", strings.Replace(goodConf, "    event on-client-session\n", "", 1), "",
			[]string{"t.conf:3:14 warning check-ip"}},
		{"message in two groups", goodConf + "spoe-group other\n    messages lookup\n", "",
			[]string{"t.conf:18:12 warning other", "t.conf:19:14 configuration error lookup"}},
		{"group not listed", strings.Replace(goodConf, "    groups lookups\n", "", 1), "",
			[]string{"t.conf:12:14 warning lookup", "t.conf:15:12 warning lookups"}},
		{"message never sent", goodConf + "spoe-message unused\n    args a=src\n    event on-client-session\n", "",
			[]string{"t.conf:18:14 warning unused"}},
		{"too many arguments", "spoe-agent a\n use-backend b\n timeout processing 1s\n messages m\nspoe-message m\n event on-client-session\n" +
			strings.Repeat(" args"+strings.Repeat(" src", 60)+"\n", 5), "",
			[]string{"t.conf:11:67 configuration error src"}},
		{"variable names too long", "spoe-agent a\n use-backend b\n timeout processing 1s\n option set-on-error " + strings.Repeat("e", 60) + "\n register-var-names " + strings.Repeat("r", 60) + "\n", "",
			[]string{"t.conf:4:2 warning " + strings.Repeat("e", 60), "t.conf:5:21 warning " + strings.Repeat("r", 60)}},
		{"prefix too long", "spoe-agent a\n use-backend b\n timeout processing 1s\n option var-prefix " + strings.Repeat("p", 60) + "\n", "",
			[]string{"t.conf:1:12 warning " + strings.Repeat("p", 60)}},
		{"missing LF is reported by Check", "spoe-agent a\n use-backend b\n timeout processing 1s", "",
			[]string{"t.conf:3:23 configuration error "}},

		// Against haproxy.cfg.
		{"backend missing from haproxy.cfg", goodConf, strings.Replace(goodCfg, "backend agents", "backend other", 1),
			[]string{"t.conf:7:17 configuration error agents"}},
		{"backend inherits mode http", goodConf, strings.Replace(goodCfg, "    mode tcp\n", "", 1),
			[]string{"t.conf:7:17 configuration error agents"}},
		{"backend in mode spop", goodConf, strings.Replace(goodCfg, "mode tcp", "mode spop", 1), nil},
		{"listen section as backend", goodConf, "listen agents\n  bind :1\n", nil},
		{"backend from named defaults", goodConf, "defaults tcpd\n  mode tcp\ndefaults\n  mode http\nbackend agents from tcpd\n", nil},
		{"filter engine without agent", goodConf, strings.Replace(goodCfg, "engine iprep", "engine nope", 1),
			[]string{"haproxy.cfg:6:5 configuration error filter"}},
		{"filter on another file is ignored", goodConf, strings.Replace(goodCfg, "engine iprep config /etc/haproxy/spoe.conf", "engine nope config other.conf", 1), nil},
		{"send-spoe-group with an unlisted group", goodConf, strings.Replace(goodCfg, "iprep lookups", "iprep nope", 1),
			[]string{"haproxy.cfg:7:34 configuration error nope"}},

		// Fail-open: no rule reads a variable that a handler error sets.
		{"no rule reads the error variable", goodConf, strings.Replace(goodCfg, "var(txn.iprep.agent_error)", "var(txn.iprep.other)", 1),
			[]string{"haproxy.cfg:6:5 warning filter"}},
		{"only set-var writes the error variable", goodConf, strings.Replace(goodCfg, "deny if { var(txn.iprep.agent_error) -m found }", "set-var(txn.iprep.agent_error) int(0)", 1),
			[]string{"haproxy.cfg:6:5 warning filter"}},
		{"error variable read in another scope", goodConf, strings.Replace(goodCfg, "var(txn.iprep.agent_error)", "var(sess.iprep.agent_error)", 1),
			[]string{"haproxy.cfg:6:5 warning filter"}},
		{"set-on-error variable read", strings.Replace(goodConf, "    use-backend", "    option set-on-error error\n    use-backend", 1),
			strings.Replace(goodCfg, "{ var(txn.iprep.agent_error) -m found }", "{ var(txn.iprep.error) -m int gt 0 }", 1), nil},
		{"error variable read in a log format", goodConf, strings.Replace(goodCfg, "http-request deny if { var(txn.iprep.agent_error) -m found }", `http-request set-header X-Err "%[var(txn.iprep.agent_error,0)]"`, 1), nil},
		{"error variable read by a named ACL", goodConf, strings.Replace(goodCfg, "http-request deny if { var(txn.iprep.agent_error) -m found }", "acl failed var(txn.iprep.agent_error) -m found\n    http-request deny if failed", 1), nil},
	}
	for _, tt := range tests {
		// The file name must match the haproxy.cfg filter line.
		f := parseForTest(t, tt.conf)
		f.Name = "t.conf"
		var hc *HAProxyConfig
		if tt.cfg != "" {
			hc = ParseHAProxyConfig("haproxy.cfg", []byte(strings.ReplaceAll(tt.cfg, "/etc/haproxy/spoe.conf", "t.conf")))
		}
		ds := Check(f, hc)
		var got []string
		for _, d := range ds {
			got = append(got, fmt.Sprintf("%s:%d:%d %s %s", d.Pos.Filename, d.Pos.Line, d.Pos.Col, d.Kind, d.Token))
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: Check = %q; want %q", tt.name, got, tt.want)
			for _, d := range ds {
				t.Logf("  %s", d)
			}
		}
	}
}

func TestResolve(t *testing.T) {
	src := `spoe-agent a
    messages m1 nope m2 noevent m3
    groups g1 gnope
spoe-message m1
    event on-client-session
spoe-message m2
    event on-http-response
spoe-message m3
    event on-client-session
spoe-message noevent
spoe-message gm
spoe-group g1
    messages gm m1 gmissing
`
	u := parseForTest(t, src).Scope("").Resolve()
	names := func(ms []*Message) string {
		var out []string
		for _, m := range ms {
			out = append(out, m.Name)
		}
		return strings.Join(out, " ")
	}
	var missing []string
	for _, id := range u.Missing {
		missing = append(missing, id.Name)
	}
	checks := []struct{ what, got, want string }{
		{"Agent", u.Agent.Name, "a"},
		{"Messages", names(u.Messages), "m1 m2 m3"},
		{"Ignored", names(u.Ignored), "noevent"},
		{"Missing", strings.Join(missing, " "), "nope gmissing gnope"},
		{"Groups", fmt.Sprintf("%d %s %s", len(u.Groups), u.Groups[0].Group.Name, names(u.Groups[0].Messages)), "1 g1 gm m1"},
		{"EventMessages(on-client-session)", names(u.EventMessages(OnClientSession)), "m1 m3"},
		{"EventMessages(on-http-response)", names(u.EventMessages(OnHTTPResponse)), "m2"},
		{"AllMessages", names(u.AllMessages()), "m1 m2 m3 gm"},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("Resolve().%s = %q; want %q", c.what, c.got, c.want)
		}
	}
	if u := (&Scope{}).Resolve(); u.Agent != nil || len(u.AllMessages()) != 0 {
		t.Errorf("Resolve of an empty scope = %+v; want no agent", u)
	}
}

func TestParseHAProxyConfig(t *testing.T) {
	src := `global
    log stdout local0
defaults base
    mode tcp
frontend fe
    filter spoe engine e1 config "/etc/spoe.conf"
    filter spoe config other.conf
    tcp-request content send-spoe-group e1 g1 if TRUE
    http-request set-var(txn.a.w) var(txn.a.r1),lower if { var(sess.a.r2) -m found } !{ unset-var(txn.a.w2) }
    http-request set-header X "%[var(txn.a.r3,0)]" # var(txn.a.comment)
backend b1 from base
backend b2
    mode http
listen l1
`
	c := ParseHAProxyConfig("h.cfg", []byte(src))
	var bs []string
	for _, b := range c.Backends {
		bs = append(bs, b.Name+":"+b.Mode)
	}
	if got := strings.Join(bs, " "); got != "b1:tcp b2:http l1:tcp" {
		t.Errorf("Backends = %s; want b1:tcp b2:http l1:tcp", got)
	}
	if len(c.Filters) != 2 || c.Filters[0].Engine != "e1" || c.Filters[0].Config != "/etc/spoe.conf" || c.Filters[0].Proxy != "fe" || c.Filters[1].Engine != "" {
		t.Errorf("Filters = %+v %+v", c.Filters[0], c.Filters[1])
	}
	if len(c.GroupRules) != 1 || c.GroupRules[0].Engine != "e1" || c.GroupRules[0].Group != "g1" {
		t.Errorf("GroupRules = %+v", c.GroupRules)
	}
	var reads []string
	for _, r := range c.Vars {
		if !r.Write {
			reads = append(reads, fmt.Sprintf("%s@%d", r.Name, r.Pos.Line))
		}
	}
	if got, want := strings.Join(reads, " "), "txn.a.r1@9 sess.a.r2@9 txn.a.r3@10"; got != want {
		t.Errorf("reads = %s; want %s", got, want)
	}
	if c.Backend("b2") == nil || c.Backend("fe") != nil {
		t.Errorf("Backend lookup wrong")
	}
}

// TestRepositoryCaptures checks that the spoe.conf files of the repository's
// HAProxy captures, which real HAProxy 2.6 and 3.x loaded, parse and check
// without any error against their haproxy.cfg.
func TestRepositoryCaptures(t *testing.T) {
	confs, _ := filepath.Glob("../../testdata/captures/*/*.spoe.conf")
	if len(confs) == 0 {
		t.Skip("no capture in ../../testdata/captures")
	}
	for _, conf := range confs {
		f, err := ParseFile(conf)
		if err != nil {
			t.Errorf("ParseFile(%s): %v", conf, err)
			continue
		}
		var hc *HAProxyConfig
		if cfg := strings.TrimSuffix(conf, ".spoe.conf") + ".haproxy.cfg"; fileExists(cfg) {
			if hc, err = ReadHAProxyConfig(cfg); err != nil {
				t.Fatal(err)
			}
		}
		for _, d := range Check(f, hc) {
			if d.Kind.IsError() {
				t.Errorf("Check(%s) = %s; want no error (HAProxy accepted this file)", conf, d)
			}
		}
	}
}

func fileExists(name string) bool {
	_, err := os.Stat(name)
	return err == nil
}
