// Shows what a script gave: a grid for a table, a list for a vector, text for a scalar and the
// other forms, the error in place, and the print output.

import { el } from "./api.js";

export function tableGrid(result, opts = {}) {
  const head = el("tr", {}, result.columns.map((c) => el("th", { title: c.type }, c.name)));
  const body = result.rows.map((r) =>
    el("tr", {}, r.map((v) => (v === null ? el("td", { class: "null" }, "") : el("td", {}, v)))),
  );
  const table = el("table", { class: "grid " + (opts.class || "") }, el("thead", {}, head), el("tbody", {}, body));
  const note = result.truncated
    ? el("p", { class: "muted" }, `Showing ${result.rows.length} of ${result.rowCount} rows.`)
    : el("p", { class: "muted" }, `${result.rowCount} row(s).`);
  return el("div", { class: "grid-wrap" }, table, note);
}

export function renderResult(data) {
  const out = el("div", { class: "result" });
  if (data.output && data.output.length) {
    out.append(el("pre", { class: "output" }, data.output.join("\n")));
  }
  if (!data.ok) {
    out.append(el("div", { class: "error script-error" }, data.error || "Unknown error"));
    return out;
  }
  const r = data.result;
  if (r === null || r === undefined) {
    out.append(el("p", { class: "muted" }, "Done (no value)."));
  } else if (r.form === "table") {
    out.append(tableGrid(r, { class: "result-grid" }));
  } else if (r.form === "vector") {
    out.append(el("p", { class: "muted" }, `${r.type} vector, ${r.length} element(s)` + (r.truncated ? `, first ${r.values.length} shown` : "")));
    out.append(el("ol", { class: "vector", start: 0 }, r.values.map((v) => el("li", {}, v === null ? "" : v))));
  } else if (r.form === "scalar") {
    out.append(el("pre", { class: "scalar", title: r.type }, r.text));
  } else {
    out.append(el("pre", { class: r.form }, r.text));
  }
  return out;
}
