// Configuration: cluster.nodes and cluster.cfg as the controller holds them (in its Raft
// state). Edited as text, one entry per line; saving goes through the controller, which checks
// every line and persists the change through Raft (saveClusterNodes / saveClusterNodesConfigs).

import * as api from "./api.js";
import { renderResult } from "./grid.js";

let box = null;

function vectorLiteral(lines) {
  if (!lines.length) return "array(STRING, 0)";
  return "[" + lines.map(api.quote).join(", ") + "]";
}

function editor(id, title, load, save, help) {
  const text = api.el("textarea", { id: id + "-text", rows: 12, style: "width:100%;font-family:monospace" });
  const status = api.el("div", { id: id + "-status" });
  const reload = async () => {
    const r = await api.query(load);
    if (!box) return;
    if (r.ok) {
      text.value = api.valuesOf(r.result).join("\n");
      status.replaceChildren();
    } else {
      status.replaceChildren(renderResult(r));
    }
  };
  const store = async () => {
    const lines = text.value.split("\n").map((l) => l.trim()).filter((l) => l && !l.startsWith("#"));
    const r = await api.query(`${save}(${vectorLiteral(lines)})`);
    if (!box) return;
    status.replaceChildren(r.ok ? api.el("p", { class: "ok" }, "Saved.") : renderResult(r));
    if (r.ok) reload();
  };
  const panel = api.el("section", { class: "panel", id },
    api.el("h3", {}, title),
    api.el("p", { class: "muted" }, help),
    text,
    api.el("div", { class: "toolbar" },
      api.el("button", { type: "button", id: id + "-save", onclick: store }, "Save"),
      api.el("button", { type: "button", id: id + "-reload", onclick: reload }, "Reload")),
    status);
  reload();
  return panel;
}

export function mount(container) {
  box = container;
  container.append(
    editor("nodes-cfg", "cluster.nodes", "getClusterNodesCfg()", "saveClusterNodes",
      "One node per line: host:port:alias,mode[,computeGroup]. mode is controller, agent, datanode or computenode."),
    editor("cluster-cfg", "cluster.cfg", "loadClusterNodesConfigs()", "saveClusterNodesConfigs",
      "One key=value per line; a key may be qualified by a node alias or pattern (P1-node1.volumes=..., %.maxMemSize=...). Data nodes read it when they start."),
  );
}

export function unmount() {
  box = null;
}
