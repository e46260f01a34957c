"""The web cluster manager (docs/web.md) against a `porpoise playground --quick` cluster
(controller `master`, agent `P1-agent`, data node `P1-node1`).

- JSON API tests, no browser: wrong password, absent and logged-out sessions, a script error,
  a node that is down when asked to run something: each a clear JSON error.
- Browser tests in real headless Chromium through selenium: log in (a wrong password first),
  see every node, stop the data node and see it go down, start it again, run a query and see
  the grid, a script error in place, browse the database, the configuration page, the data
  node's console. Screenshots go to tests/e2e/artifacts/ (gitignored). These skip, saying
  why, when chromium, chromedriver or selenium are missing.

The binary is $PORPOISE_BIN, or target/debug/porpoise at the repository root."""

import json
import os
import shutil
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from playground import free_offset, playground

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("PORPOISE_BIN", str(ROOT / "target" / "debug" / "porpoise"))
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
# Starting or stopping a node through its agent (debug build, 2 cores): generous bound.
NODE_CHANGE_TIMEOUT_S = 120
PORTS = [8900, 8710, 8711]


def wait_for(what, cond, timeout):
    """Polls cond() until it is truthy; fails saying what did not happen."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = cond()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - keep polling through transient errors
            last = e
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what} (last: {last!r})")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    root = tmp_path_factory.mktemp("web")
    off = free_offset(PORTS)
    with playground(BIN, root / "playground", off, quick=True) as lines:
        yield {"ctl": 8900 + off, "data": 8711 + off, "lines": lines}


class Api:
    """The JSON API through urllib, keeping the session cookie."""

    def __init__(self, port):
        self.base = f"http://127.0.0.1:{port}"
        self.cookie = None

    def call(self, path, body=None, raw=None):
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        req = urllib.request.Request(self.base + path, data=data,
                                     method="GET" if data is None else "POST")
        req.add_header("Content-Type", "application/json")
        if self.cookie:
            req.add_header("Cookie", self.cookie)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                status, headers, text = resp.status, resp.headers, resp.read().decode()
        except urllib.error.HTTPError as e:
            status, headers, text = e.code, e.headers, e.read().decode()
        set_cookie = headers.get("Set-Cookie")
        if set_cookie and set_cookie.startswith("porpoise_session="):
            value = set_cookie.split(";")[0]
            self.cookie = value if value != "porpoise_session=" else None
        assert text, f"{path}: an empty answer (status {status})"
        return status, json.loads(text)

    def login(self, user="admin", password="123456"):
        return self.call("/api/login", {"user": user, "password": password})

    def run(self, script, node=None):
        body = {"script": script}
        if node:
            body["node"] = node
        return self.call("/api/run", body)[1]

    def node_up(self, alias):
        status, j = self.call("/api/cluster")
        assert j["ok"], j
        cols = [c["name"] for c in j["result"]["columns"]]
        for row in j["result"]["rows"]:
            r = dict(zip(cols, row))
            if r["name"] == alias:
                return r["state"] == "true"
        raise AssertionError(f"{alias} is not in getClusterPerf")


# --- the JSON API, no browser ---

def test_wrong_password_and_sessions(cluster):
    api = Api(cluster["ctl"])
    status, j = api.login(password="nope")
    assert (status, j) == (401, {"ok": False, "error": "The user name or password is incorrect."})
    # Actions need a login: a JSON error that says so.
    status, j = api.call("/api/nodes/stop", {"nodes": ["P1-node1"]})
    assert status == 401 and j["login"] is True and "Login is required" in j["error"]
    status, j = api.login()
    assert status == 200 and j == {"ok": True, "user": "admin"}
    old = api.cookie
    assert api.call("/api/logout", {})[1]["ok"]
    api.cookie = old  # a browser that kept the cookie of an ended session
    status, j = api.call("/api/run", {"script": "1+1"})
    assert status == 401 and "expired" in j["error"]


def test_scripts_and_bad_input(cluster):
    api = Api(cluster["ctl"])
    api.login()
    j = api.run("1 + ")
    assert j["ok"] is False and j["error"]
    status, j = api.call("/api/run", raw=b"{not json")
    assert status == 400 and "not valid JSON" in j["error"]
    j = api.run("getClusterPerf(true)")
    assert j["ok"] and j["result"]["form"] == "table"
    names = {r[[c["name"] for c in j["result"]["columns"]].index("name")]
             for r in j["result"]["rows"]}
    assert names == {"master", "P1-agent", "P1-node1"}
    # A node that is not in the cluster: a clear error, for actions and scripts alike.
    status, j = api.call("/api/nodes/stop", {"nodes": ["ghost"]})
    assert status == 200 and j["ok"] is False and "ghost" in j["error"]
    j = api.run("1", node="ghost")
    assert j["ok"] is False and "ghost" in j["error"]
    # The script console of a data node, and scripts sent there through the controller.
    j = api.run("getNodeAlias()", node="P1-node1")
    assert j["result"]["value"] == "P1-node1"
    # A script can't make the internal call itself (it would pick its user).
    guest = Api(cluster["ctl"])
    j = guest.run('rpc("P1-node1", "__cluster_web_run", "admin", "getCurrentSessionAndUser()")')
    assert j["ok"] is False, j
    data = Api(cluster["data"])
    status, me = data.call("/api/whoami")
    assert me["mode"] == "datanode" and me["leader"] is None
    data.login()
    assert data.run("1 + 1")["result"]["value"] == "2"


def test_node_down_mid_action(cluster):
    api = Api(cluster["ctl"])
    api.login()
    j = api.call("/api/nodes/stop", {"nodes": ["P1-node1"]})[1]
    assert j["ok"], j
    wait_for("P1-node1 down", lambda: not api.node_up("P1-node1"), NODE_CHANGE_TIMEOUT_S)
    # The node is gone: scripts for it fail with a message naming it.
    j = wait_for("scripts for P1-node1 to fail",
                 lambda: (lambda r: r if not r["ok"] else None)(api.run("1", node="P1-node1")),
                 NODE_CHANGE_TIMEOUT_S)
    assert "P1-node1" in j["error"], j
    j = api.call("/api/nodes/start", {"nodes": ["P1-node1"]})[1]
    assert j["ok"], j
    wait_for("P1-node1 up", lambda: api.node_up("P1-node1"), NODE_CHANGE_TIMEOUT_S)
    wait_for("P1-node1 answers", lambda: api.run("1", node="P1-node1")["ok"],
             NODE_CHANGE_TIMEOUT_S)


def test_configuration_is_validated_and_saved(cluster):
    api = Api(cluster["ctl"])
    api.login()
    nodes = api.run("getClusterNodesCfg()")
    assert nodes["ok"], nodes
    assert "127.0.0.1:%d:P1-node1,datanode" % cluster["data"] in nodes["result"]["values"]
    bad = api.run('saveClusterNodes(["127.0.0.1:1:x,dancer"])')
    assert bad["ok"] is False and "invalid mode" in bad["error"]
    cfg = api.run("loadClusterNodesConfigs()")["result"]["values"]
    assert "maxMemSize=5" in cfg
    lines = cfg + ["P1-node1.webTestKey=1"]
    literal = "[" + ", ".join(json.dumps(x) for x in lines) + "]"
    assert api.run(f"saveClusterNodesConfigs({literal})")["ok"]
    assert "P1-node1.webTestKey=1" in api.run("loadClusterNodesConfigs()")["result"]["values"]
    bad = api.run('saveClusterNodesConfigs(["no equals sign"])')
    assert bad["ok"] is False and "Invalid cluster configuration line" in bad["error"]
    # Put it back as it was.
    literal = "[" + ", ".join(json.dumps(x) for x in cfg) + "]"
    assert api.run(f"saveClusterNodesConfigs({literal})")["ok"]


def test_users_and_privileges(cluster):
    admin = Api(cluster["ctl"])
    admin.login()
    assert admin.run('createUser("webuser1", "pw123456")')["ok"]
    try:
        assert "webuser1" in admin.run("getUserList()")["result"]["values"]
        user = Api(cluster["ctl"])
        status, j = user.login("webuser1", "pw123456")
        assert (status, j) == (200, {"ok": True, "user": "webuser1"})
        # Looking is allowed; changing the cluster is for administrators, said plainly.
        assert user.run("getClusterPerf(true)")["ok"]
        j = user.call("/api/nodes/stop", {"nodes": ["P1-node1"]})[1]
        assert j["ok"] is False and "<NoPrivilege>" in j["error"], j
        j = user.run('saveClusterNodesConfigs(["maxMemSize=1"])')
        assert j["ok"] is False and "<NoPrivilege>" in j["error"], j
        j = user.run('createUser("x", "y12345678")')
        assert j["ok"] is False and "<NoPrivilege>" in j["error"], j
        # The same user on the data node's console.
        data = Api(cluster["data"])
        assert data.login("webuser1", "pw123456")[0] == 200
    finally:
        assert admin.run('deleteUser("webuser1")')["ok"]
    assert Api(cluster["ctl"]).login("webuser1", "pw123456")[0] == 401


# --- the browser ---

def chromium_paths():
    try:
        import selenium  # noqa: F401
    except ImportError:
        return None, "selenium is not installed (pip install selenium)"
    browser = next((p for p in (shutil.which(n) for n in
                                ("chromium", "chromium-browser", "google-chrome")) if p), None)
    if not browser:
        return None, "chromium is not installed (apt-get install chromium)"
    driver = shutil.which("chromedriver")
    if not driver:
        return None, "chromedriver is not installed (apt-get install chromium-driver)"
    return (browser, driver), None


@pytest.fixture(scope="module")
def browser():
    paths, why = chromium_paths()
    if not paths:
        pytest.skip(f"browser tests skipped: {why}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = paths[0]
    for a in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
              "--window-size=1400,1000", "--disable-gpu"):
        opts.add_argument(a)
    driver = webdriver.Chrome(service=Service(paths[1]), options=opts)
    driver.set_page_load_timeout(60)
    ARTIFACTS.mkdir(exist_ok=True)
    yield driver
    driver.quit()


def shot(driver, name):
    driver.save_screenshot(str(ARTIFACTS / f"web_{name}.png"))


def find(driver, css, timeout=30, visible=True):
    from selenium.webdriver.common.by import By

    def look():
        els = driver.find_elements(By.CSS_SELECTOR, css)
        els = [e for e in els if e.is_displayed()] if visible else els
        return els[0] if els else None

    return wait_for(f"element {css}", look, timeout)


def text_of(driver, css, want, timeout=30):
    """Waits until the element's text contains `want`; returns the text."""
    from selenium.webdriver.common.by import By

    def look():
        for e in driver.find_elements(By.CSS_SELECTOR, css):
            if want in e.text:
                return e.text
        return None

    return wait_for(f"{css} showing {want!r}", look, timeout)


def test_browser_login_cluster_and_nodes(cluster, browser):
    d = browser
    d.get(f"http://127.0.0.1:{cluster['ctl']}/")
    find(d, "#login-open").click()
    find(d, "#login-user").clear()
    find(d, "#login-user").send_keys("admin")
    find(d, "#login-password").send_keys("wrong")
    find(d, "#login-submit").click()
    text_of(d, "#login-error", "incorrect")
    shot(d, "01_wrong_password")
    pw = find(d, "#login-password")
    pw.clear()
    pw.send_keys("123456")
    find(d, "#login-submit").click()
    text_of(d, "#user-info", "admin")

    find(d, "#tab-button-cluster").click()
    for alias in ("master", "P1-agent", "P1-node1"):
        find(d, f'tr[data-alias="{alias}"]')
    text_of(d, 'tr[data-alias="P1-node1"] td.state', "up", NODE_CHANGE_TIMEOUT_S)
    text_of(d, 'tr[data-alias="master"] td.leader', "leader")
    shot(d, "02_cluster")

    # Filter.
    find(d, "#node-filter").send_keys("agent")
    wait_for("filtered rows", lambda: not d.find_elements(
        "css selector", 'tr[data-alias="P1-node1"]'), 10)
    find(d, "#node-filter").clear()
    find(d, "#node-filter").send_keys(" ")
    find(d, 'tr[data-alias="P1-node1"]')

    # Stop the data node and see it go down, then start it again.
    find(d, 'input.select-node[data-alias="P1-node1"]').click()
    find(d, "#stop-nodes").click()
    text_of(d, "#action-message", "Asked to stop")
    text_of(d, 'tr[data-alias="P1-node1"] td.state', "down", NODE_CHANGE_TIMEOUT_S)
    shot(d, "03_node_down")
    find(d, 'input.select-node[data-alias="P1-node1"]').click()
    find(d, "#start-nodes").click()
    text_of(d, "#action-message", "Asked to start")
    text_of(d, 'tr[data-alias="P1-node1"] td.state', "up", NODE_CHANGE_TIMEOUT_S)
    shot(d, "04_node_up")


def run_in_console(d, script):
    from selenium.webdriver.common.keys import Keys

    editor = find(d, "#editor")
    editor.clear()
    editor.send_keys(script)
    n = len(d.find_elements("css selector", "#results .result-block"))
    editor.send_keys(Keys.CONTROL, Keys.ENTER)
    wait_for("a new result", lambda: len(d.find_elements(
        "css selector", "#results .result-block")) > n, 120)
    return d.find_elements("css selector", "#results .result-block")[0]


def test_browser_console_and_databases(cluster, browser):
    d = browser
    api = Api(cluster["ctl"])
    api.login()
    wait_for("P1-node1 answers", lambda: api.run("1", node="P1-node1")["ok"],
             NODE_CHANGE_TIMEOUT_S)
    d.get(f"http://127.0.0.1:{cluster['ctl']}/")
    text_of(d, "#user-info", "admin")
    find(d, "#tab-button-console").click()
    # Run on the data node (the controller keeps no data).
    wait_for("P1-node1 in the target list", lambda: d.find_elements(
        "css selector", '#target option[value="P1-node1"]'), 30)
    from selenium.webdriver.support.ui import Select
    Select(find(d, "#target")).select_by_value("P1-node1")
    block = run_in_console(d, """
        if (existsDatabase("dfs://webtest")) { dropDatabase("dfs://webtest") }
        db = database("dfs://webtest", VALUE, 1..3)
        t = table(1 2 3 as id, `a`b`c as name, 1.5 2.5 3.5 as price)
        db.createPartitionedTable(t, `t, `id).append!(t)
        select * from loadTable("dfs://webtest", "t") order by id""")
    grid = wait_for("the result grid", lambda: block.find_elements(
        "css selector", "table.result-grid"), 30)[0]
    heads = [th.text for th in grid.find_elements("css selector", "th")]
    assert heads == ["id", "name", "price"]
    cells = [td.text for td in grid.find_elements("css selector", "tbody tr:first-child td")]
    assert cells == ["1", "a", "1.5"]
    shot(d, "05_console_grid")
    block = run_in_console(d, "select nope from loadTable(\"dfs://webtest\", \"t\")")
    err = block.find_element("css selector", ".script-error")
    assert err.text.strip(), "the error is shown in place"
    shot(d, "06_console_error")
    block = run_in_console(d, "1..5")
    assert [li.text for li in block.find_elements("css selector", "ol.vector li")] == \
        ["1", "2", "3", "4", "5"]
    assert d.find_elements("css selector", "#history li"), "history is kept"
    # Ctrl+Enter with a selection runs only the selection.
    from selenium.webdriver.common.keys import Keys
    editor = find(d, "#editor")
    editor.clear()
    editor.send_keys("40 + 2\nundefinedThing + 1")
    d.execute_script("arguments[0].setSelectionRange(0, 6)", editor)
    n = len(d.find_elements("css selector", "#results .result-block"))
    editor.send_keys(Keys.CONTROL, Keys.ENTER)
    wait_for("the selection's result", lambda: len(d.find_elements(
        "css selector", "#results .result-block")) > n, 60)
    block = d.find_elements("css selector", "#results .result-block")[0]
    assert block.find_element("css selector", "pre.scalar").text == "42"

    find(d, "#tab-button-databases").click()
    find(d, 'li[data-db="dfs://webtest"]').click()
    find(d, 'li[data-table="t"]').click()
    text_of(d, "#row-count", "3", 60)
    text_of(d, "#schema", "price", 60)
    find(d, "#load-chunks").click()
    text_of(d, "#chunks", "/webtest/1", 60)
    text_of(d, "#chunks", "COMPLETE", 60)
    shot(d, "07_databases")


def test_browser_configuration_and_data_node(cluster, browser):
    d = browser
    d.get(f"http://127.0.0.1:{cluster['ctl']}/")
    text_of(d, "#user-info", "admin")
    find(d, "#tab-button-config").click()
    wait_for("cluster.nodes loaded", lambda: "P1-node1" in find(
        d, "#nodes-cfg-text").get_attribute("value"), 30)
    area = find(d, "#nodes-cfg-text")
    original = area.get_attribute("value")
    area.send_keys("\n127.0.0.1:1:broken,dancer")
    find(d, "#nodes-cfg-save").click()
    text_of(d, "#nodes-cfg-status", "invalid mode")
    shot(d, "08_config_invalid")
    find(d, "#nodes-cfg-reload").click()
    wait_for("cluster.nodes reloaded", lambda: find(
        d, "#nodes-cfg-text").get_attribute("value") == original, 30)

    # Users: create one, see it listed, delete it.
    find(d, "#tab-button-users").click()
    find(d, "#new-user").send_keys("webuser2")
    find(d, "#new-password").send_keys("pw123456")
    find(d, "#create-user").click()
    text_of(d, "#user-list", "webuser2")
    find(d, "#acl-access").send_keys("TABLE_READ")
    find(d, "#acl-user").clear()
    find(d, "#acl-user").send_keys("webuser2")
    find(d, "#grant").click()
    text_of(d, "#user-status", "Done: grant")
    find(d, 'li[data-user="webuser2"]').click()
    text_of(d, "#user-access", "allow")
    shot(d, "09_users")
    find(d, "#delete-user").click()
    text_of(d, "#user-status", "Done: deleteUser")
    wait_for("webuser2 gone", lambda: "webuser2" not in find(d, "#user-list").text, 30)

    # A data node serves the script console (no cluster pages).
    d.get(f"http://127.0.0.1:{cluster['data']}/")
    find(d, "#tab-button-console")
    assert not d.find_elements("css selector", "#tab-button-cluster")
    if not find(d, "#login-dialog", visible=False).get_attribute("open"):
        find(d, "#login-open").click()
    find(d, "#login-password").send_keys("123456")
    find(d, "#login-submit").click()
    text_of(d, "#user-info", "admin")
    find(d, "#tab-button-console").click()
    block = run_in_console(d, "getNodeAlias()")
    assert block.find_element("css selector", "pre.scalar").text == "P1-node1"
    shot(d, "10_data_node_console")
    find(d, "#logout").click()
    text_of(d, "#user-info", "Not logged in")
