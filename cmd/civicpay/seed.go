package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/civicpay/civicpay/gateway/demo"
)

func seedCmd(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("civicpay seed", flag.ContinueOnError)
	demoFlag := fs.Bool("demo", false, "load the demo catalogue and a demo portal")
	ifEmpty := fs.Bool("if-empty", false, "do nothing when the catalogue already has agencies")
	webhook := fs.String("webhook-url", "", "webhook URL of the demo portal (default: the demo portal page's own receiver)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*demoFlag {
		return fmt.Errorf("seed: only --demo data exists; pass --demo")
	}
	url, err := databaseURL("")
	if err != nil {
		return err
	}
	pool, err := openPool(ctx, url, 4)
	if err != nil {
		return err
	}
	defer pool.Close()
	empty, err := demo.IsEmpty(ctx, pool)
	if err != nil {
		return err
	}
	if *ifEmpty && !empty {
		return nil
	}
	s, err := demo.Seed(ctx, pool, *webhook)
	if err != nil {
		return err
	}
	fmt.Printf("demo portal %s created\n  test key: %s (shown once; kept in .data/demo_key)\n", s.Portal.ID, s.Portal.TestKey)
	// make run prints the key again; keep it where only this user can read it.
	if root, err := checkoutRoot(); err == nil {
		_ = os.WriteFile(filepath.Join(root, ".data", "demo_key"), []byte(s.Portal.TestKey+"\n"), 0o600)
		_ = os.WriteFile(filepath.Join(root, ".data", "demo_webhook_secret"), []byte(s.Portal.WebhookSecret+"\n"), 0o600)
	}
	return nil
}
