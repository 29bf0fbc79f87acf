"""The SQL Server checks through ansible-playbook, the role, the fact, the gate and the report
callback, against TDS test servers (tests/support/tds_server) that the real pyodbc and FreeTDS
ODBC driver talk to, one per scenario file in tests/functional/sqlserver/scenarios/.

One playbook run at -vvv covers the fleet: a healthy instance and the same one with differential
backups planned for master; an instance with every kind of troubled database, one whose login
cannot see every database and one that drops the connection (three instances on one host: three
connections, one task); a wrong password, a silent server and a missing driver; and a host whose
instance is checked from another host (delegate_to). A second run has no ODBC driver registered.
"""

import json
import os
import re
import subprocess
import sys
import time

import pyodbc
import pytest

from harness import ROOT, fact_play, run_playbook
from results import assert_visible, norm
from sqlserver_scenarios import scenario as tds_scenario
from tds_server import TdsServer

# scripts/setup.sh --test installs the FreeTDS driver: without it these tests must fail, not skip.
assert "FreeTDS" in pyodbc.drivers(), "FreeTDS ODBC driver not installed: run scripts/setup.sh --test"

USER = "backup_check"
# ';', '{' and '=' make the ODBC connection string escape the password.
PASSWORD = "S3cr;et{pw=9f3c1d-SQL"
WRONG_PASSWORD = "Wr0ng;pw{=7c21e4"
SECRETS = (PASSWORD, WRONG_PASSWORD)

LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
         "cloudbackup_precheck_host_checks": []}
WRITES = re.compile(r"\b(ALTER|INSERT|UPDATE|DELETE|MERGE|EXEC|EXECUTE|CREATE|DROP|GRANT|REVOKE|DENY|BACKUP|RESTORE|"
                    r"DBCC|KILL|SHUTDOWN|TRUNCATE|BEGIN|COMMIT|ROLLBACK)\b", re.IGNORECASE)


def scenario(name):
    return tds_scenario(name, USER, PASSWORD)


def instance(name, srv, **options):
    settings = {"name": name, "login_host": "127.0.0.1", "login_port": srv.port, "login_user": USER,
                "login_password": PASSWORD, "encrypt": False}
    settings.update(options)
    return settings


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    """Every scenario server, one playbook run over the fleet at -vvv, and the facts it saved."""
    tmp_path = tmp_path_factory.mktemp("sqlserver-fleet")
    names = ("healthy", "findings", "limited", "dropped", "wrong_password", "silent", "delegated")
    files = {"wrong_password": "healthy", "delegated": "healthy"}
    servers = dict((name, TdsServer(scenario(files.get(name, name))).start()) for name in names)
    try:
        inventory = {"all": {"hosts": {
            "sql_healthy": dict(LOCAL, cloudbackup_precheck_sqlserver_instances=[
                instance("prod", servers["healthy"], databases_exclude=["msdb"]),
                # The same instance seen as localhost, with only differential backups besides full.
                instance("prod-diff", servers["healthy"], login_host="localhost", backup_types=["full", "differential"],
                         databases_include=["master", "Sal*"]),
            ]),
            "sql_findings": dict(LOCAL, cloudbackup_precheck_sqlserver_instances=[
                instance("findings", servers["findings"]),
                instance("limited", servers["limited"]),
                instance("dropped", servers["dropped"]),
            ]),
            "sql_faults": dict(LOCAL, cloudbackup_precheck_sqlserver_instances=[
                instance("wrong-password", servers["wrong_password"], login_password=WRONG_PASSWORD),
                instance("silent", servers["silent"], connect_timeout=3),
                instance("no-driver", servers["healthy"], driver="No Such Driver"),
            ]),
            # Ansible cannot reach this host (think: a Windows SQL Server without WinRM); its instance is
            # checked from sql_runner, a host with the ODBC driver.
            "sql_windows": {"ansible_host": "127.0.0.1", "ansible_port": 9, "ansible_connection": "ssh",
                            "cloudbackup_precheck_host_checks": [],
                            "cloudbackup_precheck_sqlserver_instances": [
                                instance("winsql", servers["delegated"], delegate_to="sql_runner",
                                         checks=["connection", "database_state"], databases_exclude=["msdb"])]},
            # Only a delegate: nothing of its own is checked, so the gate blocks it as not evaluated.
            "sql_runner": dict(LOCAL),
        }}}
        facts = tmp_path / "facts"
        facts.mkdir()
        started = time.monotonic()
        run = run_playbook(tmp_path, inventory, playbook=fact_play(facts), verbosity=3,
                           env={"ANSIBLE_FORKS": "10"}, timeout=300)
        run.total = time.monotonic() - started
        run.facts = dict((path.stem, json.loads(path.read_text())) for path in facts.glob("*.json"))
        yield run, servers
    finally:
        for srv in servers.values():
            srv.stop()


def label(name, srv, host="127.0.0.1"):
    """The target of an instance the role checks: its `name`, then its address."""
    return "%s (%s:%d)" % (name, host, srv.port)


def test_healthy_instance_passes_and_the_host_is_ready(fleet):
    run, servers = fleet
    where = label("prod", servers["healthy"])
    connection = assert_visible(run, "sql_healthy", "sqlserver.connection", where, "passed",
                                "SQL Server 2019 15.0.4298.1", "Standard Edition", "driver FreeTDS", "'%s'" % USER)
    assert connection["details"]["driver"] == "FreeTDS" and connection["duration_ms"] < 5000
    for database in ("model", "Sales", "it's [odd]"):
        assert_visible(run, "sql_healthy", "sqlserver.recovery_model", "%s/%s" % (where, database), "passed", "FULL")
        assert_visible(run, "sql_healthy", "sqlserver.database_state", "%s/%s" % (where, database), "passed", "ONLINE")
    # master warns by default (differential and log planned); tempdb is never checked; msdb was excluded.
    assert_visible(run, "sql_healthy", "sqlserver.recovery_model", where + "/master", "warning",
                   "[master]", "differential and log backups of master run as full backups")
    assert not [r for r in run.results("sql_healthy") if r["target"].endswith("/tempdb")]
    excluded = assert_visible(run, "sql_healthy", "sqlserver.recovery_model", where, "skipped", "msdb")
    assert excluded["details"]["excluded"] == ["msdb"]
    assert_visible(run, "sql_healthy", "sqlserver.database_state", where + "/Sales_snap", "skipped",
                   "database snapshot of [Sales]")
    assert run.facts["sql_healthy"]["ready"] is True
    assert run.report["hosts"]["sql_healthy"]["verdict"] == "ready"


def test_master_with_differential_backups_planned_warns(fleet):
    run, servers = fleet
    where = label("prod-diff", servers["healthy"], "localhost")
    result = assert_visible(run, "sql_healthy", "sqlserver.recovery_model", where + "/master", "warning",
                            "[master]", "the planned differential backups of master run as full backups",
                            "Plan only full backups for master")
    assert "log" not in result["message"].split("full backups:")[1]
    assert result["details"]["backup_types"] == ["full", "differential"]
    assert result["references"] == ["HBR:SQL_SERVER_DB_IN_SIMPLE_RECOVERY_MODE",
                                    "Azure:UserErrorSQLPODoesNotSupportBackupType"]
    # databases_include: only master and Sal* (Sales, Sales_snap); the rest is named as not checked.
    targets = set(r["target"] for r in run.results("sql_healthy") if r["target"].startswith(where))
    assert targets == {where, where + "/master", where + "/Sales", where + "/Sales_snap"}


def test_simple_database_with_log_backups_planned_fails_with_the_alter_statement(fleet):
    run, servers = fleet
    where = label("findings", servers["findings"])
    assert_visible(run, "sql_findings", "sqlserver.recovery_model", where + "/Simple Sales", "failed",
                   "Database [Simple Sales]", "SIMPLE recovery model", "log backups are impossible",
                   "ALTER DATABASE [Simple Sales] SET RECOVERY FULL; then take a full backup of [Simple Sales]")
    assert_visible(run, "sql_findings", "sqlserver.recovery_model", where + "/Scratch]1", "failed",
                   "ALTER DATABASE [Scratch]]1] SET RECOVERY FULL;")
    assert_visible(run, "sql_findings", "sqlserver.recovery_model", where + "/msdb", "failed",
                   "databases_exclude: [msdb]")
    assert_visible(run, "sql_findings", "sqlserver.recovery_model", where + "/Staging", "warning",
                   "BULK_LOGGED", "point in time", "ALTER DATABASE [Staging] SET RECOVERY FULL;")


@pytest.mark.parametrize("database, state, fix", [
    ("it's [odd]", "OFFLINE", "ALTER DATABASE [it's [odd]]] SET ONLINE;"),
    ("Damaged", "SUSPECT", "DBCC CHECKDB ([Damaged])"),
    ("HalfRestored", "RESTORING", "RESTORE DATABASE [HalfRestored] WITH RECOVERY;"),
    ("MissingFile", "RECOVERY_PENDING", "ALTER DATABASE [MissingFile] SET ONLINE;"),
    ("Repair", "EMERGENCY", "ALTER DATABASE [Repair] SET ONLINE;"),
    ("Starting", "RECOVERING", "Wait for recovery to finish"),
])
def test_databases_that_are_not_online_fail_with_state_and_fix(fleet, database, state, fix):
    run, servers = fleet
    target = "%s/%s" % (label("findings", servers["findings"]), database)
    result = assert_visible(run, "sql_findings", "sqlserver.database_state", target, "failed", "Database [%s]" % database.replace("]", "]]"), state, fix)
    assert result["details"]["state"] == state
    assert result["impact"] == ["backup", "restore"] and result["references"] == ["HBR:SQL_SERVER_DB_NOT_ONLINE"]


def test_mirror_secondary_standby_and_read_only_are_reported_as_such(fleet):
    run, servers = fleet
    where = label("findings", servers["findings"])
    assert_visible(run, "sql_findings", "sqlserver.database_state", where + "/Mirrored", "failed",
                   "is RESTORING because it is the MIRROR", "SQLNODE1\\PROD", "Back up the principal")
    assert_visible(run, "sql_findings", "sqlserver.database_state", where + "/AgSecondary", "failed",
                   "SECONDARY replica of availability group [AG-Sales]", "SET HADR RESUME")
    assert_visible(run, "sql_findings", "sqlserver.database_state", where + "/LogShipped", "failed", "STANDBY")
    assert_visible(run, "sql_findings", "sqlserver.database_state", where + "/Archive", "warning", "READ_ONLY",
                   "ALTER DATABASE [Archive] SET READ_WRITE;")
    assert_visible(run, "sql_findings", "sqlserver.database_state", where + "/Unknown", "warning", "NULL")
    assert_visible(run, "sql_findings", "sqlserver.recovery_model", where + "/Unknown", "warning", "NULL")


def test_login_without_view_any_database_is_an_error_not_a_pass(fleet):
    run, servers = fleet
    where = label("limited", servers["limited"])
    for check_id in ("sqlserver.recovery_model", "sqlserver.database_state"):
        result = assert_visible(run, "sql_findings", check_id, where, "error", "lacks VIEW ANY DATABASE",
                                "GRANT VIEW ANY DATABASE TO [%s];" % USER)
        assert result["cause"] == "permission"
    restoring = run.result("sqlserver.database_state", where + "/OwnDb", "sql_findings")
    assert restoring["status"] == "failed"
    assert "VIEW SERVER STATE" in restoring["details"]["role_lookup"]


def test_connection_dropped_mid_query_is_an_error_of_each_database_check(fleet):
    run, servers = fleet
    where = label("dropped", servers["dropped"])
    assert run.result("sqlserver.connection", where, "sql_findings")["status"] == "passed"
    for check_id in ("sqlserver.recovery_model", "sqlserver.database_state"):
        result = assert_visible(run, "sql_findings", check_id, where, "error", "connection to %s was lost" % where,
                                "sys.databases", "Unexpected EOF")
        assert result["cause"] == "unreachable"


def test_three_instances_cost_one_task_and_one_connection_each(fleet):
    run, servers = fleet
    assert run.stdout.count("TASK [cloudbackup.precheck.precheck : SQL Server | Check each configured instance]") == 1
    items = re.findall(r"^(?:ok|changed|failed): \[sql_findings\] => \(item=(\w+)\)", run.stdout, re.MULTILINE)
    assert items == ["findings", "limited", "dropped"]
    for name in ("findings", "limited", "dropped"):
        srv = servers[name]
        assert len(srv.logins) == 1, (name, srv.logins)
        # One connection runs every statement (the first instance's pre-login probes of the others,
        # sqlserver.instances_healthy, open TCP connections that send no statement).
        assert len(set(record["conn"] for record in srv.records)) == 1, name
    # Each data set is read once per instance, however many checks use it.
    sql = servers["findings"].statements()
    assert len([s for s in sql if "FROM sys.databases AS d " in s]) == 1
    assert len([s for s in sql if "SERVERPROPERTY" in s]) == 1
    assert len(sql) == len(set(sql))


def test_wrong_password_is_login_failed(fleet):
    run, servers = fleet
    where = label("wrong-password", servers["wrong_password"])
    result = assert_visible(run, "sql_faults", "sqlserver.connection", where, "error",
                            "refused the login '%s'" % USER, "18456", "Check login_user and login_password")
    assert result["cause"] == "login_failed" and result["references"] == ["Azure:UserErrorOpeningSQLConnection"]
    assert result["impact"] == ["all_operations"]
    others = run.result("sqlserver.recovery_model", where, "sql_faults")
    assert (others["status"], others["cause"]) == ("error", "dependency")
    assert "Not run: sqlserver.connection failed (login_failed)" in others["message"]
    assert servers["wrong_password"].logins[0]["password"] == WRONG_PASSWORD  # escaped and delivered intact


def test_silent_server_is_a_timeout_within_the_login_timeout(fleet):
    run, servers = fleet
    result = assert_visible(run, "sql_faults", "sqlserver.connection", label("silent", servers["silent"]), "error",
                            "within 3s (connect_timeout)", "Timeout expired")
    assert result["cause"] == "timeout"
    assert 2500 <= result["duration_ms"] < 5000, result["duration_ms"]


def test_driver_named_but_not_installed_is_driver_missing(fleet):
    run, servers = fleet
    where = label("no-driver", servers["healthy"])
    result = run.result("sqlserver.connection", where, "sql_faults")
    assert (result["status"], result["cause"]) == ("error", "driver_missing")
    assert "The ODBC driver 'No Such Driver' (option driver) is not installed" in result["message"]
    assert "registered drivers: FreeTDS" in result["message"]
    assert "apt-get install unixodbc tdsodbc" in result["remediation"]
    assert norm(result["message"]) in norm(run.stdout)


def test_delegated_instance_runs_on_the_delegate_and_reports_on_its_host(fleet):
    run, servers = fleet
    where = label("winsql", servers["delegated"])
    assert_visible(run, "sql_windows", "sqlserver.connection", where, "passed", "SQL Server 2019")
    assert_visible(run, "sql_windows", "sqlserver.database_state", where + "/Sales", "passed", "ONLINE")
    assert not [r for r in run.results("sql_windows") if r["id"] == "sqlserver.recovery_model"]
    assert run.report["hosts"]["sql_windows"]["verdict"] == "ready"
    assert re.search(r"ok: \[sql_windows -> sql_runner\(127\.0\.0\.1\)\] => \(item=winsql\)|"
                     r"ok: \[sql_windows -> sql_runner\] => \(item=winsql\)", run.stdout), run


def test_gate_report_and_junit_agree(fleet):
    run, _servers = fleet
    verdicts = dict((host, entry["verdict"]) for host, entry in run.report["hosts"].items())
    assert verdicts == {"sql_healthy": "ready", "sql_findings": "blocked", "sql_faults": "blocked",
                        "sql_windows": "ready", "sql_runner": "not_evaluated"}, verdicts
    assert run.rc != 0
    assert "sql_findings is not ready for backup deployment" in run.stdout
    suites = dict((suite.get("name"), suite) for suite in run.junit.iter("testsuite"))
    assert int(suites["sql_findings"].get("failures")) > 0 and int(suites["sql_faults"].get("errors")) > 0


def test_no_password_anywhere(fleet):
    run, _servers = fleet
    texts = {"stdout": run.stdout, "stderr": run.stderr}
    for path in run.report_dir.iterdir():
        texts[path.name] = path.read_text()
    for host, fact in run.facts.items():
        texts["fact " + host] = json.dumps(fact)
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in run.stdout  # -vvv did print the module arguments
    for name, text in texts.items():
        for secret in SECRETS:
            assert secret not in text, "password found in %s" % name
            assert secret.split(";")[1] not in text, "part of the password found in %s" % name


def test_only_select_statements_and_no_user_supplied_name_in_sql(fleet):
    _run, servers = fleet
    records = [r for srv in servers.values() for r in srv.records]
    assert records
    assert not [r for r in records if r["kind"] == "transaction"], "autocommit must not open transactions"
    mine = [r for r in records if not r["driver"]]
    assert mine
    for record in mine:
        # A batch, or a prepared statement whose only bound value is the backup history window (hours).
        assert (record["kind"], record["params"]) == ("batch", []) or (
            record["kind"], record["proc"], record["params"]) == ("rpc", "sp_prepexec", [168]), record
        assert re.match(r"^\s*SELECT\s", record["sql"], re.IGNORECASE), record["sql"]
        # No writing keyword outside string literals (LIKE N'BACKUP%' reads sys.dm_exec_requests).
        assert not WRITES.search(re.sub(r"N?'[^']*'", "''", record["sql"])), record["sql"]
        # The catalog's own names appear (msdb.dbo.backupset, master.sys.certificates, sys.master_files);
        # no user-supplied name does.
        text = record["sql"].lower().replace("msdb.dbo.", "").replace("master.sys.", "").replace("master_files", "")
        for name in ("msdb", "master", "Sal", "winsql", "it's"):
            assert name.lower() not in text, (name, record["sql"])
    driver = [r for r in records if r["driver"]]
    assert all(r["sql"].startswith("sp_datatype_info") or r["proc"] for r in driver), driver


def test_no_odbc_driver_registered_says_what_to_install(tmp_path):
    """The real situation: unixODBC finds no driver at all (an empty odbcinst.ini)."""
    (tmp_path / "odbc").mkdir()
    (tmp_path / "odbc" / "odbcinst.ini").write_text("")
    inventory = {"all": {"hosts": {"sql_bare": dict(LOCAL, cloudbackup_precheck_sqlserver_instances=[
        {"name": "bare", "login_host": "127.0.0.1", "login_port": 1433, "login_user": USER,
         "login_password": PASSWORD}])}}}
    run = run_playbook(tmp_path, inventory, env={"ODBCSYSINI": str(tmp_path / "odbc"), "ODBCINSTINI": "odbcinst.ini"})
    result = run.result("sqlserver.connection", "bare (127.0.0.1:1433)", "sql_bare")
    assert (result["status"], result["cause"]) == ("error", "driver_missing"), result
    assert "No ODBC driver for SQL Server is installed on this host (registered drivers: none" in result["message"]
    assert "apt-get install unixodbc tdsodbc" in result["remediation"] and "msodbcsql18" in result["remediation"]
    assert norm("Fix: " + result["remediation"]) in norm(run.stdout)
    assert run.report["hosts"]["sql_bare"]["verdict"] == "blocked"
    assert PASSWORD not in run.stdout + run.stderr


# -- the modules on their own -------------------------------------------------------------------

def run_module(tmp_path, name, args):
    """Runs a module the way Ansible does on the target: a Python process given its arguments."""
    args_file = tmp_path / ("args-%s.json" % name)
    args_file.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": args}))
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, ".venv", "collections"))
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "ansible_collections.cloudbackup.precheck.plugins.modules." + name,
                           str(args_file)], capture_output=True, text=True, env=env, timeout=60, check=False)
    return json.loads(proc.stdout), time.monotonic() - started


def test_silent_server_costs_the_login_timeout_in_total(tmp_path):
    with TdsServer(scenario("silent")) as srv:
        out, elapsed = run_module(tmp_path, "sqlserver_precheck", {
            "login_host": "127.0.0.1", "login_port": srv.port, "login_user": USER, "login_password": PASSWORD,
            "encrypt": False, "connect_timeout": 3})
    assert 2.9 <= elapsed < 5, elapsed
    results = [(r["id"], r["status"], r["cause"]) for r in out["check_results"]]
    assert results[:3] == [
        ("sqlserver.connection", "error", "timeout"), ("sqlserver.recovery_model", "error", "dependency"),
        ("sqlserver.database_state", "error", "dependency")]
    # The other items were not run either, or do not apply without options (no login needed to know).
    assert set((status, cause) for _id, status, cause in results[3:]) == {("error", "dependency"), ("skipped", None)}


def test_item_module_runs_only_its_item_and_owns_a_connection_failure(tmp_path):
    with TdsServer(scenario("findings")) as srv:
        args = {"login_host": "127.0.0.1", "login_port": srv.port, "login_user": USER, "login_password": PASSWORD,
                "encrypt": False, "databases_include": ["Damaged", "Nowhere"]}
        out, _elapsed = run_module(tmp_path, "sqlserver_database_state", args)
        wrong, _elapsed = run_module(tmp_path, "sqlserver_recovery_model", dict(args, login_password=WRONG_PASSWORD))
    assert out["changed"] is False
    where = "127.0.0.1:%d" % srv.port
    assert sorted((r["target"], r["status"]) for r in out["check_results"]) == [
        (where, "skipped"), (where, "warning"), (where + "/Damaged", "failed")]
    assert set(r["id"] for r in out["check_results"]) == {"sqlserver.database_state"}
    (unmatched,) = [r for r in out["check_results"] if r["status"] == "warning"]
    assert "databases_include pattern 'Nowhere' matches no database on %s" % where in unmatched["message"]
    (result,) = wrong["check_results"]
    assert (result["id"], result["cause"]) == ("sqlserver.recovery_model", "login_failed")
    assert "refused the login" in result["message"]
    assert WRONG_PASSWORD not in json.dumps(wrong)


@pytest.mark.parametrize("args, message", [
    ({"login_port": 70000}, "login_port: 70000 is out of range (valid: a number from 1 to 65535)"),
    ({"login_port": 1433, "instance_name": "SQLEXPRESS"}, "instance_name and login_port: give one of them"),
    ({"instance_name": "bad name"}, "instance_name: 'bad name' is not a SQL Server instance name"),
    ({"login_host": "sql01\\SQLEXPRESS"}, "give the host in login_host and the named instance in instance_name"),
    ({"backup_types": ["incremental"]}, "backup_types"),
    ({"backup_types": []}, "backup_types: name at least one of full, differential, log"),
    ({"connect_timeout": 0}, "connect_timeout: 0 is out of range (valid: a number greater than 0 and at most 3600)"),
    ({"checks": ["recovery"]}, "checks: unknown check 'recovery'; known checks: sqlserver.connection, "
                               "sqlserver.recovery_model, sqlserver.database_state, sqlserver.sysadmin, "
                               "sqlserver.conflicting_operation, sqlserver.foreign_backups, "
                               "sqlserver.full_backup_base, sqlserver.log_space, sqlserver.mirroring, "
                               "sqlserver.availability_group, sqlserver.tde_certificate, "
                               "sqlserver.file_path_length, sqlserver.database_exists, sqlserver.restore_target, "
                               "sqlserver.instances_healthy"),
    ({"restore_databases": ["Sales"]}, "restore_databases: set restore_target: true too"),
    ({"peer_instances": [{"login_host": "sql01", "login_password": "x"}]}, "login_password"),
])
def test_bad_arguments_fail_naming_the_option(tmp_path, args, message):
    full = {"login_host": "127.0.0.1", "login_user": USER, "login_password": PASSWORD}
    full.update(args)
    out, _elapsed = run_module(tmp_path, "sqlserver_precheck", full)
    assert out.get("failed") is True, out
    assert message in out["msg"], out["msg"]
    assert PASSWORD not in json.dumps(out)
    if args.get("backup_types") == ["incremental"]:
        assert "full, differential, log" in out["msg"]
