// The page: who is logged in, the tabs, the login dialog. Each tab is a module with
// `mount(container, ctx)` and optional `unmount()`.

import * as api from "./api.js";
import * as clusterTab from "./cluster.js";
import * as databasesTab from "./databases.js";
import * as consoleTab from "./console.js";
import * as configTab from "./config.js";
import * as usersTab from "./users.js";

const ALL_TABS = [
  { id: "cluster", title: "Cluster", mod: clusterTab, controllerOnly: true },
  { id: "databases", title: "Databases", mod: databasesTab },
  { id: "console", title: "Console", mod: consoleTab },
  { id: "config", title: "Configuration", mod: configTab, controllerOnly: true },
  { id: "users", title: "Users", mod: usersTab },
];

const $ = (id) => document.getElementById(id);
const ctx = { me: null, isController: false, refreshMe: null };
let current = null;

function banner(text) {
  const b = $("banner");
  b.hidden = !text;
  b.textContent = text || "";
}

async function refreshMe() {
  const me = await api.whoami();
  if (!me.ok) {
    banner(me.error);
    return me;
  }
  if (me.leader) {
    location.href = me.leader + "/";
    return me;
  }
  ctx.me = me;
  ctx.isController = me.mode === "controller";
  $("node-info").textContent = `${me.node} (${me.mode})`;
  $("user-info").textContent = me.loggedIn ? `Logged in as ${me.user}` : "Not logged in";
  $("user-info").dataset.user = me.loggedIn ? me.user : "";
  $("login-open").hidden = me.loggedIn;
  $("logout").hidden = !me.loggedIn;
  return me;
}
ctx.refreshMe = refreshMe;

function tabs() {
  return ALL_TABS.filter((t) => ctx.isController || !t.controllerOnly);
}

function show(id) {
  const tab = tabs().find((t) => t.id === id) || tabs()[0];
  if (current && current.mod.unmount) current.mod.unmount();
  current = tab;
  for (const b of $("tabs").children) b.classList.toggle("active", b.dataset.tab === tab.id);
  const main = $("main");
  main.replaceChildren();
  const box = api.el("div", { id: "tab-" + tab.id });
  main.append(box);
  if (ctx.me.loginRequired && !ctx.me.loggedIn) {
    box.append(api.el("p", {}, "Log in to use the cluster manager."));
    openLogin();
    return;
  }
  tab.mod.mount(box, ctx);
  if (location.hash !== "#" + tab.id) history.replaceState(null, "", "#" + tab.id);
}

function openLogin(message) {
  const err = $("login-error");
  err.hidden = !message;
  err.textContent = message || "";
  const d = $("login-dialog");
  if (!d.open) d.showModal();
  $("login-password").focus();
}

async function submitLogin(ev) {
  ev.preventDefault();
  const btn = $("login-submit");
  btn.disabled = true;
  const r = await api.login($("login-user").value, $("login-password").value);
  btn.disabled = false;
  if (!r.ok) {
    const err = $("login-error");
    err.hidden = false;
    err.textContent = r.error;
    return;
  }
  $("login-password").value = "";
  $("login-dialog").close();
  banner("");
  await refreshMe();
  show(current ? current.id : location.hash.slice(1));
}

async function start() {
  $("login-form").addEventListener("submit", submitLogin);
  $("login-cancel").addEventListener("click", () => $("login-dialog").close());
  $("login-open").addEventListener("click", () => openLogin());
  $("logout").addEventListener("click", async () => {
    await api.logout();
    await refreshMe();
    show(current ? current.id : "");
  });
  api.events.addEventListener("login-needed", (e) => {
    refreshMe();
    openLogin(e.detail);
  });
  const me = await refreshMe();
  if (me.ok && me.sessionExpired) {
    banner("Your session has expired or you have logged out. Please log in again.");
  }
  if (!me.ok || me.leader) {
    $("main").replaceChildren(api.el("div", { class: "error" }, me.error || "Redirecting to the leader…"));
    return;
  }
  $("tabs").replaceChildren(
    ...tabs().map((t) => api.el("button", { type: "button", "data-tab": t.id, id: "tab-button-" + t.id, onclick: () => show(t.id) }, t.title)),
  );
  show(location.hash.slice(1));
  window.addEventListener("hashchange", () => {
    const id = location.hash.slice(1);
    if (!current || current.id !== id) show(id);
  });
}

start();
