package main

import (
	"context"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/civicpay/civicpay/gateway/admin"
	"github.com/civicpay/civicpay/gateway/credentials"
)

func credentialsCmd(ctx context.Context, args []string) error {
	const usage = "usage: civicpay credentials keygen FILE | list AGENCY | set AGENCY live|test PROVIDER --field name=value… [--base-url URL] | rotate-master --new-key-file FILE [--json]"
	if len(args) == 0 {
		return usageErr(usage)
	}
	verb, rest := args[0], args[1:]
	m := newMgmt("credentials "+verb, "Providers' credentials per agency and mode, encrypted under the master key (CIVICPAY_MASTER_KEY_FILE).")
	var fields multiFlag
	m.fs.Var(&fields, "field", "name=value of a credential field (repeat; set)")
	baseURL := m.fs.String("base-url", "", "the provider's base URL (set; default: its documented host for the mode)")
	keyFile := m.fs.String("master-key-file", os.Getenv("CIVICPAY_MASTER_KEY_FILE"), "the current master key file")
	newKeyFile := m.fs.String("new-key-file", "", "the new master key file (rotate-master)")
	var pos []string
	for len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		pos, rest = append(pos, rest[0]), rest[1:]
	}
	if err := m.parse(rest); err != nil {
		return err
	}
	if verb == "keygen" {
		if len(pos) != 1 {
			return usageErr(usage)
		}
		if err := credentials.WriteKeyFile(pos[0]); err != nil {
			return err
		}
		return m.print(map[string]string{"file": pos[0]}, "master key in "+pos[0]+" (kept if it existed; mode 0600)")
	}
	pool, err := m.pool(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	by := operator()
	switch {
	case verb == "list" && len(pos) == 1:
		list, err := admin.Credentials(ctx, pool, by, pos[0])
		if err != nil {
			return classify(err)
		}
		var b strings.Builder
		for _, v := range list {
			fmt.Fprintf(&b, "%s live=%v %s active=%v %s %v\n", v.Agency, v.Livemode, v.Provider, v.Active, v.BaseURL, v.Fields)
		}
		return m.print(list, b.String())
	case verb == "set" && len(pos) == 3 && (pos[1] == "live" || pos[1] == "test"):
		ring, err := keyring(*keyFile)
		if err != nil {
			return err
		}
		in := credentials.Input{Fields: map[string]string{}, BaseURL: *baseURL}
		for _, f := range fields {
			k, v, ok := strings.Cut(f, "=")
			if !ok {
				return usageErr("--field takes name=value")
			}
			in.Fields[k] = v
		}
		v, err := admin.SetCredentials(ctx, pool, ring, by, pos[0], pos[1] == "live", pos[2], in)
		if err != nil {
			return classify(err)
		}
		names := make([]string, 0, len(v.Fields))
		for k := range v.Fields {
			names = append(names, k+"="+v.Fields[k])
		}
		sort.Strings(names)
		return m.print(v, fmt.Sprintf("%s %s %s stored encrypted (%s), %s", v.Agency, pos[1], v.Provider, strings.Join(names, " "), v.BaseURL))
	case verb == "rotate-master" && len(pos) == 0 && *newKeyFile != "":
		old, err := keyring(*keyFile)
		if err != nil {
			return err
		}
		next, err := credentials.LoadKeyring(*newKeyFile)
		if err != nil {
			return &exitError{exitRefused, err}
		}
		n, err := admin.RotateMaster(ctx, pool, by, old, next)
		if err != nil {
			return classify(err)
		}
		return m.print(map[string]any{"records": n, "kek_id": next.ID()},
			fmt.Sprintf("%d records re-wrapped under %s; point CIVICPAY_MASTER_KEY_FILE at %s and restart", n, next.ID(), *newKeyFile))
	}
	return usageErr(usage)
}

func keyring(path string) (*credentials.Keyring, error) {
	if path == "" {
		return nil, &exitError{exitRefused, admin.ErrNoMasterKey}
	}
	k, err := credentials.LoadKeyring(path)
	if err != nil {
		return nil, &exitError{exitRefused, err}
	}
	return k, nil
}

// multiFlag collects a repeated flag.
type multiFlag []string

func (f *multiFlag) String() string     { return strings.Join(*f, ",") }
func (f *multiFlag) Set(v string) error { *f = append(*f, v); return nil }
