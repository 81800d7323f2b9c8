// detector web view: lists flags, shows the evidence of the selected one, draws the timeline.
// Data from the API is untrusted (feed text): it only ever reaches the page as text nodes
// (textContent / append of strings) or as attributes we set ourselves; never as HTML.
// The address keeps the state: #flag=ID and #actor=RUS&since=...&until=... open the same view.
"use strict";
(function () {
  const PAGE = 25;
  const SVG_NS = "http://www.w3.org/2000/svg";
  const FILTERS = ["actor", "since", "until", "min_score", "kind"];
  const COLOURS = {
    R: "#4e79a7", A: "#e15759", contradiction: "#f28e2b", violation: "#b07aa1",
    episode: "#edc948", window: "#333", commitment: "#59a14f", willing: "#1b7a1b",
    unwilling: "#a00", none: "#777",
  };
  const state = { offset: 0, total: 0, filters: {}, selected: null, coupling: {}, commitments: {} };
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

  function titled(node, text) {
    node.append(svg("title", {}, text));
    return node;
  }

  function fmt(x, digits) {
    return x == null ? "" : Number(x).toFixed(digits);
  }

  function safeUrl(u) {
    return typeof u === "string" && /^https?:\/\//i.test(u) ? u : null;
  }

  // "2025-11-28T15:05:00+00:00" -> "2025-11-28 15:05 UTC"; the local time goes in a title.
  function utcText(iso) {
    if (!iso) return "undated";
    const t = new Date(iso);
    if (isNaN(t)) return String(iso);
    return t.toISOString().slice(0, 16).replace("T", " ") + " UTC";
  }

  function localText(iso) {
    const t = new Date(iso);
    return isNaN(t) ? "" : "your local time: " + t.toLocaleString();
  }

  function pText(f) {
    if (f.p_value != null) return fmt(f.p_value, 4);
    return "n/a";
  }

  function pWhy(f) {
    if (f.p_value != null) return "p " + fmt(f.p_value, 4) + " (circular-shift test of " + f.method + ")";
    if (f.kind === "violation") return "p n/a: a violation is a fact (a strike in a commitment's scope), not a test";
    return "p n/a: " + f.method + " flags by a rule (a criterion), not a test; see the coupling result for the test";
  }

  function ruleOf(f) {
    const d = f.details || {};
    if (f.kind === "violation") return "commitment " + (d.scope || "");
    return d.rule || f.method || "";
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

  // --- the address (deep links) ------------------------------------------------------------------

  function readHash() {
    const h = new URLSearchParams(location.hash.replace(/^#/, ""));
    const filters = {};
    for (const k of FILTERS) if (h.get(k)) filters[k] = h.get(k);
    return { filters: filters, flag: h.get("flag") || null };
  }

  function writeHash() {
    const h = new URLSearchParams();
    if (state.selected) h.set("flag", state.selected);
    for (const k of FILTERS) if (state.filters[k]) h.set(k, state.filters[k]);
    const s = h.toString();
    if (location.hash.replace(/^#/, "") !== s) {
      history.replaceState(null, "", s ? "#" + s : location.pathname + location.search);
    }
  }

  function fillForm() {
    const form = $("filters");
    for (const k of FILTERS) form.elements[k].value = state.filters[k] || "";
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
      const period = f.start === f.end ? f.start : f.start + " \u2013 " + f.end;
      const tr = el("tr", f.id === state.selected ? "selected" : "",
        el("td", "kind-" + f.kind, f.kind), el("td", "", f.actor), el("td", "", period),
        el("td", "", ruleOf(f)), el("td", "num", fmt(f.score, 3)), el("td", "num", pText(f)),
        el("td", "num", f.n_statements), el("td", "num", f.n_strikes));
      tr.dataset.flagId = f.id;
      tr.title = "flag " + f.id + " (" + pWhy(f) + ")";
      tr.addEventListener("click", () => selectFlag(f.id));
      body.append(tr);
    }
    const first = data.items.length ? state.offset + 1 : 0;
    $("count").textContent = "(" + first + "\u2013" + (state.offset + data.items.length) + " of " + data.total + ")";
    $("prev").disabled = state.offset === 0;
    $("next").disabled = state.offset + PAGE >= data.total;
    if (data.items.length && !state.selected) drawTimeline(data.items[0].actor, null, null);
    if (!data.items.length) body.append(el("tr", "", el("td", "empty", "no flags match")));
  }

  async function loadCoupling() {
    let data;
    try {
      data = await api("/coupling", {});
    } catch (err) {
      showError(err);
      return;
    }
    state.coupling = {};
    const box = $("coupling");
    box.replaceChildren();
    for (const c of data.items) {
      state.coupling[c.actor] = c;
      box.append(el("p", "coupling-line", el("b", "", c.actor + ": "), couplingText(c)));
    }
    if (!data.items.length) box.append(el("p", "empty", "no coupling results stored (older scorer)"));
  }

  function couplingText(c) {
    if (!c) return "no coupling result for this actor";
    const head = c.n_claim_periods + " claim weeks of " + c.n_periods + " (" + c.method + "): ";
    if (c.effect == null) return head + "not tested: " + (c.note || "too few claim weeks");
    return head + "claim weeks average " + fmt(c.mean_claim, 0) + " launched on energy/civilian targets vs " +
      fmt(c.mean_other, 0) + " in the others; effect " + fmt(c.effect, 1) + " (95% CI " + fmt(c.ci_low, 1) +
      " to " + fmt(c.ci_high, 1) + "), p " + fmt(c.p_value, 4) + " over " + c.n_shifts + " circular shifts" +
      (c.note ? "; " + c.note : "");
  }

  async function loadCommitments() {
    try {
      const data = await api("/commitments", {});
      for (const c of data.items) state.commitments[c.id] = c;
    } catch (err) {
      showError(err);
    }
  }

  // --- one flag's evidence ---------------------------------------------------------------------

  async function selectFlag(id) {
    state.selected = id;
    writeHash();
    for (const tr of $("flags").tBodies[0].rows) tr.classList.toggle("selected", tr.dataset.flagId === id);
    let data;
    try {
      data = await api("/flags/" + encodeURIComponent(id));
    } catch (err) {
      showError(err);
      return;
    }
    showError(null);
    // In date order (the API keeps the scorer's rank).
    const when = (s) => (s ? Date.parse(s) : Infinity);
    data.statements.sort((a, b) => when(a.published_at) - when(b.published_at));
    data.strikes.sort((a, b) => when(a.start) - when(b.start));
    renderEvidence(data);
    drawTimeline(data.flag.actor, data.flag, data);
  }

  function kv(label, value) {
    return el("div", "kv", el("span", "k", label), " ", el("span", "v", value));
  }

  function renderEvidence(data) {
    const f = data.flag;
    const d = f.details || {};
    const link = el("a", "permalink", "link to this flag");
    link.href = "#flag=" + encodeURIComponent(f.id);
    const period = f.start === f.end ? f.start : f.start + " \u2013 " + f.end;
    const summary = el("div", "flag-summary kind-" + f.kind,
      el("div", "flag-title", el("strong", "", f.kind + " by " + f.actor + ", " + period + " (UTC)"), " ", link),
      kv("rule", ruleOf(f) + (d.why ? ": " + d.why : "")),
      kv("score", fmt(f.score, 3) + " (a ranking in [0, 1), not a probability)"),
      kv("p", pWhy(f)));
    if (d.thresholds) {
      const t = d.thresholds;
      summary.append(kv("thresholds", ">= " + t.min_claims + " claims with confidence >= " + t.willing_threshold +
        " at share >= " + t.min_share + " within " + t.lag_days + " days; >= " + t.min_launched +
        " launched or >= " + t.min_events + " events on " + (t.targets || []).join("/") + " targets"));
    }
    if (d.evidence_window) {
      summary.append(kv("evidence window", d.evidence_window[0] + " \u2013 " + d.evidence_window[1] +
        " (UTC; the period and " + ((d.thresholds || {}).lag_days || "some") + " days either side)"));
    }
    if (d.episode_start) {
      summary.append(kv("episode", d.episode_start + " \u2013 " + d.episode_end + ", " + d.episode_periods +
        " consecutive flagged " + (d.period || "period") + (d.episode_periods === 1 ? "" : "s") + ", peak " + d.episode_peak));
    }
    if (f.kind === "violation") {
      const c = state.commitments[d.commitment_id] || {};
      summary.append(kv("commitment", (d.commitment_id || "?") + ": " + (c.description || "(no description)")),
        kv("its scope", (d.scope || c.scope || "?") + ((d.places || []).length ? " in " + d.places.join(", ") : "")),
        kv("its window", (c.start || "?") + " \u2013 " + (c.end || "?") + " (" + (d.timezone || c.timezone || "UTC") + ")"),
        kv("declared by", c.source || "?"));
    } else {
      summary.append(kv("coupling (" + f.actor + ")", couplingText(state.coupling[f.actor])));
    }
    summary.append(kv("versions", "scorer " + f.method + ", model " + (f.model_version || "n/a")), kv("id", f.id));

    const reasons = d.statement_reasons || {};
    const statements = el("div", "statements");
    for (const s of data.statements) {
      const time = el("span", "time", utcText(s.published_at));
      time.title = localText(s.published_at);
      const meta = el("div", "meta", time, " \u00b7 " + (s.speaker || "?") + " \u00b7 ",
        el("span", s.stance, s.stance + " (" + fmt(s.stance_score, 2) + ")"),
        " \u00b7 " + s.source + (reasons[s.id] ? " \u00b7 " + reasons[s.id] : ""));
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
    const sreasons = d.strike_reasons || {};
    const head = el("tr", "");
    for (const h of ["time (UTC)", "actor", "target", "launched", "destroyed", "place", "origin", "why", "source sentences"]) {
      head.append(el("th", "", h));
    }
    const strikes = el("table", "strikes", el("thead", "", head));
    const body = el("tbody", "");
    for (const k of data.strikes) {
      const time = el("td", "", utcText(k.start));
      time.title = localText(k.start);
      body.append(el("tr", "", time,
        el("td", "", (k.actor || "") + (k.target_actor ? " \u2192 " + k.target_actor : "")),
        el("td", "", (k.target_type || "") + (k.weapon ? " (" + k.weapon + ")" : "")),
        el("td", "num", k.launched == null ? "?" : k.launched),
        el("td", "num", k.destroyed == null ? "?" : k.destroyed), el("td", "", k.place || ""),
        el("td", "", (k.origin || "") + (k.source ? ", " + k.source : "")), el("td", "", sreasons[k.id] || ""),
        el("td", "sentences", (k.sentence_texts || []).join(" \u2016 "))));
    }
    strikes.append(body);
    $("evidence").replaceChildren(summary,
      el("h3", "", "Statements (" + data.statements.length + "), in date order"), statements,
      el("h3", "", "Strike events (" + data.strikes.length + "), in date order"), strikes);
  }

  // --- timeline (inline SVG) -------------------------------------------------------------------

  const DAY = 86400000;
  const day = (s) => Date.parse(String(s).slice(0, 10) + "T00:00:00Z");

  function legend() {
    const box = $("legend");
    if (box.childElementCount) return;
    const items = [
      ["bar", COLOURS.R, "R: willingness (share of confident willing claims)"],
      ["bar", COLOURS.A, "A: launched on energy/civilian targets"],
      ["shade", COLOURS.contradiction, "contradiction flag (week)"],
      ["shade", COLOURS.violation, "violation flag (day)"],
      ["shade", COLOURS.episode, "episode (consecutive flagged weeks)"],
      ["window", COLOURS.window, "evidence window of the selected flag"],
      ["commit", COLOURS.commitment, "commitment (ceasefire, moratorium)"],
      ["dot", COLOURS.willing, "statement in the evidence (colour = stance)"],
      ["tri", COLOURS.A, "strike event in the evidence"],
    ];
    for (const [shape, colour, label] of items) {
      const key = el("span", "swatch swatch-" + shape);
      key.style.setProperty("--c", colour);
      box.append(el("span", "legend-item", key, label));
    }
    box.append(el("span", "legend-item note", "x axis: dates (UTC), one bar per week; hover any mark"));
  }

  async function drawTimeline(actor, selected, evidence) {
    legend();
    const range = { actor: actor, limit: 1000, since: state.filters.since, until: state.filters.until };
    let series, flags, commitments;
    try {
      [series, flags, commitments] = await Promise.all([
        api("/series", range),
        api("/flags", { actor: actor, limit: 1000 }),
        api("/commitments", { actor: actor }),
      ]);
    } catch (err) {
      showError(err);
      return;
    }
    $("timeline-actor").textContent = actor;
    const box = $("timeline");
    let rows = series.items;
    if (rows.length) rows = rows.filter((r) => r.method === rows[0].method);
    if (!rows.length) {
      box.replaceChildren(el("p", "empty", "no R/A series for " + actor));
      return;
    }
    const W = 900, H = 360, L = 58, R = 12, panelH = 115, top1 = 34, top2 = 192;
    let x0 = Math.min(...rows.map((r) => day(r.period_start)));
    let x1 = Math.max(...rows.map((r) => day(r.period_end) + DAY));
    if (selected) {  // the selected flag and its evidence window always in view
      const w = (selected.details || {}).evidence_window || [selected.start, selected.end];
      x0 = Math.min(x0, day(w[0]), day(selected.start));
      x1 = Math.max(x1, day(w[1]) + DAY, day(selected.end) + DAY);
    }
    const x = (t) => L + ((t - x0) / (x1 - x0)) * (W - L - R);
    const root = svg("svg", { viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "R and A timeline of " + actor });
    root.append(svg("title", {}, actor + ": rhetoric (R) and action (A) per week, dates UTC"));
    const panels = [
      ["rhetoric", "R: willingness", COLOURS.R, top1, (v) => fmt(v, 2)],
      ["action", "A: launched", COLOURS.A, top2, (v) => fmt(v, 0)],
    ];
    const band = (a, b, attrs, title) => {
      a = Math.max(a, x0); b = Math.min(b, x1);
      if (b <= a) return;
      for (const p of panels) {
        root.append(titled(svg("rect", Object.assign({ x: x(a), y: p[3], width: Math.max(x(b) - x(a), 3), height: panelH }, attrs)), title));
      }
    };
    // Episodes behind everything, then the flags, then the commitments.
    const episodes = new Map();
    for (const f of flags.items) {
      const d = f.details || {};
      if (d.episode_id && !episodes.has(d.episode_id)) episodes.set(d.episode_id, d);
    }
    for (const d of episodes.values()) {
      const a = day(d.episode_start) - DAY * 0.5, b = day(d.episode_end) + DAY * 1.5;
      const what = "episode " + d.episode_start + " \u2013 " + d.episode_end + " (" + d.episode_periods + " flagged weeks)";
      band(a, b, { fill: COLOURS.episode, "fill-opacity": 0.3, class: "episode-band" }, what);
      // and a bar between the panels, so the episode shows under the flags' own shading
      const ea = x(Math.max(day(d.episode_start), x0)), eb = x(Math.min(day(d.episode_end) + DAY, x1));
      root.append(titled(svg("rect", { x: ea, y: top1 + panelH + 16, width: Math.max(eb - ea, 3), height: 7,
        fill: COLOURS.episode, stroke: "#b59a1f", class: "episode-bar" }), what));
      root.append(svg("text", { x: eb + 4, y: top1 + panelH + 23, "font-size": 10, fill: "#7a6510" }, "episode"));
    }
    for (const f of flags.items) {
      const isSel = selected && selected.id === f.id;
      band(day(f.start), day(f.end) + DAY, {
        fill: COLOURS[f.kind] || COLOURS.contradiction, "fill-opacity": isSel ? 0.6 : 0.35,
        stroke: isSel ? "#000" : "none", "stroke-width": isSel ? 1.5 : 0, class: "flag-band" + (isSel ? " selected" : ""),
      }, f.kind + " flag " + f.start + " \u2013 " + f.end + " (UTC), score " + fmt(f.score, 3));
    }
    for (const c of commitments.items) {
      const a = Math.max(day(c.start), x0), b = Math.min(day(c.end) + DAY, x1);
      if (b <= a) continue;
      band(day(c.start), day(c.end) + DAY, { fill: COLOURS.commitment, "fill-opacity": 0.12, stroke: COLOURS.commitment,
        "stroke-dasharray": "5 3", "stroke-width": 1.5, class: "commitment-band" },
        "commitment " + c.id + " (" + c.scope + "): " + c.start + " \u2013 " + c.end + " " + (c.timezone || "") + ": " + (c.description || ""));
      const right = x(a) > W - 160;  // label inside the plot, left of a commitment near the edge
      root.append(titled(svg("text", { x: right ? x(a) - 3 : x(b) + 3, y: top1 + 12, "font-size": 10, fill: COLOURS.commitment,
        "text-anchor": right ? "end" : "start", class: "commitment-label" },
        "commitment: " + c.scope + (c.places && c.places.length ? " (" + c.places.join(", ") + ")" : "")), c.description || ""));
    }
    if (selected && (selected.details || {}).evidence_window) {
      const w = selected.details.evidence_window;
      const a = x(day(w[0])), b = x(day(w[1]) + DAY);
      root.append(titled(svg("rect", { x: a, y: top1 - 4, width: b - a, height: top2 + panelH - top1 + 8, fill: "none",
        stroke: COLOURS.window, "stroke-width": 1.5, "stroke-dasharray": "2 2", class: "evidence-window" }),
        "evidence window " + w[0] + " \u2013 " + w[1] + " (UTC)"));
      root.append(svg("text", { x: (a + b) / 2, y: top1 - 8, "font-size": 10, "text-anchor": "middle", fill: COLOURS.window }, "evidence window"));
    }
    for (const [key, label, colour, y0, tick] of panels) {
      const max = Math.max(...rows.map((r) => r[key] || 0), 1e-9);
      root.append(svg("text", { x: L, y: y0 - 8, "font-size": 12, fill: "#333", "font-weight": 600 }, label));
      // y axis with three ticks
      root.append(svg("line", { x1: L, x2: L, y1: y0, y2: y0 + panelH, stroke: "#666" }));
      for (const frac of [0, 0.5, 1]) {
        const yy = y0 + panelH - frac * (panelH - 4);
        root.append(svg("line", { x1: L - 4, x2: W - R, y1: yy, y2: yy, stroke: frac ? "#e4e4e4" : "#999" }));
        root.append(svg("text", { x: L - 6, y: yy + 4, "font-size": 10, "text-anchor": "end", fill: "#333" }, tick(max * frac)));
      }
      for (const r of rows) {
        const a = day(r.period_start), b = day(r.period_end) + DAY;
        const h = ((r[key] || 0) / max) * (panelH - 4);
        root.append(titled(svg("rect", { x: x(a) + 1, y: y0 + panelH - h, width: Math.max(x(b) - x(a) - 2, 1), height: h,
          fill: colour, class: "bar bar-" + key }),
          "week " + r.period_start + " \u2013 " + r.period_end + " (UTC): " + key + " " + tick(r[key] || 0) +
          ((r.details || {}).rule ? " \u00b7 " + r.details.rule : "")));
      }
    }
    if (evidence) {
      for (const s of evidence.statements) {
        if (!s.published_at) continue;
        const t = Date.parse(s.published_at);
        root.append(titled(svg("circle", { cx: x(t), cy: top1 + panelH + 7, r: 4, fill: COLOURS[s.stance] || "#777",
          stroke: "#fff", class: "statement-mark" }),
          utcText(s.published_at) + " \u00b7 " + (s.speaker || "?") + " \u00b7 " + s.stance + ": " + String(s.text || "").slice(0, 200)));
      }
      for (const k of evidence.strikes) {
        if (!k.start) continue;
        const cx = x(Date.parse(k.start)), cy = top2 + panelH + 9;
        root.append(titled(svg("path", { d: "M" + (cx - 5) + " " + (cy + 4) + " L" + cx + " " + (cy - 5) + " L" + (cx + 5) + " " + (cy + 4) + " Z",
          fill: COLOURS.A, class: "strike-mark" }),
          utcText(k.start) + " \u00b7 " + (k.actor || "?") + " on " + (k.target_type || "?") + " \u00b7 " +
          (k.launched == null ? "?" : k.launched) + " launched \u00b7 " + (k.place || "")));
      }
    }
    // Month ticks along the bottom, and the axis name.
    const d = new Date(x0);
    let t = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
    const yb = top2 + panelH + 14;
    while (t < x1) {
      const m = new Date(t);
      root.append(svg("line", { x1: x(t), x2: x(t), y1: yb, y2: yb + 5, stroke: "#666" }));
      if (x(t) < W - 25) {
        root.append(svg("text", { x: x(t), y: yb + 17, "font-size": 11, "text-anchor": "middle", fill: "#333" },
          m.getUTCFullYear() + "-" + String(m.getUTCMonth() + 1).padStart(2, "0")));
      }
      t = Date.UTC(m.getUTCFullYear(), m.getUTCMonth() + 1, 1);
    }
    root.append(svg("text", { x: W - R, y: H - 4, "font-size": 10, "text-anchor": "end", fill: "#555" }, "date (UTC), bars per week"));
    box.replaceChildren(root);
  }

  // --- wiring ----------------------------------------------------------------------------------

  function fromHash() {
    const h = readHash();
    state.filters = h.filters;
    state.offset = 0;
    state.selected = h.flag;
    fillForm();
    loadFlags();
    if (h.flag) selectFlag(h.flag);
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("filters").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const all = Object.fromEntries(new FormData(ev.target).entries());
      state.filters = {};
      for (const k of FILTERS) if (all[k]) state.filters[k] = all[k];
      state.offset = 0;
      state.selected = null;
      writeHash();
      loadFlags();
    });
    $("prev").addEventListener("click", () => { state.offset = Math.max(0, state.offset - PAGE); loadFlags(); });
    $("next").addEventListener("click", () => { state.offset += PAGE; loadFlags(); });
    window.addEventListener("hashchange", fromHash);
    // Coupling and commitments first: the flag summary names them.
    await Promise.all([loadCoupling(), loadCommitments()]);
    fromHash();
  });
})();
