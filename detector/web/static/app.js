// detector web view: lists flags, shows the evidence of the selected one, draws the timeline.
// Data from the API is untrusted (feed text): it only ever reaches the page as text nodes
// (textContent / append of strings) or as attributes we set ourselves; never as HTML.
"use strict";
(function () {
  const PAGE = 25;
  const SVG_NS = "http://www.w3.org/2000/svg";
  const state = { offset: 0, total: 0, filters: {}, selected: null };
  const $ = (id) => document.getElementById(id);

  function el(tag, cls, ...children) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    for (const c of children) e.append(c instanceof Node ? c : String(c == null ? "" : c));
    return e;
  }

  function svg(tag, attrs, text) {
    const e = document.createElementNS(SVG_NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    if (text != null) e.textContent = String(text);
    return e;
  }

  function fmt(x, digits) {
    return x == null ? "" : Number(x).toFixed(digits);
  }

  function safeUrl(u) {
    return typeof u === "string" && /^https?:\/\//i.test(u) ? u : null;
  }

  async function api(path, params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== "" && v != null) q.set(k, v);
    }
    const qs = q.toString();
    const r = await fetch(path + (qs ? "?" + qs : ""), { headers: { Accept: "application/json" } });
    const body = await r.json().catch(() => ({}));
    if (!r.ok) throw new Error(body.detail || r.status + " " + r.statusText);
    return body;
  }

  function showError(err) {
    const box = $("error");
    box.textContent = err ? String(err.message || err) : "";
    box.hidden = !err;
  }

  // --- flag list -------------------------------------------------------------------------------

  async function loadFlags() {
    let data;
    try {
      data = await api("/flags", Object.assign({}, state.filters, { limit: PAGE, offset: state.offset }));
    } catch (err) {
      showError(err);
      return;
    }
    showError(null);
    state.total = data.total;
    const body = $("flags").tBodies[0];
    body.replaceChildren();
    for (const f of data.items) {
      const tr = el("tr", f.id === state.selected ? "selected" : "",
        el("td", "", f.kind), el("td", "", f.actor), el("td", "", f.start), el("td", "", f.end),
        el("td", "", fmt(f.score, 3)), el("td", "", fmt(f.p_value, 4)),
        el("td", "", f.n_statements), el("td", "", f.n_strikes));
      tr.dataset.flagId = f.id;
      tr.title = "flag " + f.id;
      tr.addEventListener("click", () => selectFlag(f.id, tr));
      body.append(tr);
    }
    const first = data.items.length ? state.offset + 1 : 0;
    $("count").textContent = "(" + first + "\u2013" + (state.offset + data.items.length) + " of " + data.total + ")";
    $("prev").disabled = state.offset === 0;
    $("next").disabled = state.offset + PAGE >= data.total;
    if (data.items.length && !state.selected) drawTimeline(data.items[0].actor, null);
    if (!data.items.length) body.append(el("tr", "", el("td", "empty", "no flags match")));
  }

  // --- one flag's evidence ---------------------------------------------------------------------

  async function selectFlag(id, row) {
    state.selected = id;
    for (const tr of $("flags").tBodies[0].rows) tr.classList.toggle("selected", tr === row);
    let data;
    try {
      data = await api("/flags/" + encodeURIComponent(id));
    } catch (err) {
      showError(err);
      return;
    }
    showError(null);
    renderEvidence(data);
    drawTimeline(data.flag.actor, data.flag);
  }

  function renderEvidence(data) {
    const f = data.flag;
    const box = $("evidence");
    const summary = el("div", "flag-summary",
      el("strong", "", f.kind + " by " + f.actor + ", " + f.start + " .. " + f.end),
      el("div", "", "score " + fmt(f.score, 3) + ", p-value " + (f.p_value == null ? "n/a" : fmt(f.p_value, 4)) +
        ", method " + f.method + ", model " + (f.model_version || "n/a")),
      el("div", "", "rhetoric index " + (f.rhetoric == null ? "n/a" : f.rhetoric) +
        ", action index " + (f.action == null ? "n/a" : f.action)),
      el("code", "", f.id));
    const statements = el("div", "statements");
    for (const s of data.statements) {
      const meta = el("div", "meta",
        (s.published_at ? s.published_at.slice(0, 10) : "undated") + " \u00b7 " + (s.speaker || "?") + " \u00b7 ",
        el("span", s.stance, s.stance + " (" + fmt(s.stance_score, 2) + ")"),
        " \u00b7 " + s.source);
      const item = el("div", "statement", meta, el("div", "text", s.text));
      const url = safeUrl(s.url);
      if (url) {
        const a = el("a", "", url);
        a.href = url;
        a.rel = "noopener noreferrer";
        a.target = "_blank";
        item.append(a);
      }
      statements.append(item);
    }
    const head = el("tr", "");
    for (const h of ["time (UTC)", "actor", "target actor", "target", "weapon", "launched", "destroyed", "place", "source"]) {
      head.append(el("th", "", h));
    }
    const strikes = el("table", "strikes", el("thead", "", head));
    const body = el("tbody", "");
    for (const k of data.strikes) {
      body.append(el("tr", "",
        el("td", "", (k.start || "").slice(0, 16).replace("T", " ")), el("td", "", k.actor || ""),
        el("td", "", k.target_actor || ""), el("td", "", k.target_type || ""),
        el("td", "", k.weapon || ""), el("td", "", k.launched == null ? "?" : k.launched),
        el("td", "", k.destroyed == null ? "?" : k.destroyed), el("td", "", k.place || ""),
        el("td", "", k.source || "")));
    }
    strikes.append(body);
    box.replaceChildren(summary,
      el("h3", "", "Statements (" + data.statements.length + ")"), statements,
      el("h3", "", "Strike events (" + data.strikes.length + ")"), strikes);
  }

  // --- timeline (inline SVG) -------------------------------------------------------------------

  const DAY = 86400000;
  const day = (s) => Date.parse(s + "T00:00:00Z");

  async function drawTimeline(actor, selected) {
    let series, flags, commitments;
    try {
      [series, flags, commitments] = await Promise.all([
        api("/series", { actor: actor, limit: 1000 }),
        api("/flags", { actor: actor, limit: 1000 }),
        api("/commitments", { actor: actor }),
      ]);
    } catch (err) {
      showError(err);
      return;
    }
    $("timeline-actor").textContent = actor;
    const box = $("timeline");
    if (!series.items.length) {
      box.replaceChildren(el("p", "empty", "no R/A series for " + actor));
      return;
    }
    const W = 860, H = 330, L = 50, R = 10, panelH = 120, top1 = 30, top2 = 180;
    const rows = series.items;
    const x0 = day(rows[0].period_start);
    const x1 = Math.max(...rows.map((r) => day(r.period_end) + DAY));
    const x = (t) => L + ((t - x0) / (x1 - x0)) * (W - L - R);
    const root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "R and A timeline of " + actor });
    root.append(svg("title", {}, actor + ": rhetoric (R) and action (A) per period"));
    const panels = [["rhetoric", "R: willingness", "#4e79a7", top1], ["action", "A: strikes", "#e15759", top2]];
    for (const f of flags.items) {
      const a = Math.max(day(f.start), x0), b = Math.min(day(f.end) + DAY, x1);
      if (b <= a) continue;
      for (const p of panels) {
        const r = svg("rect", { x: x(a), y: p[3], width: x(b) - x(a), height: panelH,
          fill: f.kind === "violation" ? "#b07aa1" : "#f28e2b",
          "fill-opacity": selected && selected.id === f.id ? 0.55 : 0.25, class: "flag-band" });
        r.append(svg("title", {}, f.kind + " flag " + f.start + " .. " + f.end));
        root.append(r);
      }
    }
    for (const c of commitments.items) {
      const a = Math.max(day(c.start), x0), b = Math.min(day(c.end) + DAY, x1);
      if (b <= a) continue;
      for (const p of panels) {
        const r = svg("rect", { x: x(a), y: p[3], width: Math.max(x(b) - x(a), 2), height: panelH,
          fill: "none", stroke: "#59a14f", "stroke-dasharray": "4 2", "stroke-width": 1.5 });
        r.append(svg("title", {}, "commitment (" + c.scope + "): " + c.start + " .. " + c.end));
        root.append(r);
      }
    }
    for (const [key, label, colour, y0] of panels) {
      const max = Math.max(...rows.map((r) => r[key] || 0), 1e-9);
      root.append(svg("text", { x: L, y: y0 - 6, "font-size": 12, fill: "#333" }, label + " (max " + fmt(max, 1) + ")"));
      root.append(svg("line", { x1: L, x2: W - R, y1: y0 + panelH, y2: y0 + panelH, stroke: "#999" }));
      for (const r of rows) {
        const a = day(r.period_start), b = day(r.period_end) + DAY;
        const h = ((r[key] || 0) / max) * (panelH - 4);
        const bar = svg("rect", { x: x(a) + 1, y: y0 + panelH - h, width: Math.max(x(b) - x(a) - 2, 1), height: h, fill: colour });
        bar.append(svg("title", {}, r.period_start + ": " + key + " " + fmt(r[key], 2) +
          (r.p_value == null ? "" : ", p " + fmt(r.p_value, 4))));
        root.append(bar);
      }
    }
    // Month ticks along the bottom.
    const d = new Date(x0);
    let t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    while (t < x1) {
      const m = new Date(t);
      root.append(svg("line", { x1: x(t), x2: x(t), y1: top2 + panelH, y2: top2 + panelH + 5, stroke: "#666" }));
      if (x(t) < W - 25) {  // no half-cut label at the right edge
        root.append(svg("text", { x: x(t), y: top2 + panelH + 18, "font-size": 11, "text-anchor": "middle", fill: "#333" },
          m.getUTCFullYear() + "-" + String(m.getUTCMonth() + 1).padStart(2, "0")));
      }
      t = Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1);
    }
    box.replaceChildren(root);
  }

  // --- wiring ----------------------------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    $("filters").addEventListener("submit", (ev) => {
      ev.preventDefault();
      state.filters = Object.fromEntries(new FormData(ev.target).entries());
      state.offset = 0;
      state.selected = null;
      loadFlags();
    });
    $("prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); loadFlags(); });
    $("next").addEventListener("click", () => { state.offset += PAGE; loadFlags(); });
    loadFlags();
  });
})();
