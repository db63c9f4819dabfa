// Package browsertest holds the widget's tests in a real browser (chromedp
// driving Debian's chromium), on a portal page from another origin under
// hostile CSS and a strict CSP.
//
// Component tests (browser_test.go) serve the built widget with a stub of
// the three API endpoints it calls, to reach states cheaply. End-to-end
// tests (e2e_test.go) run the real gateway with a fresh PostgreSQL database
// and the in-process sandbox providers: the QR decoded from a screenshot is
// compared byte for byte with a payload the test builds itself, and paying
// through the sandbox turns the widget to success without a reload.
//
// The widget must be built first (make wasm); the tests fail with that hint
// otherwise. The end-to-end tests need PostgreSQL like every gateway test.
package browsertest
