package spopwire

// Keys of the HELLO and DISCONNECT KV lists (ref §4, §5). Keys are
// case-sensitive and sent in lower case.
const (
	KeySupportedVersions = "supported-versions"
	KeyVersion           = "version"
	KeyMaxFrameSize      = "max-frame-size"
	KeyCapabilities      = "capabilities"
	KeyHealthcheck       = "healthcheck"
	KeyEngineID          = "engine-id"
	KeyStatusCode        = "status-code"
	KeyMessage           = "message"
)

// AppendKV appends one KV item: the key as a raw string, then the typed value.
func AppendKV(b []byte, key string, v Value) []byte {
	return AppendValue(AppendRawString(b, key), v)
}

// ConsumeKV decodes one KV item. An empty key is invalid (HAProxy: status 4).
func ConsumeKV(b []byte) (key []byte, v Value, n int) {
	key, n = ConsumeRawBytes(b)
	if n < 0 {
		return nil, Value{}, n
	}
	if len(key) == 0 {
		return nil, Value{}, codeInvalid
	}
	v, m := ConsumeValue(b[n:])
	if m < 0 {
		return nil, Value{}, m
	}
	return key, v, n + m
}

// KVIter walks the KV list of a complete HELLO or DISCONNECT payload.
//
//	it := spopwire.KVs(payload)
//	for key, v, ok := it.Next(); ok; key, v, ok = it.Next() { … }
//	if err := it.Err(); err != nil { … }
type KVIter struct {
	b   []byte
	err error
}

// KVs returns an iterator over the KV items of payload.
func KVs(payload []byte) KVIter { return KVIter{b: payload} }

// Next returns the next item; ok is false at the end of the list or on error.
func (it *KVIter) Next() (key []byte, v Value, ok bool) {
	if len(it.b) == 0 || it.err != nil {
		return nil, Value{}, false
	}
	key, v, n := ConsumeKV(it.b)
	if n < 0 {
		it.err = ParseError(completeFrame(n))
		it.b = nil
		return nil, Value{}, false
	}
	it.b = it.b[n:]
	return key, v, true
}

// Err returns the error that stopped the iteration, if any.
func (it *KVIter) Err() error { return it.err }

// HAProxyHello is the content of a HAPROXY-HELLO frame (ref §4.1, §4.2).
// Byte fields are views into the payload.
type HAProxyHello struct {
	SupportedVersions []byte       // comma-separated list, "2.0" in practice
	MaxFrameSize      uint32       // 0 when absent
	Capabilities      Capabilities // known tokens only
	EngineID          []byte       // empty on health checks
	Healthcheck       bool         // a spop-check probe: answer AGENT-HELLO, then close
}

// ParseHAProxyHello decodes a HAPROXY-HELLO payload. Unknown keys are skipped;
// keys match exactly. Missing keys leave zero values: judging them is the
// caller's job (see VersionSupported).
func ParseHAProxyHello(payload []byte) (HAProxyHello, error) {
	var h HAProxyHello
	it := KVs(payload)
	for key, v, ok := it.Next(); ok; key, v, ok = it.Next() {
		switch string(key) {
		case KeySupportedVersions:
			h.SupportedVersions = v.Bytes()
		case KeyMaxFrameSize:
			h.MaxFrameSize = clampUint32(v)
		case KeyCapabilities:
			h.Capabilities = ParseCapabilities(v.Bytes())
		case KeyEngineID:
			h.EngineID = v.Bytes()
		case KeyHealthcheck:
			h.Healthcheck = v.Bool()
		}
	}
	return h, it.Err()
}

// AppendHAProxyHello appends a whole HAPROXY-HELLO frame with the keys in
// HAProxy's order; EngineID and Healthcheck are sent only when set.
func AppendHAProxyHello(b []byte, h HAProxyHello) []byte {
	b, start := StartFrame(b, FrameHAProxyHello, FlagFin, 0, 0)
	b = AppendKV(b, KeySupportedVersions, BytesStringValue(h.SupportedVersions))
	b = AppendKV(b, KeyMaxFrameSize, Uint32Value(h.MaxFrameSize))
	b = appendCapabilitiesKV(b, h.Capabilities)
	if len(h.EngineID) > 0 {
		b = AppendKV(b, KeyEngineID, BytesStringValue(h.EngineID))
	}
	if h.Healthcheck {
		b = AppendKV(b, KeyHealthcheck, BoolValue(true))
	}
	FinishFrame(b, start)
	return b
}

// AgentHello is the content of an AGENT-HELLO frame (ref §4.3).
type AgentHello struct {
	Version      []byte // "2.0"
	MaxFrameSize uint32
	Capabilities Capabilities
}

// ParseAgentHello decodes an AGENT-HELLO payload.
func ParseAgentHello(payload []byte) (AgentHello, error) {
	var h AgentHello
	it := KVs(payload)
	for key, v, ok := it.Next(); ok; key, v, ok = it.Next() {
		switch string(key) {
		case KeyVersion:
			h.Version = v.Bytes()
		case KeyMaxFrameSize:
			h.MaxFrameSize = clampUint32(v)
		case KeyCapabilities:
			h.Capabilities = ParseCapabilities(v.Bytes())
		}
	}
	return h, it.Err()
}

// AppendAgentHello appends a whole AGENT-HELLO frame carrying version "2.0",
// the max-frame-size (UINT32) and the capabilities — all three keys always, as
// HAProxy 3.x health checks require (ref §4.2).
func AppendAgentHello(b []byte, maxFrameSize uint32, caps Capabilities) []byte {
	b, start := StartFrame(b, FrameAgentHello, FlagFin, 0, 0)
	b = AppendKV(b, KeyVersion, StringValue(Version))
	b = AppendKV(b, KeyMaxFrameSize, Uint32Value(maxFrameSize))
	b = appendCapabilitiesKV(b, caps)
	FinishFrame(b, start)
	return b
}

// Disconnect is the content of a HAPROXY-DISCONNECT or AGENT-DISCONNECT frame.
type Disconnect struct {
	Status  Status
	Message []byte
}

// ParseDisconnect decodes a DISCONNECT payload; any integer type is accepted
// for status-code, as HAProxy does.
func ParseDisconnect(payload []byte) (Disconnect, error) {
	var d Disconnect
	it := KVs(payload)
	for key, v, ok := it.Next(); ok; key, v, ok = it.Next() {
		switch string(key) {
		case KeyStatusCode:
			d.Status = Status(clampUint32(v))
		case KeyMessage:
			d.Message = v.Bytes()
		}
	}
	return d, it.Err()
}

// MaxDisconnectMessage is the longest message HAProxy 2.x accepts in an
// AGENT-DISCONNECT; longer ones make it ignore the frame.
const MaxDisconnectMessage = 255

// AppendDisconnect appends a whole DISCONNECT frame of type t (agent or HAProxy)
// with status-code (UINT32) and message; an empty message is replaced by the
// status's canonical text, and a longer one is cut to MaxDisconnectMessage bytes.
func AppendDisconnect(b []byte, t FrameType, status Status, message string) []byte {
	if message == "" {
		message = status.String()
	}
	if len(message) > MaxDisconnectMessage {
		message = message[:MaxDisconnectMessage]
	}
	b, start := StartFrame(b, t, FlagFin, 0, 0)
	b = AppendKV(b, KeyStatusCode, Uint32Value(uint32(status)))
	b = AppendKV(b, KeyMessage, StringValue(message))
	FinishFrame(b, start)
	return b
}

// clampUint32 reads any integer type as HAProxy does, saturating at 2^32-1.
func clampUint32(v Value) uint32 {
	if !v.Type().IsInteger() {
		return 0
	}
	if v.num > 0xFFFFFFFF {
		return 0xFFFFFFFF
	}
	return uint32(v.num)
}
