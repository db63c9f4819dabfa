package main

import (
	"errors"
	"fmt"

	"github.com/civicpay/civicpay/gateway/receipts"
)

// receiptsCmd is `civicpay receipts keygen FILE`: a new signing key for
// CIVICPAY_RECEIPT_KEY_FILE. It never overwrites a key, since receipts
// already signed would then name a key nobody holds.
func receiptsCmd(args []string) error {
	if len(args) != 2 || args[0] != "keygen" {
		return errors.New("usage: civicpay receipts keygen FILE")
	}
	s, err := receipts.GenerateKeyFile(args[1])
	if err != nil {
		return err
	}
	fmt.Printf("Ed25519 receipt signing key written to %s (key id %s)\n", args[1], s.ID())
	return nil
}
