package breaker_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civicpay/civicpay/banks/breaker"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

var errDown = errors.New("connection refused")

func fast(s breaker.Settings) breaker.Settings {
	if s.Backoff == 0 {
		s.Backoff, s.MaxBackoff = time.Millisecond, 2*time.Millisecond
	}
	return s
}

func TestTripsOpensAndProbesClose(t *testing.T) {
	t.Parallel()
	b := breaker.New("momo", fast(breaker.Settings{Failures: 3, Open: 50 * time.Millisecond, Probes: 2, Attempts: 1}), quiet)
	var calls atomic.Int32
	fail := func(context.Context) error { calls.Add(1); return errDown }
	for i := range 3 {
		if err := b.Do(context.Background(), breaker.Call{Op: "create"}, fail); !errors.Is(err, errDown) {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	if b.State() != "open" || !b.Open() {
		t.Fatalf("state after 3 failures = %s", b.State())
	}
	err := b.Do(context.Background(), breaker.Call{Op: "create"}, fail)
	if !errors.Is(err, breaker.ErrOpen) || calls.Load() != 3 {
		t.Fatalf("open breaker: err %v, provider called %d times", err, calls.Load())
	}
	s := b.Snapshot()
	if s.Requests != 3 || s.Failures != 3 || s.ConsecutiveFailures != 3 || s.ShortCircuited != 1 || s.SuccessRate != 0 {
		t.Fatalf("snapshot = %+v", s)
	}

	// A failing probe reopens; a healthy provider closes it after Probes successes.
	var healthy atomic.Bool
	var probes atomic.Int32
	b.SetProbe(func(context.Context) error {
		probes.Add(1)
		if healthy.Load() {
			return nil
		}
		return errDown
	})
	waitState(t, b, "half-open")
	b.MaybeProbe()
	waitState(t, b, "open")
	healthy.Store(true)
	waitState(t, b, "half-open")
	b.MaybeProbe()
	waitState(t, b, "closed")
	if n := probes.Load(); n != 3 {
		t.Fatalf("probes sent = %d, want 1 failing + 2 closing", n)
	}
	if s := b.Snapshot(); s.ConsecutiveFailures != 0 || s.Successes != 2 {
		t.Fatalf("after recovery: %+v", s)
	}
}

func waitState(t *testing.T, b *breaker.Breaker, want string) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for b.State() != want {
		if time.Now().After(deadline) {
			t.Fatalf("state = %s, want %s", b.State(), want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		repeatable bool
		err        error
		wantCalls  int32
		wantState  string
	}{
		{"repeatable failure is retried", true, errDown, 3, "closed"},
		{"a create without dedupe is sent once", false, errDown, 1, "closed"},
		{"a refusal is not retried", true, breaker.Rejected(errors.New("resultCode 21")), 1, "closed"},
		{"permanent is not retried", true, breaker.Permanent(errDown), 1, "closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := breaker.New("zalopay", fast(breaker.Settings{Failures: 5, Attempts: 3}), quiet)
			var calls atomic.Int32
			err := b.Do(context.Background(), breaker.Call{Op: "query", Repeatable: tt.repeatable}, func(context.Context) error {
				calls.Add(1)
				return tt.err
			})
			if !errors.Is(err, tt.err) || calls.Load() != tt.wantCalls || b.State() != tt.wantState {
				t.Fatalf("err %v, calls %d, state %s", err, calls.Load(), b.State())
			}
			var ce *breaker.CallError
			if !errors.As(err, &ce) || ce.Provider != "zalopay" || ce.Op != "query" {
				t.Fatalf("error does not name the call: %v", err)
			}
		})
	}
}

func TestRefusalsDoNotTrip(t *testing.T) {
	t.Parallel()
	b := breaker.New("vnpay", fast(breaker.Settings{Failures: 2}), quiet)
	for range 10 {
		_ = b.Do(context.Background(), breaker.Call{Op: "query"}, func(context.Context) error {
			return breaker.Rejected(errors.New("91 not found"))
		})
	}
	if s := b.Snapshot(); s.State != "closed" || s.Successes != 10 || s.SuccessRate != 1 {
		t.Fatalf("refusals tripped the breaker: %+v", s)
	}
}

func TestTimeoutPerTry(t *testing.T) {
	t.Parallel()
	b := breaker.New("momo", fast(breaker.Settings{Timeout: 30 * time.Millisecond, Attempts: 2}), quiet)
	start := time.Now()
	err := b.Do(context.Background(), breaker.Call{Op: "create", Repeatable: true}, func(ctx context.Context) error {
		<-ctx.Done()
		return ctx.Err()
	})
	if !errors.Is(err, breaker.ErrTimeout) {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("two 30ms tries took %s", d)
	}
	if s := b.Snapshot(); s.Failures != 1 || s.Requests != 1 {
		t.Fatalf("a retried call must count once: %+v", s)
	}
}

func TestCallerCancelDoesNotCount(t *testing.T) {
	t.Parallel()
	b := breaker.New("momo", fast(breaker.Settings{Failures: 1}), quiet)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := b.Do(ctx, breaker.Call{Op: "create", Repeatable: true}, func(ctx context.Context) error { return ctx.Err() })
	if !errors.Is(err, breaker.ErrCanceled) || b.State() != "closed" || b.Snapshot().Requests != 0 {
		t.Fatalf("err %v, state %s, %+v", err, b.State(), b.Snapshot())
	}
}

func TestConcurrencyBoundFailsFast(t *testing.T) {
	t.Parallel()
	b := breaker.New("momo", fast(breaker.Settings{MaxConcurrent: 2, Timeout: 5 * time.Second}), quiet)
	release := make(chan struct{})
	var started, wg sync.WaitGroup
	for range 2 {
		started.Add(1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = b.Do(context.Background(), breaker.Call{Op: "create"}, func(context.Context) error {
				started.Done()
				<-release
				return nil
			})
		}()
	}
	started.Wait()
	start := time.Now()
	err := b.Do(context.Background(), breaker.Call{Op: "create"}, func(context.Context) error {
		t.Error("a third call ran while two held every slot")
		return nil
	})
	if !errors.Is(err, breaker.ErrBusy) || !errors.Is(err, breaker.ErrOpen) || time.Since(start) > time.Second {
		t.Fatalf("err %v after %s", err, time.Since(start))
	}
	if s := b.Snapshot(); s.InFlight != 2 || s.ShortCircuited != 1 {
		t.Fatalf("snapshot %+v", s)
	}
	close(release)
	wg.Wait()
}

func TestBackoffDelay(t *testing.T) {
	t.Parallel()
	p := breaker.Backoff{Attempts: 5, Base: 100 * time.Millisecond, Max: 300 * time.Millisecond}
	for _, tc := range []struct {
		try     int
		ceiling time.Duration
	}{{1, 100 * time.Millisecond}, {2, 200 * time.Millisecond}, {3, 300 * time.Millisecond}, {9, 300 * time.Millisecond}} {
		for range 200 {
			if d := p.Delay(tc.try); d < 0 || d >= tc.ceiling {
				t.Fatalf("Delay(%d) = %s, want [0, %s)", tc.try, d, tc.ceiling)
			}
		}
	}
}

func TestRetryStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	p := breaker.Backoff{Attempts: 100, Base: time.Hour, Max: time.Hour}
	tries := 0
	go func() { time.Sleep(20 * time.Millisecond); cancel() }()
	err := p.Retry(ctx, func(int) error { tries++; return errDown })
	if !errors.Is(err, errDown) || tries != 1 {
		t.Fatalf("err %v after %d tries", err, tries)
	}
}

func TestPost(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			_, _ = io.WriteString(w, `{"resultCode":0}`)
		case "/500":
			http.Error(w, "boom", 500)
		case "/429":
			http.Error(w, "slow down", 429)
		case "/400":
			w.WriteHeader(400)
			_, _ = io.WriteString(w, `{"resultCode":20}`)
		}
	}))
	t.Cleanup(srv.Close)
	tests := []struct {
		path     string
		body     string
		rejected bool
		status   int
	}{
		{"/ok", `{"resultCode":0}`, false, 0},
		{"/500", "", false, 500},
		{"/429", "", false, 429},
		{"/400", `{"resultCode":20}`, true, 400},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			body, err := breaker.Post(context.Background(), srv.Client(), srv.URL+tt.path, "application/json", []byte("{}"))
			var se *breaker.StatusError
			if string(body) != tt.body || errors.Is(err, breaker.ErrRejected) != tt.rejected ||
				(tt.status != 0) != errors.As(err, &se) || (se != nil && se.Code != tt.status) {
				t.Fatalf("Post = %q, %v", body, err)
			}
		})
	}
	_, err := breaker.Post(context.Background(), srv.Client(), "http://127.0.0.1:1/", "application/json", nil)
	if err == nil || errors.Is(err, breaker.ErrRejected) {
		t.Fatalf("refused connection = %v, want a failure", err)
	}
}

func TestParsePerProvider(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		def     int
		momo    int
		zalopay int
		bad     bool
	}{
		{"5", 5, 5, 5, false},
		{"5,momo=3", 5, 3, 5, false},
		{" momo = 3 , zalopay=10 ", 0, 3, 10, false},
		{"", 0, 0, 0, false},
		{"5,6", 0, 0, 0, true},
		{"momo=3,momo=4", 0, 0, 0, true},
		{"MoMo=3", 0, 0, 0, true},
		{"momo=0", 0, 0, 0, true},
		{"momo=x", 0, 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			t.Parallel()
			p, err := breaker.ParsePerProvider(tt.in, breaker.PositiveInt)
			if (err != nil) != tt.bad {
				t.Fatalf("err = %v", err)
			}
			if !tt.bad && (p.Default != tt.def || p.For("momo") != tt.momo || p.For("zalopay") != tt.zalopay) {
				t.Fatalf("parsed %+v", p)
			}
		})
	}
	d, err := breaker.ParsePerProvider("30s,momo=250ms", breaker.PositiveDuration)
	if err != nil || d.For("vnpay") != 30*time.Second || d.For("momo") != 250*time.Millisecond {
		t.Fatalf("durations: %+v %v", d, err)
	}
}

func FuzzParsePerProvider(f *testing.F) {
	f.Add("5,momo=3")
	f.Add("30s,zalopay=1m")
	f.Add(",,=")
	f.Fuzz(func(t *testing.T, s string) {
		p, err := breaker.ParsePerProvider(s, breaker.PositiveInt)
		if err != nil {
			return
		}
		for name, v := range p.By {
			if v < 1 || name == "" || p.For(name) != v {
				t.Fatalf("%q parsed to %+v", s, p)
			}
		}
	})
}
