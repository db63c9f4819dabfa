// Package logbuf batches log lines into few write calls.
//
// The gateway writes an access-log line per request. Written one by one,
// each line is a write system call, which on a busy 2-core machine cost
// about as much CPU as encoding the response. A Writer keeps lines in a
// buffer and writes them together when it fills, after a short interval,
// at once for warnings and errors (see Handler), and on Close. What a
// crash can lose is at most the last interval of info lines.
package logbuf

import (
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Writer is an io.Writer that buffers whole writes (one log record each)
// and passes them on in batches. It is safe for concurrent use.
type Writer struct {
	mu       sync.Mutex
	out      io.Writer
	buf      []byte
	size     int
	interval time.Duration
	timer    *time.Timer // armed while buf holds lines
	closed   bool
	err      error // the last error writing to out, returned by Flush
}

// New returns a Writer that flushes to out when size bytes are buffered
// or interval after the first buffered line, whichever comes first.
func New(out io.Writer, size int, interval time.Duration) *Writer {
	return &Writer{out: out, size: size, interval: interval, buf: make([]byte, 0, size)}
}

// Write buffers p, which is never split across two writes to out. After
// Close it writes through.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return w.out.Write(p)
	}
	if len(w.buf)+len(p) > w.size {
		w.flushLocked()
		if len(p) > w.size {
			return w.out.Write(p)
		}
	}
	if len(w.buf) == 0 {
		if w.timer == nil {
			w.timer = time.AfterFunc(w.interval, func() { w.Flush() })
		} else {
			w.timer.Reset(w.interval)
		}
	}
	w.buf = append(w.buf, p...)
	return len(p), nil
}

// Flush writes what is buffered.
func (w *Writer) Flush() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushLocked()
	return w.err
}

func (w *Writer) flushLocked() {
	if len(w.buf) == 0 {
		return
	}
	if w.timer != nil {
		w.timer.Stop()
	}
	if _, err := w.out.Write(w.buf); err != nil {
		w.err = err
	}
	w.buf = w.buf[:0]
}

// Close flushes and makes later writes go straight through, so that the
// last lines of a shutdown are not lost.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.flushLocked()
	w.closed = true
	return w.err
}

// Handler wraps h, which writes to w, so that records at level or above
// (warnings, errors) are written out at once rather than batched.
func Handler(h slog.Handler, w *Writer, level slog.Level) slog.Handler {
	return &flushing{Handler: h, w: w, level: level}
}

type flushing struct {
	slog.Handler
	w     *Writer
	level slog.Level
}

func (h *flushing) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= h.level {
		h.w.Flush()
	}
	return err
}

func (h *flushing) WithAttrs(as []slog.Attr) slog.Handler {
	return &flushing{Handler: h.Handler.WithAttrs(as), w: h.w, level: h.level}
}

func (h *flushing) WithGroup(name string) slog.Handler {
	return &flushing{Handler: h.Handler.WithGroup(name), w: h.w, level: h.level}
}
