package demo

import (
	"context"
	"testing"

	"github.com/civicpay/civicpay/gateway/catalog"
	"github.com/civicpay/civicpay/gateway/portals"
	"github.com/civicpay/civicpay/internal/pgtest"
)

func TestSeed(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := pgtest.New(t)
	empty, err := IsEmpty(ctx, db)
	if err != nil || !empty {
		t.Fatalf("fresh database empty = %v, %v", empty, err)
	}
	s, err := Seed(ctx, db, "")
	if err != nil {
		t.Fatal(err)
	}
	agencies, err := catalog.Agencies(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(agencies) != 64 {
		t.Fatalf("agencies = %d, want 63 treasuries + VSS", len(agencies))
	}
	svcs, err := catalog.Services(ctx, db)
	if err != nil || len(svcs) != len(services) {
		t.Fatalf("services = %d, %v", len(svcs), err)
	}
	p, err := portals.Authenticate(ctx, db, s.Portal.TestKey)
	if err != nil || p.Livemode || !p.MayCollectFor("BHXH-VN") || !p.MayCollectFor("KBNN-HCM") {
		t.Fatalf("demo portal principal = %+v, %v", p, err)
	}
	if _, err := portals.Authenticate(ctx, db, s.Portal.TestKey+"x"); err != portals.ErrUnauthenticated {
		t.Fatalf("wrong key: %v", err)
	}
	if got := accountName("Kho bạc Nhà nước Đắk Lắk"); got != "KHO BAC NHA NUOC DAK LAK" {
		t.Fatalf("accountName = %q", got)
	}
}
