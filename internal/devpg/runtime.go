package devpg

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"github.com/jackc/pgx/v5"
)

// The gateway does not run as the cluster's owner: migrations do. It runs
// as RuntimeUser, a login member of the civicpay_runtime role that the
// migrations grant (see migrations/005), so the database refuses to let
// the gateway's own code change or remove a line of the ledger.
const (
	RuntimeUser = "civicpay_app"
	runtimeRole = "civicpay_runtime"
)

// RuntimeURLFile is where the runtime role's URL is recorded.
func (c *Cluster) RuntimeURLFile() string { return filepath.Join(c.dataRoot(), "runtime_url") }

// EnsureRuntime makes the runtime login role on the cluster behind ownerURL
// (creating the NOLOGIN civicpay_runtime role too, should the migrations
// not have run yet) and records its URL; it returns that URL.
func (c *Cluster) EnsureRuntime(ctx context.Context, ownerURL string) (string, error) {
	if b, err := os.ReadFile(c.RuntimeURLFile()); err == nil {
		u := strings.TrimSpace(string(b))
		if ping(ctx, u) == nil {
			return u, nil
		}
	}
	conn, err := pgx.Connect(ctx, ownerURL)
	if err != nil {
		return "", fmt.Errorf("devpg: runtime role: %w", err)
	}
	defer conn.Close(ctx)
	secret := make([]byte, 18)
	if _, err := rand.Read(secret); err != nil {
		return "", err
	}
	password := hex.EncodeToString(secret)
	// One statement: roles are cluster-wide and two processes may race.
	_, err = conn.Exec(ctx, `DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '`+runtimeRole+`') THEN
        CREATE ROLE `+runtimeRole+` NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '`+RuntimeUser+`') THEN
        CREATE ROLE `+RuntimeUser+` LOGIN IN ROLE `+runtimeRole+`;
    END IF;
END $$`)
	if err != nil {
		return "", fmt.Errorf("devpg: runtime role: %w", err)
	}
	if _, err := conn.Exec(ctx, "ALTER ROLE "+RuntimeUser+" PASSWORD "+quoteLiteral(password)); err != nil {
		return "", fmt.Errorf("devpg: runtime role: %w", err)
	}
	u, err := url.Parse(ownerURL)
	if err != nil {
		return "", err
	}
	u.User = url.UserPassword(RuntimeUser, password)
	if err := os.WriteFile(c.RuntimeURLFile(), []byte(u.String()+"\n"), 0o600); err != nil {
		return "", err
	}
	return u.String(), nil
}

// quoteLiteral quotes s for SQL; ALTER ROLE takes no parameters.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
