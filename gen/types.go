package gen

import "strings"

// Kind is the Go-side kind of an argument: which arg field type holds it.
type Kind uint8

// The kinds, each mapped to a field type of package spoa/arg.
const (
	KindValue   Kind = iota // unknown: arg.Value, any typed value
	KindAddr                // IPV4 or IPV6: arg.Addr
	KindInt                 // INT64 (every HAProxy integer): arg.Int
	KindBool                // BOOL: arg.Bool
	KindString              // STRING: arg.String
	KindBytes               // BINARY: arg.Bytes
	KindHeaders             // BINARY in hdrs_bin form: arg.Headers
)

var kindNames = [...]string{"value", "addr", "int", "bool", "string", "bytes", "headers"}

// String returns the kind's name as --type accepts it.
func (k Kind) String() string { return kindNames[k] }

// ParseKind parses a kind name as --type accepts it.
func ParseKind(s string) (Kind, bool) {
	for i, n := range kindNames {
		if n == s {
			return Kind(i), true
		}
	}
	return 0, false
}

// fieldType is the arg package type that holds a kind.
func (k Kind) fieldType() string {
	return [...]string{"arg.Value", "arg.Addr", "arg.Int", "arg.Bool", "arg.String", "arg.Bytes", "arg.Headers"}[k]
}

// spopTypes describes what HAProxy sends for a kind, for doc comments.
func (k Kind) spopTypes() string {
	return [...]string{"any type", "IPV4 or IPV6", "INT64", "BOOL", "STRING", "BINARY", "BINARY, hdrs_bin"}[k]
}

// Sample fetches by the type HAProxy sends at run time (spop-reference §10,
// haproxy-behaviour §2): the runtime type of the sample, never a cast.
var fetchKinds = map[string]Kind{}

func init() {
	add := func(k Kind, names ...string) {
		for _, n := range names {
			fetchKinds[n] = k
		}
	}
	add(KindAddr, "src", "dst", "ipv4", "ipv6", "fc_src", "fc_dst", "bc_src", "bc_dst", "so_src",
		"req.hdr_ip", "hdr_ip", "res.hdr_ip", "shdr_ip")
	add(KindInt, "src_port", "dst_port", "int", "req.body_size", "req.body_len", "req.hdr_cnt", "hdr_cnt",
		"res.hdr_cnt", "shdr_cnt", "status", "fe_id", "be_id", "req.len", "req_len", "res.len",
		"srv_id", "so_id", "sc_http_req_rate", "src_conn_cur", "src_http_req_rate", "src_conn_rate",
		"req.hdr_val", "hdr_val", "res.hdr_val", "date", "ms_date", "us_date", "rand", "nbproc",
		"thread", "pid", "uptime", "txn.status", "fc_rtt", "fc_rttvar", "ssl_fc_use_keysize",
		"ssl_fc_alg_keysize", "ssl_c_verify", "ssl_c_err", "ssl_c_ca_err", "ssl_c_ca_err_depth",
		"req.cook_cnt", "cook_cnt", "req.cook_val", "cook_val", "url_port", "bc_http_major",
		"fc_http_major", "req.ssl_ver", "req.ssl_hello_type", "ssl_c_version", "srv_conn", "be_conn", "fe_conn",
		"url_param_val", "urlp_val", "http_first_req_cnt", "sc0_http_req_rate", "sc1_http_req_rate",
		"sc2_http_req_rate", "sc0_conn_cur", "sc1_conn_cur", "sc2_conn_cur", "bytes_in", "bytes_out")
	add(KindBool, "bool", "ssl_fc", "ssl_bc", "ssl_c_used", "ssl_fc_has_crt", "ssl_fc_has_sni",
		"http_first_req", "src_is_local", "dst_is_local", "always_true", "always_false",
		"ssl_fc_is_resumed", "req.ssl_ec_ext", "fc_rcvd_proxy", "ssl_c_verify_ok")
	add(KindString, "str", "meth", "method", "path", "url", "query", "req.ver", "req_ver", "res.ver",
		"resp_ver", "hdr", "req.hdr", "req.fhdr", "fhdr", "res.hdr", "res.fhdr", "shdr", "req.hdrs",
		"res.hdrs", "unique-id", "unique_id", "req.cook", "cook", "res.cook", "scook", "capture.req.hdr",
		"capture.res.hdr", "capture.req.uri", "capture.req.method", "capture.req.ver", "capture.res.ver",
		"fe_name", "be_name", "srv_name", "ssl_fc_sni", "ssl_fc_protocol", "ssl_fc_cipher",
		"ssl_c_s_dn", "ssl_c_i_dn", "ssl_c_serial_hex", "ssl_c_sha1_hex", "ssl_c_sig_alg",
		"ssl_c_key_alg", "ssl_c_notbefore", "ssl_c_notafter", "ssl_fc_alpn", "ssl_fc_npn",
		"ssl_fc_session_id_hex", "base", "pathq", "http_auth_type", "http_auth_user", "http_auth_pass",
		"url_param", "urlp", "req.ssl_sni", "req_ssl_sni", "req.ssl_alpn", "env", "hostname",
		"host", "lf", "txn.id", "sess.id", "query_string", "cookie", "set-cookie", "req.hdr_names",
		"res.hdr_names", "baseq", "ssl_c_der_hex", "ja3")
	add(KindBytes, "bin", "req.body", "res.body", "req.payload", "res.payload", "payload_lv", "req.payload_lv",
		"res.payload_lv", "ssl_c_der", "ssl_f_der", "ssl_fc_session_id", "ssl_c_serial", "ssl_c_sha1",
		"ssl_fc_cipherlist_bin", "ssl_fc_client_random", "ssl_fc_server_random", "req.raw", "req.body_param")
	add(KindHeaders, "req.hdrs_bin", "res.hdrs_bin")
	add(KindInt, "base32", "url32") // integer hashes of the URL
}

// Converters by the type of their output. A converter not listed here gives
// KindValue (its output depends on its arguments or is unknown: json_query
// and jwt_payload_query give a string, an integer or a boolean).
var converterKinds = map[string]Kind{}

func init() {
	add := func(k Kind, names ...string) {
		for _, n := range names {
			converterKinds[n] = k
		}
	}
	add(KindInt, "length", "len", "mul", "div", "add", "sub", "and", "or", "xor", "mod", "neg", "cpl",
		"sdbm", "djb2", "wt6", "crc32", "crc32c", "xxh32", "xxh64", "xxh3", "murmur3", "count",
		"map_str_int", "map_beg_int", "map_sub_int", "map_dir_int", "map_dom_int", "map_end_int",
		"map_reg_int", "map_ip_int", "map_int_int", "table_http_req_rate", "table_conn_cur",
		"table_conn_rate", "table_http_req_cnt", "table_gpc0", "table_gpt0", "hex2i",
		"strcmp", "port_only")
	add(KindBool, "bool", "not", "odd", "even", "sub_is", "iif_bool", "secure_memcmp", "sec_memcmp")
	add(KindString, "lower", "upper", "regsub", "base64", "ub64enc", "be2dec", "be2hex", "base64url", "hex", "url_dec",
		"url_enc", "json", "field", "word", "ltime", "utime", "map", "map_str", "map_beg", "map_sub",
		"map_dir", "map_dom", "map_end", "map_reg", "map_ip", "map_int", "concat", "ipv6_normalize",
		"iif", "strftime", "fix_tag_value", "host_only", "jwt_header_query", "url_param", "language")
	add(KindBytes, "bytes", "digest", "sha1", "sha2", "hmac", "aes_gcm_dec", "aes_gcm_enc",
		"htonl", "ub64dec", "b64dec")
	add(KindAddr, "ipmask", "map_str_ip", "map_ip_ip")
}

// pass-through converters keep the type of their input.
var passThrough = map[string]bool{"debug": true, "set-var": true, "set_var": true, "unset-var": true,
	"unset_var": true}

// InferKind returns the kind of the value a sample expression produces at run
// time: the last typed converter decides, else the fetch. Unknown fetches and
// converters give KindValue.
func InferKind(expr string) Kind {
	k, _ := inferKind(expr, nil)
	return k
}

// inferKind is InferKind knowing the kinds of the variables haproxy.cfg
// writes: a var() fetch of one has its kind, and from says where it is
// written when that decides.
func inferKind(expr string, vars map[string]written) (kind Kind, from string) {
	parts := splitTopLevel(unquote(expr), ',')
	kind, known := fetchKind(parts[0])
	if name, ok := strings.CutPrefix(parts[0], "var("); ok && !known {
		name, _, _ = strings.Cut(strings.TrimSuffix(name, ")"), ",")
		if w, ok := vars[strings.TrimSpace(name)]; ok {
			kind, known, from = w.Kind, true, w.From
		}
	}
	if !known {
		kind = KindValue
	}
	for _, conv := range parts[1:] {
		name := conv
		if i := strings.IndexByte(name, '('); i >= 0 {
			name = name[:i]
		}
		if passThrough[name] {
			continue
		}
		k, ok := converterKinds[name]
		if !ok {
			return KindValue, ""
		}
		kind, from = k, ""
	}
	return kind, from
}

// fetchKind looks a fetch up by its name before any parenthesis; var() and
// friends have no static type.
func fetchKind(fetch string) (Kind, bool) {
	name := fetch
	if i := strings.IndexByte(name, '('); i >= 0 {
		name = name[:i]
	}
	k, ok := fetchKinds[name]
	return k, ok
}

// splitTopLevel splits s at sep outside parentheses.
func splitTopLevel(s string, sep byte) []string {
	var parts []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			if depth > 0 {
				depth--
			}
		case sep:
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

// unquote strips quotes the expression kept as written ('req.hdr(x),lower').
func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '\'' || s[0] == '"') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return s
}
