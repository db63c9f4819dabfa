package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/andybalholm/brotli"
	"github.com/chromedp/chromedp"
)

// qrcodeBundle is the npm qrcode library's own browser build (a global
// QRCode). qrcode 1.5.1 is the last release that ships it.
const qrcodeBundle = "node_modules/qrcode/build/qrcode.js"

// ensureQRCode installs the reference library from bench/package-lock.json
// when it is missing.
func ensureQRCode(ctx context.Context, root string) (string, error) {
	dir := filepath.Join(root, "bench")
	p := filepath.Join(dir, qrcodeBundle)
	if _, err := os.Stat(p); err == nil {
		return p, nil
	}
	logf("  installing the npm qrcode library into bench/node_modules (npm ci)")
	cmd := exec.CommandContext(ctx, "npm", "ci", "--no-audit", "--no-fund", "--loglevel=error")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm ci in bench/: %v: %s", err, lastLines(string(out), 4))
	}
	return p, nil
}

// The two pages measured. Both run on the same origin as the API (the
// bench's server proxies /v1/ and /widget/ to the gateway) and record in
// window.qrAt the time from navigation start until their QR code is in
// the DOM.
const widgetPage = `<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>widget</title>
<script src="/widget/civicpay.js"></script>
</head><body><div id="pay"></div>
<script>
var q = new URLSearchParams(location.search);
CivicPay.mount('#pay', {payment: q.get('pay'), clientToken: q.get('ct'), lang: 'vi'});
(function () {
  var host = document.getElementById('pay');
  function look() { if (host.shadowRoot && host.shadowRoot.querySelector('svg.qrc')) { window.qrAt = performance.now(); return true; } return false; }
  if (look()) return;
  new MutationObserver(function (_, obs) { if (look()) obs.disconnect(); })
    .observe(host.shadowRoot || host, {subtree: true, childList: true});
})();
</script></body></html>`

const referencePage = `<!doctype html><html lang="vi"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>qrcode</title>
<script src="/npm/qrcode.js"></script>
</head><body><div id="pay"></div>
<script>
var q = new URLSearchParams(location.search);
var h = {'Authorization': 'Bearer ' + q.get('ct')};
var base = '/v1/payments/' + encodeURIComponent(q.get('pay'));
fetch(base, {headers: h, cache: 'no-store', credentials: 'omit'}).then(function (r) { return r.json(); })
  .then(function () {
    return fetch(base + '/qr', {method: 'POST', headers: Object.assign({'Content-Type': 'application/json'}, h),
      body: JSON.stringify({method: 'bank_qr'}), cache: 'no-store', credentials: 'omit'});
  })
  .then(function (r) { return r.json(); })
  .then(function (qr) { return QRCode.toString(qr.qr_payload, {type: 'svg', errorCorrectionLevel: 'M', margin: 4}); })
  .then(function (svg) { document.getElementById('pay').innerHTML = svg; window.qrAt = performance.now(); })
  .catch(function (e) { window.qrError = String(e); });
</script></body></html>`

// pageServer serves the two pages and the library, and proxies the rest
// to the gateway.
func pageServer(gateway, bundle string) (*http.Server, string, error) {
	lib, err := os.ReadFile(bundle)
	if err != nil {
		return nil, "", err
	}
	var br, gz bytes.Buffer
	bw := brotli.NewWriterLevel(&br, brotli.BestCompression)
	bw.Write(lib)
	bw.Close()
	gw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	gw.Write(lib)
	gw.Close()
	target, _ := url.Parse(gateway)
	proxy := httputil.NewSingleHostReverseProxy(target)
	proxy.FlushInterval = -1 // status streams
	// A navigation cancels the page's status stream: not worth a log line.
	proxy.ErrorLog = log.New(io.Discard, "", 0)
	mux := http.NewServeMux()
	page := func(html string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Header().Set("Cache-Control", "no-store")
			io.WriteString(w, html)
		}
	}
	mux.HandleFunc("GET /widget.html", page(widgetPage))
	mux.HandleFunc("GET /reference.html", page(referencePage))
	mux.HandleFunc("GET /npm/qrcode.js", func(w http.ResponseWriter, r *http.Request) {
		// Served like the widget's own immutable assets: cached for a
		// year and precompressed.
		h := w.Header()
		h.Set("Content-Type", "text/javascript; charset=utf-8")
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
		h.Set("Vary", "Accept-Encoding")
		body := lib
		switch ae := r.Header.Get("Accept-Encoding"); {
		case strings.Contains(ae, "br"):
			h.Set("Content-Encoding", "br")
			body = br.Bytes()
		case strings.Contains(ae, "gzip"):
			h.Set("Content-Encoding", "gzip")
			body = gz.Bytes()
		}
		w.Write(body)
	})
	mux.Handle("/", proxy)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go srv.Serve(ln)
	return srv, "http://" + ln.Addr().String(), nil
}

// WidgetResult is scenario 7's browser half.
type WidgetResult struct {
	Cold, Warm       []time.Duration // the widget
	RefCold, RefWarm []time.Duration // npm qrcode
}

func median(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// widget is scenario 7: the module's sizes from the build manifest, and
// time to QR in headless Chromium, cold (a new browser context: empty HTTP
// and code caches) and warm (later visits in the same context), for the
// widget and for the npm qrcode library fetching and drawing the same
// payload, alternately, in the same browser.
func (e *Env) widget(ctx context.Context, cfg Config, rep *Report) error {
	bundle, err := ensureQRCode(ctx, e.Root)
	if err != nil {
		return err
	}
	if err := e.widgetSizes(bundle, rep); err != nil {
		return err
	}
	srv, base, err := pageServer(e.Gateway.URL, bundle)
	if err != nil {
		return err
	}
	defer srv.Close()

	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(cfg.Chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-extensions", true),
		chromedp.UserDataDir(filepath.Join(e.WorkDir, "chromium")), chromedp.WindowSize(1024, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(actx)
	defer cancelBrowser()
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		return fmt.Errorf("starting chromium: %w", err)
	}
	var res WidgetResult
	pages := []struct {
		path       string
		cold, warm *[]time.Duration
	}{{"/widget.html", &res.Cold, &res.Warm}, {"/reference.html", &res.RefCold, &res.RefWarm}}
	for range cfg.WidgetSamples {
		for _, p := range pages {
			tctx, cancel := chromedp.NewContext(bctx, chromedp.WithNewBrowserContext())
			for visit := 0; visit <= cfg.WidgetWarm; visit++ {
				d, err := e.timeToQR(tctx, base+p.path)
				if err != nil {
					cancel()
					return fmt.Errorf("%s: %w", p.path, err)
				}
				if visit == 0 {
					// Stay on the page as a person scanning the code
					// would: Chromium writes its compiled-code cache for
					// the module only after tiering it up, seconds after
					// the first run, and "warm" means that cache is there.
					time.Sleep(cfg.WidgetDwell)
					*p.cold = append(*p.cold, d)
				} else {
					*p.warm = append(*p.warm, d)
				}
			}
			cancel()
		}
	}
	cold, warm, refCold, refWarm := median(res.Cold), median(res.Warm), median(res.RefCold), median(res.RefWarm)
	rc, rw := float64(cold)/float64(refCold), float64(warm)/float64(refWarm)
	rep.add(Row{Scenario: "7 widget", Metric: "time to QR, cold (median)", Gateway: msf(cold), Reference: msf(refCold), Unit: "ms",
		Ratio: rc, Goal: "≤ 1.5×", Met: rc <= 1.5, Note: "reference: npm qrcode fetching and drawing the same payload"})
	rep.add(Row{Scenario: "7 widget", Metric: "time to QR, warm (median)", Gateway: msf(warm), Reference: msf(refWarm), Unit: "ms",
		Ratio: rw, Goal: "≤ 1.0×", Met: rw <= 1.0, Note: "later visits, caches warm"})
	f := func(ds []time.Duration) string {
		parts := make([]string, len(ds))
		for i, d := range ds {
			parts[i] = fmt.Sprintf("%.0f", msf(d))
		}
		return strings.Join(parts, ", ")
	}
	rep.section("7. Widget time to QR in headless Chromium (ms from navigation start; every sample)",
		"- widget cold: "+f(res.Cold), "- widget warm: "+f(res.Warm),
		"- npm qrcode cold: "+f(res.RefCold), "- npm qrcode warm: "+f(res.RefWarm),
		"- cold = first visit in a new browser context (empty HTTP and code caches); warm = the next visits in it, after the first one stayed open "+cfg.WidgetDwell.String()+" (Chromium caches compiled wasm only once it has tiered it up); each visit is a new payment. Both pages are served from one loopback origin that proxies the gateway, fetch the payment and its bank_qr payload, and draw an SVG.")
	logf("  time to QR: widget cold %s warm %s; npm qrcode cold %s warm %s", ms(cold), ms(warm), ms(refCold), ms(refWarm))
	return nil
}

// timeToQR creates a payment, opens page for it and waits for its QR.
func (e *Env) timeToQR(ctx context.Context, page string) (time.Duration, error) {
	body, err := e.sampleCreate(ctx)
	if err != nil {
		return 0, err
	}
	var p struct {
		ID          string `json:"id"`
		ClientToken string `json:"client_token"`
	}
	if err := json.Unmarshal([]byte(body), &p); err != nil {
		return 0, err
	}
	u := page + "?pay=" + url.QueryEscape(p.ID) + "&ct=" + url.QueryEscape(p.ClientToken)
	if err := chromedp.Do(ctx, chromedp.Navigate(u)); err != nil {
		return 0, err
	}
	wctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(wctx, chromedp.Poll[chromedp.Void](`window.qrAt !== undefined || window.qrError !== undefined`,
		chromedp.WithPollingInterval(5*time.Millisecond))); err != nil {
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`(function(){var h=document.getElementById('pay');return (h&&h.shadowRoot?h.shadowRoot.textContent:document.body.textContent).slice(0,300)})()`))
		return 0, fmt.Errorf("no QR code within 30 s: %v (page says %q)", err, text)
	}
	v, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`window.qrAt === undefined ? -1 : window.qrAt`))
	if err != nil {
		return 0, err
	}
	if v < 0 {
		msg, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`String(window.qrError)`))
		return 0, fmt.Errorf("the page failed: %s", msg)
	}
	return time.Duration(v * float64(time.Millisecond)), nil
}

// widgetSizes reports the module's sizes from the build manifest, beside
// the npm qrcode bundle's, compressed the same way here.
func (e *Env) widgetSizes(bundle string, rep *Report) error {
	raw, err := os.ReadFile(filepath.Join(e.Root, "wasm", "dist", "manifest.json"))
	if err != nil {
		return fmt.Errorf("wasm/dist/manifest.json: %w (run make wasm)", err)
	}
	var m struct {
		Wasm  string `json:"wasm"`
		Files map[string]struct {
			Size int64 `json:"size"`
			Br   int64 `json:"br"`
			Gzip int64 `json:"gzip"`
		} `json:"files"`
	}
	if err := json.Unmarshal(raw, &m); err != nil {
		return err
	}
	w, ok := m.Files[m.Wasm]
	if !ok || w.Br == 0 {
		return fmt.Errorf("manifest.json has no sizes for %q", m.Wasm)
	}
	lib, err := os.ReadFile(bundle)
	if err != nil {
		return err
	}
	var br, gz bytes.Buffer
	bw := brotli.NewWriterOptions(&br, brotli.WriterOptions{Quality: 11, LGWin: 24})
	bw.Write(lib)
	bw.Close()
	gw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
	gw.Write(lib)
	gw.Close()
	rep.add(Row{Scenario: "7 widget", Metric: "civicpay.wasm, brotli", Gateway: float64(w.Br) / 1000, Reference: float64(br.Len()) / 1000, Unit: "KB",
		Ratio: float64(w.Br) / float64(br.Len()), Goal: "≤ 680 KB", Met: w.Br <= 680_000, Note: "reference: npm qrcode browser bundle, brotli; KB = 1,000 bytes"})
	rep.section("7. Widget sizes (bytes)",
		"| file | raw | gzip | brotli |", "|---|---:|---:|---:|",
		fmt.Sprintf("| %s (wasm/dist/manifest.json) | %d | %d | %d |", m.Wasm, w.Size, w.Gzip, w.Br),
		fmt.Sprintf("| npm qrcode 1.5.1 build/qrcode.js (compressed here: gzip 9, brotli 11) | %d | %d | %d |", len(lib), gz.Len(), br.Len()))
	logf("  civicpay.wasm raw %d, gzip %d, brotli %d bytes", w.Size, w.Gzip, w.Br)
	return nil
}
