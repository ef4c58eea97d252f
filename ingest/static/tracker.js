/*! footfall tracker — served by the footfall collector at /tracker.js. No third-party code.
 *
 * <script defer src="https://collector.example/tracker.js"></script>
 *
 * - Without consent it sends events cookieless (no sessionId; the collector derives a
 *   daily-rotating id from a secret salt, the site, the truncated IP and the browser).
 * - After consent it sets the first-party cookie `visitor_session_id` (30 days,
 *   SameSite=Lax, Secure on https) and sends it as `sessionId`.
 * - Do-Not-Track / Global Privacy Control: no cookie, ever (the collector also drops
 *   the id server-side when it sees the headers).
 * - `page_view` is sent automatically (also on history.pushState navigation);
 *   `footfall.track(eventType, props)` records anything else.
 * - Events are batched, sent with `sentAt` (for clock-skew correction), flushed with
 *   navigator.sendBeacon when the page is hidden, and retried with the same `eventId`
 *   after a failure, so a retry never counts twice.
 *
 * Options (attributes on the script tag): data-endpoint (default: this script's origin +
 * /api/v1/analytics/track), data-consent-banner ("true" shows the built-in banner),
 * data-auto-pageview ("false" turns the automatic page_view off).
 */
(function (window, document) {
  "use strict";
  if (window.footfall && window.footfall._loaded) return;

  var script = document.currentScript;
  function option(name, fallback) {
    var value = script && script.getAttribute("data-" + name);
    return value === null || value === undefined || value === "" ? fallback : value;
  }
  var origin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var ENDPOINT = option("endpoint", origin + "/api/v1/analytics/track");
  var COOKIE = "visitor_session_id";
  var COOKIE_DAYS = 30;
  var CONSENT_KEY = "footfall_consent";
  var PENDING_KEY = "footfall_pending";
  var BATCH_MAX = 20;
  var FLUSH_DELAY_MS = 1000;
  var MAX_PENDING = 200;

  var queue = [];
  var pending = loadPending(); // batches a failed request left; resent with the same ids
  var flushTimer = null;
  var retryTimer = null;
  var retryDelay = 1000;
  var inFlight = false;

  function uuid() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    var b = crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 0x100).toString(16).slice(1); }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" + h.slice(16, 20) + "-" + h.slice(20);
  }

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }

  // ---- consent and the visitor cookie -------------------------------------------

  function optedOut() {
    return navigator.globalPrivacyControl === true || navigator.doNotTrack === "1" ||
      window.doNotTrack === "1";
  }

  function consentStatus() {
    if (optedOut()) return "denied";
    var store = storage();
    var value = store && store.getItem(CONSENT_KEY);
    return value === "granted" || value === "denied" ? value : "unknown";
  }

  function readCookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) return decodeURIComponent(parts[i].slice(eq + 1));
    }
    return null;
  }

  function writeCookie(value, maxAgeSeconds) {
    document.cookie = COOKIE + "=" + encodeURIComponent(value) + "; Max-Age=" + maxAgeSeconds +
      "; Path=/; SameSite=Lax" + (location.protocol === "https:" ? "; Secure" : "");
  }

  function sessionId() {
    if (consentStatus() !== "granted") return null;
    var id = readCookie(COOKIE);
    if (!id) {
      id = uuid();
      writeCookie(id, COOKIE_DAYS * 24 * 3600);
    }
    return id;
  }

  function grant() {
    if (optedOut()) return false; // the browser said no for its user
    var store = storage();
    if (store) store.setItem(CONSENT_KEY, "granted");
    sessionId();
    removeBanner();
    return true;
  }

  function deny() {
    var store = storage();
    if (store) store.setItem(CONSENT_KEY, "denied");
    writeCookie("", 0);
    removeBanner();
  }

  function removeBanner() {
    var banner = document.getElementById("footfall-consent");
    if (banner) banner.parentNode.removeChild(banner);
  }

  /** A minimal consent banner; `text`, `accept` and `decline` labels can be overridden. */
  function banner(labels) {
    labels = labels || {};
    if (consentStatus() !== "unknown" || document.getElementById("footfall-consent")) return;
    var box = document.createElement("div");
    box.id = "footfall-consent";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-live", "polite");
    box.style.cssText = "position:fixed;left:1rem;right:1rem;bottom:1rem;z-index:2147483647;" +
      "padding:1rem;background:#222;color:#fff;font:14px/1.4 sans-serif;border-radius:6px;" +
      "display:flex;gap:.75rem;align-items:center;flex-wrap:wrap";
    var text = document.createElement("span");
    text.textContent = labels.text ||
      "We count visits to improve this shop. May we set a cookie to recognise your browser?";
    text.style.flex = "1";
    var yes = document.createElement("button");
    yes.id = "footfall-consent-accept";
    yes.textContent = labels.accept || "Accept";
    yes.onclick = grant;
    var no = document.createElement("button");
    no.id = "footfall-consent-decline";
    no.textContent = labels.decline || "Decline";
    no.onclick = deny;
    box.appendChild(text);
    box.appendChild(yes);
    box.appendChild(no);
    document.body.appendChild(box);
  }

  // ---- events -------------------------------------------------------------------

  function queryParams() {
    var out = {};
    var params = new URLSearchParams(location.search);
    ["utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content"].forEach(function (k) {
      var v = params.get(k);
      if (v) out[k] = v.slice(0, 256);
    });
    return out;
  }

  /** Record an event: footfall.track("add_to_cart", {productId: "sku-1", quantity: 2}). */
  function track(eventType, props) {
    props = props || {};
    var event = {
      eventId: uuid(),
      eventType: String(eventType),
      page: (location.pathname + location.search).slice(0, 2048),
      timestamp: new Date().toISOString()
    };
    var id = sessionId();
    if (id) event.sessionId = id;
    var metadata = {};
    var hasMetadata = false;
    Object.keys(props).forEach(function (key) {
      if (key === "productId" || key === "customerId") event[key] = String(props[key]);
      else { metadata[key] = props[key]; hasMetadata = true; }
    });
    if (hasMetadata) event.metadata = metadata;
    if (eventType === "page_view") {
      if (document.referrer) event.referrer = document.referrer.slice(0, 2048);
      var utm = queryParams();
      Object.keys(utm).forEach(function (k) { event[k] = utm[k]; });
    }
    queue.push(event);
    if (queue.length >= BATCH_MAX) flush();
    else if (!flushTimer) flushTimer = setTimeout(flush, FLUSH_DELAY_MS);
    return event.eventId;
  }

  // ---- delivery -----------------------------------------------------------------

  function loadPending() {
    var store = storage();
    try { return JSON.parse((store && store.getItem(PENDING_KEY)) || "[]"); } catch (e) { return []; }
  }

  function savePending() {
    var store = storage();
    if (!store) return;
    try {
      if (pending.length) store.setItem(PENDING_KEY, JSON.stringify(pending.slice(-MAX_PENDING)));
      else store.removeItem(PENDING_KEY);
    } catch (e) { /* storage full: keep them in memory only */ }
  }

  function takeBatch() {
    if (flushTimer) { clearTimeout(flushTimer); flushTimer = null; }
    var batch = pending.concat(queue).slice(0, BATCH_MAX * 5);
    var fromPending = Math.min(pending.length, batch.length);
    pending = pending.slice(fromPending);
    queue = queue.slice(batch.length - fromPending);
    return batch;
  }

  function body(batch) {
    var sentAt = new Date().toISOString();
    return JSON.stringify(batch.map(function (event) {
      var copy = {};
      for (var k in event) copy[k] = event[k];
      copy.sentAt = sentAt;
      return copy;
    }));
  }

  function retryLater(batch, seconds) {
    pending = batch.concat(pending).slice(0, MAX_PENDING);
    savePending();
    var delay = seconds ? seconds * 1000 : retryDelay;
    retryDelay = Math.min(retryDelay * 2, 60000);
    if (retryTimer) clearTimeout(retryTimer);
    retryTimer = setTimeout(function () { retryTimer = null; flush(); }, delay);
  }

  /** Send what is queued now (fetch); failures are kept and retried with the same ids. */
  function flush() {
    if (inFlight) { if (!flushTimer) flushTimer = setTimeout(flush, FLUSH_DELAY_MS); return; }
    var batch = takeBatch();
    if (!batch.length) return;
    savePending();
    inFlight = true;
    fetch(ENDPOINT, {
      method: "POST",
      body: body(batch),
      headers: { "Content-Type": "text/plain" }, // a simple request: no CORS preflight
      credentials: "omit",
      keepalive: true
    }).then(function (response) {
      inFlight = false;
      if (response.ok) {
        retryDelay = 1000;
        if (pending.length || queue.length) flush();
      } else if (response.status === 429 || response.status >= 500) {
        retryLater(batch, parseInt(response.headers.get("Retry-After"), 10) || 0);
      } // other 4xx: the collector will never accept these events; retrying would not help
    }, function () {
      inFlight = false;
      retryLater(batch, 0);
    });
  }

  /** The page is going away: hand everything to the browser with sendBeacon. */
  function flushOnHide() {
    var batch = takeBatch();
    while (batch.length) {
      var sent = navigator.sendBeacon &&
        navigator.sendBeacon(ENDPOINT, new Blob([body(batch)], { type: "text/plain" }));
      if (!sent) { pending = batch.concat(pending); break; }
      batch = takeBatch();
    }
    savePending(); // anything the browser refused is resent on the next page
  }

  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "hidden") flushOnHide();
  });
  window.addEventListener("pagehide", flushOnHide);

  var lastPage = null;
  function pageView() {
    var page = location.pathname + location.search;
    if (page === lastPage) return;
    lastPage = page;
    track("page_view");
  }

  var api = {
    _loaded: true,
    track: track,
    flush: flush,
    consent: { grant: grant, deny: deny, status: consentStatus, banner: banner }
  };
  var early = window.footfall && window.footfall.q; // calls made before this script loaded
  window.footfall = api;

  if (option("auto-pageview", "true") !== "false") {
    pageView();
    var push = history.pushState;
    history.pushState = function () {
      var result = push.apply(this, arguments);
      pageView();
      return result;
    };
    window.addEventListener("popstate", pageView);
  }
  if (option("consent-banner", "false") === "true") {
    if (document.body) banner();
    else document.addEventListener("DOMContentLoaded", function () { banner(); });
  }
  if (early) early.forEach(function (call) { track(call[0], call[1]); });
  if (pending.length) flush();
})(window, document);
