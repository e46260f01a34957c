// The cluster view: every node from getClusterPerf(true), refreshed every few seconds; filter,
// select data/compute nodes and start or stop them. A node asked to start or stop shows
// "starting…"/"stopping…" until the controller sees it change, and says so if it does not.

import * as api from "./api.js";

const REFRESH_MS = 3000;
/** After this long a start/stop that did not take effect is reported as failed. */
const PENDING_MS = 90000;
const MODES = { 0: "data", 1: "agent", 2: "controller", 3: "single", 4: "compute" };
const WORKER_MODES = new Set(["0", "4"]);

let timer = null;
let box = null;
const state = { rows: [], selected: new Set(), pending: new Map(), lastUp: new Map(), filter: "", error: "", message: null };

function gb(bytes) {
  const n = Number(bytes);
  if (!isFinite(n) || bytes === null) return "";
  return (n / 1073741824).toFixed(2) + " GB";
}

function mb(bytes) {
  const n = Number(bytes);
  if (!isFinite(n) || bytes === null) return "";
  return (n / 1048576).toFixed(0) + " MB";
}

function stateCell(r) {
  const alias = r.name;
  const up = r.state === "true";
  const p = state.pending.get(alias);
  if (p) {
    const done = p.action === "start" ? up : !up;
    if (done) {
      state.pending.delete(alias);
    } else if (Date.now() - p.since > PENDING_MS) {
      return { text: `${p.action} did not take effect`, cls: "state-failed" };
    } else {
      return { text: p.action === "start" ? "starting…" : "stopping…", cls: "state-pending" };
    }
  }
  if (state.error) return { text: "unknown", cls: "state-failed" };
  return up ? { text: "up", cls: "state-up" } : { text: "down", cls: "state-down" };
}

function matches(r) {
  const f = state.filter.trim().toLowerCase();
  if (!f) return true;
  const mode = MODES[r.mode] || r.mode;
  return [r.name, r.site, mode, r.host].some((x) => String(x || "").toLowerCase().includes(f));
}

function lastSeen(r) {
  if (r.state === "true") state.lastUp.set(r.name, Date.now());
  const t = state.lastUp.get(r.name);
  return t ? new Date(t).toLocaleTimeString() : "";
}

function render() {
  if (!box) return;
  const rows = state.rows.filter(matches);
  const head = ["", "Alias", "Mode", "Host:port", "State", "Leader", "CPU %", "Memory used / max", "Connections", "Jobs running / queued", "Disk free", "Last seen up"];
  const tbody = rows.map((r) => {
    const s = stateCell(r);
    const worker = WORKER_MODES.has(r.mode);
    const check = worker
      ? api.el("input", { type: "checkbox", class: "select-node", "data-alias": r.name, checked: state.selected.has(r.name), onchange: (e) => {
          if (e.target.checked) state.selected.add(r.name);
          else state.selected.delete(r.name);
          renderButtons();
        } })
      : "";
    return api.el("tr", { "data-alias": r.name, "data-mode": MODES[r.mode] || r.mode },
      api.el("td", {}, check),
      api.el("td", { class: "alias" }, r.name),
      api.el("td", { class: "mode" }, MODES[r.mode] || r.mode),
      api.el("td", { class: "site" }, `${r.host}:${r.port}`),
      api.el("td", { class: "state " + s.cls }, s.text),
      api.el("td", { class: "leader" }, r.isLeader === "true" ? "leader" : ""),
      api.el("td", {}, r.cpuUsage === null ? "" : Number(r.cpuUsage).toFixed(1)),
      api.el("td", {}, `${mb(r.memoryUsed)} / ${gb(r.maxMemSize * 1073741824)}`),
      api.el("td", {}, r.connectionNum),
      api.el("td", {}, `${r.runningJobs} / ${r.queuedJobs}`),
      api.el("td", {}, gb(r.diskFreeSpace)),
      api.el("td", {}, lastSeen(r)),
    );
  });
  const table = api.el("table", { class: "grid", id: "nodes" },
    api.el("thead", {}, api.el("tr", {}, head.map((h) => api.el("th", {}, h)))),
    api.el("tbody", {}, tbody));
  const status = box.querySelector("#cluster-status");
  status.replaceChildren();
  if (state.error) status.append(api.el("div", { class: "error", id: "cluster-error" }, state.error));
  if (state.message) status.append(api.el("div", { class: state.message.ok ? "ok" : "error", id: "action-message" }, state.message.text));
  box.querySelector("#nodes-wrap").replaceChildren(table);
  renderButtons();
}

function renderButtons() {
  if (!box) return;
  const n = state.selected.size;
  box.querySelector("#start-nodes").disabled = n === 0;
  box.querySelector("#stop-nodes").disabled = n === 0;
  box.querySelector("#selected-count").textContent = n ? `${n} selected` : "";
}

let inflight = false;

async function refresh() {
  // One request at a time: a slow controller gets no pile of refreshes.
  if (inflight) return;
  inflight = true;
  let r;
  try {
    r = await api.cluster();
  } finally {
    inflight = false;
  }
  if (r.ok) {
    state.rows = api.rowsOf(r.result);
    state.error = "";
    const present = new Set(state.rows.map((x) => x.name));
    for (const a of [...state.selected]) if (!present.has(a)) state.selected.delete(a);
  } else {
    state.error = "Could not read the cluster state: " + r.error;
  }
  render();
}

async function act(action) {
  const nodes = [...state.selected];
  if (!nodes.length) return;
  const r = action === "start" ? await api.startNodes(nodes) : await api.stopNodes(nodes);
  if (r.ok) {
    for (const a of nodes) state.pending.set(a, { action, since: Date.now() });
    state.message = { ok: true, text: `Asked to ${action} ${nodes.join(", ")}.` };
    state.selected.clear();
  } else {
    state.message = { ok: false, text: `Could not ${action} ${nodes.join(", ")}: ${r.error}` };
  }
  render();
  refresh();
}

export function mount(container) {
  box = container;
  const auto = api.el("input", { type: "checkbox", id: "auto-refresh", checked: true, onchange: (e) => schedule(e.target.checked) });
  container.append(
    api.el("div", { class: "toolbar" },
      api.el("input", { id: "node-filter", placeholder: "Filter nodes (alias, host, mode)", value: state.filter, oninput: (e) => { state.filter = e.target.value; render(); } }),
      api.el("button", { id: "start-nodes", type: "button", onclick: () => act("start") }, "Start"),
      api.el("button", { id: "stop-nodes", type: "button", onclick: () => act("stop") }, "Stop"),
      api.el("span", { id: "selected-count", class: "muted" }),
      api.el("span", { class: "spacer" }),
      api.el("label", {}, auto, " auto-refresh"),
      api.el("button", { id: "refresh", type: "button", onclick: refresh }, "Refresh"),
    ),
    api.el("div", { id: "cluster-status" }),
    api.el("div", { id: "nodes-wrap" }, api.el("p", { class: "muted" }, "Loading nodes…")),
  );
  refresh();
  schedule(true);
}

function schedule(on) {
  if (timer) clearInterval(timer);
  timer = on ? setInterval(refresh, REFRESH_MS) : null;
}

export function unmount() {
  schedule(false);
  box = null;
}
