// Package browsertest holds the widget's component tests in a real
// browser: an httptest gateway serves the built widget (package
// wasm/assets) and a stub of the three API endpoints the widget calls, a
// portal page on another origin mounts widgets under hostile CSS, and
// chromedp drives Debian's chromium. The widget must be built first
// (make wasm); the tests fail with that hint otherwise.
package browsertest
