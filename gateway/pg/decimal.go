package pg

import (
	"errors"

	"github.com/jackc/pgx/v5/pgtype"
	"github.com/shopspring/decimal"
)

// Decimal scans a numeric column straight from PostgreSQL's binary form
// into *D. A plain *decimal.Decimal goes through database/sql's Scanner,
// which formats the number as text and parses it back: a tenth of the
// gateway's time on a list of payments.
type Decimal struct{ D *decimal.Decimal }

// ScanNumeric implements pgtype.NumericScanner. NULL, NaN and infinities
// are errors: no amount column holds them.
func (d Decimal) ScanNumeric(n pgtype.Numeric) error {
	switch {
	case !n.Valid:
		return errors.New("pg.Decimal: NULL numeric")
	case n.NaN || n.InfinityModifier != pgtype.Finite:
		return errors.New("pg.Decimal: numeric is not a finite number")
	}
	*d.D = decimal.NewFromBigInt(n.Int, n.Exp)
	return nil
}
