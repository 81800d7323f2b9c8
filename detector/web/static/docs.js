// The API docs from /openapi.json, built with textContent only (no CDN, no Swagger UI).
"use strict";
(function () {
  function el(tag, cls, ...children) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    for (const c of children) e.append(c instanceof Node ? c : String(c == null ? "" : c));
    return e;
  }
  function typeOf(schema) {
    if (!schema) return "";
    if (schema.type) return schema.type;
    if (schema.anyOf) return schema.anyOf.map(typeOf).filter((t) => t && t !== "null").join(" | ");
    return "";
  }
  document.addEventListener("DOMContentLoaded", async () => {
    const box = document.getElementById("endpoints");
    let spec;
    try {
      spec = await (await fetch("/openapi.json")).json();
    } catch (err) {
      box.replaceChildren(el("p", "error", "cannot read /openapi.json: " + err));
      return;
    }
    box.replaceChildren();
    for (const [path, ops] of Object.entries(spec.paths || {})) {
      for (const [method, op] of Object.entries(ops)) {
        const sec = el("div", "endpoint",
          el("h2", "", el("code", "", method.toUpperCase() + " " + path)),
          el("p", "", op.description || op.summary || ""));
        const params = op.parameters || [];
        if (params.length) {
          const head = el("tr", "", el("th", "", "parameter"), el("th", "", "in"), el("th", "", "type"),
            el("th", "", "default"), el("th", "", "description"));
          const body = el("tbody", "");
          for (const p of params) {
            const s = p.schema || {};
            body.append(el("tr", "", el("td", "", el("code", "", p.name)), el("td", "", p.in),
              el("td", "", typeOf(s)), el("td", "", s.default == null ? "" : JSON.stringify(s.default)),
              el("td", "", p.description || s.description || (p.required ? "required" : ""))));
          }
          sec.append(el("table", "", el("thead", "", head), body));
        }
        box.append(sec);
      }
    }
  });
})();
