/*! CivicPay payment widget loader. https://github.com/civicpay/civicpay
 * Source of truth: wasm/civicpay.js. The build (go run ./wasm/pack) replaces
 * the two placeholders below with content-hashed file names.
 *
 *   <script src="https://GATEWAY/widget/civicpay.js"></script>
 *   <script>CivicPay.mount('#pay', {payment: 'pay_…', clientToken: '…', lang: 'vi'})</script>
 */
(function () {
  'use strict';
  if (window.CivicPay && window.CivicPay.mount) return; // included twice

  var WASM = '__CIVICPAY_WASM__';
  var WASM_EXEC = '__CIVICPAY_WASM_EXEC__';

  // Where this script came from: the assets sit next to it and the API is
  // on the same origin (the gateway), unless mount() is given `gateway`.
  var me = document.currentScript;
  if (!me || !me.src) {
    var all = document.querySelectorAll('script[src]');
    for (var i = 0; i < all.length; i++) {
      if (/\/civicpay\.js(\?|#|$)/.test(all[i].src)) me = all[i];
    }
  }
  var src = me && me.src ? me.src : location.href;
  var base = new URL('.', src).href;
  var gateway = new URL(src).origin;
  var nonce = me && (me.nonce || me.getAttribute('nonce'));

  // Download and compile the module right away, while the page goes on
  // loading, rather than at mount(). The hashed URL is immutable, so the
  // browser's cache of compiled code is hit on later visits.
  function compile(url) {
    // A plain CORS fetch, so that <link rel="preload" as="fetch" crossorigin>
    // of the same URL is reused.
    var get = function () { return fetch(url); };
    var slow = function () {
      return get().then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status + ' for ' + url);
        return r.arrayBuffer();
      }).then(function (b) { return WebAssembly.compile(b); });
    };
    if (!WebAssembly.compileStreaming) return slow();
    // compileStreaming needs Content-Type: application/wasm; if a proxy
    // dropped it, fall back to compiling the downloaded bytes.
    return WebAssembly.compileStreaming(get()).catch(slow);
  }

  // wasm_exec.js (the Go runtime's JS side) defines globalThis.Go. Keep a
  // Go class another program on the page may have defined.
  function loadGlue(url) {
    return new Promise(function (resolve, reject) {
      var prev = window.Go;
      var s = document.createElement('script');
      s.src = url;
      s.async = true;
      if (nonce) s.nonce = nonce;
      s.onload = function () {
        var G = window.Go;
        if (prev) window.Go = prev;
        G ? resolve(G) : reject(new Error('wasm_exec.js did not define Go'));
      };
      s.onerror = function () { reject(new Error('cannot load ' + url)); };
      (document.head || document.documentElement).appendChild(s);
    });
  }

  var started = Promise.all([compile(base + WASM), loadGlue(base + WASM_EXEC)]).then(function (r) {
    var go = new r[1]();
    return new Promise(function (resolve, reject) {
      window.__civicpayBoot = function (api) {
        try { delete window.__civicpayBoot; } catch (e) { window.__civicpayBoot = undefined; }
        resolve(api);
      };
      WebAssembly.instantiate(r[0], go.importObject).then(function (inst) {
        go.run(inst).then(function () { reject(new Error('the widget exited')); }, reject);
      }, reject);
    });
  });
  started.catch(function (e) { console.error('CivicPay: cannot start the widget:', e); });

  // The method the widget shows first for an open payment: defaultMethod of
  // offeredMethods in wasm/widget/state.go, "" when there is none.
  var METHODS = ['bank_qr', 'momo', 'zalopay', 'vnpay'];
  function firstMethod(p) {
    if (!p || /^(succeeded|failed|expired|canceled)$/.test(p.status) || !Array.isArray(p.methods)) return '';
    var ms = p.methods.filter(function (m) { return METHODS.indexOf(m) >= 0; });
    return ms.indexOf('bank_qr') >= 0 ? 'bank_qr' : ms[0] || '';
  }

  // prefetch makes mount()'s first two API calls at once, while the module
  // downloads and compiles, rather than after the Go program has started:
  // GET the payment and, once its answer names the method shown first,
  // POST /qr for that method (URL, init and body as wasm/widget/api_js.go
  // makes them). It returns the fetch the widget is to use: each prefetched
  // request serves once, as the answer to the same call (method, URL, body);
  // every other call, retries and polling included, goes to the network.
  // The widget reads the Response as its own, so errors are handled alike.
  function prefetch(options, gone) {
    var pending = {}, id = options.payment, token = options.clientToken;
    var key = function (url, init) { return init.method + ' ' + url + ' ' + (init.body || ''); };
    var take = function (url, init) {
      var k = key(url, init), p = pending[k];
      delete pending[k];
      return p || fetch(url, init);
    };
    if (!id || !token) return take;
    var base = String(options.gateway || gateway).replace(/\/+$/, '') + '/v1/payments/' + encodeURIComponent(id);
    function call(method, path, body, then) {
      var init = {method: method, credentials: 'omit', cache: 'no-store', headers: {Accept: 'application/json',
        'Content-Type': 'application/json', Authorization: 'Bearer ' + token}};
      if (body) init.body = body;
      if (window.AbortSignal && AbortSignal.timeout) init.signal = AbortSignal.timeout(20000); // requestTimeoutMs
      var p = fetch(base + path, init);
      if (then) p = p.then(then);
      p['catch'](function () {}); // reported by the widget, if it is still there to take it
      pending[key(base + path, init)] = p;
    }
    // The GET settles only once the POST is started (or ruled out), so the
    // widget finds the POST when it asks for the same QR.
    call('GET', '', '', function (r) {
      return r.clone().json().then(function (pay) {
        var m = r.ok && !gone() && firstMethod(pay);
        if (m) call('POST', '/qr', '{"method":' + JSON.stringify(m) + '}');
      })['catch'](function () {}).then(function () { return r; });
    });
    return take;
  }

  var host = ':host{all:initial!important;display:block!important;visibility:visible!important;' +
    'font:medium/1.5 system-ui,sans-serif!important;color:#1b1b1f!important}p{margin:1em}';
  var mounted = typeof WeakMap === 'function' ? new WeakMap() : null;

  // mount shows the payment widget in target (an element or a selector),
  // inside a shadow root so that page styles and widget styles stay apart.
  // It returns {ready: Promise, unmount()}.
  function mount(target, options) {
    var el = typeof target === 'string' ? document.querySelector(target) : target;
    if (!el || !el.attachShadow) throw new Error('CivicPay.mount: no element for ' + target);
    options = options || {};
    var old = mounted && mounted.get(el);
    if (old) old.unmount();
    var widget = null, dead = false;
    var fetchFor = prefetch(options, function () { return dead; });
    var root = el.shadowRoot || el.attachShadow({mode: 'open'});
    var en = /^en/i.test(options.lang || '');
    // Until the module runs: a plain message, visible even under hostile CSS.
    while (root.firstChild) root.removeChild(root.firstChild);
    try {
      var sheet = new CSSStyleSheet();
      sheet.replaceSync(host);
      root.adoptedStyleSheets = [sheet];
    } catch (e) { /* old browser: the widget inlines its styles */ }
    var msg = document.createElement('p');
    msg.setAttribute('role', 'status');
    msg.textContent = en ? 'Loading payment…' : 'Đang tải thông tin thanh toán…';
    root.appendChild(msg);

    var handle = {
      unmount: function () {
        dead = true;
        if (widget) widget.unmount();
        if (mounted && mounted.get(el) === handle) mounted['delete'](el);
      }
    };
    handle.ready = started.then(function (api) {
      if (!dead) widget = api.mount(el, root, options, gateway, fetchFor);
      return handle;
    }, function (e) {
      msg.setAttribute('role', 'alert');
      msg.textContent = en ? 'The payment widget could not be loaded. Please reload the page.'
        : 'Không tải được khung thanh toán. Vui lòng tải lại trang.';
      throw e;
    });
    handle.ready['catch'](function () {}); // reported above; callers may still catch
    if (mounted) mounted.set(el, handle);
    return handle;
  }

  window.CivicPay = {mount: mount, gateway: gateway, version: 1};
})();
