//go:build !(js && wasm)

// Command widget is the CivicPay payment widget. It is built with
// GOOS=js GOARCH=wasm (see wasm/wasm.mk); on other platforms it only holds
// the platform-independent logic, which is unit-tested on the host.
package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "civicpay widget: build with GOOS=js GOARCH=wasm (make wasm)")
	os.Exit(2)
}
