"""Tests of the SAP HANA test server, through the real hdbcli (SAP's driver from PyPI)."""
import datetime
import json
import os
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from catalogs import load  # noqa: E402
from hana_server import HanaServer, Scenario, ScenarioViolation, fixtures  # noqa: E402

dbapi = pytest.importorskip("hdbcli.dbapi")

SUPPORT = os.path.dirname(os.path.abspath(__file__))
hana_server = fixtures.hana_server  # the fixture, as other test modules get it
PASSWORD = "S3cret!x"
T1 = datetime.datetime(2026, 11, 30, 1, 0, 0)
T2 = datetime.datetime(2026, 11, 30, 1, 10, 30, 250000)
VIEWS = {
    "SYS.M_DATABASES": [{"DATABASE_NAME": "SYSTEMDB", "ACTIVE_STATUS": "YES", "DESCRIPTION": "SystemDB-HDB-00"},
                        {"DATABASE_NAME": "HDB", "ACTIVE_STATUS": "NO", "ACTIVE_STATUS_DETAILS": "stopped"}],
    "SYS.M_BACKUP_CATALOG": [{"ENTRY_ID": 1, "ENTRY_TYPE_NAME": "complete data backup", "BACKUP_ID": 1764464400000,
                              "SYS_START_TIME": T1, "SYS_END_TIME": T2, "STATE_NAME": "successful"},
                             {"ENTRY_ID": 2, "ENTRY_TYPE_NAME": "log backup", "BACKUP_ID": 1764465000000,
                              "SYS_START_TIME": datetime.datetime(2026, 11, 30, 2), "STATE_NAME": "running"}],
    "SYS.M_BACKUP_CATALOG_FILES": [{"ENTRY_ID": 1, "BACKUP_ID": 1764464400000, "SOURCE_TYPE_NAME": "volume",
                                    "DESTINATION_TYPE_NAME": "backint", "BACKUP_SIZE": 5368709120}],
    "SYS.M_INIFILE_CONTENTS": [{"FILE_NAME": "global.ini", "LAYER_NAME": "SYSTEM", "TENANT_NAME": "",
                                "SECTION": "persistence", "KEY": "log_mode", "VALUE": "normal"},
                               {"FILE_NAME": "global.ini", "LAYER_NAME": "SYSTEM", "SECTION": "backup",
                                "KEY": "log_backup_using_backint", "VALUE": "true"}],
    "SYS.M_SYSTEM_OVERVIEW": [{"SECTION": "Services", "NAME": "All Started", "STATUS": "OK", "VALUE": "Yes"}],
    "SYS.M_SYSTEM_REPLICATION": [{"SITE_ID": 1, "SITE_NAME": "SITEA", "SECONDARY_SITE_ID": 2,
                                  "SECONDARY_SITE_NAME": "SITEB", "REPLICATION_MODE": "SYNC",
                                  "REPLICATION_STATUS": "ACTIVE", "TIER": 1}],
    "SYS.M_SERVICE_REPLICATION": [{"HOST": "hana1", "PORT": 30001, "SITE_NAME": "SITEA", "REPLICATION_STATUS": "ACTIVE"}],
    "SYS.M_SERVICES": [{"HOST": "hana1", "PORT": 30001, "SERVICE_NAME": "nameserver", "ACTIVE_STATUS": "YES",
                        "SQL_PORT": 30013}],
    "SYS.M_DATABASE": [{"SYSTEM_ID": "HDB", "DATABASE_NAME": "SYSTEMDB", "VERSION": "2.00.070.00.1700000000",
                        "START_TIME": T1}],
    "SYS.M_BACKUP_PROGRESS": [{"BACKUP_ID": 1764465000000, "STATE_NAME": "running", "TOTAL_SIZE": 100,
                               "TRANSFERRED_SIZE": 40}],
    "SYS.M_DISKS": [{"DISK_ID": 1, "PATH": "/hana/log/HDB", "USAGE_TYPE": "LOG", "TOTAL_SIZE": 10, "USED_SIZE": 9}],
    "SYS.M_VOLUME_FILES": [{"HOST": "hana1", "PORT": 30001, "FILE_TYPE": "LOG", "USED_SIZE": 1}],
    "SYS.EFFECTIVE_PRIVILEGES": [{"USER_NAME": "BACKUP", "OBJECT_TYPE": "SYSTEMPRIVILEGE",
                                  "PRIVILEGE": "BACKUP ADMIN", "IS_VALID": "TRUE"},
                                 {"USER_NAME": "OTHER", "OBJECT_TYPE": "SYSTEMPRIVILEGE",
                                  "PRIVILEGE": "CATALOG READ", "IS_VALID": "TRUE"}],
    "SYS.GRANTED_PRIVILEGES": [{"GRANTEE": "BACKUP", "PRIVILEGE": "CATALOG READ", "IS_GRANTABLE": "FALSE"}],
}
SCENARIO = {"server": {"version": "2.00.070.00.1700000000", "sid": "HDB"},
            "users": [{"user": "BACKUP", "password": PASSWORD}], "views": VIEWS}


def connect(srv, user="BACKUP", password=PASSWORD, timeout_ms=10000, **options):
    # generous: the machine may be loaded; the fault tests pass their own, short, timeouts
    return dbapi.connect(address=srv.host, port=srv.port, user=user, password=password,
                         connectTimeout=timeout_ms, communicationTimeout=timeout_ms, **options)


def query(srv, sql, params=None):
    conn = connect(srv)
    try:
        cursor = conn.cursor()
        cursor.execute(sql, params) if params is not None else cursor.execute(sql)
        return [c[0] for c in cursor.description], [tuple(r) for r in cursor.fetchall()]
    finally:
        conn.close()


def error_of(call):
    with pytest.raises(dbapi.Error) as caught:
        call()
    return caught.value


# -- login -----------------------------------------------------------------------------------

def test_login_with_the_scenarios_password(hana_server):
    srv = hana_server(SCENARIO)
    names, rows = query(srv, "SELECT VERSION, DATABASE_NAME FROM SYS.M_DATABASE")
    assert (names, rows) == (["VERSION", "DATABASE_NAME"], [("2.00.070.00.1700000000", "SYSTEMDB")])
    assert srv.logins == [{"user": "BACKUP", "ok": True, "conn": 1, "method": "SCRAMSHA256"}]


@pytest.mark.parametrize("user, password", [("BACKUP", "wrong"), ("NOBODY", PASSWORD), ("BACKUP", PASSWORD.upper())])
def test_a_wrong_password_or_user_is_error_10(hana_server, user, password):
    srv = hana_server(SCENARIO)
    error = error_of(lambda: connect(srv, user=user, password=password))
    assert (error.errorcode, error.errortext) == (10, "authentication failed")
    assert [login["ok"] for login in srv.logins] == [False]


def test_user_names_compare_as_hana_upper_cases_them(hana_server):
    srv = hana_server(SCENARIO)
    connect(srv, user="backup").close()
    assert srv.logins[0]["ok"] is True


def test_tenant_by_database_name(hana_server):
    srv = hana_server({"server": {"database": "HDB"}, "users": SCENARIO["users"]})
    conn = connect(srv, databaseName="hdb")
    cursor = conn.cursor()
    cursor.execute("SELECT DATABASE_NAME FROM M_DATABASE")
    assert cursor.fetchall()[0][0] == "HDB"
    conn.close()
    error = error_of(lambda: connect(srv, databaseName="OTHER"))
    assert "database OTHER not found" in error.errortext


# -- statements ------------------------------------------------------------------------------

@pytest.mark.parametrize("view", sorted(VIEWS))
def test_every_view_answers_its_rows_in_the_catalogs_columns(hana_server, view):
    srv = hana_server(SCENARIO)
    where = " WHERE USER_NAME IN ('BACKUP', 'OTHER') OR USER_NAME = 'X'" if view == "SYS.EFFECTIVE_PRIVILEGES" else ""
    names, rows = query(srv, "SELECT * FROM %s%s" % (view, where))
    documented = [c.upper() for c in load("hana").entry(view)[1]["columns"]]
    assert names == documented
    assert rows == [tuple(row.get(c) for c in documented) for row in VIEWS[view]]


def test_projection_filter_order_and_types(hana_server):
    srv = hana_server(SCENARIO)
    names, rows = query(srv, "SELECT ENTRY_ID AS id, STATE_NAME, SYS_END_TIME, BACKUP_ID FROM M_BACKUP_CATALOG "
                             "WHERE ENTRY_TYPE_NAME = 'complete data backup' ORDER BY ENTRY_ID DESC")
    assert names == ["ID", "STATE_NAME", "SYS_END_TIME", "BACKUP_ID"]
    assert rows == [(1, "successful", T2, 1764464400000)]
    names, rows = query(srv, 'SELECT COUNT(*) AS "n" FROM SYS.M_DATABASES WHERE ACTIVE_STATUS <> \'YES\'')
    assert (names, rows) == (["n"], [(1,)])


def test_top_unaliased_names_and_the_current_user(hana_server):
    srv = hana_server(SCENARIO)
    assert query(srv, "SELECT TOP 1 ENTRY_ID FROM M_BACKUP_CATALOG ORDER BY ENTRY_ID DESC") == (["ENTRY_ID"], [(2,)])
    assert query(srv, "SELECT MAX(SYS_END_TIME), COUNT(*) FROM M_BACKUP_CATALOG") == (
        ["MAX(SYS_END_TIME)", "COUNT(*)"], [(T2, 2)])
    assert query(srv, "SELECT CURRENT_USER FROM DUMMY") == (["CURRENT_USER"], [("BACKUP",)])


def test_bound_parameters_arrive_and_are_recorded(hana_server):
    srv = hana_server(SCENARIO)
    sql = "SELECT PRIVILEGE FROM SYS.EFFECTIVE_PRIVILEGES WHERE USER_NAME = ? AND IS_VALID = ?"
    assert query(srv, sql, ["BACKUP", "TRUE"])[1] == [("BACKUP ADMIN",)]
    assert query(srv, "SELECT ENTRY_ID FROM M_BACKUP_CATALOG WHERE ENTRY_ID > ? AND SYS_START_TIME >= ?",
                 [1, datetime.datetime(2026, 11, 30, 1, 30)])[1] == [(2,)]
    executed = [r for r in srv.records if r["kind"] == "execute"]
    assert [(r["sql"], r["params"]) for r in executed] == [
        (sql, ["BACKUP", "TRUE"]),
        ("SELECT ENTRY_ID FROM M_BACKUP_CATALOG WHERE ENTRY_ID > ? AND SYS_START_TIME >= ?",
         [1, datetime.datetime(2026, 11, 30, 1, 30)])]
    assert [r["kind"] for r in srv.records] == ["prepare", "execute", "prepare", "execute"]
    assert srv.statements() == [sql, executed[1]["sql"]]


def test_more_rows_than_one_fetch(hana_server):
    rows = [{"FILE_NAME": "global.ini", "SECTION": "s%04d" % i, "VALUE": "v" * (i % 400)} for i in range(1200)]
    srv = hana_server({"views": {"SYS.M_INIFILE_CONTENTS": rows}, "behaviour": {"rows_per_fetch": 100}})
    got = query(srv, "SELECT SECTION, VALUE FROM M_INIFILE_CONTENTS WHERE FILE_NAME = ?", ["global.ini"])[1]
    assert got == [(r["SECTION"], r["VALUE"]) for r in rows]


def test_a_garbage_collected_cursor_does_not_hang_the_connection(hana_server):
    # hdbcli drops the prepared statement with the GIL held: a server in the test's process would not answer
    srv = hana_server(SCENARIO)
    conn = connect(srv)
    cursor = conn.cursor()
    cursor.execute("SELECT DUMMY FROM DUMMY WHERE DUMMY = ?", ["X"])
    del cursor
    started = time.monotonic()
    cursor = conn.cursor()
    cursor.execute("SELECT DUMMY FROM DUMMY")
    assert cursor.fetchall()[0][0] == "X" and time.monotonic() - started < 3  # hung: the 10 s timeout
    conn.close()


# -- what HANA would refuse ------------------------------------------------------------------

@pytest.mark.parametrize("sql, code, text", [
    ("SELECT NO_SUCH FROM SYS.M_DATABASES", 260, "invalid column name: NO_SUCH"),
    ("SELECT d.DATABASE_NAME, d.VERSION FROM SYS.M_DATABASES d", 260, "invalid column name: VERSION"),
    ("SELECT * FROM SYS.M_NO_SUCH_VIEW", 259, "invalid table name:  Could not find table/view M_NO_SUCH_VIEW in schema SYS"),
    ("SELECT * FROM APP.INVENTORY", 259, "Could not find table/view INVENTORY in schema APP"),
    ("SELEC 1", 257, "sql syntax error"),
    ("SELECT PRIVILEGE FROM SYS.EFFECTIVE_PRIVILEGES", 7, "USER_NAME = ... in the WHERE clause"),
    ("UPDATE SYS.M_DATABASES SET ACTIVE_STATUS = 'NO'", 7, "SELECT only"),
])
def test_statements_hana_would_refuse_get_its_error_and_fail_the_test(sql, code, text):
    srv = HanaServer(SCENARIO).start()
    error = error_of(lambda: query(srv, sql))
    assert error.errorcode == code and text in error.errortext
    assert srv.records[-1]["error"] == code
    with pytest.raises(ScenarioViolation):
        srv.stop()


def test_sys_databases_views_in_the_system_database(hana_server):
    srv = hana_server(SCENARIO)
    assert query(srv, "SELECT HOST, DATABASE_NAME FROM SYS_DATABASES.M_SERVICES")[1] == [("hana1", "SYSTEMDB")]


def test_sys_databases_exists_only_in_the_system_database():
    srv = HanaServer(dict(SCENARIO, server={"database": "HDB"})).start()
    assert error_of(lambda: query(srv, "SELECT HOST FROM SYS_DATABASES.M_SERVICES")).errorcode == 259
    with pytest.raises(ScenarioViolation):
        srv.stop()


def test_an_error_on_one_view(hana_server):
    srv = hana_server(dict(SCENARIO, errors={"SYS.M_BACKUP_CATALOG": {
        "code": 258, "message": "insufficient privilege: Not authorized"}}))
    error = error_of(lambda: query(srv, "SELECT STATE_NAME FROM M_BACKUP_CATALOG"))
    assert (error.errorcode, error.errortext) == (258, "insufficient privilege: Not authorized")
    assert query(srv, "SELECT COUNT(*) FROM M_DATABASES")[1] == [(2,)]


def test_a_rule_cannot_answer_a_column_the_statement_does_not_return():
    srv = HanaServer(dict(SCENARIO, queries=[{"match": "M_SERVICES", "columns": ["HOST", "INVENTED"],
                                              "rows": [["h", 1]]}])).start()
    assert error_of(lambda: query(srv, "SELECT HOST FROM M_SERVICES")).errorcode == 7
    with pytest.raises(ScenarioViolation, match="INVENTED"):
        srv.stop()


def test_a_rule_answers_what_the_evaluator_cannot(hana_server):
    srv = hana_server(dict(SCENARIO, queries=[{"match": "SECONDS_BETWEEN", "columns": [
        {"name": "AGE", "type": "BIGINT"}], "rows": [[3600]]}]))
    assert query(srv, "SELECT SECONDS_BETWEEN(MAX(SYS_END_TIME), CURRENT_TIMESTAMP) AS AGE "
                      "FROM M_BACKUP_CATALOG")[1] == [(3600,)]


@pytest.mark.parametrize("spec, message", [
    ({"views": {"SYS.M_DATABASES": [{"VERSION": "x"}]}}, "VERSION not documented"),
    ({"views": {"M_DATABASES": []}}, "SCHEMA.VIEW"),
    ({"views": {"SYS.M_NOPE": []}}, "not a documented view"),
    ({"server": {"version": "1.00.122.05"}, "views": {"SYS.M_BACKUP_PROGRESS": []}}, "exists from 2.0 SPS00"),
    ({"views": {"SYS.M_BACKUP_CATALOG": [{"ENTRY_ID": "many"}]}}, "does not fit"),
    ({"behaviour": {"mode": "sleepy"}}, "behaviour.mode"),
    ({"user": []}, "unknown key(s) user"),
])
def test_bad_scenarios_fail_at_load(spec, message):
    with pytest.raises(ValueError) as caught:
        Scenario(spec)
    assert message in str(caught.value)


# -- faults ----------------------------------------------------------------------------------

def test_refused(hana_server):
    srv = hana_server({"behaviour": {"mode": "refuse"}})
    started = time.monotonic()
    error = error_of(lambda: connect(srv))
    assert error.errorcode == -10709 and "Connection refused" in error.errortext
    assert time.monotonic() - started < 3


@pytest.mark.parametrize("mode", ["silent", "silent_after_init"])
def test_a_silent_server_lets_the_connect_timeout_fire(hana_server, mode):
    srv = hana_server({"behaviour": {"mode": mode}})
    started = time.monotonic()
    error = error_of(lambda: connect(srv, timeout_ms=1500))
    elapsed = time.monotonic() - started
    assert error.errorcode == -10709 and "connect timeout expired" in error.errortext
    assert 1.3 < elapsed < 6


def test_drop_mid_query(hana_server):
    srv = hana_server(dict(SCENARIO, behaviour={"drop_on": "M_BACKUP_CATALOG"}))
    conn = connect(srv)
    cursor = conn.cursor()
    cursor.execute("SELECT COUNT(*) FROM M_DATABASES")
    error = error_of(lambda: cursor.execute("SELECT STATE_NAME FROM M_BACKUP_CATALOG"))
    assert error.errorcode == -10807 and "Socket closed by peer" in error.errortext
    assert srv.statements()[-1] == "SELECT STATE_NAME FROM M_BACKUP_CATALOG"


def test_a_slow_statement_hits_the_communication_timeout(hana_server):
    srv = hana_server(dict(SCENARIO, behaviour={"delay": {"match": "M_SERVICES", "seconds": 30}}))
    assert query(srv, "SELECT COUNT(*) FROM M_DATABASES")[1] == [(2,)]  # other statements are not delayed
    conn = connect(srv, timeout_ms=2000)
    cursor = conn.cursor()
    started = time.monotonic()
    error = error_of(lambda: cursor.execute("SELECT HOST FROM M_SERVICES"))
    assert error.errorcode == -10807 and "communicationTimeout" in error.errortext
    assert 1.8 < time.monotonic() - started < 8


def test_stop_is_prompt_with_a_silent_connection_open(hana_server):
    srv = HanaServer({"behaviour": {"mode": "silent"}}).start()
    error_of(lambda: connect(srv, timeout_ms=300))
    started = time.monotonic()
    srv.stop()
    assert time.monotonic() - started < 5


# -- command line ----------------------------------------------------------------------------

def test_cli_with_yaml_port_file_and_records(tmp_path):
    scenario = tmp_path / "scenario.yml"
    scenario.write_text("users: [{user: BACKUP, password: '%s'}]\nviews:\n  SYS.M_SERVICES:\n"
                        "    - {HOST: hana1, PORT: 30001}\n" % PASSWORD)
    port_file, record = tmp_path / "port", tmp_path / "records.jsonl"
    env = dict(os.environ, PYTHONPATH=SUPPORT)
    proc = subprocess.Popen([sys.executable, "-m", "hana_server", str(scenario), "--port-file", str(port_file),
                             "--record", str(record)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        port = int(proc.stdout.readline())
        assert int(port_file.read_text()) == port

        class Target:
            host = "127.0.0.1"
        Target.port = port
        assert query(Target, "SELECT PORT FROM M_SERVICES WHERE HOST = ?", ["hana1"])[1] == [(30001,)]
        lines = [json.loads(line) for line in record.read_text().splitlines()]
        assert [(r["kind"], r["params"]) for r in lines] == [("prepare", []), ("execute", ["hana1"])]
    finally:
        proc.terminate()
        assert proc.wait(10) == 0
