package webhook_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/civicpay/civicpay/webhook"
)

// During a secret rotation a delivery carries one v1= per active secret,
// so a portal still verifying with the old secret, or already with the
// new one, accepts it.
func ExampleSignAll() {
	body := []byte(`{"type":"payment.succeeded"}`)
	now := time.Unix(1764800000, 0)
	header := webhook.SignAll([]string{"whsec_old", "whsec_new"}, now, body)
	fmt.Println(strings.Count(header, "v1="))
	fmt.Println(webhook.Verify("whsec_old", header, body, now, 0) == nil, webhook.Verify("whsec_new", header, body, now, 0) == nil)
	fmt.Println(webhook.Verify("whsec_other", header, body, now, 0))
	// Output:
	// 2
	// true true
	// webhooks: signature does not match
}
