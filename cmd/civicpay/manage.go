package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/civicpay/civicpay/gateway/admin"
	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/portals"
)

// The management commands call package admin, as the API does: the same
// checks, the same audit records (actor cli:<user>).

func agenciesCmd(ctx context.Context, args []string) error {
	const usage = "usage: civicpay agencies list|show CODE|create|update CODE [flags] [--json]"
	if len(args) == 0 {
		return usageErr(usage)
	}
	verb, rest := args[0], args[1:]
	m := newMgmt("agencies "+verb, "List, show, create or change agencies (the beneficiaries of payments).")
	in := agencyFlags(m.fs)
	var code string
	if verb == "show" || verb == "update" {
		var err error
		if code, rest, err = leadingArg(rest, usage); err != nil {
			return err
		}
	}
	pool, err := m.start(ctx, rest)
	if err != nil {
		return err
	}
	defer pool.Close()
	by := operator()
	switch verb {
	case "list":
		list, err := admin.Agencies(ctx, pool, by)
		if err != nil {
			return classify(err)
		}
		var b strings.Builder
		for _, a := range list {
			fmt.Fprintf(&b, "%-12s %-6v %s %s %s\n", a.Code, a.Active, a.BankBIN, a.AccountNumber, a.Name)
		}
		return m.print(list, b.String())
	case "show":
		a, err := admin.Agency(ctx, pool, by, code)
		if err != nil {
			return classify(err)
		}
		return m.print(a, agencyText(a))
	case "create":
		a, err := admin.CreateAgency(ctx, pool, by, in.input(m.fs))
		if err != nil {
			return classify(err)
		}
		return m.print(a, "created "+agencyText(a))
	case "update":
		a, err := admin.UpdateAgency(ctx, pool, by, code, in.input(m.fs))
		if err != nil {
			return classify(err)
		}
		return m.print(a, "updated "+agencyText(a))
	}
	return usageErr(usage)
}

func agencyText(a catalog.Agency) string {
	return fmt.Sprintf("%s %q active=%v bank=%s (%s) account=%s %q", a.Code, a.Name, a.Active, a.BankBIN, a.BankName, a.AccountNumber, a.AccountName)
}

type agencyFlagSet struct {
	code, name, nameEN, province, bin, number, holder, unit, chapter *string
	active                                                           *bool
}

func agencyFlags(fs *flag.FlagSet) agencyFlagSet {
	return agencyFlagSet{
		code: fs.String("code", "", "agency code (create)"), name: fs.String("name", "", "name in Vietnamese"),
		nameEN: fs.String("name-en", "", "name in English"), province: fs.String("province", "", "two-digit province code"),
		bin: fs.String("bank-bin", "", "NAPAS BIN of the bank"), number: fs.String("account-number", "", "beneficiary account number"),
		holder: fs.String("account-name", "", "account name as the bank spells it (upper case, no diacritics)"),
		unit:   fs.String("kbnn-unit", "", "State Treasury unit code (4 digits)"), chapter: fs.String("budget-chapter", "", "budget chapter code (3 digits)"),
		active: fs.Bool("active", true, "whether the agency may be paid"),
	}
}

// input keeps only the flags given, so update changes only those.
func (f agencyFlagSet) input(fs *flag.FlagSet) catalog.AgencyInput {
	var in catalog.AgencyInput
	fs.Visit(func(fl *flag.Flag) {
		switch fl.Name {
		case "code":
			in.Code = f.code
		case "name":
			in.Name = f.name
		case "name-en":
			in.NameEN = f.nameEN
		case "province":
			in.ProvinceCode = f.province
		case "bank-bin":
			in.BankBIN = f.bin
		case "account-number":
			in.AccountNumber = f.number
		case "account-name":
			in.AccountName = f.holder
		case "kbnn-unit":
			in.KBNNUnitCode = f.unit
		case "budget-chapter":
			in.BudgetChapter = f.chapter
		case "active":
			in.Active = f.active
		}
	})
	return in
}

func portalsCmd(ctx context.Context, args []string) error {
	const usage = "usage: civicpay portals list|show ID|create|update ID|deactivate ID|activate ID [flags] [--json]"
	if len(args) == 0 {
		return usageErr(usage)
	}
	verb, rest := args[0], args[1:]
	m := newMgmt("portals "+verb, "List, show, create, change, deactivate or reactivate portals (API clients).")
	name := m.fs.String("name", "", "portal name (create, update)")
	agencies := m.fs.String("agencies", "", "comma-separated agency codes the portal may collect for (create, update)")
	webhook := m.fs.String("webhook-url", "", "webhook URL (create, update; empty removes it)")
	rate := m.fs.Int("rate-per-minute", 0, "request budget per minute (create: 0 is 1200; update)")
	var id string
	if verb != "list" && verb != "create" {
		var err error
		if id, rest, err = leadingArg(rest, usage); err != nil {
			return err
		}
	}
	pool, err := m.start(ctx, rest)
	if err != nil {
		return err
	}
	defer pool.Close()
	by := operator()
	switch verb {
	case "list":
		list, err := admin.Portals(ctx, pool, by)
		if err != nil {
			return classify(err)
		}
		var b strings.Builder
		for _, p := range list {
			fmt.Fprintf(&b, "%s active=%v %q agencies=%d\n", p.ID, p.Active, p.Name, len(p.Agencies))
		}
		return m.print(list, b.String())
	case "show":
		p, keys, err := admin.Portal(ctx, pool, by, id)
		if err != nil {
			return classify(err)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s active=%v %q agencies=%s\n", p.ID, p.Active, p.Name, strings.Join(p.Agencies, ","))
		for _, k := range keys {
			fmt.Fprintf(&b, "  %s %s live=%v expires=%v revoked=%v\n", k.ID, k.Hint, k.Livemode, k.ExpiresAt, k.RevokedAt)
		}
		return m.print(map[string]any{"portal": p, "keys": keys}, b.String())
	case "create":
		var codes []string
		if *agencies != "" {
			codes = strings.Split(*agencies, ",")
		}
		c, err := admin.CreatePortal(ctx, pool, by, portals.NewPortal{Name: *name, Agencies: codes, WebhookURL: *webhook, RatePerMinute: *rate})
		if err != nil {
			return classify(err)
		}
		return m.print(c, fmt.Sprintf("portal %s created\n  test key:       %s\n  live key:       %s\n  webhook secret: %s\nShown once: store them now.", c.ID, c.TestKey, c.LiveKey, c.WebhookSecret))
	case "update":
		var in portals.PortalPatch
		m.fs.Visit(func(f *flag.Flag) {
			switch f.Name {
			case "name":
				in.Name = name
			case "agencies":
				codes := strings.Split(*agencies, ",")
				in.Agencies = &codes
			case "webhook-url":
				in.WebhookURL = webhook
			case "rate-per-minute":
				in.RatePerMinute = rate
			}
		})
		p, err := admin.UpdatePortal(ctx, pool, by, id, in)
		if err != nil {
			return classify(err)
		}
		return m.print(p, fmt.Sprintf("%s %q agencies=%s rate=%d/min (other gateway instances notice within 10 s)", p.ID, p.Name, strings.Join(p.Agencies, ","), p.RatePerMinute))
	case "deactivate", "activate":
		p, err := admin.SetPortalActive(ctx, pool, by, id, verb == "activate")
		if err != nil {
			return classify(err)
		}
		return m.print(p, fmt.Sprintf("%s active=%v (other gateway instances notice within 10 s)", p.ID, p.Active))
	}
	return usageErr(usage)
}

func keysCmd(ctx context.Context, args []string) error {
	const usage = "usage: civicpay keys create PORTAL [--live] [--expires-in 720h] | roll KEY [--grace 24h] | revoke KEY [--json]"
	if len(args) < 2 || strings.HasPrefix(args[1], "-") {
		return usageErr(usage)
	}
	verb, id, rest := args[0], args[1], args[2:]
	m := newMgmt("keys "+verb, "Create, roll (the old key works for --grace) or revoke a portal's API keys.")
	live := m.fs.Bool("live", false, "a live-mode key (create)")
	grace := m.fs.Duration("grace", portals.DefaultGrace, "how long a rolled key keeps working (roll; at most 168h)")
	expiresIn := m.fs.Duration("expires-in", 0, "the new key stops working after this long (create; 0: never)")
	pool, err := m.start(ctx, rest)
	if err != nil {
		return err
	}
	defer pool.Close()
	by := operator()
	switch verb {
	case "create":
		var expires *time.Time
		if *expiresIn != 0 {
			e := time.Now().Add(*expiresIn)
			expires = &e
		}
		k, err := admin.CreatePortalKey(ctx, pool, by, id, *live, expires, time.Now())
		if err != nil {
			return classify(err)
		}
		return m.print(k, fmt.Sprintf("key %s for %s\n  %s\nShown once: store it now.", k.ID, k.PortalID, k.Secret))
	case "roll":
		old, fresh, err := admin.RollPortalKey(ctx, pool, by, id, *grace, time.Now())
		if err != nil {
			return classify(err)
		}
		return m.print(map[string]any{"old": old, "new": fresh}, fmt.Sprintf("new key %s\n  %s\nShown once. The old key %s works until %s (%s).",
			fresh.ID, fresh.Secret, old.ID, old.ExpiresAt.Format(time.RFC3339), durationSeconds(*grace)))
	case "revoke":
		k, err := admin.RevokePortalKey(ctx, pool, by, id)
		if err != nil {
			return classify(err)
		}
		return m.print(k, fmt.Sprintf("key %s revoked (other gateway instances notice within 10 s)", k.ID))
	}
	return usageErr(usage)
}

// helpRequested says whether a command's -h was asked for (exit 0).
func helpRequested(err error) bool { return errors.Is(err, flag.ErrHelp) }
