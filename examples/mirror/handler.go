// Package mirror is haproxytech's spoa-mirror as a spopkit agent: message
// mirror carries the request (method, URL, version, headers, body) and the
// agent replays it to -u/--mirror-url with net/http, from -I/--mirror-interface
// and -P/--mirror-local-port when given.
//
// Replays run on the agent's own bounded pool of workers behind a bounded
// queue, not on the event loop and not through Request.Offload: the ACK goes
// back to HAProxy at once, whatever the mirror target does. A full queue
// drops the replay; failures are counted and logged (at most once a second).
//
// arg_hdrs may be req.hdrs_bin (BINARY) or req.hdrs (STRING): spoe.go is
// generated with `--type mirror.arg_hdrs=value` so that the field takes any
// type, and ParseHeaders reads both forms.
package mirror

//go:generate go run github.com/spopkit/spopkit/cmd/spopgen generate spoe.conf -o . --package mirror --haproxy-cfg haproxy.cfg --no-stubs --type mirror.arg_hdrs=value

import (
	"bytes"
	_ "embed"
	"fmt"
	"net"
	"net/url"
	"strings"

	"github.com/spopkit/spopkit/server"
	"github.com/spopkit/spopkit/spoa"
)

// SpoeConf and HAProxyCfg are the example configuration (`spoa config mirror`).
var (
	//go:embed spoe.conf
	SpoeConf string
	//go:embed haproxy.cfg
	HAProxyCfg string
)

// Flags are the mirror agent's own flags, with spoa-mirror's letters.
type Flags struct {
	MirrorURL       string        `short:"u" required:"" placeholder:"URL" help:"Replay requests to this URL (scheme, host and optional path prefix)."`
	MirrorInterface string        `short:"I" placeholder:"ADDR|NAME" help:"Local address, or network interface name, for outgoing connections."`
	MirrorLocalPort string        `short:"P" placeholder:"PORT[-PORT]" help:"Local port range for outgoing connections."`
	MirrorWorkers   int           `default:"16" placeholder:"N" help:"Concurrent replays (default: ${default})."`
	MirrorQueue     int           `default:"1024" placeholder:"N" help:"Replays waiting for a worker; beyond, new ones are dropped (default: ${default})."`
	MirrorTimeout   spoa.Duration `default:"5s" placeholder:"TIME" help:"Timeout of one replay (default: ${default})."`
}

// Validate checks the flags.
func (f *Flags) Validate() error {
	if _, err := f.url(); err != nil {
		return err
	}
	if _, _, err := ParsePortRange(f.MirrorLocalPort); err != nil {
		return fmt.Errorf("--mirror-local-port: %w", err)
	}
	return nil
}

func (f *Flags) url() (*url.URL, error) {
	u, err := url.Parse(f.MirrorURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("--mirror-url %q: want http://HOST[:PORT][/PREFIX] or https://…", f.MirrorURL)
	}
	return u, nil
}

// localIP resolves -I: an IP address, or the first address of an interface.
func localIP(s string) (net.IP, error) {
	if s == "" {
		return nil, nil
	}
	if ip := net.ParseIP(s); ip != nil {
		return ip, nil
	}
	ifi, err := net.InterfaceByName(s)
	if err != nil {
		return nil, fmt.Errorf("--mirror-interface: %w", err)
	}
	addrs, err := ifi.Addrs()
	if err != nil || len(addrs) == 0 {
		return nil, fmt.Errorf("--mirror-interface %s: no address", s)
	}
	ipn, ok := addrs[0].(*net.IPNet)
	if !ok {
		return nil, fmt.Errorf("--mirror-interface %s: no IP address", s)
	}
	return ipn.IP, nil
}

// NewAgent returns the mirror agent for the spoa command line.
func NewAgent() spoa.Agent {
	flags := &Flags{}
	var m *Replayer
	return spoa.Agent{
		Name:  "mirror",
		Help:  "haproxytech's spoa-mirror: replays every request to --mirror-url, off the event loop.",
		Flags: flags,
		Setup: func(env *spoa.Env) (server.Handler, error) {
			u, err := flags.url()
			if err != nil {
				return nil, err
			}
			ip, err := localIP(flags.MirrorInterface)
			if err != nil {
				return nil, err
			}
			low, high, _ := ParsePortRange(flags.MirrorLocalPort)
			m = New(Options{
				URL: u, LocalAddr: ip, PortLow: low, PortHigh: high,
				Workers: flags.MirrorWorkers, Queue: flags.MirrorQueue,
				Timeout: flags.MirrorTimeout.D(), Logger: env.Logger,
			})
			return NewHandler(m), nil
		},
		Close: func() error {
			if m == nil {
				return nil
			}
			return m.Close()
		},
		Files: map[string]string{"spoe.conf": SpoeConf, "haproxy.cfg": HAProxyCfg},
	}
}

// NewHandler returns the agent's server.Handler feeding m.
func NewHandler(m *Replayer) server.Handler { return NewDispatcher(handler{m: m}) }

// handler implements Handler.
type handler struct {
	m *Replayer
}

// Mirror handles spoe-message "mirror": it copies the request out of the
// frame and queues it; the ACK (empty) leaves at once.
func (h handler) Mirror(req *server.Request, msg Mirror, acts Actions) error {
	if err := msg.Err(); err != nil {
		return err
	}
	method, ok := msg.ArgMethod.Get()
	if !ok {
		return nil
	}
	hv, _ := msg.ArgHdrs.Get()
	hdr, host, err := ParseHeaders(hv)
	if err != nil {
		return err
	}
	body, _ := msg.ArgBody.Get()
	h.m.Enqueue(&Request{
		Method: strings.Clone(method),
		Target: strings.Clone(msg.ArgPath.Or("/")),
		Header: hdr,
		Host:   host,
		Body:   bytes.Clone(body),
	})
	return nil
}
