// The JSON API of the node (docs/web.md). Every call resolves to the API's JSON answer; a node
// that does not answer becomes {ok:false, error, network:true}, never an exception.

export const events = new EventTarget();

export async function call(path, body) {
  const opts = { credentials: "same-origin", headers: {} };
  if (body === undefined) {
    opts.method = "GET";
  } else {
    opts.method = "POST";
    opts.headers["Content-Type"] = "application/json";
    opts.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, opts);
  } catch (e) {
    return { ok: false, network: true, error: `The node did not answer (${e.message}). Is it running?` };
  }
  let data;
  try {
    data = await resp.json();
  } catch (e) {
    data = { ok: false, error: `HTTP ${resp.status}: the node did not answer with JSON` };
  }
  if (resp.status === 421 && data.leader) {
    // A controller that follows: the cluster manager lives on the leader.
    location.href = data.leader;
  }
  if (resp.status === 401 && data.login) {
    events.dispatchEvent(new CustomEvent("login-needed", { detail: data.error }));
  }
  return data;
}

export const whoami = () => call("/api/whoami");
export const login = (user, password) => call("/api/login", { user, password });
export const logout = () => call("/api/logout", {});
export const cluster = () => call("/api/cluster");
export const startNodes = (nodes) => call("/api/nodes/start", { nodes });
export const stopNodes = (nodes) => call("/api/nodes/stop", { nodes });

/** Runs a script in the console's session on this node, or on the cluster node `node` (from
 * a controller). */
export function run(script, node) {
  return call("/api/run", node ? { script, node } : { script });
}

/** Runs a page's own query in a session of its own (never waits for the console). */
export function query(script, node) {
  return call("/api/run", node ? { script, node, fresh: true } : { script, fresh: true });
}

/** A table result as objects, one per row (cells are text or null). */
export function rowsOf(result) {
  if (!result || result.form !== "table") return [];
  const names = result.columns.map((c) => c.name);
  return result.rows.map((r) => Object.fromEntries(names.map((n, i) => [n, r[i]])));
}

/** A vector result as a list (scalar: a one-element list). */
export function valuesOf(result) {
  if (!result) return [];
  if (result.form === "vector") return result.values;
  if (result.form === "scalar") return result.value === null ? [] : [result.value];
  return [];
}

/** A DolphinDB string literal. */
export function quote(s) {
  return '"' + String(s).replace(/\\/g, "\\\\").replace(/"/g, '\\"') + '"';
}

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === "class") e.className = v;
    else if (k.startsWith("on")) e.addEventListener(k.slice(2), v);
    else if (k === "text") e.textContent = v;
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}
