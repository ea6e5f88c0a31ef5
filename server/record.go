package server

// Recorder observes what HAProxy sends, for capture (Config.Recorder;
// package server/record writes recordings). Its methods run on the event
// loop, synchronously, and must neither block nor keep payload: it is a view
// into a buffer that is reused as soon as they return.
type Recorder interface {
	// RecordHello is called with the HAPROXY-HELLO payload (KV-LIST) of each
	// connection whose handshake succeeds (health checks excluded).
	RecordHello(connID uint64, payload []byte)
	// RecordNotify is called with each complete NOTIFY payload
	// (LIST-OF-MESSAGES, fragments reassembled) just before the handler runs.
	RecordNotify(connID, streamID, frameID uint64, payload []byte)
}
