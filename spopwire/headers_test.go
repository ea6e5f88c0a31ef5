package spopwire_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/spopkit/spopkit/spopwire"
)

type header struct{ name, value string }

func readHeaders(b []byte) ([]header, error) {
	var hs []header
	it := spopwire.Headers(b)
	for name, value, ok := it.Next(); ok; name, value, ok = it.Next() {
		hs = append(hs, header{string(name), string(value)})
	}
	return hs, it.Err()
}

func headersEqual(a, b []header) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

var long300 = strings.Repeat("v", 300)

func TestHeaders(t *testing.T) {
	tests := []struct {
		name    string
		headers []header
		raw     string
	}{
		// Ref §11, observed: duplicates kept in order, 00 00 at the end.
		{"ref §11", []header{
			{"host", "127.0.0.1:18080"}, {"user-agent", "curl/7.88.1"}, {"accept", "*/*"},
			{"x-dup", "a"}, {"x-dup", "b"},
		}, `04 "host" 0f "127.0.0.1:18080" 0a "user-agent" 0b "curl/7.88.1" 06 "accept"
			03 "*/*" 05 "x-dup" 01 "a" 05 "x-dup" 01 "b" 00 00`},
		{"none", nil, "00 00"},
		{"empty value", []header{{"x-empty", ""}}, `07 "x-empty" 00 00 00`},
		// A 300-byte value has the length fc 03.
		{"long value", []header{{"cookie", long300}}, `06 "cookie" fc 03 "` + long300 + `" 00 00`},
		{"binary value", []header{{"x-bin", "\x00\r\n\xff"}}, `05 "x-bin" 04 00 0d 0a ff 00 00`},
	}
	for _, tt := range tests {
		raw := dhex(tt.raw)
		var b []byte
		for _, h := range tt.headers {
			b = spopwire.AppendHeader(b, h.name, h.value)
		}
		b = spopwire.AppendHeadersEnd(b)
		if !bytes.Equal(b, raw) {
			t.Errorf("%s: AppendHeader/AppendHeadersEnd = %x; want %x", tt.name, b, raw)
		}
		got, err := readHeaders(raw)
		if err != nil || !headersEqual(got, tt.headers) {
			t.Errorf("%s: Headers(%x) = %q, %v; want %q, nil", tt.name, raw, got, err, tt.headers)
		}
		it := spopwire.Headers(raw)
		for name, value, ok := it.Next(); ok; name, value, ok = it.Next() {
			if !within(name, raw) || !within(value, raw) {
				t.Errorf("%s: Headers: %q: %q is not a view into the block", tt.name, name, value)
			}
		}
	}
}

func TestHeadersEnd(t *testing.T) {
	tests := []struct {
		name    string
		raw     string
		want    []header
		wantErr error
	}{
		// An empty name ends the block, whatever follows (ref §11).
		{"bytes after the end marker", `01 "a" 01 "1" 00 00 01 "b" 01 "2"`, []header{{"a", "1"}}, nil},
		{"empty name alone", `01 "a" 01 "1" 00`, []header{{"a", "1"}}, nil},
		{"empty name with a value", `00 03 "xyz" 01 "b" 01 "2"`, nil, nil},
		// No end marker: the iteration just stops at the end of the value.
		{"no end marker", `01 "a" 01 "1"`, []header{{"a", "1"}}, nil},
		{"empty block", ``, nil, nil},

		// Cut inside a header: the BINARY value's length is final.
		{"value cut", `01 "a" 05 "12"`, nil, spopwire.ErrInvalidFrame},
		{"value length missing", `01 "a"`, nil, spopwire.ErrInvalidFrame},
		{"name cut", `01 "a" 01 "1" 05 "ho"`, []header{{"a", "1"}}, spopwire.ErrInvalidFrame},
		{"overlong length", `01 "a" ff ff ff ff ff ff ff ff ff 7f`, nil, spopwire.ErrInvalidFrame},
	}
	for _, tt := range tests {
		raw := dhex(tt.raw)
		got, err := readHeaders(raw)
		if err != tt.wantErr || !headersEqual(got, tt.want) {
			t.Errorf("%s: Headers(%x) = %q, %v; want %q, %v", tt.name, raw, got, err, tt.want, tt.wantErr)
		}
	}
}
