package main

import (
	"errors"

	"github.com/civicpay/civicpay/banks/vietqr"
)

// errMismatch is returned when a QR payload does not describe the payment
// the widget shows. The widget then refuses to render it.
var errMismatch = errors.New("qr payload does not match the payment")

// checkQR decides whether the QR answer q may be rendered for payment p.
//
// For bank transfers the VietQR payload itself is verified with the same
// package the gateway uses to build it: CRC, structure, and that it pays
// exactly p's amount into p's agency account with p's payment code as the
// transfer content. A payload that fails any of this (a tampered response,
// a proxy rewriting it, a gateway bug) is never drawn, because a payer
// scanning it could send money to the wrong account or with content that
// no reconciliation would match.
//
// For wallets the payload is the wallet's own URL and cannot be checked
// here beyond being present; the amount and code echoed by the gateway
// must still agree with the payment.
func checkQR(p *payment, q *qrResult) error {
	if q.Payload == "" {
		return errMismatch
	}
	if q.Amount != "" && q.Amount != p.Amount {
		return errMismatch
	}
	if q.PaymentCode != "" && q.PaymentCode != p.PaymentCode {
		return errMismatch
	}
	if q.Method != methodBankQR {
		return nil
	}
	if b := q.Beneficiary; b != nil && (b.BIN != p.BankBIN || b.AccountNumber != p.AccountNumber) {
		return errMismatch
	}
	want := vietqr.Payload{
		BIN:     p.BankBIN,
		Account: p.AccountNumber,
		Amount:  p.Amount,
		Purpose: p.PaymentCode,
	}
	if err := vietqr.Verify(q.Payload, want); err != nil {
		return err
	}
	// Verify compares the fields set in want; check the ones the payer
	// relies on again so that a looser Verify cannot let a payload through.
	got, err := vietqr.Parse(q.Payload)
	if err != nil {
		return err
	}
	if got.Static || got.BIN != p.BankBIN || got.Account != p.AccountNumber ||
		got.Amount != p.Amount || got.Purpose != p.PaymentCode {
		return errMismatch
	}
	return nil
}
