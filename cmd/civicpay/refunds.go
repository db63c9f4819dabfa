package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"

	"github.com/civicpay/civicpay/gateway/events"
	"github.com/civicpay/civicpay/gateway/refunds"
)

const refundsUsage = `usage: civicpay refunds <command> REFUND_ID [flags]

Record how a manual refund ended: one whose provider has no refund API
(VietQR bank transfers; ZaloPay and VNPAY, refunded in their merchant
portals), which stays pending with failure_code manual_refund_required
until an operator says what happened. The refund, its ledger postings, the
payment's amounts and the refund.succeeded or refund.failed event commit
together.

commands:
  complete REFUND_ID --reference BANK_REF   the money was sent back; BANK_REF is the transfer's reference
  fail REFUND_ID --reason TEXT              it will not be sent; the amount can be refunded again

flags:
  --json                 print the refund as JSON (the API's shape)
  --database-url URL     PostgreSQL URL (default: DATABASE_URL, else the private cluster of .data/)
`

// refundsCmd is `civicpay refunds complete|fail`. It writes its result to
// out, so tests run it as the binary would.
func refundsCmd(ctx context.Context, args []string, out io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(out, refundsUsage)
		return errors.New("refunds: no command given")
	}
	sub := args[0]
	if sub == "help" || sub == "-h" || sub == "--help" {
		fmt.Fprint(out, refundsUsage)
		return nil
	}
	if sub != "complete" && sub != "fail" {
		return fmt.Errorf("refunds: unknown command %q\n%s", sub, strings.TrimSpace(refundsUsage))
	}
	fs := flag.NewFlagSet("civicpay refunds "+sub, flag.ContinueOnError)
	fs.SetOutput(out)
	fs.Usage = func() { fmt.Fprint(out, refundsUsage) }
	reference := fs.String("reference", "", "the bank's reference of the transfer (complete)")
	reason := fs.String("reason", "", "why the refund will not be made (fail)")
	asJSON := fs.Bool("json", false, "print the refund as JSON")
	dbURL := fs.String("database-url", "", "PostgreSQL URL")
	id, err := parseAround(fs, args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	switch {
	case sub == "complete" && (*reference == "" || *reason != ""):
		return errors.New("usage: civicpay refunds complete REFUND_ID --reference BANK_REF")
	case sub == "fail" && (*reason == "" || *reference != ""):
		return errors.New("usage: civicpay refunds fail REFUND_ID --reason TEXT")
	}
	url, err := databaseURL(*dbURL)
	if err != nil {
		return err
	}
	pool, err := openPool(ctx, url, 2)
	if err != nil {
		return err
	}
	defer pool.Close()
	// An insert-only River client: the events' delivery jobs are queued in
	// the refund's transaction and run by the gateway's workers.
	rc, err := river.NewClient(riverpgxv5.New(pool), &river.Config{})
	if err != nil {
		return fmt.Errorf("refunds: river: %w", err)
	}
	outbox := &events.Outbox{River: rc}
	var r refunds.Refund
	if sub == "complete" {
		r, err = refunds.Complete(ctx, pool, outbox, id, *reference)
	} else {
		r, err = refunds.FailManual(ctx, pool, outbox, id, *reason)
	}
	if err != nil {
		return err
	}
	if *asJSON {
		return json.NewEncoder(out).Encode(r)
	}
	_, err = fmt.Fprintf(out, "refund %s of %s đồng on %s: %s\n", r.ID, r.Amount, r.PaymentID, r.Status)
	return err
}

// parseAround parses flags given before and after the one positional
// argument (flag stops at the first non-flag), and returns it.
func parseAround(fs *flag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() == 0 {
		return "", errors.New("refunds: REFUND_ID is required")
	}
	id := fs.Arg(0)
	if err := fs.Parse(fs.Args()[1:]); err != nil {
		return "", err
	}
	if fs.NArg() > 0 {
		return "", fmt.Errorf("refunds: unexpected argument %q", fs.Arg(0))
	}
	return id, nil
}
