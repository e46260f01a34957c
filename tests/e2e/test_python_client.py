"""Proves that the official Python client (`dolphindb` on PyPI) works unmodified against the
`porpoise` binary: login, scripts, pandas uploads and round trips, tableInsert, concurrent
sessions, error messages, HTTP on the same port, and a clean exit on SIGTERM.

The binary is $PORPOISE_BIN, or target/debug/porpoise at the repository root."""

import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import dolphindb as ddb
import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("PORPOISE_BIN", str(ROOT / "target" / "debug" / "porpoise"))
START_TIMEOUT_S = 30
STOP_TIMEOUT_S = 20


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_node(home, extra_args=(), cwd=None):
    """Starts porpoise on a free port; returns (process, port, log path)."""
    port = free_port()
    log = home / "porpoise.log"
    proc = subprocess.Popen(
        [BIN, "-mode", "single", "-home", str(home), "-console", "0",
         "-localSite", f"127.0.0.1:{port}:e2e{port}", "-logFile", str(log), *extra_args],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=cwd,
    )
    deadline = time.time() + START_TIMEOUT_S
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port, log
        except OSError:
            if proc.poll() is not None or time.time() > deadline:
                proc.kill()
                raise RuntimeError(f"porpoise did not start: {proc.stderr.read()!r}")
            time.sleep(0.1)


def stop_node(proc, log):
    """SIGTERM must stop the node cleanly: exit status 0 and a log line saying so."""
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=STOP_TIMEOUT_S) == 0
    assert "shutting down" in log.read_text()


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    """A fresh porpoise node on a free port."""
    proc, port, log = start_node(tmp_path_factory.mktemp("home"))
    yield {"port": port, "log": log, "proc": proc}
    stop_node(proc, log)


def test_config_file_and_init_script_are_used(tmp_path):
    (tmp_path / "init.dos").write_text("share table(1..3 as a) as fromInit\n")
    (tmp_path / "node.cfg").write_text(
        "\n# comment line, after a blank first line\nworkerNum=3\nnoSuchKey=1\n")
    proc, port, log = start_node(tmp_path / "home",
                                 ["-config", "node.cfg", "-script", "init.dos"], cwd=tmp_path)
    try:
        s = session({"port": port})
        assert s.run("rows(fromInit)") == 3
        s.close()
        text = log.read_text()
        assert "Unknown configuration parameter [noSuchKey]" in text
        assert f"e2e{port}" in text  # every line names the node
    finally:
        stop_node(proc, log)


def session(node):
    s = ddb.session()
    assert s.connect("127.0.0.1", node["port"], "admin", "123456")
    return s


def test_connect_and_run_scripts(node):
    s = session(node)
    assert s.run("1+1") == 2
    assert list(s.run("x=[1,2,3]; x")) == [1, 2, 3]
    assert s.run("x[1]") == 2
    assert s.run('"abc" + "de"') == "abcde"
    s.close()


def test_bad_password_is_refused(node, capfd):
    s = ddb.session()
    assert not s.connect("127.0.0.1", node["port"], "admin", "wrong")
    # The client logs the server's status line.
    captured = capfd.readouterr()
    assert "The user name or password is incorrect." in captured.out + captured.err


def test_errors_come_back_in_dolphindb_wording_and_the_session_goes_on(node):
    s = session(node)
    with pytest.raises(Exception) as e:
        s.run("foo(1)")
    assert "Can't recognize function name foo" in str(e.value)
    assert s.run("1+2") == 3
    s.close()


def sample_frame():
    return pd.DataFrame({
        "i": np.array([1, 2, 3], dtype=np.int32),
        "l": np.array([10, 20, 30], dtype=np.int64),
        "d": [1.5, 2.5, None],
        "s": ["x", "y", "z"],
        "b": [True, False, True],
        "ts": pd.to_datetime(["2022-05-20 13:50:59.123", "2022-05-21 00:00:00.000",
                              "2022-05-22 00:00:00.000"]),
    })


def test_uploaded_dataframe_round_trips(node):
    s = session(node)
    df = sample_frame()
    s.upload({"t": df})
    assert s.run("typestr(t)") == "IN-MEMORY TABLE"
    assert s.run("rows(t)") == 3
    assert s.run("t.i[2]") == 3
    back = s.run("t")
    pd.testing.assert_frame_equal(back, df, check_dtype=False)
    assert np.isnan(back["d"][2])
    s.close()


def test_table_built_by_script_reaches_pandas(node):
    s = session(node)
    t = s.run("table(1..3 as a, `x`y`z as b, [1.0, 2.0, 3.0] as c)")
    assert list(t.columns) == ["a", "b", "c"]
    assert list(t["a"]) == [1, 2, 3]
    assert list(t["b"]) == ["x", "y", "z"]
    assert list(t["c"]) == [1.0, 2.0, 3.0]
    s.close()


def test_table_insert_partial_application_takes_a_dataframe(node):
    s = session(node)
    s.run("tt = table(100:0, `i`l`d`s`b`ts, [INT,LONG,DOUBLE,SYMBOL,BOOL,TIMESTAMP])")
    df = sample_frame()
    assert s.run("tableInsert{tt}", df) == 3
    assert s.run("tableInsert{tt}", df) == 3
    assert s.run("rows(tt)") == 6
    assert s.run("typestr(tt.s)") == "FAST SYMBOL VECTOR"
    back = s.run("tt")
    assert list(back["s"]) == ["x", "y", "z"] * 2
    s.close()


def test_shared_table_is_seen_by_other_sessions(node):
    a, b = session(node), session(node)
    a.run("share table(100:0, `i`s, [INT,SYMBOL]) as e2e_shared")
    assert b.run("tableInsert{e2e_shared}", sample_frame()[["i", "s"]]) == 3
    assert a.run("rows(e2e_shared)") == 3
    a.close()
    b.close()


def test_function_call_with_arguments(node):
    s = session(node)
    s.run("def addTwo(x, y) { return x + y }")
    assert s.run("addTwo", 1, 2) == 3
    assert s.run("addTwo{10}", 5) == 15
    s.close()


def test_concurrent_sessions_keep_their_own_variables(node):
    errors = []

    def worker(k):
        try:
            s = session(node)
            for i in range(20):
                s.run(f"v = {k * 1000 + i}")
                assert s.run("v") == k * 1000 + i
            s.close()
        except Exception as e:  # reported below, so a thread failure fails the test
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors


def test_metrics_on_the_same_port(node):
    session(node).run("1")
    with urllib.request.urlopen(f"http://127.0.0.1:{node['port']}/metrics", timeout=10) as r:
        text = r.read().decode()
    assert "porpoise_jobs_total" in text
    assert "porpoise_sessions" in text


def test_fetch_size_returns_the_table_in_blocks(node):
    s = session(node)
    reader = s.run("table(1..20000 as a, take(`x`y, 20000) as b)", fetchSize=8192)
    sizes = []
    while reader.hasNext():
        sizes.append(len(reader.read()))
    assert sizes == [8192, 8192, 3616]
    assert s.run("1+1") == 2
    s.close()


def test_request_options_reach_the_job(node):
    s = session(node)
    s.run("v = 1", clearMemory=True)
    with pytest.raises(Exception):
        s.run("v")
    jobs = s.run("select priority, parallelism from getConsoleJobs() "
                 "where sessionId=getCurrentSessionAndUser()[0]", priority=9, parallelism=3)
    assert list(jobs["priority"]) == [8]
    assert list(jobs["parallelism"]) == [3]
    s.close()


def test_stream_subscription_delivers_backlog_and_new_rows(node):
    s = session(node)
    s.run("share streamTable(10:0, `data`time, [INT,DATE]) as `e2e_stream;"
          "insert into e2e_stream values(0i..4i, 1970.01.01d..1970.01.05d)")
    got = []
    s.enableStreaming()
    s.subscribe("127.0.0.1", node["port"], got.append, "e2e_stream", "py", offset=2,
                userName="admin", password="123456")
    s.run("insert into e2e_stream values(5i, 1970.01.06d)")
    deadline = time.time() + 20
    while len(got) < 4 and time.time() < deadline:
        time.sleep(0.05)
    assert [row[0] for row in got] == [2, 3, 4, 5]
    s.unsubscribe("127.0.0.1", node["port"], "e2e_stream", "py")
    deadline = time.time() + 20
    while time.time() < deadline:
        if len(s.run("select * from getStreamingStat().pubTables "
                     "where tableName=`e2e_stream")) == 0:
            break
        time.sleep(0.05)
    assert len(s.run("select * from getStreamingStat().pubTables "
                     "where tableName=`e2e_stream")) == 0
    s.close()


def test_print_output_reaches_the_client(node, capfd):
    s = session(node)
    assert s.run('print("hello from porpoise"); 1') == 1
    captured = capfd.readouterr()
    assert "hello from porpoise" in captured.out + captured.err
    s.close()


def test_concurrent_appends_to_a_shared_table_are_all_kept(node):
    session(node).run("share table(1000:0, `k`i, [INT,INT]) as e2e_race")
    errors = []

    def writer(k):
        try:
            s = session(node)
            df = pd.DataFrame({"k": np.array([k], dtype=np.int32),
                               "i": np.array([0], dtype=np.int32)})
            for i in range(50):
                df["i"] = np.array([i], dtype=np.int32)
                s.run("tableInsert{e2e_race}", df)
            s.close()
        except Exception as e:  # reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert session(node).run("rows(e2e_race)") == 200
