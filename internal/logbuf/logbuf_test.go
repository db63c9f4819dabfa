package logbuf_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civicpay/civicpay/internal/logbuf"
)

// sink records each write it receives.
type sink struct {
	mu     sync.Mutex
	writes []string
}

func (s *sink) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes = append(s.writes, string(p))
	return len(p), nil
}

func (s *sink) snapshot() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.writes...)
}

func TestWriterBatches(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		size   int
		lines  []string
		writes []string // what out received before any flush
	}{
		{"small lines wait", 64, []string{"a\n", "b\n"}, nil},
		{"full buffer goes out whole", 4, []string{"ab\n", "cd\n"}, []string{"ab\n"}},
		{"oversized line goes straight through", 4, []string{"a\n", "0123456789\n"}, []string{"a\n", "0123456789\n"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var s sink
			w := logbuf.New(&s, tc.size, time.Hour)
			for _, l := range tc.lines {
				if n, err := w.Write([]byte(l)); n != len(l) || err != nil {
					t.Fatalf("Write(%q) = %d, %v", l, n, err)
				}
			}
			if got := s.snapshot(); strings.Join(got, "|") != strings.Join(tc.writes, "|") {
				t.Fatalf("before Flush out got %q, want %q", got, tc.writes)
			}
			if err := w.Flush(); err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(s.snapshot(), ""); got != strings.Join(tc.lines, "") {
				t.Fatalf("after Flush out has %q, want %q", got, strings.Join(tc.lines, ""))
			}
		})
	}
}

func TestWriterFlushesAfterInterval(t *testing.T) {
	t.Parallel()
	var s sink
	w := logbuf.New(&s, 1<<10, 20*time.Millisecond)
	w.Write([]byte("line\n"))
	deadline := time.Now().Add(5 * time.Second)
	for len(s.snapshot()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the buffered line was never written")
		}
		time.Sleep(5 * time.Millisecond)
	}
	// and again after the buffer emptied (the timer is re-armed)
	w.Write([]byte("two\n"))
	for len(s.snapshot()) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the second line was never written")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestCloseFlushesAndWritesThrough(t *testing.T) {
	t.Parallel()
	var s sink
	w := logbuf.New(&s, 1<<10, time.Hour)
	w.Write([]byte("a\n"))
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("b\n"))
	if got := s.snapshot(); len(got) != 2 || got[0] != "a\n" || got[1] != "b\n" {
		t.Fatalf("out got %q", got)
	}
}

func TestHandlerFlushesWarningsAtOnce(t *testing.T) {
	t.Parallel()
	var s sink
	w := logbuf.New(&s, 1<<10, time.Hour)
	log := slog.New(logbuf.Handler(slog.NewJSONHandler(w, nil), w, slog.LevelWarn)).With("svc", "gw")
	log.Info("request")
	if len(s.snapshot()) != 0 {
		t.Fatal("an info line was written at once")
	}
	log.Warn("breaker open")
	got := strings.Join(s.snapshot(), "")
	if !strings.Contains(got, `"msg":"request"`) || !strings.Contains(got, `"msg":"breaker open","svc":"gw"`) {
		t.Fatalf("after a warning out has %q", got)
	}
}

func TestConcurrentLinesStayWhole(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	var mu sync.Mutex
	w := logbuf.New(writerFunc(func(p []byte) (int, error) { mu.Lock(); defer mu.Unlock(); return out.Write(p) }), 256, time.Millisecond)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				fmt.Fprintf(w, "g%d-%03d\n", g, i)
			}
		})
	}
	wg.Wait()
	w.Close()
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 1600 {
		t.Fatalf("%d lines, want 1600", len(lines))
	}
	for _, l := range lines {
		if len(l) != len("g0-000") {
			t.Fatalf("torn line %q", l)
		}
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
