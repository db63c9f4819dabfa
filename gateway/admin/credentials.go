package admin

import (
	"context"
	"errors"

	"github.com/jackc/pgx/v5"

	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/credentials"
	"github.com/civicpay/civicpay/gateway/pg"
)

// ErrNoMasterKey is a credentials change on a gateway started without
// CIVICPAY_MASTER_KEY_FILE.
var ErrNoMasterKey = errors.New("no master key is configured (CIVICPAY_MASTER_KEY_FILE); credentials cannot be stored")

// Credentials lists an agency's provider credentials (hints only);
// operators, support, and staff of the agency.
func Credentials(ctx context.Context, db pg.Querier, by Principal, agency string) ([]credentials.View, error) {
	if err := by.Allow(false, agency); err != nil {
		return nil, err
	}
	if _, err := catalog.GetAgency(ctx, db, agency); err != nil {
		return nil, err
	}
	return credentials.List(ctx, db, agency)
}

// SetCredentials stores an agency's credentials for a provider and mode,
// sealed under ring; operators and staff of the agency. The audit record
// holds the hints only.
func SetCredentials(ctx context.Context, db pg.TxBeginner, ring *credentials.Keyring, by Principal, agency string, live bool, provider string, in credentials.Input) (credentials.View, error) {
	if err := by.Allow(true, agency); err != nil {
		return credentials.View{}, err
	}
	if ring == nil {
		return credentials.View{}, ErrNoMasterKey
	}
	var out credentials.View
	err := pg.InTx(ctx, db, func(tx pgx.Tx) error {
		if _, err := catalog.GetAgency(ctx, tx, agency); err != nil {
			return err
		}
		before, after, err := credentials.Set(ctx, tx, ring, agency, live, provider, in)
		if err != nil {
			return err
		}
		out = after
		var b any
		if before != nil {
			b = before
		}
		mode := "test"
		if live {
			mode = "live"
		}
		return Record(ctx, tx, by, "credentials.set", "credentials", agency+"/"+mode+"/"+provider, agency, b, after)
	})
	return out, err
}

// RotateMaster re-wraps every credential record under next, and records it.
func RotateMaster(ctx context.Context, db pg.TxBeginner, by Principal, old, next *credentials.Keyring) (int, error) {
	if by.Role != Operator {
		return 0, ErrForbidden
	}
	var n int
	err := pg.InTx(ctx, db, func(tx pgx.Tx) error {
		var err error
		if n, err = credentials.RotateMaster(ctx, tx, old, next); err != nil {
			return err
		}
		return Record(ctx, tx, by, "credentials.rotate_master", "master_key", next.ID(), "",
			map[string]string{"kek_id": old.ID()}, map[string]any{"kek_id": next.ID(), "records": n})
	})
	return n, err
}
