// Command civicpay is the gateway: `serve` runs it, `migrate` applies the
// schema, `seed --demo` loads demo data, `devdb` manages the private
// PostgreSQL cluster that `make run` and `make test` use.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

const usage = `usage: civicpay <command> [flags]

commands:
  serve            run the gateway (flags: civicpay serve -h)
  migrate          apply pending database migrations
  seed --demo      load demo agencies, services and a demo portal (prints its test key)
  reconcile FILE   reconcile a provider's daily transaction report (CSV) with the ledger
  refunds complete|fail REFUND_ID   record how a manual refund ended (civicpay refunds --help)
  receipts keygen FILE  write a new Ed25519 receipt signing key (PEM) and print its key id
  devdb up|stop|url  start, stop or locate the private PostgreSQL cluster in .data/
  admin bootstrap  make the first operator key (prints it once; refused when one exists)
  agencies list|show|create|update      manage agencies (--help for each)
  portals list|show|create|update|deactivate|activate  manage portals
  keys create|roll|revoke               manage portals' API keys
  credentials keygen|list|set|rotate-master  providers' credentials, encrypted
  webhooks list|create|update|rotate|test     portals' webhook endpoints
  (management commands take --json; exit codes: 0 done, 1 failure, 2 usage,
   3 refused, 4 not found)
`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:]); err != nil {
		if helpRequested(err) {
			return
		}
		fmt.Fprintln(os.Stderr, "civicpay:", err)
		var ee *exitError
		if errors.As(err, &ee) {
			os.Exit(ee.code)
		}
		os.Exit(exitFailure)
	}
}

func run(ctx context.Context, args []string) error {
	if len(args) == 0 {
		fmt.Fprint(os.Stderr, usage)
		return errors.New("no command given")
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "serve":
		return serve(ctx, rest)
	case "migrate":
		return migrateCmd(ctx, rest)
	case "seed":
		return seedCmd(ctx, rest)
	case "devdb":
		return devdbCmd(ctx, rest)
	case "reconcile":
		return reconcileCmd(ctx, rest)
	case "refunds":
		return refundsCmd(ctx, rest, os.Stdout)
	case "receipts":
		return receiptsCmd(rest)
	case "admin":
		return adminCmd(ctx, rest)
	case "agencies":
		return agenciesCmd(ctx, rest)
	case "portals":
		return portalsCmd(ctx, rest)
	case "keys":
		return keysCmd(ctx, rest)
	case "credentials":
		return credentialsCmd(ctx, rest)
	case "webhooks":
		return webhooksCmd(ctx, rest)
	case "help", "-h", "--help":
		fmt.Print(usage)
		return nil
	}
	return fmt.Errorf("unknown command %q\n%s", cmd, strings.TrimSpace(usage))
}
