// Command banksim serves the sandbox providers (banks/sandbox) for
// `make run` and demos: MoMo, ZaloPay, VNPAY and a bank reported by Casso
// and SePay, with the public sandbox credentials the gateway uses when
// CIVICPAY_SANDBOX_URL points here.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/civicpay/civicpay/banks/sandbox"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "banksim:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("banksim", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:8090", "host:port to listen on (keep it loopback: the control API has no authentication)")
	gateway := fs.String("gateway", "http://127.0.0.1:8080", "gateway base URL, where VNPAY IPNs and bank-feed webhooks go")
	reports := fs.String("report-dir", "", "directory for daily report files (default: the system temp directory)")
	retryScale := fs.Float64("retry-scale", 1, "multiplies the providers' callback retry schedules (0.001: SePay's 33 minutes in 2 s)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(os.Stdout, nil))
	if *retryScale <= 0 {
		return fmt.Errorf("--retry-scale must be positive")
	}
	sim := sandbox.New(sandbox.Config{Gateway: *gateway, ReportDir: *reports, Log: log, RetryScale: *retryScale})
	if _, err := sim.Start(*addr); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	<-ctx.Done()
	return sim.Close()
}
