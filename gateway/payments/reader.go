package payments

import (
	"context"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/jackc/pgx/v5/pgxpool"
)

// Reader answers Get for concurrent requests with one query per batch, as
// the settler does for callbacks: under load, a statement's fixed cost (a
// round trip on each side, bind, executor start) is shared by every read
// waiting at that moment. A read that finds no company runs alone at once,
// so it waits for nothing. Each read sees what was committed before its
// query began, as a query of its own would.
type Reader struct {
	Pool *pgxpool.Pool
	// MaxBatch bounds one query; Workers is how many run at once (each
	// holds one connection). Two by default: one query runs while the next
	// batch gathers (on two cores, 15k reads/s with two, 13.8k with four).
	MaxBatch, Workers int
	// Observe, when set, is told each query's batch size.
	Observe func(reads int)

	once    sync.Once
	in      chan *getRequest
	running atomic.Int32
}

type getRequest struct {
	portal string
	live   bool
	id     string
	done   chan getResult
}

type getResult struct {
	p   Payment
	err error
}

func (r *Reader) init() {
	r.once.Do(func() {
		if r.MaxBatch <= 0 {
			r.MaxBatch = 64
		}
		if r.Workers <= 0 {
			r.Workers = 2
		}
		r.in = make(chan *getRequest, r.MaxBatch*r.Workers)
	})
}

// Run serves reads until ctx ends. Start it once per process; until it
// runs (and after), Get reads on its own.
func (r *Reader) Run(ctx context.Context) {
	r.init()
	var wg sync.WaitGroup
	r.running.Add(1)
	defer r.running.Add(-1)
	for range r.Workers {
		wg.Go(func() { r.loop(ctx) })
	}
	wg.Wait()
}

// Get is the package's Get, batched with whatever other reads are waiting.
func (r *Reader) Get(ctx context.Context, portalID string, livemode bool, id string) (Payment, error) {
	if r.running.Load() == 0 {
		return Get(ctx, r.Pool, portalID, livemode, id)
	}
	req := &getRequest{portal: portalID, live: livemode, id: id, done: make(chan getResult, 1)}
	select {
	case r.in <- req:
	case <-ctx.Done():
		return Payment{}, ctx.Err()
	}
	select {
	case res := <-req.done:
		return res.p, res.err
	case <-ctx.Done():
		return Payment{}, ctx.Err()
	}
}

func (r *Reader) loop(ctx context.Context) {
	batch := make([]*getRequest, 0, r.MaxBatch)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return
		case req := <-r.in:
			batch = append(batch, req)
		}
	drain:
		for len(batch) < r.MaxBatch {
			select {
			case req := <-r.in:
				batch = append(batch, req)
			default:
				break drain
			}
		}
		r.fetch(context.WithoutCancel(ctx), batch)
	}
}

// batchSQL reads the batch's payments by id; whose they are is checked
// per request, so another portal's payment is not found, as with Get.
const batchSQL = `SELECT ` + columns + ` FROM payments WHERE id = ANY($1::text[])`

func (r *Reader) fetch(ctx context.Context, batch []*getRequest) {
	ids := make([]string, len(batch))
	for i, req := range batch {
		ids[i] = req.id
	}
	if r.Observe != nil {
		r.Observe(len(batch))
	}
	found, err := r.query(ctx, ids)
	for _, req := range batch {
		res := getResult{err: err}
		if err == nil {
			p, ok := found[req.id]
			switch {
			case !ok || p.PortalID != req.portal || p.Livemode != req.live:
				res.err = ErrNotFound
			default:
				p.Metadata = maps.Clone(p.Metadata) // requests for one id share nothing
				res.p = p
			}
		}
		req.done <- res
	}
}

func (r *Reader) query(ctx context.Context, ids []string) (map[string]Payment, error) {
	rows, err := r.Pool.Query(ctx, batchSQL, ids)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	found := make(map[string]Payment, len(ids))
	for rows.Next() {
		p, err := scan(rows)
		if err != nil {
			return nil, err
		}
		found[p.ID] = p
	}
	return found, rows.Err()
}
