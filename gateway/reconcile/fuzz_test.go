package reconcile

import (
	"context"
	"errors"
	"strings"
	"testing"
)

// FuzzReport feeds arbitrary bytes to the report reader: it must either
// refuse them with ErrHeader or a LineError, or hand on lines that name a
// provider and a transaction and carry a positive whole amount.
func FuzzReport(f *testing.F) {
	f.Add([]byte("provider,txn_id,order_id,amount,status,time\nmomo,1001,pay_a-1,8000,success,2026-11-20 01:00:00\n"))
	f.Add([]byte("\ufeffprovider,txn_id,order_id,amount,status,time\r\nvnpay,\"3,1\",x,1,00,2026-11-20T01:00:00+07:00\r\n"))
	f.Add([]byte("provider,txn_id,order_id,amount,status,time\nmomo,1,o,8.5,success,2026-11-20 01:00:00\n"))
	f.Fuzz(func(t *testing.T, report []byte) {
		src, err := newSource(strings.NewReader(string(report)))
		if err != nil {
			var le *LineError
			if !errors.Is(err, ErrHeader) && !errors.As(err, &le) {
				t.Fatalf("header refused with %v", err)
			}
			return
		}
		out := make(chan []row, 1)
		done := make(chan error, 1)
		go func() { done <- src.read(context.Background(), out) }()
		for b := range out {
			for _, r := range b {
				if r.provider == "" || r.txn == "" || len(r.txn) > maxTxn || r.amount <= 0 {
					t.Fatalf("line %d accepted as %+v", r.line, r)
				}
			}
		}
		if err := <-done; err != nil {
			var le *LineError
			if !errors.As(err, &le) || le.Line < 2 {
				t.Fatalf("a bad line refused with %v", err)
			}
		}
	})
}
