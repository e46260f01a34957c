// Databases: the DFS databases, their tables, each table's schema, row count and tablets
// (partitions with their chunks), and the cluster's chunk status where the controller has it.
// A controller keeps no data: it lists the databases itself and asks a live data node for the
// rest.

import * as api from "./api.js";
import { renderResult, tableGrid } from "./grid.js";

let box = null;
let via = ""; // the data node that answers table questions ("" = this node)

function section(title, id, content) {
  return api.el("section", { class: "panel", id }, api.el("h3", {}, title), content);
}

function show(target, r) {
  target.replaceChildren(r.ok && r.result && r.result.form === "table" ? tableGrid(r.result) : renderResult(r));
}

async function pickDataNode(ctx) {
  if (!ctx.isController) return "";
  const r = await api.cluster();
  const live = api.rowsOf(r.ok ? r.result : null).filter((x) => x.mode === "0" && x.state === "true");
  return live.length ? live[0].name : null;
}

async function openTable(db, table) {
  const detail = box.querySelector("#table-detail");
  const t = `loadTable(${api.quote(db)}, ${api.quote(table)})`;
  const count = api.el("span", { id: "row-count" }, "…");
  const schema = api.el("div", {}, "Loading…");
  const tablets = api.el("div", {}, "Loading…");
  detail.replaceChildren(
    api.el("h2", {}, `${db} / ${table}`),
    api.el("p", {}, "Rows: ", count),
    section("Schema", "schema", schema),
    section("Partitions (tablets)", "tablets", tablets),
  );
  const [c, s, p] = await Promise.all([
    api.query(`exec count(*) from ${t}`, via),
    api.query(`schema(${t})["colDefs"]`, via),
    api.query(`getTabletsMeta(${api.quote("/" + db.replace(/^dfs:\/\//, "") + "/%")}, ${api.quote(table)}, true)`, via),
  ]);
  count.textContent = c.ok ? (c.result && c.result.value !== undefined ? c.result.value : c.result.text) : c.error;
  show(schema, s);
  show(tablets, p);
}

async function openDatabase(db) {
  for (const li of box.querySelectorAll("#db-list li")) li.classList.toggle("active", li.dataset.db === db);
  const tables = box.querySelector("#table-list");
  const detail = box.querySelector("#table-detail");
  tables.replaceChildren(api.el("li", { class: "muted" }, "Loading…"));
  detail.replaceChildren();
  const r = await api.query(`getTables(${api.quote(db)})`, via);
  if (!r.ok) {
    tables.replaceChildren();
    detail.replaceChildren(renderResult(r));
    return;
  }
  const names = api.valuesOf(r.result);
  tables.replaceChildren(
    ...(names.length
      ? names.map((t) => api.el("li", { "data-table": t, onclick: () => openTable(db, t) }, t))
      : [api.el("li", { class: "muted" }, "No tables")]),
  );
  const info = await api.query(`schema(database(${api.quote(db)}))`, via);
  detail.append(section("Database", "db-schema", renderResult(info)));
}

async function loadChunks(ctx) {
  const target = box.querySelector("#chunks");
  const parts = [];
  if (ctx.isController) {
    // The controller's catalog: every chunk's replicas and versions, COMPLETE or RECOVERING.
    parts.push(["Cluster chunk status (controller)", api.query("getClusterChunksStatus()", "")]);
  }
  if (!ctx.isController || via) {
    parts.push([`Chunks on ${via || ctx.me.node}`, api.query("getAllChunks()", via)]);
  }
  const views = [];
  for (const [title, pending] of parts) {
    const r = await pending;
    const v = api.el("div", {});
    show(v, r);
    views.push(api.el("h4", {}, title), v);
  }
  if (box) target.replaceChildren(...views);
}

export async function mount(container, ctx) {
  box = container;
  container.append(
    api.el("p", { class: "muted", id: "via" }),
    api.el("div", { class: "layout" },
      api.el("div", {},
        api.el("h3", {}, "Databases"), api.el("ul", { id: "db-list", class: "list" }, api.el("li", { class: "muted" }, "Loading…")),
        api.el("h3", {}, "Tables"), api.el("ul", { id: "table-list", class: "list" })),
      api.el("div", { id: "table-detail" }),
    ),
    section("Chunks", "chunk-status", api.el("div", { id: "chunks" }, api.el("button", { type: "button", id: "load-chunks", onclick: () => loadChunks(ctx) }, "Show chunk status"))),
  );
  const picked = await pickDataNode(ctx);
  if (!box) return;
  if (picked === null) {
    box.querySelector("#via").replaceChildren(api.el("div", { class: "error" }, "No data node is up: tables can't be browsed until one is started."));
    via = "";
  } else {
    via = picked;
    if (via) box.querySelector("#via").textContent = `Tables are read through data node ${via}.`;
  }
  // The controller's catalog, and the databases the data node knows (a node's own DFS).
  const asks = [api.query(ctx.isController ? "getClusterDFSDatabases()" : "getDFSDatabases()", "")];
  if (ctx.isController && via) asks.push(api.query("getDFSDatabases()", via));
  const answers = await Promise.all(asks);
  if (!box) return;
  const list = box.querySelector("#db-list");
  const failed = answers.find((r) => !r.ok);
  if (failed) {
    list.replaceChildren(api.el("li", { class: "error" }, failed.error));
    return;
  }
  const dbs = [...new Set(answers.flatMap((r) => api.valuesOf(r.result)))].sort();
  list.replaceChildren(
    ...(dbs.length
      ? dbs.map((d) => api.el("li", { "data-db": d, onclick: () => openDatabase(d) }, d))
      : [api.el("li", { class: "muted" }, "No databases")]),
  );
}

export function unmount() {
  box = null;
}
