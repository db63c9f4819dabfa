package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// axePath is where `make axe` installs axe-core, relative to the module
// root; AXE_JS overrides it.
const axePath = ".data/npm/node_modules/axe-core/axe.min.js"

// allowedModerate lists the moderate axe violations the widget keeps, by
// rule id, with the reason (docs/WIDGET.md, "Accessibility", says the
// same). Any other moderate violation fails the tests, as do all serious
// and critical ones.
var allowedModerate = map[string]string{}

// moduleRoot is the directory holding go.mod, found upwards from the
// test's working directory.
func moduleRoot(t *testing.T) string {
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		up := filepath.Dir(dir)
		if up == dir {
			t.Fatal("no go.mod above the test directory")
		}
		dir = up
	}
}

var axeOnce struct {
	sync.Once
	src, path string
	err       error
}

// axeSource returns axe-core's browser build. Without it the test skips
// (a developer who has not run `make axe`), except under CI, where a
// missing checker must not pass silently.
func axeSource(t *testing.T) string {
	t.Helper()
	axeOnce.Do(func() {
		axeOnce.path = os.Getenv("AXE_JS")
		if axeOnce.path == "" {
			axeOnce.path = filepath.Join(moduleRoot(t), axePath)
		}
		var b []byte
		b, axeOnce.err = os.ReadFile(axeOnce.path)
		axeOnce.src = string(b)
	})
	if axeOnce.err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("axe-core is not installed (%v): run `make axe` (CI=true makes this a failure)", axeOnce.err)
		}
		t.Fatalf("axe-core is required under CI: %v (run `make axe`)", axeOnce.err)
	}
	return axeOnce.src
}

// screenshotDir is where the state screenshots go: $CIVICPAY_SCREENSHOTS,
// else .data/screenshots in the module (ignored by git).
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("CIVICPAY_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(moduleRoot(t), ".data", "screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// axeViolation is the part of an axe-core result the tests report.
type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  json.RawMessage `json:"target"`
		Summary string          `json:"failureSummary"`
	} `json:"nodes"`
}

// axeTags are the rule sets run: WCAG 2.0 to 2.2, A and AA, and axe's best
// practices.
const axeTags = `['wcag2a','wcag2aa','wcag21a','wcag21aa','wcag22a','wcag22aa','best-practice']`

// runAxe checks the widget mounted on host, shadow root included (axe-core
// walks open shadow roots of the context element).
func (e *env) runAxe(host string) []axeViolation {
	e.t.Helper()
	if e.eval(`typeof axe`) == "undefined" {
		// Evaluated through the DevTools protocol, so the portal's CSP
		// (which would refuse an inline script) does not apply.
		if _, err := chromedp.Run(e.ctx, chromedp.Evaluate[chromedp.Void](axeSource(e.t))); err != nil {
			e.t.Fatalf("injecting axe-core: %v", err)
		}
	}
	js := fmt.Sprintf(`axe.run(document.getElementById(%q), {resultTypes: ['violations'], runOnly: {type: 'tag', values: %s}})
  .then(r => JSON.stringify(r.violations))`, host, axeTags)
	out, err := chromedp.Run(e.ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		e.t.Fatalf("axe on %s: %v", host, err)
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		e.t.Fatalf("axe result: %v", err)
	}
	return vs
}

// viewport is a screen the states are checked on.
type viewport struct {
	name          string
	width, height int64
	scale         float64
}

var (
	narrow  = viewport{"320", 320, 720, 1}     // the smallest phone WCAG reflow asks for
	zoomed  = viewport{"zoom200", 640, 450, 2} // a 1280×900 window at 200 % zoom
	desktop = viewport{"1280", 1280, 900, 1}
)

func (e *env) setViewport(v viewport, touch bool) {
	e.t.Helper()
	opts := []chromedp.EmulateViewportOption{chromedp.EmulateScale(v.scale)}
	if touch {
		opts = append(opts, chromedp.EmulateMobile, chromedp.EmulateTouch)
	}
	if err := chromedp.Do(e.ctx, chromedp.EmulateViewport(v.width, v.height, opts...)); err != nil {
		e.t.Fatal(err)
	}
}

// setMedia emulates CSS media features, e.g. forced-colors: active.
func (e *env) setMedia(features ...*emulation.MediaFeature) {
	e.t.Helper()
	err := chromedp.Do(e.ctx, chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: features})
		return err
	}))
	if err != nil {
		e.t.Fatal(err)
	}
}

// noHorizontalScroll fails when the page or a widget scrolls sideways.
func (e *env) noHorizontalScroll(v viewport, hosts ...string) {
	e.t.Helper()
	got := e.eval(`(() => {
  const d = document.documentElement, bad = [];
  if (d.scrollWidth > d.clientWidth) bad.push('page ' + d.scrollWidth + '>' + d.clientWidth);
  for (const id of ` + jsList(hosts) + `) {
    const cp = document.getElementById(id).shadowRoot.querySelector('.cp');
    if (!cp) continue; // the loader's message, before the module runs
    if (cp.scrollWidth > cp.clientWidth) bad.push(id + ' card content ' + cp.scrollWidth + '>' + cp.clientWidth);
    for (const el of cp.querySelectorAll('*')) {
      const r = el.getBoundingClientRect();
      if (r.width && (r.right > d.clientWidth + 0.5 || r.left < -0.5))
        bad.push(id + ' ' + el.tagName + ' spans ' + Math.round(r.left) + '..' + Math.round(r.right));
    }
  }
  return bad.slice(0, 6).join('; ');
})()`)
	if got != "" {
		e.t.Errorf("at %s: horizontal scrolling: %s", v.name, got)
	}
}

func jsList(ss []string) string {
	b, _ := json.Marshal(ss)
	return string(b)
}

// checkState checks the widgets on hosts in their current state: axe-core
// finds no serious or critical violation (and no moderate one not listed in
// allowedModerate), nothing scrolls sideways on a 320 px screen or at
// 200 % zoom, and screenshots at 320 px and 1280 px are saved for people.
func (e *env) checkState(state string, touch bool, hosts ...string) {
	e.t.Helper()
	for _, h := range hosts {
		for _, v := range e.runAxe(h) {
			var where []string
			for _, n := range v.Nodes {
				where = append(where, string(n.Target)+": "+strings.ReplaceAll(n.Summary, "\n", " "))
			}
			msg := fmt.Sprintf("axe %s [%s] %s: %s — %s", state, h, v.Impact, v.ID, v.Help)
			switch {
			case v.Impact == "serious" || v.Impact == "critical":
				e.t.Errorf("%s\n  %s", msg, strings.Join(where, "\n  "))
			case v.Impact == "moderate" && allowedModerate[v.ID] == "":
				e.t.Errorf("%s (moderate, not in allowedModerate)\n  %s", msg, strings.Join(where, "\n  "))
			default:
				e.t.Logf("%s (kept: %s)", msg, allowedModerate[v.ID])
			}
		}
	}
	dir := screenshotDir(e.t)
	for _, v := range []viewport{narrow, zoomed, desktop} {
		e.setViewport(v, touch)
		e.noHorizontalScroll(v, hosts...)
		if v == zoomed {
			continue
		}
		shot, err := chromedp.Run(e.ctx, chromedp.FullScreenshot(100)) // 100: PNG (lower is JPEG)
		if err != nil {
			e.t.Fatal(err)
		}
		name := filepath.Join(dir, "a11y-"+state+"-"+v.name+".png")
		if err := os.WriteFile(name, shot, 0o644); err != nil {
			e.t.Fatal(err)
		}
		e.t.Logf("screenshot: %s", name)
	}
}
