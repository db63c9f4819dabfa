package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/user"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/civicpay/civicpay/gateway/admin"
	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/invalid"
	"github.com/civicpay/civicpay/gateway/portals"
)

// Exit codes of the management commands (documented in README):
// 0 done, 1 failure (database unreachable, …), 2 usage error,
// 3 refused (invalid input, forbidden, conflict), 4 not found.
const (
	exitFailure  = 1
	exitUsage    = 2
	exitRefused  = 3
	exitNotFound = 4
)

// exitError carries a process exit code out of run.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func usageErr(format string, a ...any) error {
	return &exitError{exitUsage, fmt.Errorf(format, a...)}
}

// classify gives a domain error its exit code.
func classify(err error) error {
	var inv invalid.Errors
	switch {
	case err == nil:
		return nil
	case errors.As(err, &inv), errors.Is(err, admin.ErrForbidden), errors.Is(err, admin.ErrBootstrapped),
		errors.Is(err, catalog.ErrAgencyExists), errors.Is(err, portals.ErrKeyInactive), errors.Is(err, admin.ErrNoMasterKey):
		return &exitError{exitRefused, err}
	case errors.Is(err, catalog.ErrUnknownAgency), errors.Is(err, portals.ErrNotFound), errors.Is(err, portals.ErrKeyNotFound), errors.Is(err, admin.ErrKeyNotFound):
		return &exitError{exitNotFound, err}
	}
	return &exitError{exitFailure, err}
}

// stdout is where management commands print; tests read it.
var stdout io.Writer = os.Stdout

// mgmt is what every management command shares: its flags, the database
// and how it prints.
type mgmt struct {
	fs      *flag.FlagSet
	jsonOut *bool
	out     io.Writer
}

func newMgmt(name, summary string) *mgmt {
	fs := flag.NewFlagSet("civicpay "+name, flag.ContinueOnError)
	m := &mgmt{fs: fs, jsonOut: fs.Bool("json", false, "print the result as JSON"), out: stdout}
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: civicpay %s\n\n%s\n\nflags:\n", name, summary)
		fs.PrintDefaults()
		fmt.Fprint(fs.Output(), "\nexit codes: 0 done, 1 failure, 2 usage, 3 refused (invalid, forbidden, conflict), 4 not found\n")
	}
	return m
}

func (m *mgmt) parse(args []string) error {
	if err := m.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return &exitError{exitUsage, err}
	}
	return nil
}

// start parses the command's flags and opens its pool: every management
// command begins so.
func (m *mgmt) start(ctx context.Context, args []string) (*pgxpool.Pool, error) {
	if err := m.parse(args); err != nil {
		return nil, err
	}
	return m.pool(ctx)
}

// leadingArg takes the object a command names (an agency code, a portal
// id) off the front of its arguments.
func leadingArg(rest []string, usage string) (string, []string, error) {
	if len(rest) == 0 || strings.HasPrefix(rest[0], "-") {
		return "", nil, usageErr("%s", usage)
	}
	return rest[0], rest[1:], nil
}

// pool opens the gateway's database as the runtime role, which may append
// to the audit log but never change it.
func (m *mgmt) pool(ctx context.Context) (*pgxpool.Pool, error) {
	url, err := runtimeURL("")
	if err != nil {
		return nil, err
	}
	return openPool(ctx, url, 2)
}

// print writes v as JSON with --json, else text.
func (m *mgmt) print(v any, text string) error {
	if *m.jsonOut {
		enc := json.NewEncoder(m.out)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	}
	_, err := fmt.Fprintln(m.out, strings.TrimRight(text, "\n"))
	return err
}

// operator is who a command acts as: the host's user, as an operator.
func operator() admin.Principal {
	name := "unknown"
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return admin.CLI(name)
}

func adminCmd(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "bootstrap" {
		return usageErr("usage: civicpay admin bootstrap [--name NAME] [--json]")
	}
	m := newMgmt("admin bootstrap", "Make the first operator key and print it once. Refused when any admin key exists.")
	name := m.fs.String("name", "operator", "the key's name, as the audit log shows it")
	if err := m.parse(args[1:]); err != nil {
		return err
	}
	pool, err := m.pool(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	k, err := admin.Bootstrap(ctx, pool, *name)
	if err != nil {
		return classify(err)
	}
	return m.print(k, fmt.Sprintf("operator key %s (%s)\n  %s\nShown once: store it now. It is kept only as a hash.", k.ID, k.Name, k.Secret))
}

func durationSeconds(d time.Duration) string { return fmt.Sprintf("%ds", int64(d/time.Second)) }
