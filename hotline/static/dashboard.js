// 12345 督办工作台: plain JS, no build step; the map (map.js) is drawn by the vendored Apache ECharts.
// Every value from the server is written with textContent, or drawn by ECharts as text, never as HTML.
"use strict";

const KEY = "hotline.token";
const COLORS = ["#1f77b4", "#2ca02c", "#d62728", "#9467bd"];
const params = new URLSearchParams(location.search);
const POLL_MS = Math.max(1, Number(params.get("poll")) || 5) * 1000;   // fallback polling
const LIVE_POLL_MS = 30000;                                              // while the SSE feed is up
const $ = (sel) => document.querySelector(sel);

const state = { token: sessionStorage.getItem(KEY) || "", timer: null, sse: null, live: false, units: new Map(),
                escAvailable: true, hotspotsAvailable: true, surgesAvailable: true, disputesAvailable: true, loading: false, area: "" };

// ---------- helpers ----------
function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}
function pct(v) { return v === null || v === undefined ? "—" : (v * 100).toFixed(1) + "%"; }
function fmtTime(iso) {
  if (!iso) return "—";
  const d = new Date(iso);
  return d.toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", hour12: false, month: "2-digit", day: "2-digit",
                                     hour: "2-digit", minute: "2-digit" });
}
function showMessage(text) {
  const m = $("#message");
  m.textContent = text || "";
  m.hidden = !text;
}
function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }

class HttpError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, query) {
  const url = new URL(path, location.origin);
  for (const [k, v] of Object.entries(query || {})) if (v !== "" && v !== null && v !== undefined) url.searchParams.set(k, v);
  const resp = await fetch(url, { headers: { Authorization: "Bearer " + state.token }, cache: "no-store" });
  if (!resp.ok) {
    let msg = resp.status + "";
    try { msg = (await resp.json()).message || msg; } catch (e) { /* not JSON */ }
    throw new HttpError(resp.status, msg);
  }
  return resp;
}
async function apiJson(path, query) { return (await api(path, query)).json(); }

function rangeQuery() {
  const days = Number($("#range").value);
  const to = new Date(Date.now() + 8 * 3600 * 1000);               // Beijing date
  const from = new Date(to.getTime() - (days - 1) * 86400 * 1000);
  const d = (x) => x.toISOString().slice(0, 10);
  return { from: d(from), to: d(to) };
}
function unitFilter() { return $("#unit-filter").value; }
function areaFilter() { return state.area; }

// ---------- tables ----------
function fillTable(table, rows, cells, hot) {
  const body = table.querySelector("tbody");
  clear(body);
  for (const r of rows) {
    const tr = document.createElement("tr");
    if (hot && hot(r)) tr.className = "hot";
    for (const c of cells) {
      const td = document.createElement("td");
      const v = c(r);
      if (v instanceof Node) td.appendChild(v); else td.textContent = v === null || v === undefined ? "—" : String(v);
      if (c.cls) td.className = c.cls;
      tr.appendChild(td);
    }
    tr.dataset.id = r.id !== undefined ? String(r.id) : "";
    body.appendChild(tr);
  }
  const empty = table.parentElement.querySelector(".empty");
  if (empty) empty.hidden = rows.length > 0;
}
function col(fn, cls) { fn.cls = cls; return fn; }
function tag(text, cls) { return text ? el("span", text, "tag " + (cls || "")) : "—"; }
// A deadline, marked 暂定 when it was computed before the year's official holiday notice (recomputed later).
function deadline(iso, provisional) {
  if (!provisional) return fmtTime(iso);
  const span = el("span", fmtTime(iso) + " ");
  const mark = el("span", "暂定", "tag provisional");
  mark.title = "按法定节假日暂定计算（次年调休安排尚未公布），正式安排公布后自动重算";
  span.appendChild(mark);
  return span;
}

function rememberUnit(id, name) {
  if (id === null || id === undefined || id === "" || id === "0" || !name) return;
  state.units.set(String(id), name);
}
function renderUnitOptions() {
  const sel = $("#unit-filter");
  const current = sel.value;
  const known = new Set([...sel.options].map((o) => o.value));
  const sorted = [...state.units.entries()].sort((a, b) => a[1].localeCompare(b[1], "zh-CN"));
  for (const [id, name] of sorted) {
    if (known.has(id)) continue;
    const o = el("option", name);
    o.value = id;
    sel.appendChild(o);
  }
  sel.value = current;
}

// ---------- charts (Apache ECharts, SVG renderer; values reach the page as text) ----------
function chartIn(node, height) {
  const empty = node.querySelector("p.muted");
  if (empty) empty.remove();
  node.style.height = height + "px";
  const inst = echarts.getInstanceByDom(node);
  if (inst) { inst.resize(); return inst; }
  return echarts.init(node, null, { renderer: "svg", locale: "ZH" });
}
function noData(node) {
  const inst = echarts.getInstanceByDom(node);
  if (inst) inst.dispose();
  clear(node);
  node.style.height = "";
  node.appendChild(el("p", "区间内暂无数据", "muted"));
}
const TOOLTIP = { renderMode: "richText" };
function lineChart(node, labels, series) {
  if (!labels.length) { noData(node); return; }
  chartIn(node, 260).setOption({
    animation: false, color: COLORS, tooltip: { ...TOOLTIP, trigger: "axis", valueFormatter: pct },
    legend: { top: 0, data: series.map((x) => x.name) }, grid: { left: 50, right: 24, top: 34, bottom: 28 },
    xAxis: { type: "category", data: labels, axisLabel: { formatter: (v) => v.length > 7 ? v.slice(5) : v } },
    yAxis: { type: "value", min: 0, max: 1, axisLabel: { formatter: (v) => Math.round(v * 100) + "%" } },
    series: series.map((x) => ({ type: "line", name: x.name, data: x.values, symbolSize: 6, connectNulls: false })),
  }, true);
}
function groupedBars(node, labels, series, { percent = true } = {}) {
  if (!labels.length) { noData(node); return; }
  const fmt = (v) => percent ? pct(v) : String(v ?? 0);
  const rows = [...labels].reverse();   // ECharts draws a category axis bottom-up: first label on top
  chartIn(node, labels.length * (14 * series.length + 12) + (series.length > 1 ? 60 : 36)).setOption({
    animation: false, color: COLORS, tooltip: { ...TOOLTIP, trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: fmt },
    legend: { show: series.length > 1, top: 0, data: series.map((x) => x.name) },
    grid: { left: 8, right: 70, top: series.length > 1 ? 30 : 6, bottom: 24, containLabel: true },
    xAxis: { type: "value", max: percent ? 1 : null, axisLabel: { formatter: (v) => percent ? Math.round(v * 100) + "%" : v } },
    yAxis: { type: "category", data: rows, axisLabel: { formatter: (v) => v.length > 14 ? v.slice(0, 14) + "…" : v } },
    series: series.map((x) => ({ type: "bar", name: x.name, data: [...x.values].reverse(), barMaxWidth: 14,
                                label: { show: true, position: "right", formatter: (p) => fmt(p.value) } })),
  }, true);
}
window.addEventListener("resize", () => document.querySelectorAll(".chart").forEach((n) => {
  const inst = window.echarts && echarts.getInstanceByDom(n);
  if (inst) inst.resize();
}));

// ---------- panels ----------
async function loadAttention() {
  const data = await apiJson("/api/v1/reports/overdue", { unit: unitFilter(), area: areaFilter(), limit: 100 });
  data.items.forEach((r) => rememberUnit(String(r.unit_id ?? ""), r.unit_name));
  $("#attention-count").textContent = data.items.length ? String(data.items.length) : "";
  fillTable($("#attention"), data.items, [
    (r) => r.ticket_no, col((r) => r.title, "title"), (r) => r.unit_name, (r) => r.area_name, (r) => r.status_label,
    (r) => tag(r.overdue_label, "red"), (r) => tag(r.last_step_label ? `${r.last_step_label}（${fmtTime(r.last_step_at)}）` : "", "amber"),
    (r) => deadline(r.reply_by, r.deadline_provisional),
  ], (r) => !!r.overdue);
}

async function loadTickets() {
  const data = await apiJson("/api/v1/tickets", { unit: unitFilter(), area: areaFilter(), limit: 20 });
  data.items.forEach((t) => t.unit && rememberUnit(String(t.unit.id), t.unit.name));
  fillTable($("#tickets"), data.items, [
    (t) => t.ticket_no, col((t) => t.title, "title"), (t) => t.category, (t) => t.unit ? t.unit.name : "未派单",
    (t) => t.status_label, (t) => fmtTime(t.created_at),
  ]);
}

async function loadEscalations() {
  if (!state.escAvailable) return;
  const panel = $("#esc-panel");
  let data;
  try {
    data = await apiJson("/api/v1/reports/escalations", { area: areaFilter() });
  } catch (e) {
    if (e.status === 404 || e.status === 405) state.escAvailable = false;   // not deployed: hide the panel
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  const box = $("#esc-summary");
  clear(box);
  box.appendChild(el("span", `超期工单：${data.overdue ? data.overdue.total : 0}`));
  for (const s of (data.steps && data.steps.by_step) || []) box.appendChild(el("span", `${s.label}：${s.count}`));
  const units = (data.overdue && data.overdue.by_unit) || [];
  fillTable($("#esc-units"), units.slice(0, 10), [(u) => u.unit_name || u.name || u.unit_code || "—", (u) => u.count]);
}

// ---------- disputes (矛盾纠纷化解) ----------
async function loadDisputes() {
  if (!state.disputesAvailable) return;
  const panel = $("#disputes-panel");
  let data;
  try {
    data = await apiJson("/api/v1/reports/disputes/board", { area: areaFilter() });
  } catch (e) {
    if (e.status === 404 || e.status === 405 || e.status === 403) state.disputesAvailable = false;
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  const t = data.totals;
  $("#disputes-summary").textContent = `在办 ${t.open} 件，高风险 ${t.high_risk} 件，挂牌督办 ${t.listed} 件，调解超期 ${t.overdue} 件`;
  const tiles = $("#risk-tiles");
  clear(tiles);
  for (const r of data.by_risk) {
    const k = el("div", null, "risk-tile " + r.risk);
    k.dataset.risk = r.risk;
    k.appendChild(el("div", `${r.label}风险在办`, "name muted"));
    k.appendChild(el("div", r.open, "value"));
    k.appendChild(el("div", `挂牌 ${r.listed} · 超期 ${r.overdue}`, "muted"));
    tiles.appendChild(k);
  }
  const risk = (c) => tag(c.risk_label, c.risk);
  const due = (c) => c.overdue ? tag(`超期 ${c.days_overdue} 天`, "red") : fmtTime(c.due_at);
  const common = [(c) => c.case_no, risk, (c) => c.dispute_type_label, col((c) => c.summary, "title"),
                  (c) => c.area_name, (c) => c.lead_org_name || "未分派"];
  fillTable($("#cases-high"), data.high_risk, [...common, (c) => c.status_label, due], (c) => c.overdue);
  fillTable($("#cases-listed"), data.listed, [...common, (c) => c.listed_leader || "—", due], (c) => c.overdue);
  fillTable($("#cases-overdue"), data.overdue, [...common, (c) => c.status_label, due]);
}

// ---------- the map (一图全览) ----------
async function loadMap() {
  if (!window.echarts || !window.HotlineMap) { $("#map-panel").hidden = true; return; }
  const data = await apiJson("/api/v1/reports/map");
  if (!HotlineMap.ready) HotlineMap.init($("#map"), selectArea);   // once #main is shown: the chart needs a size
  if (!HotlineMap.hasBoundaries(data.area.code)) {
    const geo = await apiJson("/api/v1/reference/boundaries", { area: data.area.code });
    HotlineMap.setBoundaries(data.area.code, geo);
  }
  state.mapCounties = data.counties;
  HotlineMap.setData(data.counties);
  $("#map-area").textContent = `${data.area.name}：在办 ${data.totals.open} 件，超期 ${data.totals.overdue} 件`;
  $("#map-unplaced").textContent = data.unplaced.open ? `另有 ${data.unplaced.open} 件只登记到市级（未落到区县）` : "";
  renderCountyTable();
}

async function loadHotspots() {
  if (!state.hotspotsAvailable || !window.HotlineMap) return;
  let data;
  try {
    data = await apiJson("/api/v1/reports/hotspots");
  } catch (e) {
    if (e.status === 404 || e.status === 405) state.hotspotsAvailable = false;   // not deployed: no layer
    $("#hotspot-note").textContent = "";
    return;
  }
  HotlineMap.setHotspots(data.items);
  const n = HotlineMap.hotspotsByCounty().length;
  $("#hotspot-note").textContent = n ? `热点：${n} 个区县（近 ${data.window_hours} 小时，紫色标记）` : `近 ${data.window_hours} 小时无热点`;
  renderCountyTable();
}

// 话务激增: while an area's calls far exceed the same hours of other days, say so (and how many were grouped).
async function loadSurges() {
  if (!state.surgesAvailable) return;
  let data;
  try {
    data = await apiJson("/api/v1/reports/surges");
  } catch (e) {
    if (e.status === 404 || e.status === 405) state.surgesAvailable = false;
    $("#surge-banner").hidden = true;
    return;
  }
  const banner = $("#surge-banner");
  banner.hidden = !data.items.length;
  banner.textContent = data.items.length ? "话务激增：" + data.items.map((s) =>
    `${s.area_name || s.area_code} 近 ${data.window_hours} 小时 ${s.count} 件（通常约 ${s.baseline.toFixed(1)} 件），` +
    `相同诉求已自动归并 ${s.grouped} 件`).join("；") : "";
}

function renderCountyTable() {
  const spots = new Map((window.HotlineMap ? HotlineMap.hotspotsByCounty() : []).map((h) => [h.code, h]));
  const rows = [...(state.mapCounties || [])].sort((a, b) => (b.overdue - a.overdue) || (b.open - a.open)
                                                         || a.code.localeCompare(b.code));
  fillTable($("#county-table"), rows, [
    (c) => c.name, (c) => c.open, (c) => c.overdue, (c) => spots.has(c.code) ? tag(spots.get(c.code).categories.join("、"), "amber") : "—",
  ]);
  $("#county-table tbody").querySelectorAll("tr").forEach((tr, i) => {
    tr.dataset.code = rows[i].code;
    if (rows[i].code === state.area) tr.classList.add("selected");
  });
}

function selectArea(code) {
  state.area = code || "";
  if (window.HotlineMap && HotlineMap.selected !== state.area) HotlineMap.select(state.area, false);
  $("#area-chip").hidden = !state.area;
  $("#area-name").textContent = state.area && window.HotlineMap ? HotlineMap.countyName(state.area) : "";
  renderCountyTable();
  refresh();
}

function rateQuery(extra) {
  return { ...rangeQuery(), unit: unitFilter(), area: areaFilter(), ...extra };
}

async function loadRates() {
  const [trend, units, areas, cats] = await Promise.all([
    apiJson("/api/v1/reports/rates", rateQuery({ group_by: "total", period: $("#period").value })),
    apiJson("/api/v1/reports/rates", rateQuery({ group_by: "unit" })),
    apiJson("/api/v1/reports/rates", rateQuery({ group_by: "area" })),
    apiJson("/api/v1/reports/rates", rateQuery({ group_by: "category" })),
  ]);
  renderKpis(trend.total);
  lineChart($("#trend-chart"), trend.rows.map((r) => r.period), [
    { name: "响应率", values: trend.rows.map((r) => r.response_rate) },
    { name: "实际解决率", values: trend.rows.map((r) => r.real_resolution_rate) },
    { name: "满意率", values: trend.rows.map((r) => r.satisfaction_rate) },
  ]);
  const urows = units.rows.filter((r) => r.key !== "0");
  urows.forEach((r) => rememberUnit(r.key, r.label));
  const top = [...urows].sort((a, b) => (b.replied - a.replied) || (b.dispatched - a.dispatched)).slice(0, 12);
  groupedBars($("#unit-chart"), top.map((r) => r.label), [
    { name: "单位自报解决率", values: top.map((r) => r.claimed_resolution_rate) },
    { name: "回访实际解决率", values: top.map((r) => r.real_resolution_rate) },
  ]);
  fillTable($("#unit-table"), urows, [
    (r) => r.label, (r) => r.dispatched, (r) => pct(r.response_rate), (r) => pct(r.ontime_rate),
    (r) => pct(r.claimed_resolution_rate), (r) => pct(r.real_resolution_rate),
    (r) => r.resolution_gap === null ? "—" : (r.resolution_gap * 100).toFixed(1) + " 个百分点",
    (r) => pct(r.satisfaction_rate), (r) => pct(r.return_rate), (r) => pct(r.reopen_rate), (r) => r.escalated,
    (r) => pct(r.composite),
  ], (r) => r.resolution_gap !== null && r.resolution_gap >= 0.2);
  const hot = (rows) => rows.filter((r) => r.received > 0).sort((a, b) => b.received - a.received).slice(0, 10);
  const ha = hot(areas.rows), hc = hot(cats.rows);
  groupedBars($("#area-chart"), ha.map((r) => r.label), [{ name: "受理量", values: ha.map((r) => r.received) }], { percent: false });
  groupedBars($("#category-chart"), hc.map((r) => r.label), [{ name: "受理量", values: hc.map((r) => r.received) }], { percent: false });
  renderUnitOptions();
}

function renderKpis(t) {
  const box = $("#kpis");
  clear(box);
  const items = [
    ["响应率", t && t.response_rate, t ? `${t.signed_on_time}/${t.signed + t.sign_lapsed} 按时签收（已到期，共派单 ${t.dispatched}）` : ""],
    ["按时办结率", t && t.ontime_rate, t ? `${t.replied_on_time}/${t.replied}` : ""],
    ["单位自报解决率", t && t.claimed_resolution_rate, t ? `${t.claimed_solved}/${t.replied}` : ""],
    ["实际解决率", t && t.real_resolution_rate, t ? `${t.cb_solved}/${t.cb_reached} 回访确认` : ""],
    ["满意率", t && t.satisfaction_rate, t ? `${t.cb_satisfied + t.cb_basic}/${t.cb_reached}` : ""],
    ["三率综合", t && t.composite, ""],
    ["退单率", t && t.return_rate, t ? `${t.returned} 件` : ""],
    ["提级", null, t ? `${t.escalated} 次` : "0 次"],
  ];
  for (const [name, v, sub] of items) {
    const k = el("div", null, "kpi");
    k.appendChild(el("div", name, "name"));
    k.appendChild(el("div", name === "提级" ? (t ? t.escalated : 0) : pct(v), "value"));
    k.appendChild(el("div", sub, "sub"));
    box.appendChild(k);
  }
}

async function downloadCsv(group) {
  const q = group === "total" ? rateQuery({ group_by: "total", period: $("#period").value }) : rateQuery({ group_by: group });
  try {
    const resp = await api("/api/v1/reports/rates.csv", q);
    const blob = await resp.blob();
    const a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = `三率_${group}_${q.from}_${q.to}.csv`;
    document.body.appendChild(a);
    a.click();
    setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
  } catch (e) { showMessage("导出失败：" + e.message); }
}

// ---------- refresh, polling and the live feed ----------
async function refresh() {
  if (!state.token) return;
  if (state.loading) { state.again = true; return; }   // an update during a load: load once more after it
  state.loading = true;
  state.again = false;
  try {
    await Promise.all([loadMap().then(loadHotspots), loadAttention(), loadTickets(), loadEscalations(), loadRates(),
                       loadDisputes(), loadSurges()]);
    showMessage("");
    $("#updated").textContent = "更新于 " + new Date().toLocaleTimeString("zh-CN", { hour12: false });
    document.body.dataset.loaded = String(Date.now());
  } catch (e) {
    if (e.status === 401) { logout(); showMessage("令牌无效或已吊销，请重新输入"); }
    else if (e.status === 403) showMessage("当前令牌无权查看督办工作台：" + e.message);
    else showMessage("加载失败：" + e.message);
  } finally {
    state.loading = false;
    if (state.again) refresh();
  }
}

function schedule() {
  clearTimeout(state.timer);
  state.timer = setTimeout(async () => { await refresh(); schedule(); }, state.live ? LIVE_POLL_MS : POLL_MS);
}

function setLive(on, text) {
  state.live = on;
  $("#live").textContent = text;
  schedule();
}

// Server-sent events read through fetch, so the token travels in the Authorization header, not the URL.
async function connectLive() {
  if (!window.ReadableStream || !window.TextDecoder) { setLive(false, `轮询（每 ${POLL_MS / 1000} 秒）`); return; }
  const ctrl = new AbortController();
  state.sse = ctrl;
  try {
    const resp = await fetch("/api/v1/reports/escalations/stream", {
      headers: { Authorization: "Bearer " + state.token, Accept: "text/event-stream" }, signal: ctrl.signal, cache: "no-store" });
    if (!resp.ok || !resp.body || !(resp.headers.get("Content-Type") || "").startsWith("text/event-stream")) {
      throw new HttpError(resp.status, "no stream");
    }
    setLive(true, "实时推送已连接");
    const reader = resp.body.getReader();
    const dec = new TextDecoder();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buf += dec.decode(value, { stream: true });
      let cut;
      while ((cut = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, cut);
        buf = buf.slice(cut + 2);
        if (block.split("\n").some((line) => line.startsWith("data:"))) refresh();
      }
    }
    throw new HttpError(0, "stream closed");
  } catch (e) {
    if (ctrl.signal.aborted) return;
    setLive(false, `轮询（每 ${POLL_MS / 1000} 秒）`);
    if (e.status === 404 || e.status === 405) return;        // no live feed on this server: keep polling
    setTimeout(() => { if (state.sse === ctrl && state.token) connectLive(); }, 10000);
  }
}

function start() {
  $("#main").hidden = false;
  $("#logout").hidden = false;
  $("#token").value = "";
  $("#token").placeholder = "已登录（令牌保存在本标签页）";
  setLive(false, `轮询（每 ${POLL_MS / 1000} 秒）`);
  refresh();
  connectLive();
}

function logout() {
  sessionStorage.removeItem(KEY);
  state.token = "";
  if (state.sse) state.sse.abort();
  state.sse = null;
  clearTimeout(state.timer);
  $("#main").hidden = true;
  $("#logout").hidden = true;
  $("#token").placeholder = "粘贴督办人员令牌（hl_...）";
  $("#live").textContent = "未连接";
}

document.addEventListener("DOMContentLoaded", () => {
  $("#login").addEventListener("submit", (ev) => {
    ev.preventDefault();
    const t = $("#token").value.trim();
    if (!t) { showMessage("请粘贴访问令牌"); return; }
    state.token = t;
    sessionStorage.setItem(KEY, t);
    start();
  });
  $("#logout").addEventListener("click", () => { logout(); showMessage(""); });
  for (const id of ["#unit-filter", "#range", "#period"]) $(id).addEventListener("change", refresh);
  $("#refresh").addEventListener("click", refresh);
  $("#area-clear").addEventListener("click", () => selectArea(""));
  $("#county-table tbody").addEventListener("click", (ev) => {
    const tr = ev.target.closest("tr");
    if (tr && tr.dataset.code) selectArea(tr.dataset.code === state.area ? "" : tr.dataset.code);
  });
  document.querySelectorAll(".layers button").forEach((b) => b.addEventListener("click", () => {
    document.querySelectorAll(".layers button").forEach((x) => x.setAttribute("aria-pressed", String(x === b)));
    HotlineMap.setLayer(b.dataset.layer);
  }));
  document.querySelectorAll("button.csv").forEach((b) => b.addEventListener("click", () => downloadCsv(b.dataset.csv)));
  if (state.token) start();
});
