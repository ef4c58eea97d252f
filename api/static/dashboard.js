/* footfall dashboard: fetches the read API with a bearer token and renders one screen.
 *
 * Data from visitors (pages, referrers, campaigns, product names) is untrusted, so every
 * value goes into the DOM as text (textContent), never as HTML.
 */
(() => {
  "use strict";

  const TOKEN_KEY = "footfall.token";
  const PERIOD_KEY = "footfall.period";
  const REALTIME_EVERY_MS = 15000;
  const HEALTH_EVERY_MS = 30000;
  const STALE_AFTER_S = 3 * 3600;

  const state = {
    token: null,
    today: null, // YYYY-MM-DD in the reporting time zone (from the API)
    tz: null,
    period: { kind: "7d", start: null, end: null },
    currency: null,
    snapshotId: null,
    dataAsOf: null,
    funnelBy: "",
    retentionTab: "weekly",
    retention: null,
    dims: { sources: "channel", pages: "landing_page", locations: "country", devices: "device" },
    charts: {},
    loadSeq: 0,
    timers: [],
  };

  // ---------------------------------------------------------------- small helpers

  const $ = (sel, root = document) => root.querySelector(sel);
  const $$ = (sel, root = document) => Array.from(root.querySelectorAll(sel));

  /** Build an element; children are nodes or strings (inserted as text, never HTML). */
  function h(tag, attrs = {}, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "class") el.className = value;
      else if (key === "text") el.textContent = value;
      else if (key === "style") Object.assign(el.style, value);
      else if (key.startsWith("on")) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return el;
  }

  function clear(el) { while (el.firstChild) el.removeChild(el.firstChild); return el; }

  function isoDate(d) {
    const y = d.getUTCFullYear(), m = String(d.getUTCMonth() + 1).padStart(2, "0");
    return `${y}-${m}-${String(d.getUTCDate()).padStart(2, "0")}`;
  }
  function parseDate(s) { const [y, m, d] = s.split("-").map(Number); return new Date(Date.UTC(y, m - 1, d)); }
  function addDays(s, n) { const d = parseDate(s); d.setUTCDate(d.getUTCDate() + n); return isoDate(d); }
  function localToday() {
    try {
      return new Intl.DateTimeFormat("en-CA", { timeZone: state.tz || undefined }).format(new Date());
    } catch (_) { return isoDate(new Date()); }
  }

  // ---------------------------------------------------------------- formatting

  const numberFmt = new Intl.NumberFormat(undefined);
  const compactFmt = new Intl.NumberFormat(undefined, { notation: "compact", maximumFractionDigits: 1 });
  const decimalFmt = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
  const dayFmt = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
  const dayYearFmt = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", year: "numeric", timeZone: "UTC" });
  const longDayFmt = new Intl.DateTimeFormat(undefined, { weekday: "short", month: "short", day: "numeric", year: "numeric", timeZone: "UTC" });
  const monthFmt = new Intl.DateTimeFormat(undefined, { month: "short", year: "numeric", timeZone: "UTC" });
  const timeFmt = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit" });
  const dateTimeFmt = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });

  const fmt = {
    int: (n) => (Math.abs(n) >= 100000 ? compactFmt.format(n) : numberFmt.format(Math.round(n))),
    dec: (n) => decimalFmt.format(n),
    pct: (n) => `${(Math.round(n * 10) / 10).toLocaleString(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 })}%`,
    money: (n, opts = {}) => {
      const big = Math.abs(n) >= 10000;
      const digits = opts.whole || big ? 0 : 2;
      if (state.currency) {
        try {
          return new Intl.NumberFormat(undefined, {
            style: "currency", currency: state.currency,
            minimumFractionDigits: digits, maximumFractionDigits: digits,
          }).format(n);
        } catch (_) { /* unknown currency code: fall through */ }
      }
      return new Intl.NumberFormat(undefined, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(n);
    },
    duration: (s) => {
      s = Math.round(s || 0);
      if (s < 60) return `${s}s`;
      const m = Math.floor(s / 60), r = s % 60;
      if (m < 60) return `${m}m ${String(r).padStart(2, "0")}s`;
      return `${Math.floor(m / 60)}h ${String(m % 60).padStart(2, "0")}m`;
    },
    day: (s) => dayFmt.format(parseDate(s)),
    dayYear: (s) => dayYearFmt.format(parseDate(s)),
    longDay: (s) => longDayFmt.format(parseDate(s)),
    month: (s) => monthFmt.format(parseDate(s)),
    ago: (iso) => {
      if (!iso) return "never";
      const s = Math.max(0, (Date.now() - new Date(iso).getTime()) / 1000);
      if (s < 90) return "just now";
      if (s < 5400) return `${Math.round(s / 60)} min ago`;
      if (s < 172800) return `${Math.round(s / 3600)} h ago`;
      return `${Math.round(s / 86400)} days ago`;
    },
  };

  // ---------------------------------------------------------------- token storage

  function loadToken() {
    return sessionStorage.getItem(TOKEN_KEY) || localStorage.getItem(TOKEN_KEY);
  }
  function saveToken(token, remember) {
    forgetToken();
    (remember ? localStorage : sessionStorage).setItem(TOKEN_KEY, token);
    state.token = token;
  }
  function forgetToken() {
    sessionStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(TOKEN_KEY);
    state.token = null;
  }

  // ---------------------------------------------------------------- API

  class ApiError extends Error {
    constructor(status, body) {
      super((body && body.message) || `HTTP ${status}`);
      this.status = status;
      this.body = body;
    }
  }

  async function api(path, params = {}) {
    const url = new URL(path, window.location.origin);
    for (const [k, v] of Object.entries(params)) if (v !== null && v !== undefined && v !== "") url.searchParams.set(k, v);
    let res;
    try {
      res = await fetch(url, { headers: { Authorization: `Bearer ${state.token}`, Accept: "application/json" } });
    } catch (err) {
      throw new ApiError(0, { message: "the server cannot be reached" });
    }
    let body = null;
    try { body = await res.json(); } catch (_) { /* empty or not JSON */ }
    if (res.status === 401) {
      forgetToken();
      showLogin("Your token was not accepted. Please sign in again.");
      throw new ApiError(401, body);
    }
    if (!res.ok) throw new ApiError(res.status, body);
    return body;
  }

  // ---------------------------------------------------------------- login

  function showLogin(message) {
    stopTimers();
    $("#app").hidden = true;
    $("#login").hidden = false;
    const err = $("#login-error");
    err.hidden = !message;
    err.textContent = message || "";
    $("#token-input").value = "";
    $("#token-input").focus();
  }

  async function onLogin(event) {
    event.preventDefault();
    const token = $("#token-input").value.trim();
    const err = $("#login-error");
    const button = $("#login-form button[type=submit]");
    button.disabled = true;
    try {
      const res = await fetch("/api/v1/realtime", { headers: { Authorization: `Bearer ${token}` } });
      if (res.status === 401) {
        err.textContent = "That token was not accepted.";
        err.hidden = false;
        return;
      }
      if (!res.ok && res.status !== 503) throw new Error(`HTTP ${res.status}`);
      saveToken(token, $("#remember-input").checked);
      start();
    } catch (e) {
      err.textContent = "The server cannot be reached right now.";
      err.hidden = false;
    } finally {
      button.disabled = false;
    }
  }

  // ---------------------------------------------------------------- period

  function loadPeriod() {
    try {
      const saved = JSON.parse(localStorage.getItem(PERIOD_KEY) || "null");
      if (saved && ["today", "7d", "30d", "custom"].includes(saved.kind)) state.period = saved;
    } catch (_) { /* ignore */ }
  }

  function resolvePeriod() {
    const today = state.today || localToday();
    const p = state.period;
    if (p.kind === "today") return { start: today, end: today, title: "Today" };
    if (p.kind === "30d") return { start: addDays(today, -29), end: today, title: "Last 30 days" };
    if (p.kind === "custom" && p.start && p.end) {
      const sameYear = p.start.slice(0, 4) === p.end.slice(0, 4);
      const title = p.start === p.end ? fmt.longDay(p.start)
        : `${sameYear ? fmt.day(p.start) : fmt.dayYear(p.start)} – ${fmt.dayYear(p.end)}`;
      return { start: p.start, end: p.end, title };
    }
    return { start: addDays(today, -6), end: today, title: "Last 7 days" };
  }

  function setPeriod(kind, start, end) {
    state.period = { kind, start: start || null, end: end || null };
    localStorage.setItem(PERIOD_KEY, JSON.stringify(state.period));
    syncPeriodControls();
    loadAll();
  }

  function syncPeriodControls() {
    for (const b of $$(".period button")) b.classList.toggle("active", b.dataset.period === state.period.kind);
    const form = $("#custom-range");
    form.hidden = state.period.kind !== "custom";
    const r = resolvePeriod();
    $("#custom-start").value = r.start;
    $("#custom-end").value = r.end;
    $("#custom-start").max = $("#custom-end").max = state.today || localToday();
  }

  // ---------------------------------------------------------------- banners

  function banner(message, kind = "info", action = null) {
    const el = $("#banner");
    clear(el);
    if (!message) { el.hidden = true; return; }
    el.className = `banner ${kind === "error" ? "error" : ""}`;
    el.append(h("span", { text: message }));
    if (action) el.append(h("button", { class: "btn", type: "button", onclick: action.run, text: action.label }));
    el.hidden = false;
  }

  function cardError(el, err) {
    clear(el).append(h("p", { class: "empty", text: err.status === 503 ? "No data published yet." : `Could not load (${err.message}).` }));
  }

  // ---------------------------------------------------------------- tiles

  const TILES = [
    { key: "uniqueVisits", label: "Unique visitors", f: "int" },
    { key: "totalVisits", label: "Total visits", f: "int" },
    { key: "newUsers", label: "New users", f: "int" },
    { key: "existingUsers", label: "Returning users", f: "int" },
    { key: "totalPageViews", label: "Page views", f: "int" },
    { key: "avgSessionDuration", label: "Visit duration", f: "duration" },
    { key: "bounceRate", label: "Bounce rate", f: "pct", lowerIsBetter: true },
    { key: "conversionRate", label: "Conversion rate", f: "pct" },
    { key: "cartRate", label: "Cart rate", f: "pct" },
    { key: "checkoutRate", label: "Checkout rate", f: "pct" },
    { key: "purchaseRate", label: "Purchase rate", f: "pct" },
    { key: "totalSales", label: "Total sales", f: "money" },
    { key: "totalOrders", label: "Orders", f: "int" },
    { key: "averageOrderValue", label: "Avg order value", f: "money" },
    { key: "newCustomers", label: "New customers", f: "int" },
  ];

  function renderTileSkeletons() {
    const wrap = clear($("#tiles"));
    for (const t of TILES) {
      wrap.append(h("div", { class: "tile skeleton", "data-testid": `tile-${t.key}` },
        h("div", { class: "tile-label", text: t.label }),
        h("div", { class: "tile-value", text: "0" }),
        h("div", { class: "tile-foot" })));
    }
  }

  function changeChip(t, now, before, relChange) {
    if (t.f === "pct") {
      const diff = Math.round((now - before) * 10) / 10;
      if (!before && !now) return h("span", { class: "change flat", text: "—" });
      const good = t.lowerIsBetter ? diff < 0 : diff > 0;
      const cls = diff === 0 ? "flat" : good ? "up" : "down";
      const sign = diff > 0 ? "+" : diff < 0 ? "−" : "±";
      return h("span", { class: `change ${cls}`, text: `${sign}${Math.abs(diff).toFixed(1)} pp` });
    }
    if (relChange === null || relChange === undefined) {
      return h("span", { class: "change flat", text: now ? "new" : "—" });
    }
    const good = t.lowerIsBetter ? relChange < 0 : relChange > 0;
    const cls = relChange === 0 ? "flat" : good ? "up" : "down";
    const arrow = relChange > 0 ? "↑" : relChange < 0 ? "↓" : "";
    const size = Math.abs(relChange);
    // Past ten-fold the previous period was too small for a percentage to mean anything
    // (a handful of late events before the data began read "↑1647600%"); the tooltip keeps
    // the previous value.
    const text = size >= 1000 ? `${arrow}>999%` : `${arrow}${size.toFixed(size < 10 ? 1 : 0)}%`;
    return h("span", { class: `change ${cls}`, text });
  }

  function renderTiles(series) {
    const wrap = clear($("#tiles"));
    const prevLabel = series.previousStart === series.previousEnd
      ? fmt.day(series.previousStart) : `${fmt.day(series.previousStart)} – ${fmt.day(series.previousEnd)}`;
    for (const t of TILES) {
      const now = series.totals[t.key] ?? 0;
      const before = series.previousTotals[t.key] ?? 0;
      const value = fmt[t.f](now);
      wrap.append(h("div", { class: "tile", "data-testid": `tile-${t.key}` },
        h("div", { class: "tile-label", text: t.label }),
        h("div", { class: "tile-value", "data-testid": `tile-value-${t.key}`, "data-raw": now, text: value }),
        h("div", { class: "tile-foot", title: `Previous period (${prevLabel}): ${fmt[t.f](before)}` },
          changeChip(t, now, before, series.change[t.key]), h("span", { class: "vs", text: "vs previous" }))));
    }
  }

  // ---------------------------------------------------------------- daily chart

  function chartDefaults() {
    if (!window.Chart) return false;
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.font.size = 12;
    Chart.defaults.color = "#6b7280";
    Chart.defaults.animation = { duration: 250 };
    return true;
  }

  function renderDailyChart(series) {
    const canvas = $("#daily-chart");
    const empty = series.totals.totalVisits === 0 && series.totals.totalOrders === 0;
    $("#chart-empty").textContent = "No visits in this period.";
    $("#chart-empty").hidden = !empty;
    canvas.parentElement.hidden = empty;
    if (empty || !window.Chart) return;
    const labels = series.days.map((d) => fmt.day(d.date));
    const visits = series.days.map((d) => d.totalVisits);
    const prev = series.previousDays.map((d) => d.totalVisits);
    const sales = series.days.map((d) => d.totalSales);
    const data = {
      labels,
      datasets: [
        { type: "bar", label: "Visits", data: visits, yAxisID: "y", backgroundColor: "#a5b4fc",
          hoverBackgroundColor: "#6366f1", borderRadius: 5, maxBarThickness: 38, order: 2 },
        { type: "line", label: "Visits, previous period", data: prev, yAxisID: "y", borderColor: "#c7d2fe",
          borderDash: [5, 4], borderWidth: 2, pointRadius: 0, tension: 0.3, order: 3 },
        { type: "line", label: "Sales", data: sales, yAxisID: "y1", borderColor: "#10b981",
          backgroundColor: "#10b981", borderWidth: 2.5, pointRadius: series.days.length > 40 ? 0 : 3,
          pointHoverRadius: 5, cubicInterpolationMode: "monotone", order: 1 },
      ],
    };
    const prevDates = series.previousDays.map((d) => d.date);
    const options = {
      responsive: true, maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { display: false },
        tooltip: {
          backgroundColor: "#111827", padding: 10, cornerRadius: 8, boxPadding: 4,
          callbacks: {
            title: (items) => fmt.longDay(series.days[items[0].dataIndex].date),
            label: (item) => {
              if (item.datasetIndex === 2) return ` Sales: ${fmt.money(item.raw)}`;
              if (item.datasetIndex === 1) return ` ${fmt.day(prevDates[item.dataIndex] || series.previousStart)}: ${fmt.int(item.raw)} visits`;
              return ` Visits: ${fmt.int(item.raw)}`;
            },
          },
        },
      },
      scales: {
        x: { grid: { display: false }, ticks: { maxRotation: 0, autoSkipPadding: 12 } },
        y: { beginAtZero: true, grid: { color: "#f1f2f6" }, border: { display: false },
             ticks: { precision: 0, callback: (v) => fmt.int(v) } },
        y1: { beginAtZero: true, position: "right", grid: { display: false }, border: { display: false },
              ticks: { callback: (v) => fmt.money(v, { whole: true }) } },
      },
    };
    if (state.charts.daily) {
      state.charts.daily.data = data;
      state.charts.daily.options = options;
      state.charts.daily.update();
    } else {
      state.charts.daily = new Chart(canvas, { data, options });
    }
  }

  // ---------------------------------------------------------------- goal and orders

  function renderGoal(series) {
    const t = series.totals;
    const pct = t.salesGoalProgress || 0;
    $("#goal-progress").textContent = fmt.pct(pct);
    const bar = $("#goal-bar");
    bar.style.width = `${Math.min(100, pct)}%`;
    bar.classList.toggle("over", pct >= 100);
    $("#goal-bar-wrap").setAttribute("aria-valuenow", String(Math.round(pct)));
    $("#goal-text").textContent = `${fmt.money(t.totalSales)} of ${fmt.money(t.salesGoal, { whole: true })}`;
    $("#goal-span").textContent = series.days.length === 1 ? "daily goal" : `goal for ${series.days.length} days`;
    const left = Math.max(0, t.salesGoal - t.totalSales);
    $("#goal-left").textContent = left > 0 ? fmt.money(left) : "Goal reached 🎉";
    $("#goal-per-day").textContent = fmt.money(t.totalSales / Math.max(1, series.days.length));
  }

  const STATUS_COLORS = { PENDING: "#f59e0b", PROCESSING: "#6366f1", SHIPPED: "#0ea5e9", DELIVERED: "#10b981", CANCELED: "#ef4444" };

  function renderOrders(data) {
    const bar = clear($("#status-bar"));
    const list = clear($("#status-list"));
    $("#orders-total").textContent = `${fmt.int(data.total)} orders`;
    for (const s of data.statuses) {
      if (data.total) bar.append(h("span", { style: { width: `${s.share}%`, background: STATUS_COLORS[s.status] || "#9ca3af" } }));
      const name = s.status.charAt(0) + s.status.slice(1).toLowerCase();
      list.append(h("li", { "data-testid": `status-${s.status}` },
        h("span", { class: "dot", style: { background: STATUS_COLORS[s.status] || "#9ca3af" } }),
        h("span", { text: name }),
        h("span", { class: "count", text: fmt.int(s.orders) }),
        h("span", { class: "pct", text: fmt.pct(s.share) })));
    }
  }

  // ---------------------------------------------------------------- funnel

  function renderFunnel(data) {
    const list = clear($("#funnel"));
    const groups = $("#funnel-groups");
    const first = data.steps.length ? data.steps[0].visits : 0;
    if (!first) {
      list.append(h("li", { class: "empty-row" }, h("p", { class: "empty", text: "No visits in this period." })));
    }
    data.steps.forEach((s, i) => {
      const width = first ? Math.max(0.5, s.conversionFromStart) : 0;
      const drop = i === 0 ? "all visits" : `${fmt.pct(s.conversionFromPrevious)} of previous`;
      if (!first) return;
      list.append(h("li", { "data-testid": `funnel-${s.step}` },
        h("div", { class: "step-name" }, s.label, h("span", { class: "step-drop", text: drop })),
        h("div", { class: "step-track", title: `${fmt.pct(s.conversionFromStart)} of all visits` },
          h("div", { class: "step-fill", style: { width: `${width}%` } }),
          h("div", { class: "step-text" },
            h("span", { class: width > 18 ? "on-bar" : "", text: fmt.int(s.visits) }),
            h("span", { text: fmt.pct(s.conversionFromStart) })))));
    });
    clear(groups);
    groups.hidden = !data.groups;
    if (data.groups && data.groups.length) {
      const head = h("tr", {}, h("th", { text: data.by.replace("_", " ") }),
        data.steps.map((s) => h("th", { class: "num", text: s.label })), h("th", { class: "num", text: "Conv." }));
      const rows = data.groups.map((g) => {
        const last = g.steps[g.steps.length - 1];
        return h("tr", {}, h("td", { text: g.value }),
          g.steps.map((s) => h("td", { class: "num", text: fmt.int(s.visits) })),
          h("td", { class: "num", text: fmt.pct(last.conversionFromStart) }));
      });
      groups.append(h("table", {}, h("thead", {}, head), h("tbody", {}, rows)));
    }
  }

  // ---------------------------------------------------------------- retention heatmap

  function renderRetention() {
    const wrap = clear($("#retention"));
    const data = state.retention;
    if (!data) return;
    const weekly = state.retentionTab === "weekly";
    const cohorts = weekly ? data.weekly : data.monthly;
    if (!cohorts.length) {
      wrap.append(h("p", { class: "empty", text: weekly ? "No visitor cohorts yet." : "No customer cohorts yet." }));
      return;
    }
    const maxOffset = Math.max(...cohorts.map((c) => (c.periods.length ? c.periods[c.periods.length - 1].offset : 0)));
    const unit = weekly ? "W" : "M";
    const head = h("tr", {}, h("th", { class: "cohort", text: weekly ? "Week of" : "Month" }),
      h("th", { text: weekly ? "Visitors" : "Customers" }),
      Array.from({ length: maxOffset + 1 }, (_, i) => h("th", { text: `${unit}${i}` })));
    const rows = cohorts.map((c) => {
      const byOffset = new Map(c.periods.map((p) => [p.offset, p]));
      const cells = Array.from({ length: maxOffset + 1 }, (_, i) => {
        const p = byOffset.get(i);
        if (!p) return h("td", { class: "blank" });
        const alpha = 0.07 + 0.88 * Math.min(1, p.rate / 100);
        return h("td", {
          class: "cell", title: `${fmt.int(p.count)} of ${fmt.int(c.size)}`,
          style: { background: `rgba(79, 70, 229, ${alpha.toFixed(3)})`, color: alpha > 0.5 ? "#fff" : "#1f2937" },
          text: fmt.pct(p.rate).replace(".0%", "%"),
        });
      });
      return h("tr", {}, h("td", { class: "cohort", text: weekly ? fmt.day(c.cohortStart) : fmt.month(c.cohortStart) }),
        h("td", { class: "size", text: fmt.int(c.size) }), cells);
    });
    wrap.append(h("table", { class: "heatmap" }, h("thead", {}, head), h("tbody", {}, rows)));
  }

  // ---------------------------------------------------------------- breakdowns

  const DIM_LABELS = {
    channel: "Channel", referrer: "Referrer", campaign: "Campaign", landing_page: "Page",
    country: "Country", city: "City", device: "Device", browser: "Browser", os: "OS",
  };

  async function loadBreakdown(card, range, seq) {
    const dim = state.dims[card];
    const list = $(`[data-card="${card}"] [data-list]`);
    try {
      const data = await api(`/api/v1/breakdown/${dim}`, { start: range.start, end: range.end, limit: 8 });
      if (seq !== state.loadSeq) return;
      clear(list).append(h("div", { class: "bar-head" },
        h("span", { text: DIM_LABELS[dim] }), h("span", { text: "Visits" }), h("span", { text: "Conv." })));
      if (!data.rows.length) { list.append(h("p", { class: "empty", text: "No visits in this period." })); return; }
      const max = Math.max(...data.rows.map((r) => r.visits));
      for (const r of data.rows) {
        list.append(h("div", { class: "bar-row", "data-testid": `bd-${dim}-row` },
          h("div", { class: "bar-cell", title: `${r.value}: ${fmt.int(r.visitors)} visitors, ${fmt.pct(r.share)} of visits, bounce ${fmt.pct(r.bounceRate)}` },
            h("div", { class: "bar-fill", style: { width: `${(100 * r.visits) / max}%` } }),
            h("div", { class: "bar-label" }, h("span", { text: r.value }))),
          h("span", { class: "num", text: fmt.int(r.visits) }),
          h("span", { class: "num dim", text: fmt.pct(r.conversionRate) })));
      }
    } catch (err) {
      if (err.status !== 401) cardError(list, err);
    }
  }

  // ---------------------------------------------------------------- products, runs

  function renderProducts(data) {
    const wrap = clear($("#products"));
    if (!data.products.length) { wrap.append(h("p", { class: "empty", text: "No product activity yet." })); return; }
    const head = h("tr", {}, ["Product", "Views", "Add to cart", "Units sold", "Revenue", "View → cart", "Cart → purchase"]
      .map((t, i) => h("th", { class: i ? "num" : "", text: t })));
    const rows = data.products.map((p) => h("tr", { "data-testid": "product-row" },
      h("td", {}, h("div", { class: "product-name", text: p.name || p.productId }),
        p.name ? h("div", { class: "product-id", text: p.productId }) : null),
      h("td", { class: "num", text: fmt.int(p.views) }),
      h("td", { class: "num", text: fmt.int(p.addToCarts) }),
      h("td", { class: "num", text: fmt.int(p.unitsSold) }),
      h("td", { class: "num", text: fmt.money(p.revenue) }),
      h("td", { class: "num", text: fmt.pct(p.viewToCartRate) }),
      h("td", { class: "num", text: fmt.pct(p.cartToPurchaseRate) })));
    wrap.append(h("table", {}, h("thead", {}, head), h("tbody", {}, rows)));
  }

  function runClass(status) {
    if (["published", "success", "ok"].includes(status)) return "ok";
    if (status === "running") return "running";
    return "failed";
  }

  function renderRuns(data) {
    state.snapshotId = data.snapshotId;
    state.dataAsOf = data.dataAsOf;
    $("#snapshot-id").textContent = data.snapshotId;
    const fresh = clear($("#freshness"));
    const age = data.dataAsOf ? (Date.now() - new Date(data.dataAsOf).getTime()) / 1000 : null;
    fresh.append(h("span", { text: "Data as of " }),
      h("span", { class: age !== null && age > STALE_AFTER_S ? "stale" : "", title: data.dataAsOf || "", text: data.dataAsOf ? `${dateTimeFmt.format(new Date(data.dataAsOf))} (${fmt.ago(data.dataAsOf)})` : "—" }),
      h("span", { text: ` · updated ${fmt.ago(data.publishedAt)}` }));
    $("#runs-summary").textContent = `last successful run ${fmt.ago(data.lastSuccessAt)}`;
    const wrap = clear($("#runs"));
    if (!data.runs.length) { wrap.append(h("p", { class: "empty", text: "No pipeline runs recorded." })); return; }
    const head = h("tr", {}, ["Started", "Status", "Duration", "New events", "Visits", "Snapshot"]
      .map((t, i) => h("th", { class: i >= 2 && i <= 4 ? "num" : "", text: t })));
    const rows = data.runs.slice(0, 6).map((r) => h("tr", {},
      h("td", { text: r.startedAt ? dateTimeFmt.format(new Date(r.startedAt)) : "—" }),
      h("td", {}, h("span", { class: `run-status ${runClass(r.status)}`, title: r.error || "", text: r.status || "?" })),
      h("td", { class: "num", text: r.seconds !== null ? fmt.duration(r.seconds) : "—" }),
      h("td", { class: "num", text: r.newEvents !== null ? fmt.int(r.newEvents) : "—" }),
      h("td", { class: "num", text: r.visits !== null ? fmt.int(r.visits) : "—" }),
      h("td", { class: "product-id", text: r.snapshotId || "—" })));
    wrap.append(h("table", {}, h("thead", {}, head), h("tbody", {}, rows)));
  }

  // ---------------------------------------------------------------- realtime

  async function loadRealtime() {
    try {
      const rt = await api("/api/v1/realtime");
      $("#live-count").textContent = fmt.int(rt.activeUsersLast30Min);
      $("#rt-active").textContent = fmt.int(rt.activeUsersLast30Min);
      $("#rt-per-minute").textContent = fmt.dec(rt.usersPerMinute);
      const quiet = $("#rt-quiet");
      quiet.hidden = rt.activeUsersLast30Min > 0;
      if (!window.Chart) return;
      const labels = rt.perMinute.map((m) => timeFmt.format(new Date(m.minute)));
      const values = rt.perMinute.map((m) => m.visitors);
      if (state.charts.rt) {
        state.charts.rt.data.labels = labels;
        state.charts.rt.data.datasets[0].data = values;
        state.charts.rt.update("none");
      } else {
        state.charts.rt = new Chart($("#rt-chart"), {
          type: "bar",
          data: { labels, datasets: [{ data: values, backgroundColor: "#6ee7b7", hoverBackgroundColor: "#10b981", borderRadius: 2, barPercentage: 0.9, categoryPercentage: 0.95 }] },
          options: {
            responsive: true, maintainAspectRatio: false, animation: false,
            plugins: { legend: { display: false }, tooltip: { callbacks: { label: (i) => ` ${i.raw} visitors` } } },
            scales: { x: { display: false }, y: { display: false, beginAtZero: true, suggestedMax: 2 } },
          },
        });
      }
    } catch (err) {
      if (err.status !== 401) $("#live-count").textContent = "–";
    }
  }

  // ---------------------------------------------------------------- loading

  async function loadAll() {
    const seq = ++state.loadSeq;
    const range = resolvePeriod();
    $("#period-title").textContent = range.title;
    syncPeriodControls();
    const p = { start: range.start, end: range.end };

    const series = api("/api/v1/metrics/daily", p).then((s) => {
      if (seq !== state.loadSeq) return;
      state.currency = s.currency;
      $("#period-compare").textContent = `compared with ${s.previousStart === s.previousEnd ? fmt.day(s.previousStart) : `${fmt.day(s.previousStart)} – ${fmt.day(s.previousEnd)}`}`;
      renderTiles(s);
      renderDailyChart(s);
      renderGoal(s);
      const nothing = s.totals.totalVisits === 0 && s.totals.totalOrders === 0;
      if (nothing && s.dataAsOf) {
        const latest = s.dataAsOf.slice(0, 10);
        banner(`No visits or orders between ${fmt.day(range.start)} and ${fmt.day(range.end)}. The latest data is from ${fmt.longDay(latest)}.`,
          "info", { label: "Show the 7 days up to it", run: () => setPeriod("custom", addDays(latest, -6), latest) });
      } else if (nothing) {
        banner("No data in this snapshot yet: send some events, then run the pipeline.");
      } else {
        banner(null);
      }
      return s;
    });

    const jobs = [
      series,
      api("/api/v1/orders/status", p).then((d) => seq === state.loadSeq && renderOrders(d)),
      api("/api/v1/funnel", { ...p, by: state.funnelBy }).then((d) => seq === state.loadSeq && renderFunnel(d)),
      api("/api/v1/retention", { cohorts: 8 }).then((d) => { if (seq === state.loadSeq) { state.retention = d; renderRetention(); } }),
      api("/api/v1/products/top", { ...p, limit: 10 }).then((d) => seq === state.loadSeq && renderProducts(d)),
      api("/api/v1/runs", { limit: 10 }).then((d) => seq === state.loadSeq && renderRuns(d)),
      ...Object.keys(state.dims).map((card) => loadBreakdown(card, range, seq)),
    ];
    const results = await Promise.allSettled(jobs);
    if (seq !== state.loadSeq) return;
    const failed = results.filter((r) => r.status === "rejected").map((r) => r.reason);
    if (failed.some((e) => e.status === 401)) return;
    if (failed.some((e) => e.status === 503)) {
      banner("No snapshot has been published yet. Run `footfall run` (or wait for the scheduled pipeline); this page checks again every 30 seconds.");
      $("#daily-chart").parentElement.hidden = true;
      $("#chart-empty").textContent = "Waiting for the first snapshot…";
      $("#chart-empty").hidden = false;
    } else if (failed.length) {
      banner(`Some numbers could not be loaded (${failed[0].message}).`, "error", { label: "Retry", run: loadAll });
    }
    const cards = { "#funnel": 2, "#retention": 3, "#products": 4, "#runs": 5, "#status-list": 1 };
    for (const [sel, i] of Object.entries(cards)) {
      if (results[i].status === "rejected" && results[i].reason.status !== 401) cardError($(sel), results[i].reason);
    }
  }

  async function checkSnapshot() {
    try {
      const res = await fetch("/healthz");
      const health = await res.json();
      if (health.snapshotId && health.snapshotId !== state.snapshotId) {
        await refreshToday();
        loadAll();
      }
    } catch (_) { /* offline: try again later */ }
  }

  async function refreshToday() {
    try {
      const runs = await api("/api/v1/runs", { limit: 1 });
      state.today = runs.today;
      state.tz = runs.reportingTimezone;
    } catch (_) {
      state.today = localToday();
    }
  }

  function stopTimers() {
    for (const t of state.timers) clearInterval(t);
    state.timers = [];
  }

  async function start() {
    $("#login").hidden = true;
    $("#app").hidden = false;
    chartDefaults();
    renderTileSkeletons();
    await refreshToday();
    if (!state.token) return;
    syncPeriodControls();
    loadAll();
    loadRealtime();
    stopTimers();
    state.timers.push(setInterval(loadRealtime, REALTIME_EVERY_MS));
    state.timers.push(setInterval(checkSnapshot, HEALTH_EVERY_MS));
  }

  // ---------------------------------------------------------------- wiring

  function wire() {
    $("#login-form").addEventListener("submit", onLogin);
    $("#logout").addEventListener("click", () => { forgetToken(); showLogin(); });
    for (const b of $$(".period button")) {
      b.addEventListener("click", () => {
        if (b.dataset.period === "custom") {
          const r = resolvePeriod();
          state.period = { kind: "custom", start: r.start, end: r.end };
          syncPeriodControls();
          $("#custom-start").focus();
          return;
        }
        setPeriod(b.dataset.period);
      });
    }
    $("#custom-range").addEventListener("submit", (e) => {
      e.preventDefault();
      let s = $("#custom-start").value, en = $("#custom-end").value;
      if (!s || !en) return;
      if (s > en) [s, en] = [en, s];
      if ((parseDate(en) - parseDate(s)) / 86400000 > 365) s = addDays(en, -365);
      setPeriod("custom", s, en);
    });
    $("#funnel-by").addEventListener("change", (e) => {
      state.funnelBy = e.target.value;
      const range = resolvePeriod();
      api("/api/v1/funnel", { start: range.start, end: range.end, by: state.funnelBy })
        .then(renderFunnel).catch((err) => err.status !== 401 && cardError($("#funnel"), err));
    });
    for (const b of $$('[data-tabs="retention"] button')) {
      b.addEventListener("click", () => {
        state.retentionTab = b.dataset.tab;
        for (const o of $$('[data-tabs="retention"] button')) o.classList.toggle("active", o === b);
        renderRetention();
      });
    }
    for (const card of $$("[data-card]")) {
      for (const b of $$("[data-dim]", card)) {
        b.addEventListener("click", () => {
          state.dims[card.dataset.card] = b.dataset.dim;
          for (const o of $$("[data-dim]", card)) o.classList.toggle("active", o === b);
          loadBreakdown(card.dataset.card, resolvePeriod(), state.loadSeq);
        });
      }
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    wire();
    loadPeriod();
    state.token = loadToken();
    if (state.token) start();
    else showLogin();
  });
})();
