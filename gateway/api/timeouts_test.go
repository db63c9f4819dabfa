package api_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/civicpay/civicpay/gateway/api"
	"github.com/civicpay/civicpay/internal/gatewaytest"
)

// serveWith runs the gateway's handler in the server `civicpay serve`
// builds, with the given deadlines, on a loopback port.
func serveWith(t *testing.T, g *gatewaytest.Gateway, to api.Timeouts) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := api.HTTPServer(g.Server.Echo, to)
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return ln.Addr().String()
}

func TestSlowBodyIsCutOffAtTheReadDeadline(t *testing.T) {
	t.Parallel()
	g := gatewaytest.Start(t)
	const read = 500 * time.Millisecond
	addr := serveWith(t, g, api.Timeouts{ReadHeader: read, Read: read, Write: 5 * time.Second, Idle: 5 * time.Second})

	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	start := time.Now()
	// One byte of a declared hundred, then silence.
	_, err = io.WriteString(conn, "POST /v1/payments HTTP/1.1\r\nHost: gw\r\nAuthorization: Bearer "+g.Portal.TestKey+
		"\r\nIdempotency-Key: slow-1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
	if err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second)) // the test's own guard
	answer, err := io.ReadAll(conn)                            // returns when the server closes
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("the connection was still open after %s: %v", elapsed, err)
	}
	if elapsed > read+time.Second {
		t.Fatalf("the server held the connection %s, read deadline %s", elapsed, read)
	}
	if !strings.HasPrefix(string(answer), "HTTP/1.1 408") || !strings.Contains(string(answer), `"code":"request_timeout"`) {
		t.Fatalf("answer %q", answer)
	}
}

func TestStatusStreamOutlivesTheServerDeadlines(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		opts []gatewaytest.Option
	}{
		{"adopted by the hub", nil},
		{"served by its handler", []gatewaytest.Option{func(d *api.Deps) { d.Hub = nil }}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			g := gatewaytest.Start(t, tc.opts...)
			const deadline = 300 * time.Millisecond
			addr := serveWith(t, g, api.Timeouts{ReadHeader: deadline, Read: deadline, Write: deadline, Idle: deadline})
			pay := g.Do(t, "POST", "/v1/payments", g.Portal.TestKey, feeBody("HS-2026-000950"), "Idempotency-Key", "sse-deadline").JSON(t)
			id, token := pay["id"].(string), pay["client_token"].(string)
			if g.App.Hub != nil && tc.opts == nil {
				waitFor(t, "the status hub to listen", g.App.Hub.Listening)
			}
			res, err := http.Get("http://" + addr + "/v1/payments/" + id + "/stream?client_token=" + token)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			events := make(chan string, 4)
			go func() {
				sc := bufio.NewScanner(res.Body)
				for sc.Scan() {
					if strings.HasPrefix(sc.Text(), "data: ") {
						events <- sc.Text()
					}
				}
				close(events)
			}()
			if first := <-events; first != `data: {"status":"requires_payment_method"}` {
				t.Fatalf("first event %q", first)
			}
			time.Sleep(4 * deadline) // past the read, write and idle deadlines
			if res := g.Do(t, "POST", "/v1/payments/"+id+"/cancel", g.Portal.TestKey, nil); res.Status != 200 {
				t.Fatalf("cancel = %d %s", res.Status, res.Body)
			}
			select {
			case ev, ok := <-events:
				if !ok || ev != `data: {"status":"canceled"}` {
					t.Fatalf("after the deadlines the stream gave %q (open: %v)", ev, ok)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("no event after the deadlines")
			}
		})
	}
}
