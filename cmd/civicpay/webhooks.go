package main

import (
	"context"
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/civicpay/civicpay/gateway/admin"
	"github.com/civicpay/civicpay/gateway/webhooks"
)

func webhooksCmd(ctx context.Context, args []string) error {
	const usage = "usage: civicpay webhooks list PORTAL | create PORTAL --url URL [--live] [--events a,b] | update ENDPOINT [--url] [--events] [--enabled=false] | rotate ENDPOINT [--overlap 24h] | test ENDPOINT [--json]"
	if len(args) < 2 || strings.HasPrefix(args[1], "-") {
		return usageErr(usage)
	}
	verb, id, rest := args[0], args[1], args[2:]
	m := newMgmt("webhooks "+verb, "A portal's webhook endpoints: each with its URL, mode, event types and own secret.")
	url := m.fs.String("url", "", "where events are POSTed (create, update)")
	live := m.fs.Bool("live", false, "a live-mode endpoint: https, public addresses only (create)")
	evs := m.fs.String("events", "", "comma-separated event types; empty: all (create, update)")
	enabled := m.fs.Bool("enabled", true, "whether the endpoint receives events (update)")
	overlap := m.fs.Duration("overlap", webhooks.DefaultOverlap, "how long the old secret keeps signing (rotate; at most 168h)")
	if err := m.parse(rest); err != nil {
		return err
	}
	in := webhooks.EndpointInput{}
	m.fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "url":
			in.URL = url
		case "live":
			in.Livemode = live
		case "events":
			types := []string{}
			if *evs != "" {
				types = strings.Split(*evs, ",")
			}
			in.EventTypes = &types
		case "enabled":
			in.Enabled = enabled
		}
	})
	pool, err := m.pool(ctx)
	if err != nil {
		return err
	}
	defer pool.Close()
	by := operator()
	switch verb {
	case "list":
		list, err := admin.WebhookEndpoints(ctx, pool, by, id)
		if err != nil {
			return classify(err)
		}
		var b strings.Builder
		for _, e := range list {
			fmt.Fprintf(&b, "%s live=%v enabled=%v %s %v secrets=%d\n", e.ID, e.Livemode, e.Enabled, e.URL, e.EventTypes, len(e.Secrets))
		}
		return m.print(list, b.String())
	case "create":
		e, err := admin.CreateWebhookEndpoint(ctx, pool, by, id, in)
		if err != nil {
			return classify(err)
		}
		return m.print(e, fmt.Sprintf("endpoint %s → %s\n  secret: %s\nShown once: store it now.", e.ID, e.URL, e.Secret))
	case "update":
		e, err := admin.UpdateWebhookEndpoint(ctx, pool, by, id, in)
		if err != nil {
			return classify(err)
		}
		return m.print(e, fmt.Sprintf("endpoint %s → %s enabled=%v %v", e.ID, e.URL, e.Enabled, e.EventTypes))
	case "rotate":
		e, err := admin.RotateWebhookSecret(ctx, pool, by, id, *overlap, time.Now())
		if err != nil {
			return classify(err)
		}
		return m.print(e, fmt.Sprintf("endpoint %s new secret: %s\nShown once. The old secret keeps signing for %s.", e.ID, e.Secret, *overlap))
	case "test":
		if _, err := admin.WebhookEndpoint(ctx, pool, by, id); err != nil {
			return classify(err)
		}
		r, err := webhooks.TestDelivery(ctx, pool, id, webhooks.TestClient(10*time.Second), nil, time.Now())
		if err != nil {
			return classify(err)
		}
		text := "delivered " + r.EventID
		if !r.Delivered {
			text = "not delivered: " + *r.Error
		}
		return m.print(r, text)
	}
	return usageErr(usage)
}
