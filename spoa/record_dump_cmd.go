package spoa

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"

	"github.com/spopkit/spopkit/server/record"
	"github.com/spopkit/spopkit/spopwire"
)

// recordDumpCmd prints a recording.
type recordDumpCmd struct {
	File string `arg:"" type:"existingfile" help:"Recording written by --record."`
	JSON bool   `name:"json" help:"Print one JSON object per record instead of text."`
}

// Run prints every record; a torn or corrupt end is reported and makes the
// exit status 1, after the readable records are printed.
func (c *recordDumpCmd) Run(d *deps) error {
	f, err := os.Open(c.File)
	if err != nil {
		return err
	}
	defer f.Close()
	rd, err := record.NewReader(f)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(d.stdout)
	defer w.Flush()
	enc := json.NewEncoder(w)
	for {
		r, err := rd.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			w.Flush()
			return fmt.Errorf("%s: %w", c.File, err)
		}
		if c.JSON {
			if err := enc.Encode(jsonRecord(r)); err != nil {
				return err
			}
			continue
		}
		writeTextRecord(w, r)
	}
}

// dumpArg is one argument or HELLO key in record-dump's JSON.
type dumpArg struct {
	Name  string `json:"name"`
	Type  string `json:"type"`
	Value any    `json:"value"`
}

type dumpMessage struct {
	Name string    `json:"name"`
	Args []dumpArg `json:"args"`
}

type dumpRecord struct {
	Offset   int64         `json:"offset"`
	Time     string        `json:"time"`
	Kind     string        `json:"kind"`
	Conn     uint64        `json:"conn"`
	Stream   *uint64       `json:"stream,omitempty"`
	Frame    *uint64       `json:"frame,omitempty"`
	Hello    []dumpArg     `json:"hello,omitempty"`
	Messages []dumpMessage `json:"messages,omitempty"`
	Error    string        `json:"error,omitempty"`
}

func jsonRecord(r record.Record) dumpRecord {
	out := dumpRecord{Offset: r.Offset, Time: r.Time.UTC().Format(time.RFC3339Nano), Kind: r.Kind.String(), Conn: r.ConnID}
	switch r.Kind {
	case record.KindHello:
		it := spopwire.KVs(r.Payload)
		for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
			out.Hello = append(out.Hello, dumpArg{string(k), v.Type().String(), jsonValue(v)})
		}
		if err := it.Err(); err != nil {
			out.Error = err.Error()
		}
	case record.KindNotify:
		out.Stream, out.Frame = &r.StreamID, &r.FrameID
		out.Messages = []dumpMessage{}
		it := spopwire.Messages(r.Payload)
		for m, ok := it.Next(); ok; m, ok = it.Next() {
			dm := dumpMessage{Name: string(m.Name), Args: []dumpArg{}}
			args := m.Args()
			for a, ok := args.Next(); ok; a, ok = args.Next() {
				dm.Args = append(dm.Args, dumpArg{string(a.Name), a.Value.Type().String(), jsonValue(a.Value)})
			}
			out.Messages = append(out.Messages, dm)
		}
		if err := it.Err(); err != nil {
			out.Error = err.Error()
		}
	}
	return out
}

// jsonValue is v as JSON: numbers, booleans, null, strings; addresses in
// text form and binary in hex.
func jsonValue(v spopwire.Value) any {
	switch t := v.Type(); {
	case t == spopwire.TypeNull:
		return nil
	case t == spopwire.TypeBool:
		return v.Bool()
	case t == spopwire.TypeInt32 || t == spopwire.TypeInt64:
		return v.Int64()
	case t.IsInteger():
		return v.Uint64()
	case t == spopwire.TypeIPv4 || t == spopwire.TypeIPv6:
		return v.Addr().String()
	case t == spopwire.TypeString:
		return string(v.Bytes())
	case t == spopwire.TypeBinary:
		return hex.EncodeToString(v.Bytes())
	}
	return nil
}

// writeTextRecord prints r as a header line and, for a NOTIFY, one indented
// line per message: `  name arg=TYPE value ...`.
func writeTextRecord(w io.Writer, r record.Record) {
	ts := r.Time.UTC().Format(time.RFC3339Nano)
	switch r.Kind {
	case record.KindStart:
		fmt.Fprintf(w, "%d %s START\n", r.Offset, ts)
	case record.KindHello:
		fmt.Fprintf(w, "%d %s conn=%d HELLO", r.Offset, ts, r.ConnID)
		it := spopwire.KVs(r.Payload)
		for k, v, ok := it.Next(); ok; k, v, ok = it.Next() {
			fmt.Fprintf(w, " %s=%s", k, v)
		}
		if err := it.Err(); err != nil {
			fmt.Fprintf(w, " (%v)", err)
		}
		fmt.Fprintln(w)
	case record.KindNotify:
		fmt.Fprintf(w, "%d %s conn=%d stream=%d frame=%d NOTIFY %d bytes\n", r.Offset, ts, r.ConnID, r.StreamID, r.FrameID, len(r.Payload))
		it := spopwire.Messages(r.Payload)
		for m, ok := it.Next(); ok; m, ok = it.Next() {
			fmt.Fprintf(w, "  %s", m.Name)
			args := m.Args()
			for a, ok := args.Next(); ok; a, ok = args.Next() {
				name := string(a.Name)
				if name == "" {
					name = strconv.Quote("")
				}
				fmt.Fprintf(w, " %s=%s", name, a.Value)
			}
			fmt.Fprintln(w)
		}
		if err := it.Err(); err != nil {
			fmt.Fprintf(w, "  (%v)\n", err)
		}
	}
}
