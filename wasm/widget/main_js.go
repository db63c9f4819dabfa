//go:build js && wasm

// Command widget is the CivicPay payment widget, compiled to WebAssembly.
// The loader (wasm/civicpay.js) runs it once per page; it hands the loader
// an API object through the boot callback and then serves mounts for the
// life of the page.
package main

import "syscall/js"

func main() {
	api := jsObject.New()
	api.Set("version", 1)
	api.Set("mount", js.FuncOf(func(_ js.Value, a []js.Value) any {
		return mount(a[0], a[1], a[2], a[3].String(), a[4])
	}))
	global.Call("__civicpayBoot", api)
	select {}
}
