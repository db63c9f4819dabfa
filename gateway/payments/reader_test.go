package payments

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicpay/civicpay/internal/pgtest"
)

const readerFixtures = `
INSERT INTO agencies (code, name, bank_bin, bank_name, account_number, account_name, demo) VALUES
    ('KBNN-HCM', 'Kho bạc Nhà nước TP.HCM (test)', '970415', 'VietinBank', '711179000001', 'KHO BAC NHA NUOC TP HCM', true);
INSERT INTO services (code, agency_code, kind, name_vi, name_en, amount_rule, fixed_amount) VALUES
    ('HT-KHAISINH', 'KBNN-HCM', 'fee', 'Đăng ký khai sinh (lệ phí)', 'Birth registration fee', 'fixed', 8000);
INSERT INTO portals (id, name, webhook_secret) VALUES
    ('por_portalAAAA0001', 'Portal A', 'whsec_a'), ('por_portalBBBB0002', 'Portal B', 'whsec_b');
INSERT INTO payments (id, portal_id, livemode, service_code, agency_code, kind, reference, amount, payment_code, client_token, expires_at, metadata)
SELECT 'pay_rd' || lpad(i::text, 20, '0'), CASE WHEN i % 2 = 0 THEN 'por_portalAAAA0001' ELSE 'por_portalBBBB0002' END, i % 3 = 0,
       'HT-KHAISINH', 'KBNN-HCM', 'fee', 'HS-' || i, 8000 + i, 'CPRD' || i, 'ct_rd' || i, now() + interval '1 day',
       jsonb_build_object('n', i::text)
FROM generate_series(1, 60) AS i;`

// fixtureDB is a database holding readerFixtures, and a context that ends
// with the test.
func fixtureDB(t *testing.T) (context.Context, *pgxpool.Pool) {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	pool := pgtest.New(t)
	if _, err := pool.Exec(ctx, readerFixtures); err != nil {
		t.Fatal(err)
	}
	return ctx, pool
}

// start runs a Reader's or Creator's workers until ctx ends and returns
// once they take requests, so the test's requests are batched.
func start(ctx context.Context, run func(context.Context), running func() bool) {
	go run(ctx)
	for !running() {
		time.Sleep(time.Millisecond)
	}
}

// Concurrent reads share queries, and each still gets exactly its own
// portal's payment in its own mode, as Get would answer it.
func TestReaderBatchesAndKeepsPortalsApart(t *testing.T) {
	t.Parallel()
	ctx, pool := fixtureDB(t)
	var mu sync.Mutex
	var batches []int
	r := &Reader{Pool: pool, Workers: 1, Observe: func(n int) { mu.Lock(); batches = append(batches, n); mu.Unlock() }}
	r.init()
	start(ctx, r.Run, r.q.Running)
	type ask struct {
		i      int
		portal string
		live   bool
	}
	var asks []ask
	for i := 1; i <= 62; i++ { // 61 and 62 do not exist
		own := "por_portalBBBB0002"
		if i%2 == 0 {
			own = "por_portalAAAA0001"
		}
		other := map[string]string{"por_portalAAAA0001": "por_portalBBBB0002", "por_portalBBBB0002": "por_portalAAAA0001"}[own]
		asks = append(asks, ask{i, own, i%3 == 0}, ask{i, other, i%3 == 0}, ask{i, own, i%3 != 0})
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(asks))
	for _, a := range asks {
		wg.Go(func() {
			id := fmt.Sprintf("pay_rd%020d", a.i)
			got, err := r.Get(ctx, a.portal, a.live, id)
			want, wantErr := Get(ctx, pool, a.portal, a.live, id)
			switch {
			case !errors.Is(err, wantErr) && (err != nil || wantErr != nil):
				errs <- fmt.Errorf("%s for %s live=%v: %v, Get says %v", id, a.portal, a.live, err, wantErr)
			case err == nil && (got.ID != want.ID || !got.Amount.Equal(want.Amount) || got.Metadata["n"] != want.Metadata["n"]):
				errs <- fmt.Errorf("%s: got %s %s %v, want %s %s %v", id, got.ID, got.Amount, got.Metadata, want.ID, want.Amount, want.Metadata)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	mu.Lock()
	defer mu.Unlock()
	total, most := 0, 0
	for _, n := range batches {
		total, most = total+n, max(most, n)
	}
	if total != len(asks) {
		t.Errorf("batches answered %d reads, want %d", total, len(asks))
	}
	if most < 2 {
		t.Errorf("%d concurrent reads ran one query each (%d queries)", len(asks), len(batches))
	}
}
