package admin

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/pg"
	"github.com/civicpay/civicpay/gateway/portals"
)

// The audited operations: each checks the principal's role, makes the
// change with the domain package and writes its audit record in the same
// transaction. The API and the CLI call these, never the domain packages'
// writers directly.

// Agencies lists the agencies the principal sees (inactive ones too).
func Agencies(ctx context.Context, db pg.Querier, by Principal) ([]catalog.Agency, error) {
	all, err := catalog.AllAgencies(ctx, db)
	if err != nil {
		return nil, err
	}
	out := all[:0]
	for _, a := range all {
		if by.Sees(a.Code) {
			out = append(out, a)
		}
	}
	return out, nil
}

// Agency returns one agency the principal sees.
func Agency(ctx context.Context, db pg.Querier, by Principal, code string) (catalog.Agency, error) {
	if err := by.Allow(false, code); err != nil {
		return catalog.Agency{}, err
	}
	return catalog.GetAgency(ctx, db, code)
}

// CreateAgency adds an agency; only operators may.
func CreateAgency(ctx context.Context, db pg.TxBeginner, by Principal, in catalog.AgencyInput) (catalog.Agency, error) {
	if err := by.Allow(true, ""); err != nil {
		return catalog.Agency{}, err
	}
	var out catalog.Agency
	err := pg.InTx(ctx, db, func(tx pgx.Tx) error {
		var err error
		if out, err = catalog.CreateAgency(ctx, tx, in); err != nil {
			return err
		}
		return Record(ctx, tx, by, "agency.create", "agency", out.Code, out.Code, nil, out)
	})
	return out, err
}

// UpdateAgency changes an agency; operators, and staff of that agency.
func UpdateAgency(ctx context.Context, db pg.TxBeginner, by Principal, code string, in catalog.AgencyInput) (catalog.Agency, error) {
	if err := by.Allow(true, code); err != nil {
		return catalog.Agency{}, err
	}
	var out catalog.Agency
	err := pg.InTx(ctx, db, func(tx pgx.Tx) error {
		before, after, err := catalog.UpdateAgency(ctx, tx, code, in)
		if err != nil {
			return err
		}
		out = after
		return Record(ctx, tx, by, "agency.update", "agency", code, code, before, after)
	})
	return out, err
}

// Portals lists the portals; operators and support.
func Portals(ctx context.Context, db pg.Querier, by Principal) ([]portals.Portal, error) {
	if err := by.Allow(false, ""); err != nil {
		return nil, err
	}
	return portals.List(ctx, db)
}

// Portal returns one portal with its keys; operators and support.
func Portal(ctx context.Context, db pg.Querier, by Principal, id string) (portals.Portal, []portals.APIKey, error) {
	if err := by.Allow(false, ""); err != nil {
		return portals.Portal{}, nil, err
	}
	p, err := portals.Get(ctx, db, id, false)
	if err != nil {
		return p, nil, err
	}
	keys, err := portals.Keys(ctx, db, id)
	return p, keys, err
}

// CreatePortal makes a portal with its keys and webhook secret, shown once.
func CreatePortal(ctx context.Context, db pg.TxBeginner, by Principal, n portals.NewPortal) (portals.Created, error) {
	if err := by.Allow(true, ""); err != nil {
		return portals.Created{}, err
	}
	var out portals.Created
	err := pg.InTx(ctx, db, func(tx pgx.Tx) error {
		var err error
		if out, err = portals.CreatePortal(ctx, tx, n); err != nil {
			return err
		}
		view, err := portals.Get(ctx, tx, out.ID, false)
		if err != nil {
			return err
		}
		return Record(ctx, tx, by, "portal.create", "portal", out.ID, "", nil, view)
	})
	return out, err
}

// UpdatePortal changes a portal's name, webhook URL, agencies or rate limit.
func UpdatePortal(ctx context.Context, db pg.TxBeginner, by Principal, id string, in portals.PortalPatch) (portals.Portal, error) {
	if err := by.Allow(true, ""); err != nil {
		return portals.Portal{}, err
	}
	var out portals.Portal
	err := pg.InTx(ctx, db, func(tx pgx.Tx) error {
		before, after, err := portals.Update(ctx, tx, id, in)
		if err != nil {
			return err
		}
		out = after
		return Record(ctx, tx, by, "portal.update", "portal", id, "", before, after)
	})
	return out, err
}

// SetPortalActive deactivates (or reactivates) a portal.
func SetPortalActive(ctx context.Context, db pg.TxBeginner, by Principal, id string, active bool) (portals.Portal, error) {
	if err := by.Allow(true, ""); err != nil {
		return portals.Portal{}, err
	}
	action := "portal.deactivate"
	if active {
		action = "portal.activate"
	}
	var out portals.Portal
	err := pg.InTx(ctx, db, func(tx pgx.Tx) error {
		before, after, err := portals.SetActive(ctx, tx, id, active)
		if err != nil {
			return err
		}
		out = after
		return Record(ctx, tx, by, action, "portal", id, "", before, after)
	})
	return out, err
}

// CreatePortalKey adds a key to a portal.
func CreatePortalKey(ctx context.Context, db pg.TxBeginner, by Principal, portal string, live bool, expires *time.Time, now time.Time) (portals.CreatedKey, error) {
	if err := by.Allow(true, ""); err != nil {
		return portals.CreatedKey{}, err
	}
	var out portals.CreatedKey
	err := pg.InTx(ctx, db, func(tx pgx.Tx) error {
		var err error
		if out, err = portals.CreateKey(ctx, tx, portal, live, expires, now); err != nil {
			return err
		}
		return Record(ctx, tx, by, "api_key.create", "api_key", out.ID, "", nil, out.APIKey)
	})
	return out, err
}

// RollPortalKey replaces a key; the old one works for the grace period.
func RollPortalKey(ctx context.Context, db pg.TxBeginner, by Principal, id string, grace time.Duration, now time.Time) (old portals.APIKey, fresh portals.CreatedKey, err error) {
	if err := by.Allow(true, ""); err != nil {
		return old, fresh, err
	}
	err = pg.InTx(ctx, db, func(tx pgx.Tx) error {
		before, after, created, err := portals.RollKey(ctx, tx, id, grace, now)
		if err != nil {
			return err
		}
		old, fresh = after, created
		if err := Record(ctx, tx, by, "api_key.roll", "api_key", id, "", before, after); err != nil {
			return err
		}
		return Record(ctx, tx, by, "api_key.create", "api_key", created.ID, "", nil, created.APIKey)
	})
	return old, fresh, err
}

// RevokePortalKey stops a key now.
func RevokePortalKey(ctx context.Context, db pg.TxBeginner, by Principal, id string) (portals.APIKey, error) {
	if err := by.Allow(true, ""); err != nil {
		return portals.APIKey{}, err
	}
	var out portals.APIKey
	err := pg.InTx(ctx, db, func(tx pgx.Tx) error {
		before, after, err := portals.RevokeKey(ctx, tx, id)
		if err != nil {
			return err
		}
		out = after
		return Record(ctx, tx, by, "api_key.revoke", "api_key", id, "", before, after)
	})
	return out, err
}
