"""SQL Server judging on plain rows, database selection, validation, and the context's memoized
gathering (with a fake connection that counts the statements)."""

import pytest

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import registry
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import runner
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import checks as S
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import connection as sqlserver_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import engine as sqlserver_engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import common
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import gathering as sqlserver_gathering
from ansible_collections.cloudbackup.precheck.tests.support.results import one
from ansible_collections.cloudbackup.precheck.tests.support.sqlserver_rows import db, params

LABEL = "sql01:1433"
ALL = ["full", "differential", "log"]


# -- names --------------------------------------------------------------------------------------

@pytest.mark.parametrize("name, quoted", [
    ("Sales", "[Sales]"),
    ("it's [odd]", "[it's [odd]]]"),
    ("]]", "[]]]]]"),
    ("a b;DROP TABLE x--", "[a b;DROP TABLE x--]"),
    ("häll😀", "[häll😀]"),
])
def test_quote_name_brackets_and_doubles_closing_brackets(name, quoted):
    assert sqlserver_conn.quote_name(name) == quoted


# -- recovery model -----------------------------------------------------------------------------

def test_simple_with_log_planned_fails_with_the_exact_alter_statement_and_full_backup_note():
    result = one(S.judge_recovery_model([db("it's [odd]", model="SIMPLE")], ALL, LABEL))
    assert result["status"] == "failed" and result["target"] == "sql01:1433/it's [odd]"
    assert "Database [it's [odd]]] on sql01:1433 uses the SIMPLE recovery model" in result["message"]
    assert "log backups are impossible" in result["message"]
    assert result["remediation"].startswith("ALTER DATABASE [it's [odd]]] SET RECOVERY FULL; then take a full backup "
                                            "of [it's [odd]]] right away")
    assert "log chain" in result["remediation"]
    assert result["details"]["recovery_model"] == "SIMPLE" and result["details"]["backup_types"] == ALL


@pytest.mark.parametrize("planned", [["full"], ["full", "differential"], ["differential"]])
def test_simple_without_log_planned_passes(planned):
    result = one(S.judge_recovery_model([db("Sales", model="SIMPLE")], planned, LABEL))
    assert result["status"] == "passed" and "SIMPLE" in result["message"]


@pytest.mark.parametrize("planned, status, named", [
    (["full"], "passed", None),
    (["full", "differential"], "warning", "differential backups"),
    (["full", "log"], "warning", "log backups"),
    (ALL, "warning", "differential and log backups"),
])
def test_master_takes_full_backups_only(planned, status, named):
    result = one(S.judge_recovery_model([db("master", 1, model="SIMPLE")], planned, LABEL))
    assert result["status"] == status, result
    if named:
        assert "the planned %s of master run as full backups" % named in result["message"]
        assert "HBR converts them" in result["message"]
        assert "Plan only full backups for master" in result["remediation"]


def test_master_with_full_recovery_and_log_planned_still_warns():
    assert one(S.judge_recovery_model([db("master", 1, model="FULL")], ["log"], LABEL))["status"] == "warning"


def test_bulk_logged_warns_about_point_in_time_only_when_log_backups_are_planned():
    warned = one(S.judge_recovery_model([db("Staging", model="BULK_LOGGED")], ALL, LABEL))
    assert warned["status"] == "warning" and "point in time" in warned["message"]
    assert warned["remediation"].startswith("ALTER DATABASE [Staging] SET RECOVERY FULL;")
    assert one(S.judge_recovery_model([db("Staging", model="BULK_LOGGED")], ["full"], LABEL))["status"] == "passed"


def test_msdb_and_model_are_judged_as_ordinary_databases_with_an_exclude_hint():
    results = S.judge_recovery_model([db("model", 3, model="SIMPLE"), db("msdb", 4, model="SIMPLE")], ALL, LABEL)
    assert [r["status"] for r in results] == ["failed", "failed"]
    assert "databases_exclude: [msdb]" in results[1]["remediation"] and "SIMPLE by default" in results[1]["remediation"]
    assert "databases_exclude: [model]" in results[0]["remediation"]
    assert [r["status"] for r in S.judge_recovery_model([db("msdb", 4, model="SIMPLE")], ["full"], LABEL)] == ["passed"]


def test_full_passes_and_null_or_unknown_models_warn():
    assert one(S.judge_recovery_model([db("Sales")], ALL, LABEL))["status"] == "passed"
    null = one(S.judge_recovery_model([db("Odd", model=None)], ALL, LABEL))
    assert null["status"] == "warning" and "NULL" in null["message"]
    assert one(S.judge_recovery_model([db("Odd", model="MYSTERY")], ALL, LABEL))["status"] == "warning"


def test_snapshots_are_skipped_naming_their_source():
    rows = [db("Sales", 5), db("Sales_snap", 9, model="SIMPLE", read_only=True, source=5)]
    results = S.judge_recovery_model(rows, ALL, LABEL)
    assert [r["status"] for r in results] == ["passed", "skipped"]
    assert "snapshot of [Sales]" in results[1]["message"]
    orphan = one(S.judge_recovery_model([db("Snap", 9, source=77)], ALL, LABEL))
    assert orphan["status"] == "skipped" and "database_id 77" in orphan["message"]


# -- database state -----------------------------------------------------------------------------

STATE_FIXES = {
    "RESTORING": "RESTORE DATABASE [x]]y] WITH RECOVERY;",
    "RECOVERING": "Wait for recovery to finish",
    "RECOVERY_PENDING": "ALTER DATABASE [x]]y] SET ONLINE;",
    "SUSPECT": "DBCC CHECKDB ([x]]y])",
    "EMERGENCY": "DBCC CHECKDB ([x]]y])",
    "OFFLINE": "ALTER DATABASE [x]]y] SET ONLINE;",
    "COPYING": "Wait for the copy to finish",
    "OFFLINE_SECONDARY": "geo-replication primary",
}


@pytest.mark.parametrize("state", S.STATES)
def test_every_state_desc(state):
    result = one(S.judge_database_state([db("x]y", state=state)], LABEL))
    if state == "ONLINE":
        assert result["status"] == "passed" and result["message"] == "Database [x]]y] on sql01:1433 is ONLINE."
        return
    assert result["status"] == "failed", result
    assert result["message"].startswith("Database [x]]y] on sql01:1433 ")
    assert state in result["message"] and "cannot be backed up" in result["message"]
    assert STATE_FIXES[state] in result["remediation"]
    assert result["details"]["state"] == state


def test_suspect_points_to_restore_and_checkdb():
    result = one(S.judge_database_state([db("Damaged", state="SUSPECT")], LABEL))
    assert "Restore [Damaged] from its last good backup" in result["remediation"]
    assert "ALTER DATABASE [Damaged] SET EMERGENCY; DBCC CHECKDB ([Damaged])" in result["remediation"]


def test_unknown_and_null_states_are_never_passed():
    assert one(S.judge_database_state([db("x", state="WEIRD")], LABEL))["status"] == "failed"
    null = one(S.judge_database_state([db("x", state=None)], LABEL))
    assert null["status"] == "warning" and "NULL" in null["message"]


def test_standby_fails_and_read_only_warns_and_null_flags_pass():
    standby = one(S.judge_database_state([db("LogShipped", read_only=True, standby=True)], LABEL))
    assert standby["status"] == "failed" and "STANDBY" in standby["message"]
    read_only = one(S.judge_database_state([db("Archive", read_only=True)], LABEL))
    assert read_only["status"] == "warning" and "ALTER DATABASE [Archive] SET READ_WRITE;" in read_only["remediation"]
    nulls = one(S.judge_database_state([db("x", read_only=None, standby=None)], LABEL))
    assert nulls["status"] == "passed"


def test_bit_columns_as_strings_or_ints_are_read_as_flags():
    assert sqlserver_gathering.normalize_database({"name": "x", "is_read_only": 1, "is_in_standby": "false"})["is_in_standby"] is False
    assert sqlserver_gathering.normalize_database({"name": "x", "is_read_only": "1"})["is_read_only"] is True
    assert sqlserver_gathering.normalize_database({"NAME": "x", "State_Desc": " online "})["state_desc"] == "ONLINE"


def test_mirror_and_availability_group_secondary_are_reported_as_such():
    roles = {
        10: {"mirroring": {"mirroring_role_desc": "MIRROR", "mirroring_state_desc": "SYNCHRONIZED",
                           "mirroring_partner_instance": "SQLNODE1\\PROD"}},
        11: {"hadr": {"ag_name": "AG]1", "role_desc": "SECONDARY", "synchronization_state_desc": "NOT_SYNCHRONIZING"}},
        12: {"hadr": {"ag_name": "AG1", "role_desc": "PRIMARY", "synchronization_state_desc": "SYNCHRONIZED"}},
        13: {"hadr": {"ag_name": "AG1", "role_desc": "SECONDARY", "synchronization_state_desc": "SYNCHRONIZED"}},
    }
    rows = [db("Mirrored", 10, state="RESTORING"), db("Secondary", 11, state="RECOVERING"),
            db("Primary", 12, state="RECOVERY_PENDING"), db("ReadableSecondary", 13)]
    mirror, secondary, primary, readable = S.judge_database_state(rows, LABEL, roles)
    assert mirror["status"] == "failed" and "MIRROR in a database mirroring session (partner SQLNODE1\\PROD" \
        in mirror["message"]
    assert mirror["details"]["mirroring_role"] == "MIRROR"
    assert secondary["status"] == "failed" and "SECONDARY replica of availability group [AG]]1]" in secondary["message"]
    assert "ALTER DATABASE [Secondary] SET HADR RESUME;" in secondary["remediation"]
    assert primary["status"] == "failed" and "RECOVERY_PENDING" in primary["message"]
    assert readable["status"] == "passed" and "SECONDARY replica of availability group [AG1]" in readable["message"]


def test_role_lookup_problems_are_kept_in_the_details_of_non_online_databases():
    result = one(S.judge_database_state([db("x", state="RESTORING")], LABEL, {}, "no VIEW SERVER STATE"))
    assert result["status"] == "failed" and result["details"]["role_lookup"] == "no VIEW SERVER STATE"


# -- selection ----------------------------------------------------------------------------------

DATABASES = [db("master", 1), db("tempdb", 2), db("model", 3), db("msdb", 4), db("Sales", 5), db("SalesArchive", 6),
             db("it's [odd]", 7), db("HR", 8)]


def names(rows):
    return [row["name"] for row in rows]


def test_tempdb_is_never_selected_nor_reported():
    selection = sqlserver_gathering.select_databases(DATABASES, ["*"], [])
    assert "tempdb" not in names(selection["selected"]) and selection["excluded"] == []
    assert "tempdb" not in names(sqlserver_gathering.select_databases(DATABASES, ["tempdb", "t*"], [])["selected"])
    assert sqlserver_gathering.select_databases([db("TEMPDB", 2)], ["*"], [])["selected"] == []


def test_include_and_exclude_globs_case_insensitive():
    selection = sqlserver_gathering.select_databases(DATABASES, ["sales*", "MASTER"], ["*archive"])
    assert names(selection["selected"]) == ["master", "Sales"]
    assert selection["excluded"] == ["model", "msdb", "SalesArchive", "it's [odd]", "HR"]
    assert selection["unmatched"] == [] and selection["visible"] == 8


def test_a_name_with_brackets_matches_literally_and_as_a_glob_class():
    assert names(sqlserver_gathering.select_databases(DATABASES, ["it's [odd]"], [])["selected"]) == ["it's [odd]"]
    assert names(sqlserver_gathering.select_databases(DATABASES, ["[HM]*"], ["m*"])["selected"]) == ["HR"]
    assert names(sqlserver_gathering.select_databases(DATABASES, ["*"], ["it's [odd]", "m*", "s*"])["selected"]) == ["HR"]


def test_include_patterns_that_match_nothing_are_reported():
    selection = sqlserver_gathering.select_databases(DATABASES, ["Payroll", "HR"], [])
    assert selection["unmatched"] == ["Payroll"]
    results = common.selection_results(selection, LABEL, "its state", report_unmatched=True)
    assert [(r["status"], r["target"]) for r in results] == [("skipped", LABEL), ("warning", LABEL)]
    assert "databases_include pattern 'Payroll' matches no database on sql01:1433" in results[1]["message"]
    assert "HR" not in results[0]["details"]["excluded"] and "Sales" in results[0]["details"]["excluded"]
    assert [r["status"] for r in common.selection_results(selection, LABEL, "x")] == ["skipped"]


def test_an_empty_selection_warns_instead_of_passing_silently():
    selection = sqlserver_gathering.select_databases(DATABASES, ["Nothing*"], [])
    results = common.selection_results(selection, LABEL, "the recovery model")
    assert results[-1]["status"] == "warning" and "No database on sql01:1433 was checked" in results[-1]["message"]


def test_visibility_without_view_any_database_is_a_permission_error():
    assert common.visibility_result({"view_any_database": 1, "is_sysadmin": 0}, "bk", LABEL, 9) is None
    assert common.visibility_result({"view_any_database": None, "is_sysadmin": None}, "bk", LABEL, 9) is None
    assert common.visibility_result({"view_any_database": 0, "is_sysadmin": 1}, "bk", LABEL, 9) is None
    result = common.visibility_result({"view_any_database": 0, "is_sysadmin": 0}, "DOM\\bk]x", LABEL, 3)
    assert (result["status"], result["cause"]) == ("error", "permission")
    assert result["remediation"].startswith("GRANT VIEW ANY DATABASE TO [DOM\\bk]]x];")


# -- connection ---------------------------------------------------------------------------------

@pytest.mark.parametrize("version, release, major", [
    ("15.0.4298.1", "2019", 15), ("10.50.6000.34", "2008 R2", 10), ("10.0.6000.29", "2008", 10),
    ("16.0.1000.6", "2022", 16), ("9.00.5000.00", "2005", 9), (None, None, None), ("garbage", None, None),
])
def test_parse_server_versions(version, release, major):
    server = sqlserver_gathering.parse_server({"product_version": version, "hadr_enabled": "1"})
    assert (server["release"], server["major"]) == (release, major)
    assert server["hadr_enabled"] == 1


def test_judge_connection_reports_version_edition_driver_and_warns_before_2008():
    info = {"driver": "FreeTDS", "driver_family": "freetds", "driver_version": "01.03.0017", "elapsed_ms": 12,
            "login": "bk", "encrypt": True, "trust_server_certificate": False}
    server = sqlserver_gathering.parse_server({"product_version": "15.0.4298.1", "product_level": "RTM",
                                               "edition": "Standard Edition", "login_name": "bk"})
    result = one(S.judge_connection(server, info, LABEL))
    assert result["status"] == "passed"
    assert result["message"] == ("Connected to sql01:1433 as 'bk' in 12 ms: SQL Server 2019 15.0.4298.1 RTM, Standard "
                                 "Edition; driver FreeTDS 01.03.0017.")
    assert "ca file" in result["details"]["certificate_check"]
    old = one(S.judge_connection(sqlserver_gathering.parse_server({"product_version": "9.00.5000.00"}), info, LABEL))
    assert old["status"] == "warning" and "older than SQL Server 2008" in old["message"]


# -- validation ---------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, problem", [
    ({"login_port": 0}, "login_port: 0 is out of range (valid ports: 1-65535)"),
    ({"login_port": 65536}, "login_port: 65536 is out of range"),
    ({"login_port": 1433, "instance_name": "SQLEXPRESS"}, "instance_name and login_port: give one of them"),
    ({"instance_name": "WAY_TOO_LONG_INSTANCE_NAME"}, "is not a SQL Server instance name"),
    ({"instance_name": "a;b"}, "is not a SQL Server instance name"),
    ({"login_host": "sql01\\PROD"}, "login_host: 'sql01\\\\PROD' contains a backslash"),
    ({"login_host": "sql01,1433"}, "give the port in login_port"),
    ({"login_host": " "}, "login_host: must not be empty"),
    ({"login_host": "a;b"}, "is not a host name or address"),
    ({"connect_timeout": 0}, "connect_timeout: must be a number of seconds greater than 0"),
    ({"query_timeout": -1}, "query_timeout: must be a number of seconds greater than 0"),
    ({"backup_types": []}, "backup_types: name at least one of full, differential, log"),
    ({"databases_include": []}, "databases_include: an empty list selects no database"),
    ({"databases_exclude": [" "]}, "databases_exclude: empty pattern"),
    ({"login_password": "x"}, "login_password: set login_user too"),
    ({"login_user": "a\x00b"}, "login_user: must not contain NUL characters"),
    ({"driver": " "}, "driver: must not be empty"),
])
def test_validate_names_the_option_and_the_valid_values(changes, problem):
    problems = sqlserver_engine.validate(params(**changes))
    assert any(problem in p for p in problems), problems


def test_validate_accepts_good_options():
    assert sqlserver_engine.validate(params(login_host="sql01.example.com", login_port=14330, login_user="bk",
                                            login_password="p;w}")) == []
    assert sqlserver_engine.validate(params(instance_name="SQLEXPRESS", login_host="[::1]")) == []
    assert sqlserver_engine.validate(params(instance_name="MSSQLSERVER")) == []


def test_the_password_is_never_in_a_validation_problem():
    problems = sqlserver_engine.validate(params(login_password="Secret-1234"))
    assert problems and not [p for p in problems if "Secret-1234" in p]


# -- registry metadata --------------------------------------------------------------------------

ALL_CHECKS = ["sqlserver.connection", "sqlserver.recovery_model", "sqlserver.database_state", "sqlserver.sysadmin",
              "sqlserver.conflicting_operation", "sqlserver.foreign_backups", "sqlserver.full_backup_base",
              "sqlserver.log_space", "sqlserver.mirroring", "sqlserver.availability_group", "sqlserver.tde_certificate",
              "sqlserver.file_path_length", "sqlserver.database_exists", "sqlserver.restore_target",
              "sqlserver.instances_healthy"]


def test_registry_metadata():
    checks = dict((check.id, check) for check in registry.checks_for("sqlserver"))
    assert list(checks) == ALL_CHECKS
    assert checks["sqlserver.connection"].references == ["Azure:UserErrorOpeningSQLConnection"]
    assert checks["sqlserver.recovery_model"].references == ["HBR:SQL_SERVER_DB_IN_SIMPLE_RECOVERY_MODE",
                                                             "Azure:UserErrorSQLPODoesNotSupportBackupType"]
    assert checks["sqlserver.database_state"].references == ["HBR:SQL_SERVER_DB_NOT_ONLINE"]
    assert checks["sqlserver.recovery_model"].impact == ["log_backup", "incremental_backup"]
    assert checks["sqlserver.database_state"].impact == ["backup", "restore"]
    for check in checks.values():
        assert check.versions and check.permissions and check.rule, check.id
        assert check.references and all(r.startswith(("Azure:", "HBR:")) for r in check.references), check.id
        assert "SQL Server 20" in check.versions or check.id == "sqlserver.instances_healthy"
    assert "VIEW ANY DATABASE" in checks["sqlserver.database_state"].permissions


# -- the context: memoized gathering over one connection ----------------------------------------

class FakeConnection:
    """Answers the statements by a keyword, and counts them."""

    driver, family, driver_version, elapsed_ms = "FreeTDS", "freetds", "01.03.0017", 5

    def __init__(self, answers):
        self.answers = answers
        self.statements = []

    def query(self, sql, params=(), what=None):
        self.statements.append(sql)
        for keyword, answer in self.answers.items():
            if keyword in sql:
                if isinstance(answer, Exception):
                    raise answer
                return [dict(row) for row in answer]
        raise AssertionError("unexpected statement: %s" % sql)

    def close(self):
        pass


def context(monkeypatch, answers, **options):
    fake = FakeConnection(answers)
    monkeypatch.setattr(sqlserver_conn, "connect", lambda settings: fake)
    values = params(login_host="sql01", login_user="bk", login_password="Secret-1234")
    values.update(options)
    return sqlserver_engine.sqlserver_context(values), fake


SERVER_ROW = {"product_version": "13.0.5026.0", "product_level": "SP2", "edition": "Enterprise Edition",
              "hadr_enabled": 1, "login_name": "bk"}
ANSWERS = {
    # The backup checks' statements first: their text also holds "FROM sys.databases".
    "sys.dm_db_log_stats": [{"database_id": 1, "total_log_size_mb": 10.0, "active_log_size_mb": 1.0,
                             "log_truncation_holdup_reason": "NOTHING"}],
    "fn_hadr_backup_is_preferred_replica": [],
    "IS_SRVROLEMEMBER('sysadmin', ?)": [{"is_sysadmin": 1}],
    "sys.dm_exec_requests": [],
    "msdb.dbo.backupset": [],
    "sys.database_recovery_status": [{"database_id": 1, "database_guid": "G1", "last_log_backup_lsn": None}],
    "sys.master_files": [{"database_id": 1, "file_id": 1, "type_desc": "ROWS", "logical_name": "master",
                          "physical_name": "C:\\m.mdf", "differential_base_lsn": 5},
                         {"database_id": 1, "file_id": 2, "type_desc": "LOG", "logical_name": "mastlog",
                          "physical_name": "C:\\m.ldf", "growth": 10, "size_pages": 10, "max_size_pages": -1}],
    "sys.dm_database_encryption_keys": [],
    "SERVERPROPERTY": [SERVER_ROW],
    "HAS_PERMS_BY_NAME": [{"view_any_database": 1, "view_server_state": 1, "view_any_definition": 1, "is_sysadmin": 0}],
    "FROM sys.databases": [{"name": "master", "database_id": 1, "state_desc": "ONLINE", "recovery_model_desc": "SIMPLE"},
                           {"name": "tempdb", "database_id": 2, "state_desc": "ONLINE", "recovery_model_desc": "SIMPLE"},
                           {"name": "Sales", "database_id": 5, "state_desc": "RESTORING",
                            "recovery_model_desc": "FULL"}],
    "sys.database_mirroring": [{"database_id": 5, "mirroring_role_desc": "MIRROR",
                                "mirroring_partner_instance": "SQLNODE1"}],
    "dm_hadr_database_replica_states": [],
}


def test_one_run_of_every_check_gathers_each_data_set_once(monkeypatch):
    ctx, fake = context(monkeypatch, ANSWERS)
    selected, skipped = registry.select("sqlserver", ["all"])
    results = runner.run_checks(selected, ctx, skipped)
    assert ctx.target == "sql01:1433"
    assert [s.split()[1] for s in fake.statements][:5] == [
        "CAST(SERVERPROPERTY('ProductVersion')", "d.name,", "HAS_PERMS_BY_NAME(NULL,", "m.database_id,",
        "drs.database_id,"]
    assert len(fake.statements) == len(set(fake.statements)) == 11, fake.statements
    assert "d.replica_id" in fake.statements[1]  # 2012+ columns on SQL Server 2016
    assert not [r for r in results if r["status"] == "error"], [r for r in results if r["status"] == "error"]
    by_target = dict(((r["id"], r["target"]), r) for r in results)
    assert by_target[("sqlserver.connection", "sql01:1433")]["status"] == "passed"
    assert by_target[("sqlserver.database_state", "sql01:1433/Sales")]["details"]["mirroring_role"] == "MIRROR"
    assert by_target[("sqlserver.recovery_model", "sql01:1433/master")]["status"] == "warning"
    assert not [r for r in results if "Secret-1234" in str(r)]


def test_sql_server_2008_reads_no_2012_columns_and_no_availability_groups(monkeypatch):
    answers = dict(ANSWERS, SERVERPROPERTY=[dict(SERVER_ROW, product_version="10.50.6000.34", hadr_enabled=None)])
    ctx, fake = context(monkeypatch, answers)
    assert ctx.hadr_states() == ({}, None)
    ctx.databases()
    assert "replica_id" not in fake.statements[-1]
    assert not [s for s in fake.statements if "dm_hadr" in s]


def test_optional_data_without_permission_is_unavailable_not_fatal(monkeypatch):
    denied = PrecheckError("permission", "VIEW SERVER STATE permission was denied", details={})
    answers = dict(ANSWERS, dm_hadr_database_replica_states=denied,
                   HAS_PERMS_BY_NAME=PrecheckError("internal", "Invalid object name", details={}))
    ctx, fake = context(monkeypatch, answers)
    assert ctx.hadr_states() == (None, "VIEW SERVER STATE permission was denied")
    assert ctx.hadr_states()[0] is None and len([s for s in fake.statements if "dm_hadr" in s]) == 1
    assert ctx.permissions() == {"view_any_database": None, "view_server_state": None, "view_any_definition": None,
                                 "view_server_performance_state": None, "is_sysadmin": None}
    lost = PrecheckError("unreachable", "connection lost", details={})
    ctx2, _fake = context(monkeypatch, dict(ANSWERS, **{"sys.database_mirroring": lost}))
    with pytest.raises(PrecheckError):
        ctx2.mirroring()


def test_a_failed_connection_is_owned_by_the_connection_check(monkeypatch):
    def refuse(settings):
        raise PrecheckError("login_failed", "SQL Server sql01:1433 refused the login 'bk'", "Check the password.",
                            source=sqlserver_conn.CONNECTION_CHECK)
    monkeypatch.setattr(sqlserver_conn, "connect", refuse)
    ctx = sqlserver_engine.sqlserver_context(params(login_host="sql01", login_user="bk", login_password="Secret-1234"))
    selected, skipped = registry.select("sqlserver", ["all"])
    results = runner.run_checks(selected, ctx, skipped)
    assert [(r["id"], r["cause"]) for r in results][:3] == [
        ("sqlserver.connection", "login_failed"), ("sqlserver.recovery_model", "dependency"),
        ("sqlserver.database_state", "dependency")]
    # Every other item says it was not run, or does not apply (no login needed to know that).
    assert dict((r["id"], r["cause"] or r["status"]) for r in results[3:]) == dict(
        [(check_id, "dependency") for check_id in ALL_CHECKS[3:12]] + [
            ("sqlserver.database_exists", "skipped"), ("sqlserver.restore_target", "skipped"),
            ("sqlserver.instances_healthy", "skipped")])
    only, none = registry.select("sqlserver", ["recovery_model"])
    assert none == []
    alone = runner.run_checks(only, sqlserver_engine.sqlserver_context(params(login_host="sql01")))
    assert [(r["id"], r["cause"]) for r in alone] == [("sqlserver.recovery_model", "login_failed")]


def test_server_properties_failing_stop_the_database_checks(monkeypatch):
    lost = PrecheckError("unreachable", "The connection to sql01:1433 was lost", details={})
    ctx, _fake = context(monkeypatch, dict(ANSWERS, SERVERPROPERTY=lost))
    selected, skipped = registry.select("sqlserver", ["all"])
    results = runner.run_checks(selected, ctx, skipped)
    assert [(r["id"], r["cause"]) for r in results][:3] == [
        ("sqlserver.connection", "unreachable"), ("sqlserver.recovery_model", "dependency"),
        ("sqlserver.database_state", "dependency")]
    assert set(r["cause"] for r in results[3:12]) == {"dependency"}


def test_the_instance_label_names_a_named_instance(monkeypatch):
    ctx, _fake = context(monkeypatch, ANSWERS, instance_name="PROD", login_port=None)
    assert ctx.target == "sql01\\PROD" and ctx.database_target("Sales") == "sql01\\PROD/Sales"
