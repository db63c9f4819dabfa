package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicpay/civicpay/gateway/app"
	"github.com/civicpay/civicpay/gateway/config"
	"github.com/civicpay/civicpay/gateway/providers"
	"github.com/civicpay/civicpay/gateway/reconcile"
)

// reconcileCmd is `civicpay reconcile [--report] FILE`: it checks a provider's
// settlement report (CSV: provider,txn_id,order_id,amount,status,time)
// against the recorded callbacks and prints the count of each class.
func reconcileCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("civicpay reconcile", flag.ContinueOnError)
	report := fs.String("report", "", "the provider's report (CSV); - reads standard input")
	from := fs.String("from", "", "start of the gateway-side window (RFC 3339); default: the report's first day, Vietnam time")
	to := fs.String("to", "", "end of the gateway-side window (RFC 3339, exclusive); default: the day after the report's last")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	dbURL := fs.String("database-url", "", "PostgreSQL URL (default: DATABASE_URL, else the private cluster of .data/)")
	settle := fs.Bool("settle", false, "settle the lines missing at the gateway that the provider's API confirms; record those naming no payment as exceptions (providers as configured by CIVICPAY_*)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *report == "" && fs.NArg() == 1 {
		*report = fs.Arg(0)
	} else if *report == "" || fs.NArg() > 0 {
		return errors.New("usage: civicpay reconcile [--from T] [--to T] [--json] [--settle] [--report] FILE")
	}
	var opt reconcile.Options
	for _, f := range []struct {
		v   string
		dst *time.Time
	}{{*from, &opt.From}, {*to, &opt.To}} {
		if f.v == "" {
			continue
		}
		t, err := time.Parse(time.RFC3339, f.v)
		if err != nil {
			return fmt.Errorf("reconcile: %q is not an RFC 3339 time", f.v)
		}
		*f.dst = t
	}
	var in io.Reader = os.Stdin
	if *report != "-" {
		f, err := os.Open(*report)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
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
	var missing []reconcile.Missing
	if *settle {
		opt.Missing = func(m reconcile.Missing) {
			if len(missing) < maxSettle {
				missing = append(missing, m)
			}
		}
	}
	start := time.Now()
	res, err := reconcile.Run(ctx, pool, in, opt)
	if err != nil {
		return err
	}
	var settled *reconcile.Settled
	if *settle {
		st, err := settleMissing(ctx, pool, missing)
		if err != nil {
			return err
		}
		settled = &st
	}
	if *asJSON {
		if settled != nil {
			return json.NewEncoder(os.Stdout).Encode(struct {
				reconcile.Result
				Settle *reconcile.Settled `json:"settle"`
			}{res, settled})
		}
		return json.NewEncoder(os.Stdout).Encode(res)
	}
	fmt.Printf("reconciled %d lines in %s (gateway window %s – %s)\n", res.Lines, time.Since(start).Round(time.Millisecond),
		res.From.Format(time.RFC3339), res.To.Format(time.RFC3339))
	fmt.Printf("  matched              %d (of which held for review: %d)\n", res.Matched, res.Exceptions)
	fmt.Printf("  amount mismatch      %d\n", res.AmountMismatch)
	fmt.Printf("  missing at gateway   %d (naming one of our payments: %d)\n", res.MissingAtGateway, res.KnownPayment)
	fmt.Printf("  missing at provider  %d\n", res.MissingAtProvider)
	fmt.Printf("  not collected        %d (ignored); repeated lines %d\n", res.Ignored, res.Duplicates)
	if settled != nil {
		fmt.Printf("  settled now          %d (already recorded meanwhile: %d; not confirmed by the provider: %d; exceptions: %d)\n",
			settled.Settled, settled.Duplicates, settled.Unconfirmed, settled.Exceptions)
	}
	return nil
}

// maxSettle bounds the missing lines one run settles: a report of
// strangers' orders must not fill memory (the next run takes the rest).
const maxSettle = 10_000

// settleMissing runs a settler and the configured providers (no HTTP
// server, no River workers) for as long as settling takes.
func settleMissing(ctx context.Context, pool *pgxpool.Pool, missing []reconcile.Missing) (reconcile.Settled, error) {
	cfg, err := config.Load(nil, config.Environ(), os.Stderr)
	if err != nil {
		return reconcile.Settled{}, err
	}
	log, logs := newLogger(cfg.LogLevel)
	defer logs.Close()
	set := providers.FromConfig(cfg, pool, log)
	gw, err := app.New(app.Config{Pool: pool, Log: log, Fees: set.Fee, Provider: set.Provider, Adjust: set.Adjust})
	if err != nil {
		return reconcile.Settled{}, err
	}
	if err := gw.Start(ctx); err != nil {
		return reconcile.Settled{}, err
	}
	defer func() {
		stopCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = gw.Stop(stopCtx)
	}()
	return reconcile.SettleMissing(ctx, reconcile.SettleConfig{Pool: pool, Settler: gw.Settler, Provider: set.Provider,
		Livemode: cfg.SandboxURL == ""}, missing)
}
