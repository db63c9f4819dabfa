package sandbox

// Sandbox credentials. SANDBOX ONLY: they are public (MoMo's and ZaloPay's
// are the providers' own published test credentials, the rest are made up
// here) and must never be configured for live money. The gateway marks
// every callback verified with them livemode=false.
const (
	// MoMo's published test partner (developers.momo.vn samples).
	MoMoPartnerCode = "MOMO"
	MoMoAccessKey   = "F8BBA842ECF85"
	MoMoSecretKey   = "K951B6PE1waDMi640xX08PD3vg6EkVlz"

	// ZaloPay's public sandbox app 2553 (ZaloPay sample code, spec §4.4).
	ZaloPayAppID = 2553
	ZaloPayKey1  = "PcY4iZIKFCIdgZvA6ueMcMHHUbRLYjPL"
	ZaloPayKey2  = "kLtgPl8HHhfvMuDHPwKfgfsY4Ydm9eIz"

	// VNPAY: made up; VNPAY issues real sandbox codes per merchant.
	VNPayTmnCode    = "CIVICSBX"
	VNPayHashSecret = "CIVICPAYSANDBOXVNPAYHASHSECRET01"

	// Bank feeds: made up.
	CassoChecksumKey = "civicpay-sandbox-casso-checksum-key"
	SePayAPIKey      = "civicpay-sandbox-sepay-api-key"
	// The feeds' transaction-list APIs take their own credentials.
	CassoAPIKey   = "civicpay-sandbox-casso-api-key"
	SePayAPIToken = "civicpay-sandbox-sepay-api-token"
)

// Provider names the simulator answers for, as the gateway names them.
const (
	MoMo    = "momo"
	ZaloPay = "zalopay"
	VNPay   = "vnpay"
	VietQR  = "vietqr" // the bank transfer, reported by Casso or SePay
)

// Providers lists them in a stable order.
var Providers = []string{VietQR, MoMo, ZaloPay, VNPay}

// Paths under the simulator's base URL, which the gateway's adapters use.
const (
	MoMoPath       = "/momo"                                  // + /v2/gateway/api/{create,query,refund}
	ZaloPayPath    = "/zalopay"                               // + /v2/{create,query}
	VNPayPayPath   = "/vnpay/paymentv2/vpcpay.html"           // pay redirect
	VNPayAPIPath   = "/vnpay/merchant_webapi/api/transaction" // querydr
	CallbackPrefix = "/v1/callbacks/"                         // + provider, on the gateway
	CassoAPIPath   = "/casso"                                 // + bankfeed.CassoListPath
	SePayAPIPath   = "/sepay"                                 // + bankfeed.SePayListPath
)
