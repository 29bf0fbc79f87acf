"""Tests of the fake SQL Server, through the real pyodbc and the real FreeTDS ODBC driver."""
import contextlib
import datetime
import decimal
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tds_server import Scenario, ScenarioViolation, TdsServer  # noqa: E402

pyodbc = pytest.importorskip("pyodbc")
if "FreeTDS" not in pyodbc.drivers():
    pytest.skip("FreeTDS ODBC driver not installed (apt-get install tdsodbc)", allow_module_level=True)
pyodbc.pooling = False  # a pooled connection would hide connects and closes from the server

D = decimal.Decimal
SUPPORT = os.path.dirname(os.path.abspath(__file__))

# A table of the application's: the protocol tests here do not read system views, whose answers the
# server checks against the documented catalog (the fidelity tests at the end of this file do).
DATABASES = {
    "match": r"FROM dbo\.inventory",
    "columns": [{"name": "name", "type": "nvarchar"}, {"name": "database_id", "type": "int"},
                {"name": "state_desc", "type": "nvarchar"}, {"name": "is_read_only", "type": "bit"},
                {"name": "create_date", "type": "datetime2"},
                {"name": "size_mb", "type": "decimal", "precision": 18, "scale": 2}],
    "rows": [["master", 1, "ONLINE", False, "2024-01-01T00:00:00", 12.5],
             ["it's [odd]", 5, "OFFLINE", None, None, None]],
}
SCENARIO = {
    "server": {"version": "15.0.2000.5", "edition": "Developer Edition (64-bit)", "instance": "MSSQLSERVER"},
    "logins": [{"user": "backup", "password": "S3cret!"}],
    "queries": [
        dict(DATABASES, match=r"FROM dbo\.inventory WHERE name = @P1", params=["it's [odd]"],
             rows=[DATABASES["rows"][1]]),
        DATABASES,
        {"match": "dm_exec_requests", "error": {"number": 297, "severity": 16, "state": 1,
                                                "message": "The user does not have permission to perform this action."}},
        {"match": "WAITFOR", "delay_seconds": 5, "columns": [{"name": "x", "type": "int"}], "rows": [[1]]},
        {"match": "sp_who", "drop": True},
        {"match": r"^select (\d+) as n$", "columns": [{"name": "n", "type": "int"}], "rows": [[1]]},
    ],
    "default": "error",
}


@pytest.fixture
def serve():
    servers = []

    def start(scenario=None):
        srv = TdsServer(SCENARIO if scenario is None else scenario).start()
        servers.append(srv)
        return srv

    yield start
    for srv in servers:
        srv.stop()


def connect(srv, user="backup", password="S3cret!", timeout=5, **kwargs):
    return pyodbc.connect("DRIVER={FreeTDS};SERVER=127.0.0.1;PORT=%d;UID=%s;PWD=%s;TDS_Version=7.4;DATABASE=master"
                          % (srv.port, user, password), timeout=timeout, **kwargs)


@contextlib.contextmanager
def connected(srv, **kwargs):
    # pyodbc's own "with conn:" commits on exit and never closes; that fails on a dropped connection
    conn = connect(srv, **kwargs)
    try:
        yield conn
    finally:
        try:
            conn.close()
        except pyodbc.Error:
            pass


def user_records(srv):
    return [r for r in srv.records if not r["driver"]]


# ---------------------------------------------------------------- results and types

ALL_TYPES = [
    ({"type": "nvarchar"}, "häll😀 it's [odd]"),
    ({"type": "nvarchar", "length": "max"}, "x" * 10000),
    ({"type": "varchar", "length": 20}, "café"),
    ({"type": "int"}, -2147483648),
    ({"type": "bigint"}, 9223372036854775807),
    ({"type": "smallint"}, -32768),
    ({"type": "tinyint"}, 255),
    ({"type": "bit"}, True),
    ({"type": "datetime"}, datetime.datetime(2024, 2, 29, 23, 59, 59, 997000)),
    ({"type": "datetime2"}, datetime.datetime(2024, 1, 1, 12, 34, 56, 123456)),
    ({"type": "datetime2", "scale": 0}, datetime.datetime(1753, 1, 1, 0, 0, 1)),
    ({"type": "date"}, datetime.date(1, 1, 1)),
    ({"type": "decimal", "precision": 18, "scale": 2}, D("-12345.67")),
    ({"type": "decimal", "precision": 5, "scale": 1}, D("9999.9")),
    ({"type": "decimal", "precision": 28, "scale": 4}, D("123456789012345678901234.5678")),
    ({"type": "numeric", "precision": 38, "scale": 10}, D("-1234567890123456789012345678.0123456789")),
    ({"type": "float"}, 1.5e300),
    ({"type": "real"}, 1.5),
    ({"type": "varbinary"}, b"\x00\xff"),
    ({"type": "uniqueidentifier"}, "00000000-0000-0000-0000-000000003039"),
]


def test_every_column_type_round_trips_with_nulls(serve):
    columns = [dict(spec, name="c%d" % i) for i, (spec, _value) in enumerate(ALL_TYPES)]
    values = [value for _spec, value in ALL_TYPES]
    srv = serve({"queries": [{"match": "types", "columns": columns, "rows": [values, [None] * len(values)]}]})
    with connected(srv) as conn:
        rows = conn.cursor().execute("select types").fetchall()
    got = [bytes(v) if isinstance(v, bytearray) else v for v in rows[0]]
    assert got == values
    assert list(rows[1]) == [None] * len(values)


def test_iso_strings_and_dict_rows(serve):
    srv = serve()
    with connected(srv) as conn:
        cur = conn.cursor()
        rows = cur.execute("SELECT name, database_id, state_desc, is_read_only, create_date, size_mb "
                           "FROM dbo.inventory").fetchall()
        assert [d[0] for d in cur.description] == ["name", "database_id", "state_desc", "is_read_only",
                                                   "create_date", "size_mb"]
    assert [tuple(r) for r in rows] == [
        ("master", 1, "ONLINE", False, datetime.datetime(2024, 1, 1), D("12.50")),
        ("it's [odd]", 5, "OFFLINE", None, None, None)]


def test_dict_rows_multiple_result_sets_and_rowcount(serve):
    srv = serve({"queries": [
        {"match": "two", "results": [{"columns": ["a", {"name": "b", "type": "int"}], "rows": [{"b": 2}]},
                                     {"columns": [{"name": "c", "type": "bit"}], "rows": [[1], [0]]}]},
        {"match": "^update", "rowcount": 3}]})
    with connected(srv) as conn:
        cur = conn.cursor()
        assert [tuple(r) for r in cur.execute("select two").fetchall()] == [(None, 2)]
        assert cur.nextset()
        assert [tuple(r) for r in cur.fetchall()] == [(True,), (False,)]
        assert not cur.nextset()
        assert cur.execute("update t set x = 1").rowcount == 3


def test_bad_scenario_values_fail_at_load():
    with pytest.raises(ValueError, match="does not fit"):
        Scenario({"queries": [{"match": "x", "columns": [{"name": "d", "type": "decimal", "precision": 3}],
                               "rows": [[12345]]}]})
    with pytest.raises(ValueError, match="unknown type"):
        Scenario({"queries": [{"match": "x", "columns": [{"name": "d", "type": "money"}]}]})
    with pytest.raises(ValueError, match="unknown key"):
        Scenario({"queries": [{"match": "x", "colums": []}]})


def test_scenario_from_json_file(serve, tmp_path):
    path = tmp_path / "scenario.json"
    path.write_text(json.dumps({"queries": [DATABASES]}))
    srv = serve(str(path))
    with connected(srv) as conn:
        assert len(conn.cursor().execute("SELECT name FROM dbo.inventory").fetchall()) == 2


def test_server_properties_answered_from_scenario(serve):
    srv = serve({"server": {"version": "16.0.4105.2", "edition": "Standard Edition (64-bit)", "instance": "PROD1"}})
    with connected(srv) as conn:
        cur = conn.cursor()
        row = cur.execute("SELECT SERVERPROPERTY('ProductVersion') AS v, SERVERPROPERTY('InstanceName') AS i, "
                          "CAST(SERVERPROPERTY('ProductMajorVersion') AS int) AS major, "
                          "SERVERPROPERTY('EngineEdition') AS ee, @@SERVERNAME AS s, DB_NAME() AS db").fetchone()
        assert tuple(row) == ("16.0.4105.2", "PROD1", 16, 2, "SQLTEST\\PROD1", "master")
        assert "Standard Edition" in cur.execute("SELECT @@VERSION").fetchone()[0]
        assert conn.getinfo(pyodbc.SQL_DBMS_VER).startswith("16.00.4105")


# ---------------------------------------------------------------- records and parameters

def test_parameterized_query_is_recorded_with_its_value(serve):
    srv = serve()
    with connected(srv) as conn:
        cur = conn.cursor()
        rows = cur.execute("SELECT name, database_id FROM dbo.inventory WHERE name = ?", "it's [odd]").fetchall()
        assert [r[0] for r in rows] == ["it's [odd]"]  # the params-specific rule won
        rows = cur.execute("SELECT name, database_id FROM dbo.inventory WHERE name = ?", "other").fetchall()
        assert len(rows) == 2  # falls through to the generic rule
    recs = user_records(srv)
    assert [(r["kind"], r["proc"], r["params"]) for r in recs] == [
        ("rpc", "sp_prepexec", ["it's [odd]"]), ("rpc", "sp_prepexec", ["other"])]
    assert recs[0]["sql"] == "SELECT name, database_id FROM dbo.inventory WHERE name = @P1"
    assert recs[0]["login"] == "backup" and recs[0]["database"] == "master"
    assert all("it's" not in r["sql"] for r in srv.records)


def test_parameter_types_are_decoded(serve):
    srv = serve({"queries": [{"match": "echo", "columns": [{"name": "x", "type": "int"}], "rows": [[1]]}]})
    params = [1, -5, 2 ** 40, 1.25, D("123.4500"), D("-0.00001"), datetime.datetime(2024, 5, 6, 7, 8, 9, 123456),
              datetime.date(2024, 1, 2), datetime.time(1, 2, 3), True, None, b"\x01\x02", "ünï😀", "y" * 5000]
    with connected(srv) as conn:
        conn.cursor().execute("select echo " + ",".join("?" * len(params)), *params).fetchall()
    assert user_records(srv)[-1]["params"] == params


def test_driver_statements_are_flagged(serve):
    srv = serve()
    with connected(srv) as conn:
        conn.cursor().execute("select 1 as n").fetchall()
        conn.commit()
    driver = [r["sql"] for r in srv.records if r["driver"]]
    assert driver[0] == "BEGIN TRANSACTION"
    assert any(s.startswith("sp_datatype_info") for s in driver)
    assert "COMMIT TRANSACTION" in driver
    assert srv.statements() == ["select 1 as n"]
    assert srv.logins[0]["user"] == "backup" and srv.logins[0]["password"] == "S3cret!" and srv.logins[0]["ok"]


def test_multiple_sequential_queries_and_large_batch(serve):
    srv = serve()
    with connected(srv) as conn:
        cur = conn.cursor()
        for _attempt in range(20):
            assert cur.execute("select 1 as n").fetchone()[0] == 1
        # 18 kB of UCS-2 text: FreeTDS splits it over several 4096-byte TDS packets
        padded = "SELECT name FROM dbo.inventory /*%s*/" % ("x" * 9000)
        assert len(cur.execute(padded).fetchall()) == 2
    assert srv.statements()[-1] == padded and len(srv.statements()) == 21


def test_two_concurrent_connections(serve):
    srv = serve({"queries": [{"match": "slow", "delay_seconds": 1, "columns": [{"name": "x", "type": "int"}],
                              "rows": [[1]]}]})
    results, errors = [], []

    def worker():
        try:
            with connected(srv) as conn:
                results.append(conn.cursor().execute("select slow").fetchone()[0])
        except Exception as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _worker in range(2)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert not errors and results == [1, 1]
    assert time.monotonic() - started < 1.9  # both delays ran in parallel
    assert {r["conn"] for r in user_records(srv)} == {1, 2}


# ---------------------------------------------------------------- faults

def test_login_failure_wrong_password(serve):
    srv = serve()
    with pytest.raises(pyodbc.Error) as info:
        connect(srv, password="wrong")
    assert info.value.args[0] == "42000" and "(18456)" in info.value.args[1]
    assert srv.logins[0]["ok"] is False


def test_login_failure_injected(serve):
    srv = serve({"login_failure": {"number": 18456, "state": 1, "message": "Login failed for user '{user}'."}})
    with pytest.raises(pyodbc.ProgrammingError) as info:
        connect(srv)
    assert info.value.args[0] == "42000"
    assert "Login failed for user 'backup'. (18456)" in info.value.args[1]


@pytest.mark.parametrize("mode", ["silent", "silent_after_prelogin"])
def test_silent_server_is_bounded_by_login_timeout(serve, mode):
    srv = serve({"behaviour": {"mode": mode}})
    started = time.monotonic()
    with pytest.raises(pyodbc.OperationalError) as info:
        connect(srv, timeout=3 if mode == "silent" else 1)
    elapsed = time.monotonic() - started
    assert info.value.args[0] == "HYT00"
    assert (2.5 if mode == "silent" else 0.5) < elapsed < (5 if mode == "silent" else 3)


def test_close_on_connect(serve):
    srv = serve({"behaviour": {"mode": "close_on_connect"}})
    with pytest.raises(pyodbc.OperationalError) as info:
        connect(srv)
    assert info.value.args[0] == "08001"


def test_slow_answer_hits_query_timeout_and_connection_survives(serve):
    srv = serve()
    with connected(srv) as conn:
        conn.timeout = 2
        cur = conn.cursor()
        started = time.monotonic()
        with pytest.raises(pyodbc.OperationalError) as info:
            cur.execute("WAITFOR DELAY '00:00:05'")
        assert info.value.args[0] == "HYT00"
        assert 1.5 < time.monotonic() - started < 4
        assert cur.execute("select 1 as n").fetchone()[0] == 1  # ATTENTION was acknowledged


def test_behaviour_delay_applies_to_user_statements_only(serve):
    srv = serve({"behaviour": {"delay_seconds": 0.5}})
    started = time.monotonic()
    with connected(srv) as conn:
        assert time.monotonic() - started < 0.5  # the driver's bootstrap batches are not delayed
        conn.cursor().execute("select anything")
    assert time.monotonic() - started >= 0.5


def test_drop_mid_query(serve):
    srv = serve()
    with connected(srv) as conn:
        cur = conn.cursor()
        with pytest.raises(pyodbc.Error) as info:
            cur.execute("EXEC sp_who")
        assert info.value.args[0] == "01000" and "(20017)" in info.value.args[1]
        with pytest.raises(pyodbc.Error) as info:
            cur.execute("select 1 as n")
        assert info.value.args[0] == "08S01"
    assert srv.statements()[-1] == "EXEC sp_who"


def test_drop_on_regex(serve):
    srv = serve({"behaviour": {"drop_on": "backup database"}})
    with connected(srv) as conn:
        with pytest.raises(pyodbc.Error):
            conn.cursor().execute("BACKUP DATABASE x TO DISK = ?", "/tmp/x.bak")
    assert user_records(srv)[-1]["params"] == ["/tmp/x.bak"]


@pytest.mark.parametrize("parameterized", [False, True])
def test_errors_297_and_208(serve, parameterized):
    srv = serve()
    with connected(srv) as conn:
        cur = conn.cursor()
        args = ("SELECT * FROM sys.dm_exec_requests WHERE session_id = ?", 1) if parameterized else \
            ("SELECT * FROM sys.dm_exec_requests",)
        with pytest.raises(pyodbc.ProgrammingError) as info:
            cur.execute(*args)
        assert info.value.args[0] == "42000" and "(297)" in info.value.args[1]
        with pytest.raises(pyodbc.ProgrammingError) as info:
            cur.execute("SELECT * FROM dbo.nothere")
        assert info.value.args[0] == "42S02"
        assert "Invalid object name 'dbo.nothere'. (208)" in info.value.args[1]
        assert cur.execute("select 1 as n").fetchone()[0] == 1


# ---------------------------------------------------------------- robustness at the byte level

def _packet(ptype, payload, status=1):
    return struct.pack(">BBHHBB", ptype, status, len(payload) + 8, 0, 1, 0) + payload


# options VERSION (offset 11, 6 bytes) and ENCRYPTION (offset 17, 1 byte), terminator, then the data
PRELOGIN = bytes.fromhex("00000b0006" + "0100110001" + "ff") + bytes(6) + b"\x00"


def _recv_reply(sock):
    sock.settimeout(5)
    header = b""
    while len(header) < 8:
        header += sock.recv(8 - len(header))
    length = struct.unpack(">H", header[2:4])[0]
    body = b""
    while len(body) < length - 8:
        body += sock.recv(length - 8 - len(body))
    return header, body


def test_split_tcp_segments_and_malformed_input(serve):
    srv = serve()
    prelogin = _packet(18, PRELOGIN)
    with socket.create_connection(("127.0.0.1", srv.port)) as raw:
        for byte in prelogin:  # one TCP segment per byte
            raw.sendall(bytes([byte]))
            time.sleep(0.002)
        header, body = _recv_reply(raw)
        assert header[0] == 4 and body[0] == 0
        raw.sendall(_packet(16, b"\x01\x02\x03"))  # a LOGIN7 far too short
        raw.settimeout(5)
        assert raw.recv(100) == b""  # the server closed this connection ...
    for garbage in (b"\x12\x01\x00\x03\x00\x00\x00\x00", _packet(99, b"junk"), b"\x12\x00" + b"\xff" * 20):
        with socket.create_connection(("127.0.0.1", srv.port)) as raw:
            raw.sendall(garbage)
            raw.shutdown(socket.SHUT_WR)
            raw.settimeout(5)
            raw.recv(100)
    with connected(srv) as conn:  # ... and still serves everybody else
        assert conn.cursor().execute("select 1 as n").fetchone()[0] == 1


def test_stop_is_prompt_with_open_connections(serve):
    srv = TdsServer({"behaviour": {"mode": "silent"}}).start()
    idle = TdsServer(SCENARIO).start()
    raw = socket.create_connection(("127.0.0.1", srv.port))
    conn = connect(idle)
    time.sleep(0.2)
    started = time.monotonic()
    srv.stop()
    idle.stop()
    assert time.monotonic() - started < 1.5
    raw.settimeout(2)
    assert raw.recv(10) == b""
    raw.close()
    with pytest.raises(pyodbc.Error):
        conn.cursor().execute("select 1 as n")


# ---------------------------------------------------------------- command line

def test_cli_with_yaml_port_file_and_records(tmp_path):
    yaml = pytest.importorskip("yaml")
    scenario = tmp_path / "scenario.yml"
    scenario.write_text(yaml.safe_dump({"logins": [{"user": "backup", "password": "S3cret!"}],
                                        "queries": [DATABASES]}))
    port_file, record_file = tmp_path / "port", tmp_path / "records.jsonl"
    env = dict(os.environ, PYTHONPATH=SUPPORT)
    proc = subprocess.Popen([sys.executable, "-m", "tds_server", str(scenario), "--port", "0",
                             "--port-file", str(port_file), "--record", str(record_file)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        assert int(port_file.read_text()) == port

        with connected(type("Srv", (), {"port": port})) as conn:
            rows = conn.cursor().execute("SELECT name FROM dbo.inventory WHERE state_desc = ?", "ONLINE").fetchall()
            assert len(rows) == 2
            lines = [json.loads(line) for line in record_file.read_text().splitlines()]  # while still running
            user = [r for r in lines if not r["driver"]]
            assert user[-1]["params"] == ["ONLINE"] and "dbo.inventory" in user[-1]["sql"]
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=10)
    assert proc.returncode == 0, err


# ---------------------------------------------------------------- fidelity to the documented catalog

SYS_DATABASES = {"match": r"FROM sys\.databases AS d", "columns": [
    {"name": "name", "type": "nvarchar"}, {"name": "database_id", "type": "int"}],
    "rows": [["master", 1], ["tempdb", 2], ["Sales", 5]]}


def one_answer(srv, sql, *params):
    with connected(srv) as conn:
        return [tuple(r) for r in conn.cursor().execute(sql, *params).fetchall()]


def test_a_scenario_answering_with_a_column_the_statement_lacks_fails(serve):
    srv = TdsServer({"queries": [dict(SYS_DATABASES, columns=SYS_DATABASES["columns"] + [
        {"name": "invented_col", "type": "int"}], rows=[["master", 1, 7]])]}).start()
    try:
        with pytest.raises(pyodbc.ProgrammingError, match="invented_col.*does not return"):
            one_answer(srv, "SELECT d.name, d.database_id FROM sys.databases AS d")
    finally:
        with pytest.raises(ScenarioViolation, match="answers .* with column\\(s\\) invented_col"):
            srv.stop()


def test_a_statement_reading_a_column_the_release_lacks_gets_sql_servers_error(serve):
    srv = TdsServer({"server": {"version": "10.50.6000.34"}, "queries": [SYS_DATABASES]}).start()
    try:
        with pytest.raises(pyodbc.ProgrammingError, match=r"Invalid column name 'replica_id'. \(207\)"):
            one_answer(srv, "SELECT d.name, d.replica_id FROM sys.databases AS d")
        with pytest.raises(pyodbc.ProgrammingError, match=r"Invalid column name 'bogus'. \(207\)"):
            one_answer(srv, "SELECT d.name, d.bogus FROM sys.databases AS d")
        with pytest.raises(pyodbc.ProgrammingError, match=r"Invalid object name 'sys.dm_db_log_stats'. \(208\)"):
            one_answer(srv, "SELECT ls.total_log_size_mb FROM sys.databases AS d CROSS APPLY "
                            "sys.dm_db_log_stats(d.database_id) AS ls")
        assert one_answer(srv, "SELECT CAST(SERVERPROPERTY('IsHadrEnabled') AS int) AS h, "
                               "CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS v") == [(None, "10.50.6000.34")]
    finally:
        violations = srv.violations
        srv.stop(check=False)
    assert len(violations) == 3 and all("SQL Server 2008 R2 would reject" in v for v in violations)


LOGIN_SCENARIO = {
    "server": {"version": "16.0.4135.4"},
    "login": {"sysadmin": False, "permissions": ["VIEW SERVER PERFORMANCE STATE"]},
    "queries": [
        SYS_DATABASES,
        {"match": "dm_exec_requests", "columns": [{"name": "session_id", "type": "int"},
                                                  {"name": "command", "type": "nvarchar"}],
         "rows": [[51, "BACKUP LOG"], [52, "RESTORE DATABASE"]]},
        {"match": "dm_os_performance_counters", "columns": [{"name": "cntr_value", "type": "bigint"}], "rows": [[1]]},
        {"match": "FROM sys.database_mirroring", "columns": [
            {"name": "database_id", "type": "int"}, {"name": "mirroring_role_desc", "type": "nvarchar"}],
         "rows": [[1, "PRINCIPAL"], [5, "MIRROR"]]},
        {"match": "FROM sys.databases AS adb", "columns": [{"name": "database_id", "type": "int"},
                                                           {"name": "ag_name", "type": "nvarchar"}],
         "rows": [[5, "AG1"]]},
        {"match": "sys.availability_groups", "columns": [
            {"name": "database_id", "type": "int"}, {"name": "ag_name", "type": "nvarchar"},
            {"name": "role_desc", "type": "nvarchar"}], "rows": [[5, "AG1", "SECONDARY"]]},
    ]}


def test_a_declared_login_sees_what_sql_server_shows_it():
    srv = TdsServer(LOGIN_SCENARIO).start()
    try:
        assert one_answer(srv, "SELECT HAS_PERMS_BY_NAME(NULL, NULL, 'VIEW ANY DATABASE') AS a, "
                               "HAS_PERMS_BY_NAME(NULL, NULL, 'VIEW SERVER PERFORMANCE STATE') AS p, "
                               "HAS_PERMS_BY_NAME(NULL, NULL, 'VIEW SERVER STATE') AS s, "
                               "IS_SRVROLEMEMBER('sysadmin') AS sa") == [(0, 1, 0, 0)]
        # catalog views filter: without VIEW ANY DATABASE only master and tempdb
        assert one_answer(srv, "SELECT d.name, d.database_id FROM sys.databases AS d") == [("master", 1), ("tempdb", 2)]
        # sys.dm_exec_requests needs only VIEW SERVER PERFORMANCE STATE on 2022
        assert len(one_answer(srv, "SELECT r.session_id, r.command FROM sys.dm_exec_requests AS r")) == 2
        # a DMV that needs VIEW SERVER STATE refuses
        with pytest.raises(pyodbc.ProgrammingError, match=r"VIEW SERVER STATE permission was denied.*\(300\)"):
            one_answer(srv, "SELECT k.database_id FROM sys.dm_database_encryption_keys AS k")
        # a mirror's row is not visible to a non-sysadmin asking for mirroring_guid IS NOT NULL (nor without VIEW
        # ANY DATABASE: only master's row stays)
        assert one_answer(srv, "SELECT m.database_id, m.mirroring_role_desc FROM sys.database_mirroring AS m "
                               "WHERE m.mirroring_guid IS NOT NULL") == [(1, "PRINCIPAL")]
    finally:
        srv.stop()


def test_catalog_views_hidden_from_a_login_filter_inner_joins_and_null_left_joins():
    srv = TdsServer(dict(LOGIN_SCENARIO, login={"permissions": ["VIEW SERVER STATE", "VIEW ANY DATABASE"]})).start()
    try:
        assert one_answer(srv, "SELECT drs.database_id, ag.name AS ag_name, ars.role_desc "
                               "FROM sys.dm_hadr_database_replica_states AS drs "
                               "JOIN sys.dm_hadr_availability_replica_states AS ars ON ars.replica_id = drs.replica_id "
                               "LEFT JOIN sys.availability_groups AS ag ON ag.group_id = drs.group_id") == [
            (5, None, "SECONDARY")]
        assert one_answer(srv, "SELECT adb.database_id, ag.name AS ag_name FROM sys.databases AS adb "
                               "JOIN sys.availability_replicas AS ar ON ar.replica_id = adb.replica_id "
                               "JOIN sys.availability_groups AS ag ON ag.group_id = ar.group_id") == []
        assert len(one_answer(srv, "SELECT d.name, d.database_id FROM sys.databases AS d")) == 3
    finally:
        srv.stop()


def test_a_declared_login_and_a_rule_for_its_permissions_contradict_each_other():
    srv = TdsServer(dict(LOGIN_SCENARIO, queries=[{"match": "HAS_PERMS_BY_NAME", "columns": [
        {"name": "a", "type": "int"}], "rows": [[1]]}])).start()
    try:
        assert one_answer(srv, "SELECT HAS_PERMS_BY_NAME(NULL, NULL, 'VIEW ANY DATABASE') AS a") == [(0,)]
    finally:
        with pytest.raises(ScenarioViolation, match="declare the login's permissions once"):
            srv.stop()
