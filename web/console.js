// The script console: a textarea, Ctrl+Enter runs the selection (or everything), results under
// it newest first, history kept in localStorage. On a controller the script can run on another
// node of the cluster.

import * as api from "./api.js";
import { renderResult } from "./grid.js";

const HISTORY_KEY = "porpoise.console.history";
const HISTORY_MAX = 100;
const EDITOR_KEY = "porpoise.console.editor";

function history() {
  try {
    return JSON.parse(localStorage.getItem(HISTORY_KEY) || "[]");
  } catch (e) {
    return [];
  }
}

function remember(script) {
  const h = history().filter((s) => s !== script);
  h.unshift(script);
  localStorage.setItem(HISTORY_KEY, JSON.stringify(h.slice(0, HISTORY_MAX)));
}

let box = null;

function renderHistory() {
  const list = box.querySelector("#history");
  list.replaceChildren(
    ...history().map((s) =>
      api.el("li", { title: s, onclick: () => { box.querySelector("#editor").value = s; } }, s.length > 60 ? s.slice(0, 60) + "…" : s),
    ),
  );
}

async function runEditor() {
  const editor = box.querySelector("#editor");
  const sel = editor.value.slice(editor.selectionStart, editor.selectionEnd);
  const script = (sel.trim() ? sel : editor.value).trim();
  if (!script) return;
  localStorage.setItem(EDITOR_KEY, editor.value);
  const target = box.querySelector("#target");
  const node = target && target.value ? target.value : "";
  const btn = box.querySelector("#run");
  btn.disabled = true;
  const started = performance.now();
  const r = await api.run(script, node);
  const ms = Math.round(performance.now() - started);
  btn.disabled = false;
  remember(script);
  renderHistory();
  const block = api.el("div", { class: "result-block" + (r.ok ? "" : " failed") },
    api.el("div", { class: "script" }, `${node ? "[" + node + "] " : ""}${script.length > 200 ? script.slice(0, 200) + "…" : script}  (${ms} ms)`),
    renderResult(r));
  const results = box.querySelector("#results");
  results.prepend(block);
}

async function fillTargets(ctx) {
  if (!ctx.isController) return;
  const r = await api.cluster();
  if (!r.ok || !box) return;
  const sel = box.querySelector("#target");
  for (const row of api.rowsOf(r.result)) {
    if ((row.mode === "0" || row.mode === "4") && row.state === "true") {
      sel.append(api.el("option", { value: row.name }, row.name));
    }
  }
}

export function mount(container, ctx) {
  box = container;
  const editor = api.el("textarea", { id: "editor", spellcheck: "false", placeholder: "Script; Ctrl+Enter runs the selection or everything" });
  editor.value = localStorage.getItem(EDITOR_KEY) || "";
  editor.addEventListener("keydown", (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === "Enter") {
      e.preventDefault();
      runEditor();
    }
  });
  const target = ctx.isController
    ? api.el("label", {}, "Run on ", api.el("select", { id: "target" }, api.el("option", { value: "" }, `${ctx.me.node} (this controller)`)))
    : null;
  container.append(
    api.el("div", { class: "layout" },
      api.el("div", {}, api.el("h3", {}, "History"), api.el("ul", { id: "history", class: "list" })),
      api.el("div", {},
        editor,
        api.el("div", { class: "toolbar" },
          api.el("button", { id: "run", type: "button", onclick: runEditor }, "Run (Ctrl+Enter)"),
          target,
          api.el("button", { id: "clear-results", type: "button", onclick: () => box.querySelector("#results").replaceChildren() }, "Clear results"),
        ),
        api.el("div", { id: "results" }),
      ),
    ),
  );
  renderHistory();
  fillTargets(ctx);
}

export function unmount() {
  if (box) localStorage.setItem(EDITOR_KEY, box.querySelector("#editor").value);
  box = null;
}
