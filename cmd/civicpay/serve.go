package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/civicpay/civicpay/gateway/api"
	"github.com/civicpay/civicpay/gateway/app"
	"github.com/civicpay/civicpay/gateway/config"
	"github.com/civicpay/civicpay/gateway/credentials"
	"github.com/civicpay/civicpay/gateway/demoportal"
	"github.com/civicpay/civicpay/gateway/providers"
	"github.com/civicpay/civicpay/gateway/receipts"
	"github.com/civicpay/civicpay/internal/logbuf"
)

func serve(ctx context.Context, args []string) error {
	cfg, err := config.Load(args, config.Environ(), os.Stderr)
	if err != nil {
		return err
	}
	log, logs := newLogger(cfg.LogLevel)
	defer logs.Close()
	url, err := runtimeURL(cfg.DatabaseURL)
	if err != nil {
		return err
	}
	if cfg.Migrate {
		if err := migrateWith(ctx, cfg.MigrateDatabaseURL, url); err != nil {
			return err
		}
	}
	pool, err := openPool(ctx, url, cfg.DBMaxConns)
	if err != nil {
		return err
	}
	defer pool.Close()
	set := providers.FromConfig(cfg, pool, log)
	var signer *receipts.Signer // nil: an ephemeral key (receipts.NewIssuer warns)
	if cfg.ReceiptKeyFile != "" {
		if signer, err = receipts.LoadKeyFile(cfg.ReceiptKeyFile); err != nil {
			return fmt.Errorf("CIVICPAY_RECEIPT_KEY_FILE: %w", err)
		}
	}
	var ring *credentials.Keyring
	if cfg.MasterKeyFile != "" {
		if ring, err = credentials.LoadKeyring(cfg.MasterKeyFile); err != nil {
			return fmt.Errorf("CIVICPAY_MASTER_KEY_FILE: %w", err)
		}
	}
	gw, err := app.New(app.Config{Pool: pool, Log: log, PublicURL: cfg.PublicURL, Workers: cfg.Workers,
		Fees: set.Fee, Provider: set.Provider, Adjust: func(d *api.Deps) { set.Adjust(d); d.Keyring = ring },
		RequeryEvery: cfg.RequeryEvery, RequeryAfter: cfg.RequeryAfter, ReceiptSigner: signer})
	if err != nil {
		return err
	}
	if cfg.DemoKey != "" {
		demo := &demoportal.Portal{Gateway: "http://" + cfg.Addr, SecretKey: cfg.DemoKey, WebhookSecret: cfg.DemoWebhookSecret, Log: log}
		demo.Routes(func(method, path string, h http.HandlerFunc) { gw.Server.Echo.Add(method, path, echo.WrapHandler(h)) })
	}
	// The background parts (settler, reader, creator, River) outlive the
	// signal: requests still draining during Shutdown wait on them, and
	// gw.Stop ends them after.
	if err := gw.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("CIVICPAY_ADDR %s: %w", cfg.Addr, err)
	}
	httpSrv := api.HTTPServer(gw.Server.Echo, api.Timeouts{ReadHeader: cfg.ReadHeaderTimeout, Read: cfg.ReadTimeout,
		Write: cfg.WriteTimeout, Idle: cfg.IdleTimeout})
	errc := make(chan error, 1)
	go func() { errc <- httpSrv.Serve(ln) }()
	log.Info("civicpay listening", "addr", ln.Addr().String(), "public_url", cfg.PublicURL)

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down", "deadline", cfg.ShutdownTimeout.String())
	shutCtx, cancel := context.WithTimeout(context.Background(), cfg.ShutdownTimeout)
	defer cancel()
	if err := httpSrv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := gw.Stop(shutCtx); err != nil {
		log.Warn("background workers did not stop cleanly", "err", err)
	}
	log.Info("stopped")
	return nil
}

// newLogger logs JSON lines to stdout, batched (see package logbuf):
// info lines within 100 ms, warnings and errors at once.
func newLogger(level string) (*slog.Logger, *logbuf.Writer) {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	w := logbuf.New(os.Stdout, 64<<10, 100*time.Millisecond)
	h := slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l})
	return slog.New(logbuf.Handler(h, w, slog.LevelWarn)), w
}
