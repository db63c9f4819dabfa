package payments

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/idempotency"
	"github.com/civicpay/civicpay/gateway/pg"
	"github.com/civicpay/civicpay/gateway/portals"
)

// Call is one POST /v1/payments: its idempotency key, its portal, its body
// (already Validated) and the time it arrived.
type Call struct {
	Key idempotency.Key
	Who portals.Principal
	Req CreateRequest
	Now time.Time
}

// CreateOne is the transaction of one POST /v1/payments in three round
// trips (pg.Pipeline): BEGIN, the idempotency claim and the service lookup
// together; the payment's INSERT; the stored response and COMMIT together.
// It returns the response, or the stored one when the key was taken.
func CreateOne(ctx context.Context, pool *pgxpool.Pool, c Call) (*idempotency.Stored, error) {
	var claimed bool
	var svc catalog.ServiceLookup
	first := &pgx.Batch{}
	idempotency.QueueClaim(first, c.Key, &claimed)
	catalog.QueueGetService(first, c.Req.Service, &svc)
	tx, err := pg.BeginPipeline(ctx, pool, first)
	if err != nil {
		return nil, err
	}
	defer tx.Close(ctx)
	if !claimed {
		stored, err := idempotency.Replay(ctx, tx.Conn, c.Key)
		if err != nil {
			return nil, err
		}
		return stored, tx.Commit(ctx, &pgx.Batch{})
	}
	p, err := Create(ctx, tx.Conn, c.Who, c.Req, svc, c.Now)
	if err != nil {
		return nil, err
	}
	res := &idempotency.Stored{Status: http.StatusCreated}
	if res.Body, err = p.View().AppendJSON(nil); err != nil {
		return nil, err
	}
	last := &pgx.Batch{}
	idempotency.QueueFinish(last, c.Key, res.Status, res.Body)
	return res, tx.Commit(ctx, last)
}

// Creator runs concurrent creations in shared transactions, as the settler
// does callbacks: the requests waiting at one moment are claimed, inserted
// and stored by the same three round trips and one commit (each statement
// still its own, pipelined). Per request, that shares out the round trips
// and, above all, the commit's WAL flush. A group that fails (a deadlock
// between two groups claiming the same keys, a constraint) is rolled back
// and its requests are created one by one, so none fails for a neighbour.
// The idempotency guarantees are those of CreateOne: a key is claimed by an
// INSERT in the transaction that stores its response.
type Creator struct {
	Pool *pgxpool.Pool
	// MaxBatch bounds a group; Workers is how many run at once (each holds
	// one connection).
	MaxBatch, Workers int
	// Observe, when set, is told each group's size.
	Observe func(calls int)

	once    sync.Once
	in      chan *createRequest
	running atomic.Int32
}

type createRequest struct {
	Call
	done chan createResult
}

type createResult struct {
	res *idempotency.Stored
	err error
}

func (c *Creator) init() {
	c.once.Do(func() {
		if c.MaxBatch <= 0 {
			c.MaxBatch = 32
		}
		if c.Workers <= 0 {
			c.Workers = 4
		}
		c.in = make(chan *createRequest, c.MaxBatch*c.Workers)
	})
}

// Run creates until ctx ends. Start it once per process; until it runs
// (and after), Create creates on its own.
func (c *Creator) Run(ctx context.Context) {
	c.init()
	c.running.Add(1)
	defer c.running.Add(-1)
	var wg sync.WaitGroup
	for range c.Workers {
		wg.Go(func() { c.loop(ctx) })
	}
	wg.Wait()
}

// Create is CreateOne, grouped with whatever other creations are waiting.
// A computed amount (a quote) reads the quote in the transaction, so such
// a request runs on its own.
func (c *Creator) Create(ctx context.Context, call Call) (*idempotency.Stored, error) {
	if c.running.Load() == 0 || call.Req.Quote != nil {
		return CreateOne(ctx, c.Pool, call)
	}
	req := &createRequest{Call: call, done: make(chan createResult, 1)}
	select {
	case c.in <- req:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	select {
	case r := <-req.done:
		return r.res, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c *Creator) loop(ctx context.Context) {
	batch := make([]*createRequest, 0, c.MaxBatch)
	for {
		batch = batch[:0]
		select {
		case <-ctx.Done():
			return
		case req := <-c.in:
			batch = append(batch, req)
		}
	drain:
		for len(batch) < c.MaxBatch {
			select {
			case req := <-c.in:
				batch = append(batch, req)
			default:
				break drain
			}
		}
		c.process(context.WithoutCancel(ctx), batch)
	}
}

// process answers every request of the batch: from the group, or one by
// one when the group failed or could not place it.
func (c *Creator) process(ctx context.Context, batch []*createRequest) {
	if c.Observe != nil {
		c.Observe(len(batch))
	}
	results, err := c.group(ctx, batch)
	for i, req := range batch {
		if err != nil || results[i] == nil {
			res, err := CreateOne(ctx, c.Pool, req.Call)
			req.done <- createResult{res, err}
			continue
		}
		req.done <- *results[i]
	}
}

// group runs the batch as one transaction. A nil result is a request to
// run on its own (its key's twin in the group rolled its claim back).
func (c *Creator) group(ctx context.Context, batch []*createRequest) ([]*createResult, error) {
	// Keys are claimed in one order, so two groups sharing keys wait for
	// each other rather than deadlock.
	order := make([]int, len(batch))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmpKey(batch[a].Key, batch[b].Key) })
	claimed := make([]bool, len(batch))
	services := map[string]*catalog.ServiceLookup{}
	first := &pgx.Batch{}
	for _, i := range order {
		idempotency.QueueClaim(first, batch[i].Key, &claimed[i])
		if services[batch[i].Req.Service] == nil {
			services[batch[i].Req.Service] = &catalog.ServiceLookup{}
			catalog.QueueGetService(first, batch[i].Req.Service, services[batch[i].Req.Service])
		}
	}
	tx, err := pg.BeginPipeline(ctx, c.Pool, first)
	if err != nil {
		return nil, err
	}
	defer tx.Close(ctx)

	results := make([]*createResult, len(batch))
	created := make([]Payment, len(batch))
	second := &pgx.Batch{}
	for i, req := range batch {
		if !claimed[i] {
			continue // replayed after the commit
		}
		p, err := prepare(ctx, tx.Conn, req.Who, req.Req, *services[req.Req.Service], req.Now)
		if err != nil {
			// As in CreateOne, a refused request leaves no key behind.
			second.Queue(unclaimSQL, req.Key.PortalID, req.Key.Livemode, req.Key.Key)
			results[i] = &createResult{err: err}
			continue
		}
		queueInsert(second, p, &created[i])
	}
	if err := tx.Conn.SendBatch(ctx, second).Close(); err != nil {
		return nil, err
	}
	last := &pgx.Batch{}
	for i, req := range batch {
		if !claimed[i] || results[i] != nil {
			continue
		}
		res := &idempotency.Stored{Status: http.StatusCreated}
		if res.Body, err = created[i].View().AppendJSON(nil); err != nil {
			return nil, err
		}
		idempotency.QueueFinish(last, req.Key, res.Status, res.Body)
		results[i] = &createResult{res: res}
	}
	if err := tx.Commit(ctx, last); err != nil {
		return nil, err
	}
	for i, req := range batch {
		if claimed[i] {
			continue
		}
		// On the group's connection, now out of its transaction: taking a
		// second one while holding this could exhaust the pool.
		stored, err := idempotency.Replay(ctx, tx.Conn, req.Key)
		if errors.Is(err, pgx.ErrNoRows) {
			continue // the key's twin was refused: this one tries for itself
		}
		results[i] = &createResult{stored, err}
	}
	return results, nil
}

// unclaimSQL gives back the key of a request refused after its claim, in
// the group's transaction.
const unclaimSQL = `DELETE FROM idempotency_keys WHERE portal_id = $1 AND livemode = $2 AND key = $3`

func cmpKey(a, b idempotency.Key) int {
	return cmp.Or(cmp.Compare(a.PortalID, b.PortalID), boolCmp(a.Livemode, b.Livemode), cmp.Compare(a.Key, b.Key))
}

func boolCmp(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
