//go:build js && wasm

package main

import "syscall/js"

// mayTakeFocus reports whether the widget may move keyboard focus after a
// change of state: when focus is in the widget (the control it was on is
// usually gone after the redraw) or nowhere (on the page's body), but never
// away from the portal's own controls, where it would lose a user's place.
func (w *widget) mayTakeFocus() bool {
	if !w.root.Get("activeElement").IsNull() {
		return true
	}
	a := document.Get("activeElement")
	return a.IsNull() || a.Equal(document.Get("body"))
}

// renderEnd draws a final screen (paid, failed, expired, canceled) and
// moves focus to its heading, as mayTakeFocus allows. It is called for the
// gateway's final status and for the countdown running out.
func (w *widget) renderEnd() {
	focus := w.mayTakeFocus() // before render removes the focused control
	w.render()
	if h := w.body.Call("querySelector", "h3"); focus && !h.IsNull() {
		h.Call("focus")
	}
}

// attemptFailed shows that the provider declined the attempt (the gateway
// moved the payment from pending back to requires_payment_method): the old
// QR codes are dropped, since paying them can no longer succeed, and the
// methods are offered again under an alert that takes focus, so a keyboard
// or screen-reader user lands on the explanation and then the choice.
func (w *widget) attemptFailed() {
	focus := w.mayTakeFocus()
	w.qrs = nil
	w.v.method = ""
	w.v.attemptFailed = true
	w.status.Set("textContent", w.v.statusText())
	w.render()
	if focus {
		w.body.Call("querySelector", `[data-error="attempt"]`).Call("focus")
	}
}

// copied confirms a copy on the button itself, in its visible text and its
// accessible name ("Account number copied"), besides the spoken
// announcement. The confirmation stays until another value is copied or
// the widget redraws: one that vanished after a moment could be missed by
// someone who looked away or reads slowly.
func (w *widget) copied(button js.Value, label string) {
	if b := w.copiedBtn; !b.IsUndefined() && !b.Equal(button) {
		b.Set("textContent", w.l.copy)
		b.Call("setAttribute", "aria-label", fill(w.l.copyLabel, "label", b.Get("dataset").Get("l").String()))
	}
	w.copiedBtn = button
	msg := fill(w.l.copied, "label", label)
	w.announce(msg)
	button.Set("textContent", "✓ "+w.l.copiedShort)
	button.Call("setAttribute", "aria-label", msg)
}

// announce says s through the visually hidden polite live region.
func (w *widget) announce(s string) {
	w.announcer.Set("textContent", s)
}
