package main

import (
	"context"
	"fmt"

	"github.com/civicpay/civicpay/banks/vietqr/paycode"
)

// fixtureAmount is the price of HT-KHAISINH, the fixed-fee service every
// pre-created payment is for.
const fixtureAmount = 8000

// fixtureID is the id of the i-th pre-created payment; read.sql builds
// the same ids.
func fixtureID(i int64) string { return fmt.Sprintf("pay_bnch%016d", i) }

// precreate inserts n open payments of the bench portal, numbered from
// e.fixtures+1, straight into the database (their creation is not what is
// measured). Payment codes are drawn as the gateway draws them, without
// repeats.
func (e *Env) precreate(ctx context.Context, n int) ([]fixture, error) {
	out := make([]fixture, 0, n)
	const chunk = 20000
	for done := 0; done < n; {
		m := min(chunk, n-done)
		ids, codes, tokens, refs := make([]string, m), make([]string, m), make([]string, m), make([]string, m)
		for i := range m {
			e.fixtures++
			code := paycode.Generate(nil)
			for e.codes[code] {
				code = paycode.Generate(nil)
			}
			e.codes[code] = true
			ids[i], codes[i] = fixtureID(e.fixtures), code
			tokens[i] = fmt.Sprintf("ct_bnch%024d", e.fixtures)
			refs[i] = fmt.Sprintf("HS-BENCH-%08d", e.fixtures)
			out = append(out, fixture{ID: ids[i], Code: code, Token: tokens[i], Amount: fixtureAmount})
		}
		_, err := e.Pool.Exec(ctx, `
			INSERT INTO payments (id, portal_id, livemode, service_code, agency_code, kind, reference, payer_name,
			                      payer_id_number, amount, payment_code, client_token, expires_at)
			SELECT id, $5, false, 'HT-KHAISINH', 'KBNN-HN', 'fee', ref, 'Nguyen Van An', '001099012345', $6,
			       code, token, now() + interval '1 day'
			FROM unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS t(id, code, token, ref)`,
			ids, codes, tokens, refs, e.Portal.ID, fixtureAmount)
		if err != nil {
			return nil, fmt.Errorf("pre-create payments: %w", err)
		}
		done += m
	}
	return out, nil
}
