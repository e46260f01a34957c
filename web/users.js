// Users: the user list, create and delete users, grant and revoke privileges, all through the
// server's own functions (createUser, deleteUser, grant, revoke), as the logged-in user.

import * as api from "./api.js";
import { renderResult } from "./grid.js";

const ACCESS = ["TABLE_READ", "TABLE_WRITE", "TABLE_INSERT", "TABLE_UPDATE", "TABLE_DELETE", "DB_READ", "DB_WRITE", "DB_INSERT", "DB_UPDATE", "DB_DELETE", "DBOBJ_CREATE", "DBOBJ_DELETE", "DB_MANAGE", "VIEW_EXEC", "SCRIPT_EXEC", "TEST_EXEC"];

let box = null;

async function act(script) {
  box.querySelector("#user-status").replaceChildren(api.el("p", { class: "muted" }, "Working…"));
  const r = await api.query(script);
  if (!box) return;
  box.querySelector("#user-status").replaceChildren(r.ok ? api.el("p", { class: "ok" }, "Done: " + script.split("(")[0]) : renderResult(r));
  if (r.ok) list();
}

async function list() {
  const r = await api.query("getUserList()");
  if (!box) return;
  const target = box.querySelector("#user-list");
  if (!r.ok) {
    target.replaceChildren(renderResult(r));
    return;
  }
  const names = api.valuesOf(r.result);
  target.replaceChildren(
    api.el("ul", { class: "list" },
      names.length
        ? names.map((u) => api.el("li", { "data-user": u, title: "Show privileges", onclick: () => access(u) }, u))
        : [api.el("li", { class: "muted" }, "No users besides the built-in administrator")]),
  );
}

/** A user's privileges (getUserAccess), and fill the forms with the name. */
async function access(user) {
  box.querySelector("#new-user").value = user;
  box.querySelector("#acl-user").value = user;
  const r = await api.query(`getUserAccess(${api.quote(user)})`);
  if (!box) return;
  box.querySelector("#user-access").replaceChildren(api.el("h3", {}, `Privileges of ${user}`), renderResult(r));
}

const val = (id) => box.querySelector("#" + id).value.trim();

export function mount(container) {
  box = container;
  const input = (id, ph, type) => api.el("input", { id, placeholder: ph, type: type || "text" });
  container.append(
    api.el("section", { class: "panel" }, api.el("h3", {}, "Users"), api.el("div", { id: "user-list" }, "Loading…")),
    api.el("section", { class: "panel" }, api.el("h3", {}, "Create or delete a user"),
      api.el("div", { class: "toolbar" },
        input("new-user", "user name"), input("new-password", "password", "password"),
        api.el("button", { type: "button", id: "create-user", onclick: () => act(`createUser(${api.quote(val("new-user"))}, ${api.quote(val("new-password"))})`) }, "Create"),
        api.el("button", { type: "button", id: "delete-user", onclick: () => act(`deleteUser(${api.quote(val("new-user"))})`) }, "Delete"))),
    api.el("section", { class: "panel" }, api.el("h3", {}, "Grant or revoke"),
      api.el("div", { class: "toolbar" },
        input("acl-user", "user or group"),
        api.el("select", { id: "acl-access" }, ACCESS.map((a) => api.el("option", { value: a }, a))),
        input("acl-object", "object (e.g. dfs://db/table), empty for all"),
        api.el("button", { type: "button", id: "grant", onclick: () => act(aclScript("grant")) }, "Grant"),
        api.el("button", { type: "button", id: "revoke", onclick: () => act(aclScript("revoke")) }, "Revoke"))),
    api.el("div", { id: "user-status" }),
    api.el("section", { class: "panel", id: "user-access" }),
  );
  list();
}

function aclScript(f) {
  const obj = val("acl-object");
  return `${f}(${api.quote(val("acl-user"))}, ${val("acl-access")}${obj ? ", " + api.quote(obj) : ""})`;
}

export function unmount() {
  box = null;
}
