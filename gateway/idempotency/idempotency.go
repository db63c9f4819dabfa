// Package idempotency makes retried POSTs safe. The key is claimed with an
// INSERT in the same transaction as the work it guards, so:
//   - a retry after success finds the stored response and replays it;
//   - a concurrent request with the same key blocks on the uncommitted row,
//     then replays the winner's response (or, if the winner rolled back,
//     does the work itself);
//   - the same key with a different request is refused.
//
// Only responses produced inside the transaction are stored; a request that
// fails validation before it starts, or whose transaction rolls back, leaves
// no trace and may be retried, as with Stripe.
package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/civicpay/civicpay/gateway/pg"
)

// Retention is how long keys are kept; the guarantee is 24 h.
const Retention = 48 * time.Hour

// Key identifies one logical request of one portal.
type Key struct {
	PortalID string
	Livemode bool
	Key      string
	Method   string
	Path     string
	// Hash is the digest of the request's canonical body (see Hash).
	Hash []byte
}

// Stored is a response to replay.
type Stored struct {
	Status   int
	Body     []byte
	Replayed bool // an earlier request's, not this one's
}

// ErrKeyReused is the same key sent with a different request.
var ErrKeyReused = errors.New("this Idempotency-Key was used with a different request")

// Hash digests a canonical request body.
func Hash(canonical []byte) []byte {
	sum := sha256.Sum256(canonical)
	return sum[:]
}

const claimSQL = `
INSERT INTO idempotency_keys (portal_id, livemode, key, method, path, request_hash, status, response_body)
VALUES ($1, $2, $3, $4, $5, $6, 0, '')
ON CONFLICT DO NOTHING`

const storedSQL = `
SELECT method, path, request_hash, status, response_body FROM idempotency_keys
WHERE portal_id = $1 AND livemode = $2 AND key = $3`

// Claim takes the key for this transaction. It returns nil when the caller
// should do the work, or the earlier response to replay.
func Claim(ctx context.Context, tx pgx.Tx, k Key) (*Stored, error) {
	tag, err := tx.Exec(ctx, claimSQL, k.claimArgs()...)
	if err != nil {
		return nil, pg.Translate(err)
	}
	if tag.RowsAffected() == 1 {
		return nil, nil
	}
	return Replay(ctx, tx, k)
}

// QueueClaim is Claim's INSERT for a batch (see pg.Pipeline): once the
// batch has run, *claimed says whether the work is this request's to do;
// if not, Replay gives the response to send.
func QueueClaim(b *pgx.Batch, k Key, claimed *bool) {
	b.Queue(claimSQL, k.claimArgs()...).Exec(func(tag pgconn.CommandTag) error {
		*claimed = tag.RowsAffected() == 1
		return nil
	})
}

func (k Key) claimArgs() []any {
	return []any{k.PortalID, k.Livemode, k.Key, k.Method, k.Path, k.Hash}
}

// Replay returns the response stored under a key this transaction could
// not claim, or ErrKeyReused if it was stored for a different request.
func Replay(ctx context.Context, q pg.Querier, k Key) (*Stored, error) {
	var method, path string
	var hash []byte
	var s Stored
	if err := q.QueryRow(ctx, storedSQL, k.PortalID, k.Livemode, k.Key).Scan(&method, &path, &hash, &s.Status, &s.Body); err != nil {
		return nil, err
	}
	if method != k.Method || path != k.Path || !bytes.Equal(hash, k.Hash) {
		return nil, ErrKeyReused
	}
	s.Replayed = true
	return &s, nil
}

const finishSQL = `
UPDATE idempotency_keys SET status = $4, response_body = $5
WHERE portal_id = $1 AND livemode = $2 AND key = $3`

// Finish stores the response the work produced, in the same transaction.
func Finish(ctx context.Context, tx pgx.Tx, k Key, status int, body []byte) error {
	_, err := tx.Exec(ctx, finishSQL, k.PortalID, k.Livemode, k.Key, status, body)
	return err
}

// QueueFinish is Finish for a batch, typically the one that commits.
func QueueFinish(b *pgx.Batch, k Key, status int, body []byte) {
	b.Queue(finishSQL, k.PortalID, k.Livemode, k.Key, status, body)
}

// Prune deletes keys older than Retention.
func Prune(ctx context.Context, db pg.Querier, now time.Time) (int64, error) {
	tag, err := db.Exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, now.Add(-Retention))
	return tag.RowsAffected(), err
}

// claimManySQL is claimSQL for many keys in one statement; rows are
// claimed in the order given. A key given twice is claimed once.
const claimManySQL = `
INSERT INTO idempotency_keys (portal_id, livemode, key, method, path, request_hash, status, response_body)
SELECT portal_id, livemode, key, method, path, request_hash, 0, ''
FROM unnest($1::text[], $2::bool[], $3::text[], $4::text[], $5::text[], $6::bytea[])
    AS k(portal_id, livemode, key, method, path, request_hash)
ON CONFLICT DO NOTHING
RETURNING portal_id, livemode, key`

// QueueClaimMany is QueueClaim for many keys in one statement: once the
// batch has run, claimed[i] says whether keys[i]'s work is the caller's.
// Of two equal keys, the first is claimed.
func QueueClaimMany(b *pgx.Batch, keys []Key, claimed []bool) {
	var c struct {
		portals, keys, methods, paths []string
		live                          []bool
		hashes                        [][]byte
	}
	for _, k := range keys {
		c.portals, c.live, c.keys = append(c.portals, k.PortalID), append(c.live, k.Livemode), append(c.keys, k.Key)
		c.methods, c.paths, c.hashes = append(c.methods, k.Method), append(c.paths, k.Path), append(c.hashes, k.Hash)
	}
	b.Queue(claimManySQL, c.portals, c.live, c.keys, c.methods, c.paths, c.hashes).Query(func(rows pgx.Rows) error {
		won := map[ident]bool{}
		for rows.Next() {
			var k ident
			if err := rows.Scan(&k.portal, &k.live, &k.key); err != nil {
				return err
			}
			won[k] = true
		}
		if err := rows.Err(); err != nil {
			return err
		}
		for i, k := range keys {
			id := ident{k.PortalID, k.Livemode, k.Key}
			claimed[i] = won[id]
			delete(won, id) // a twin further on is not the claimer
		}
		return nil
	})
}

// ident is a key's identity in the table.
type ident struct {
	portal string
	live   bool
	key    string
}

// finishManySQL is finishSQL for many keys in one statement.
const finishManySQL = `
UPDATE idempotency_keys k SET status = u.status, response_body = u.body
FROM unnest($1::text[], $2::bool[], $3::text[], $4::int[], $5::bytea[]) AS u(portal_id, livemode, key, status, body)
WHERE k.portal_id = u.portal_id AND k.livemode = u.livemode AND k.key = u.key`

// QueueFinishMany is QueueFinish for many keys in one statement.
func QueueFinishMany(b *pgx.Batch, keys []Key, status []int32, bodies [][]byte) {
	portals, live, ks := make([]string, len(keys)), make([]bool, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		portals[i], live[i], ks[i] = k.PortalID, k.Livemode, k.Key
	}
	b.Queue(finishManySQL, portals, live, ks, status, bodies)
}
