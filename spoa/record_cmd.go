package spoa

import (
	"fmt"
	"log/slog"

	"github.com/spopkit/spopkit/server/record"
)

// RecordFlags are the capture flags every agent has (docs/RECORDING.md).
type RecordFlags struct {
	Record         string   `type:"path" env:"SPOA_RECORD" placeholder:"FILE" help:"Record every HELLO and NOTIFY received to FILE (docs/RECORDING.md), for spoa record-dump, spoa replay and spoptest.Replay. SIGHUP reopens it."`
	RecordMaxBytes int64    `default:"0" env:"SPOA_RECORD_MAX_BYTES" placeholder:"BYTES" help:"Rotate the recording to FILE.1 when it would grow past this size; 0 means no limit."`
	RecordSample   uint64   `env:"SPOA_RECORD_SAMPLE" placeholder:"N" help:"Record one NOTIFY in N; 0 or 1 records every one."`
	RecordRedact   []string `env:"SPOA_RECORD_REDACT" placeholder:"MSG.ARG" help:"Record these message arguments with the zero value of their type instead of their value (MSG.* for all of MSG's)."`
}

// validate checks the capture flags with the command line, so that a
// misused one is a usage error before the agent starts.
func (f *RecordFlags) validate() error {
	if f.Record == "" {
		if f.RecordMaxBytes != 0 || f.RecordSample > 1 || len(f.RecordRedact) > 0 {
			return fmt.Errorf("--record-max-bytes, --record-sample and --record-redact need --record")
		}
		return nil
	}
	if f.RecordMaxBytes < 0 {
		return fmt.Errorf("--record-max-bytes cannot be negative")
	}
	if _, err := record.ParseRedaction(f.RecordRedact); err != nil {
		return fmt.Errorf("--record-redact: %w", err)
	}
	return nil
}

// openRecorder starts the recording asked for, or returns nil. The flags
// were validated with the command line.
func (f *RecordFlags) openRecorder(log *slog.Logger) (*record.Writer, error) {
	if f.Record == "" {
		return nil, nil
	}
	red, err := record.ParseRedaction(f.RecordRedact)
	if err != nil {
		return nil, fmt.Errorf("--record-redact: %w", err)
	}
	w, err := record.Create(f.Record, record.Options{
		MaxBytes: f.RecordMaxBytes,
		Sample:   f.RecordSample,
		Redact:   red,
		Logger:   log,
	})
	if err != nil {
		return nil, fmt.Errorf("--record: %w", err)
	}
	log.Info("recording", "path", f.Record, "max_bytes", f.RecordMaxBytes, "sample", f.RecordSample, "redact", f.RecordRedact)
	return w, nil
}

// reopenRecording reopens the --record file on SIGHUP (log rotation).
func reopenRecording(w *record.Writer, log *slog.Logger) {
	if w == nil {
		return
	}
	if err := w.Reopen(); err != nil {
		log.Error("SIGHUP: reopening the recording", "err", err)
		return
	}
	log.Info("SIGHUP: recording reopened")
}
