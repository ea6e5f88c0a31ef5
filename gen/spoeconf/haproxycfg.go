package spoeconf

import (
	"os"
	"strings"
)

// HAProxyConfig is what Check and the generator need from a haproxy.cfg: its
// backends, its SPOE filters, its send-spoe-group rules and the variables it
// names. It comes from a simple scan of section headers and a few keywords,
// not from a full parse.
type HAProxyConfig struct {
	Name       string
	Backends   []*Backend    // backend and listen sections
	Filters    []*SPOEFilter // "filter spoe" lines
	GroupRules []*GroupRule  // "... send-spoe-group ENGINE GROUP" rules
	Vars       []VarUse      // every read and write of a variable, in file order
}

// Backend is a backend or listen section of a haproxy.cfg.
type Backend struct {
	Name string
	Pos  Pos
	// Mode is the effective mode: the section's "mode" line, else the one of
	// the defaults section it inherits from, else "tcp" (HAProxy's default).
	Mode string
}

// SPOEFilter is a "filter spoe [engine NAME] config FILE" line.
type SPOEFilter struct {
	Engine string // "" without "engine": the anonymous scope is used
	Config string // the spoe.conf path as written
	Proxy  string // the section holding the line
	Pos    Pos
}

// GroupRule is a "send-spoe-group ENGINE GROUP" action of an
// http-request, http-response, tcp-request or tcp-response rule.
type GroupRule struct {
	Engine string
	Group  string
	Pos    Pos // position of the ENGINE word
}

// Backend returns the backend or listen section with that name, or nil.
func (c *HAProxyConfig) Backend(name string) *Backend {
	for _, b := range c.Backends {
		if b.Name == name {
			return b
		}
	}
	return nil
}

// ReadHAProxyConfig reads and scans the named haproxy.cfg.
func ReadHAProxyConfig(filename string) (*HAProxyConfig, error) {
	src, err := os.ReadFile(filename)
	if err != nil {
		return nil, err
	}
	return ParseHAProxyConfig(filename, src), nil
}

// ParseHAProxyConfig scans a haproxy.cfg with HAProxy's tokenizer for what
// Check needs. Lines it cannot tokenize are skipped: checking haproxy.cfg
// itself is HAProxy's job ("haproxy -c").
func ParseHAProxyConfig(filename string, src []byte) *HAProxyConfig {
	c := &HAProxyConfig{Name: filename}
	tk := tokenizer{filename: filename, lookup: os.LookupEnv}
	lines, _, _ := splitLines(src)

	type defaults struct{ mode string }
	var (
		lastDefaults = &defaults{}
		named        = map[string]*defaults{}
		proxy        string // current proxy name
		curDefaults  *defaults
		curBackend   *Backend
	)
	for _, ln := range lines {
		words, err := tk.split(ln, skipBlanks(ln.text))
		if err != nil || len(words) == 0 || words[0].Text == "" {
			continue
		}
		c.Vars = append(c.Vars, varUses(words)...)
		kw := words[0].Text
		switch kw {
		case "global", "defaults", "frontend", "backend", "listen", "peers", "resolvers",
			"userlist", "program", "http-errors", "ring", "mailers", "cache", "log-forward",
			"crt-store", "traces", "acme":
			proxy, curDefaults, curBackend = "", nil, nil
			if len(words) > 1 {
				proxy = words[1].Text
			}
			inherit := lastDefaults
			if len(words) > 3 && words[2].Text == "from" {
				if d := named[words[3].Text]; d != nil {
					inherit = d
				}
			}
			switch kw {
			case "defaults":
				curDefaults = &defaults{mode: inherit.mode}
				lastDefaults = curDefaults
				if proxy != "" {
					named[proxy] = curDefaults
				}
			case "backend", "listen":
				if proxy != "" {
					curBackend = &Backend{Name: proxy, Pos: words[1].Pos, Mode: inherit.mode}
					c.Backends = append(c.Backends, curBackend)
				}
			}
			continue
		}
		switch {
		case kw == "mode" && len(words) > 1:
			if curDefaults != nil {
				curDefaults.mode = words[1].Text
			}
			if curBackend != nil {
				curBackend.Mode = words[1].Text
			}
		case kw == "filter" && len(words) > 1 && words[1].Text == "spoe":
			flt := &SPOEFilter{Proxy: proxy, Pos: words[0].Pos}
			for i := 2; i+1 < len(words); i += 2 {
				switch words[i].Text {
				case "engine":
					flt.Engine = words[i+1].Text
				case "config":
					flt.Config = words[i+1].Text
				}
			}
			c.Filters = append(c.Filters, flt)
		case strings.HasSuffix(kw, "-request") || strings.HasSuffix(kw, "-response"):
			for i := 1; i+2 < len(words); i++ {
				if words[i].Text == "send-spoe-group" {
					c.GroupRules = append(c.GroupRules, &GroupRule{Engine: words[i+1].Text, Group: words[i+2].Text, Pos: words[i+1].Pos})
					break
				}
			}
		}
	}
	for _, b := range c.Backends {
		if b.Mode == "" {
			b.Mode = "tcp"
		}
	}
	return c
}
