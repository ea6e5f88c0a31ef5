package gen

import (
	"strings"
	"unicode"
)

// initialisms are written in capitals in Go names (ip → IP, url → URL).
var initialisms = map[string]bool{
	"ip": true, "url": true, "uri": true, "id": true, "http": true, "https": true, "ssl": true,
	"tls": true, "sni": true, "uid": true, "ua": true, "api": true, "dns": true, "tcp": true,
	"udp": true, "ttl": true, "cpu": true, "ipv4": true, "ipv6": true, "json": true, "xml": true,
	"html": true, "uuid": true, "waf": true, "jwt": true, "acl": true, "asn": true,
}

// goName turns a spoe.conf name (check-client-ip, src_port, hdrs_bin) into an
// exported Go identifier (CheckClientIP, SrcPort, HdrsBin).
func goName(s string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(s, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}) {
		lw := strings.ToLower(w)
		if initialisms[lw] {
			b.WriteString(strings.ToUpper(lw))
			continue
		}
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	name := b.String()
	if name == "" || !unicode.IsLetter(rune(name[0])) {
		name = "X" + name
	}
	return name
}

// packageName turns a directory or file base name into a Go package name.
func packageName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if r < 128 && (unicode.IsLetter(r) || unicode.IsDigit(r)) {
			b.WriteRune(r)
		}
	}
	name := b.String()
	if name == "" || !unicode.IsLetter(rune(name[0])) {
		name = "spoe" + name
	}
	return name
}
