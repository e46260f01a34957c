"""Users and privileges through the official Python client on a standalone node (the same
model and checks a cluster node uses; the cluster side is crates/porpoise/tests/cluster_users.rs):
createUser, login, the errors DolphinDB's clients see for a user without privileges
(`<NoPrivilege>Not granted to ...`, `Only administrators ...`), grants on DFS tables through
the client's own table APIs (tableAppender, select). Users kept across a restart: see
crates/porpoise/tests/single_users.rs."""

import numpy as np
import pandas as pd
import pytest
import dolphindb as ddb

from test_python_client import start_node, stop_node


def connect(port, user, pw):
    s = ddb.session()
    s.connect("127.0.0.1", port, user, pw)
    return s


def test_users_and_dfs_privileges(tmp_path):
    proc, port, log = start_node(tmp_path / "home")
    try:
        admin = connect(port, "admin", "123456")
        admin.run("""
            createUser("reader", "pw123")
            createUser("writer", "pw123")
            db = database("dfs://e2e_users", VALUE, 1 2 3)
            t = table(1 2 3 as id, 4.0 5.0 6.0 as v)
            db.createPartitionedTable(t, `pt, `id).append!(t)
            grant("reader", TABLE_READ, "dfs://e2e_users/pt")
            grant("writer", TABLE_INSERT, "dfs://e2e_users/pt")
        """)
        assert sorted(admin.run("getUserList()")) == ["reader", "writer"]

        # A wrong password is refused at connect.
        bad = ddb.session()
        assert not bad.connect("127.0.0.1", port, "reader", "nope")

        reader = connect(port, "reader", "pw123")
        df = reader.run('select * from loadTable("dfs://e2e_users", "pt") order by id')
        assert list(df["id"]) == [1, 2, 3]
        appender = ddb.tableAppender("dfs://e2e_users", "pt", reader)
        with pytest.raises(RuntimeError, match="<NoPrivilege>Not granted to write data to table"):
            appender.append(pd.DataFrame({"id": np.array([1], dtype=np.int32), "v": [1.0]}))
        with pytest.raises(RuntimeError, match="Only administrators can execute function createUser"):
            reader.run('createUser("x1", "pw123")')

        writer = connect(port, "writer", "pw123")
        appender = ddb.tableAppender("dfs://e2e_users", "pt", writer)
        assert appender.append(pd.DataFrame({"id": np.array([2], dtype=np.int32), "v": [7.0]})) == 1
        with pytest.raises(RuntimeError, match="<NoPrivilege>Not granted to read table dfs://e2e_users/pt"):
            writer.run('select * from loadTable("dfs://e2e_users", "pt")')
        assert admin.run('exec count(*) from loadTable("dfs://e2e_users", "pt")') == 4
        for s in (admin, reader, writer):
            s.close()
    finally:
        stop_node(proc, log)
