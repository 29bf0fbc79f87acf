"""The SQL Server check items behind Azure Backup's error codes (seed 004), through ansible-playbook,
the role, the fact and the report callback, against TDS test servers that the real pyodbc and FreeTDS
ODBC driver talk to (scenario files tests/functional/sqlserver/scenarios/backup_*.yml).

One playbook run at -vvv covers: a SQL Server 2019 instance with one database per condition (a
running BACKUP LOG, a log chain broken by another tool, log backups to NUL, a FULL database never
backed up, a log at 95% that cannot grow, a mirrored database, an availability group secondary, a TDE
database whose certificate was never backed up, 300 files on long paths, a missing configured
database); a SQL Server 2008 R2 instance with a non-sysadmin login; a SQL Server 2022 instance whose
login the DMVs and msdb refuse (errors 300, 229); a SQL Server 2019 secondary whose login lacks VIEW ANY
DEFINITION, so that the availability group views hide their rows; and a host with a restore target (a
same-name database, a missing source certificate) and a second instance that is down. The restricted
and hidden-group scenarios declare the login's permissions, and the test server answers as SQL Server
does for them (tests/support/tds_server/fidelity.py).
"""

import json
import re
import sys

import pytest

from endpoints import free_port
from harness import fact_play, run_playbook
from results import assert_visible as visible
from sqlserver_scenarios import scenario as tds_scenario
from tds_server import TdsServer

USER = "backup_check"
PASSWORD = "S3cr;et{pw=4b7e2a-BKP"
AGENT = "NT SERVICE\\AzureWLBackupPluginSvc"
PRESENT = "8F2B6C1D0E3A4F5B6C7D8E9FA0B1C2D3E4F5A6B7"
MISSING = "11223344556677889900AABBCCDDEEFF00112233"
LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
         "cloudbackup_precheck_host_checks": []}
WRITES = re.compile(r"\b(ALTER|INSERT|UPDATE|DELETE|MERGE|EXEC|EXECUTE|CREATE|DROP|GRANT|REVOKE|DENY|BACKUP|RESTORE|"
                    r"DBCC|KILL|SHUTDOWN|TRUNCATE|BEGIN|COMMIT|ROLLBACK|SET)\b", re.IGNORECASE)
MANY_FILES = 300


def scenario(name):
    return tds_scenario(name, USER, PASSWORD)


def many_files(spec):
    """ManyFiles: 300 data files on long paths (the test writes them, not the YAML)."""
    rule = [r for r in spec["queries"] if r["match"] == "FROM sys\\.master_files"][0]
    folder = "G:\\SQLData\\Instances\\PROD\\Databases\\ManyFiles\\Filegroups\\Partitioned_By_Month_And_Region"
    for number in range(1, MANY_FILES + 1):
        kind, name = ("LOG", "ManyFiles_log") if number == 2 else ("ROWS", "ManyFiles_data_%03d" % number)
        path = "%s\\%s_%s.%s" % (folder, name, "x" * 40, "ldf" if kind == "LOG" else "ndf")
        rule["rows"].append([13, number, kind, name, path, "ONLINE", 1024, -1, 8192, False,
                             None if kind == "LOG" else 130000000010000037])
    return spec


# port -> the name of the instance configured on it, for label().
NAMES = {}


def instance(name, srv_or_port, **options):
    port = srv_or_port if isinstance(srv_or_port, int) else srv_or_port.port
    NAMES[port] = name
    settings = {"name": name, "login_host": "127.0.0.1", "login_port": port, "login_user": USER,
                "login_password": PASSWORD, "encrypt": False}
    settings.update(options)
    return settings


def label(srv_or_port):
    """The target of an instance the role checks: its `name`, then its address."""
    port = srv_or_port if isinstance(srv_or_port, int) else srv_or_port.port
    return "%s (127.0.0.1:%d)" % (NAMES[port], port)


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("sqlserver-backup-fleet")
    specs = {"findings": many_files(scenario("backup_findings")), "legacy": scenario("backup_legacy"),
             "restricted": scenario("backup_restricted"), "target": scenario("backup_target"),
             "ag_hidden": scenario("ag_hidden")}
    servers = dict((name, TdsServer(spec).start()) for name, spec in specs.items())
    down = free_port()
    try:
        inventory = {"all": {"hosts": {
            "sql_backup": dict(LOCAL, cloudbackup_precheck_sqlserver_instances=[
                instance("prod", servers["findings"], databases=["Busy", "it's [odd]", "Gone"],
                         own_backup_users=[AGENT])]),
            "sql_legacy": dict(LOCAL, cloudbackup_precheck_sqlserver_instances=[
                instance("legacy", servers["legacy"], databases_exclude=["msdb"])]),
            "sql_restricted": dict(LOCAL, cloudbackup_precheck_sqlserver_instances=[
                instance("restricted", servers["restricted"])]),
            "sql_ag_hidden": dict(LOCAL, cloudbackup_precheck_sqlserver_instances=[
                instance("ag_hidden", servers["ag_hidden"], checks=["availability_group", "database_state"])]),
            "sql_dr": dict(LOCAL, cloudbackup_precheck_sqlserver_instances=[
                instance("dr", servers["target"], backup_login=AGENT, restore_target=True,
                         restore_databases=["Sales", "NewDb"], source_certificate_thumbprints=["0x" + PRESENT, MISSING],
                         databases_exclude=["msdb"]),
                instance("reporting", down, connect_timeout=2, checks=["connection"])]),
        }}}
        facts = tmp_path / "facts"
        facts.mkdir()
        run = run_playbook(tmp_path, inventory, playbook=fact_play(facts), verbosity=3,
                           env={"ANSIBLE_FORKS": "10"}, timeout=300)
        run.facts = dict((path.stem, json.loads(path.read_text())) for path in facts.glob("*.json"))
        run.down = down
        yield run, servers
    finally:
        for srv in servers.values():
            srv.stop()


# -- the findings of the 2019 instance ------------------------------------------------------------

def test_a_sysadmin_login_passes(fleet):
    run, servers = fleet
    visible(run, "sql_backup", "sqlserver.sysadmin", label(servers["findings"]), "passed",
            "The login '%s' is a member of the sysadmin server role" % USER)


def test_a_running_backup_log_is_a_conflicting_operation(fleet):
    run, servers = fleet
    result = visible(run, "sql_backup", "sqlserver.conflicting_operation", label(servers["findings"]) + "/Busy", "failed",
                     "Database [Busy]", "BACKUP LOG (session 71, login 'CORP\\svc_legacy', program 'LegacyBackup "
                     "Agent'", "OperationCancelledBecauseConflictingOperationRunningUserError",
                     "WHERE session_id IN (71);")
    assert result["references"] == ["Azure:OperationCancelledBecauseConflictingOperationRunningUserError"]
    assert result["impact"] == ["backup"]


def test_a_log_chain_broken_by_another_tool_and_backups_to_nul_fail(fleet):
    run, servers = fleet
    where = label(servers["findings"])
    chain = visible(run, "sql_backup", "sqlserver.foreign_backups", where + "/ChainBroken", "failed",
                    "Database [ChainBroken]", "42 log backups by another product or job (by 'CORP\\svc_legacy', to "
                    "E:\\Backup\\ChainBroken_log_20240601_0200.trn (disk)", "UserErrorSQLLSNValidationFailure",
                    "4 full backups that are not COPY_ONLY", "WITH COPY_ONLY;")
    assert chain["impact"] == ["log_backup", "incremental_backup"]
    nul = visible(run, "sql_backup", "sqlserver.foreign_backups", where + "/LogToNul", "failed",
                  "96 log backups to NUL", "Remove the BACKUP ... TO DISK = 'NUL' step")
    assert nul["details"]["recovery_models"] == ["BULK_LOGGED"]   # msdb wrote BULK-LOGGED
    # Joined on database_guid: the earlier database named Fresh does not count; the agent's own log
    # backups of it's [odd] (own_backup_users) do not either.
    foreign = [r["target"] for r in run.results("sql_backup") if r["id"] == "sqlserver.foreign_backups"]
    assert sorted(foreign) == [where + "/ChainBroken", where + "/LogToNul"]


def test_a_full_database_never_backed_up_needs_a_full_backup_first(fleet):
    run, servers = fleet
    where = label(servers["findings"])
    visible(run, "sql_backup", "sqlserver.full_backup_base", where + "/Fresh", "failed", "Database [Fresh]",
            "last_log_backup_lsn is NULL", "never had a full backup", "UserErrorParentFullBackupMissing",
            "Take a full backup of [Fresh]")
    visible(run, "sql_backup", "sqlserver.full_backup_base", where + "/it's [odd]", "passed")


def test_a_log_at_95_percent_that_cannot_grow_fails(fleet):
    run, servers = fleet
    where = label(servers["findings"])
    result = visible(run, "sql_backup", "sqlserver.log_space", where + "/LogFull", "failed", "database [LogFull]",
                     "95.0% full (973 of 1024 MB) and cannot grow", "Log reuse waits on LOG_BACKUP",
                     "UserErrorBackupFailedAsTransactionLogIsFull", "BACKUP LOG [LogFull] TO DISK",
                     "ALTER DATABASE [LogFull] MODIFY FILE (NAME = N'LogFull_log', FILEGROWTH = 512MB, "
                     "MAXSIZE = UNLIMITED);")
    assert result["details"]["source"] == "sys.dm_db_log_stats" and result["details"]["can_grow"] is False
    visible(run, "sql_backup", "sqlserver.log_space", where + "/Busy", "warning", "80.0% full")
    visible(run, "sql_backup", "sqlserver.log_space", where + "/AgSales", "skipped", "availability group secondary")


def test_a_mirrored_database_fails(fleet):
    run, servers = fleet
    visible(run, "sql_backup", "sqlserver.mirroring", label(servers["findings"]) + "/Mirrored", "failed",
            "Database [Mirrored]", "as PRINCIPAL (partner SQLNODE4", "ALTER DATABASE [Mirrored] SET PARTNER OFF;",
            "UserErrorOperationNotAllowedDatabaseMirroringEnabled")


def test_an_availability_group_secondary_that_is_not_preferred(fleet):
    run, servers = fleet
    result = visible(run, "sql_backup", "sqlserver.availability_group", label(servers["findings"]) + "/AgSales",
                     "failed", "Database [AgSales]", "availability group [AG-Sales], this replica SECONDARY",
                     "the planned differential backups (and the full backups they are based on) run on the primary "
                     "replica", "this replica is not the preferred backup replica (preference PRIMARY",
                     "the primary replica is not visible from this secondary",
                     "FabricSvcBackupPreferenceCheckFailedUserError",
                     "ALTER AVAILABILITY GROUP [AG-Sales] SET (AUTOMATED_BACKUP_PREFERENCE = SECONDARY);")
    assert result["details"]["preferred_replicas"] == [] and result["details"]["primary_replica"] is None


def test_a_tde_certificate_never_backed_up_fails(fleet):
    run, servers = fleet
    result = visible(run, "sql_backup", "sqlserver.tde_certificate", label(servers["findings"]) + "/Secure", "failed",
                     "Database [Secure]", "certificate [TDECert] (thumbprint 0x5C1A9E3F7B2D4C6E8A0B1C2D3E4F5A6B7C8D9E0F)",
                     "private key was never backed up", "USE [master]; BACKUP CERTIFICATE [TDECert] TO FILE = "
                     "N'<secure path>\\TDECert.cer' WITH PRIVATE KEY")
    assert result["impact"] == ["backup", "restore"]


def test_300_files_on_long_paths_exceed_the_file_list_limit(fleet):
    run, servers = fleet
    result = visible(run, "sql_backup", "sqlserver.file_path_length", label(servers["findings"]) + "/ManyFiles",
                     "warning", "database [ManyFiles]", "(300 files, longest path", "over Azure Backup's limit of "
                     "20000 bytes", "C:\\Program Files\\Azure Workload Backup\\bin\\plugins\\SQL*\\ManyFiles.json")
    assert result["details"]["bytes"] > 20000 and result["details"]["files"] == MANY_FILES
    assert "is %d bytes" % result["details"]["bytes"] in result["message"]


def test_a_configured_database_that_does_not_exist_fails(fleet):
    run, servers = fleet
    where = label(servers["findings"])
    visible(run, "sql_backup", "sqlserver.database_exists", where + "/Gone", "failed", "Database [Gone] does not exist",
            "UserErrorSQLPODoesNotExist")
    visible(run, "sql_backup", "sqlserver.database_exists", where + "/it's [odd]", "passed")


def test_one_gathering_pass_and_only_reads(fleet):
    """Each distinct gathering statement once per connection, every one a SELECT; bound values only
    for the history window and the backup login."""
    _run, servers = fleet
    for name, srv in servers.items():
        mine = [r for r in srv.records if not r["driver"]]
        assert mine, name
        assert len(srv.logins) == 1 and len(set(r["conn"] for r in mine)) == 1, name
        texts = [r["sql"] for r in mine]
        assert len(texts) == len(set(texts)), (name, texts)
        for record in mine:
            assert re.match(r"^\s*SELECT\s", record["sql"], re.IGNORECASE), record["sql"]
            assert not WRITES.search(re.sub(r"N?'[^']*'", "''", record["sql"])), record["sql"]
            assert record["params"] in ([], [168], [AGENT]), record
            text = record["sql"].lower().replace("msdb.dbo.", "").replace("master.sys.", "")
            for db in ("busy", "fresh", "gone", "sales", "it's", "newdb", "securecert"):
                assert db not in text, (db, record["sql"])
    findings = servers["findings"].statements()
    for view in ("sys.dm_exec_requests", "msdb.dbo.backupset", "sys.database_recovery_status", "sys.master_files",
                 "sys.dm_db_log_stats", "sys.database_mirroring", "fn_hadr_backup_is_preferred_replica",
                 "sys.dm_hadr_database_replica_states", "sys.dm_database_encryption_keys", "master.sys.certificates"):
        assert len([s for s in findings if view in s]) == 1, view
    assert len([s for s in findings if "FROM sys.databases AS d " in s]) == 1


# -- versions and permissions --------------------------------------------------------------------

def test_sql_server_2008_r2_non_sysadmin_counters_and_no_availability_groups(fleet):
    run, servers = fleet
    where = label(servers["legacy"])
    visible(run, "sql_legacy", "sqlserver.sysadmin", where, "failed", "The login '%s' is not a member of the sysadmin "
            "server role" % USER, "EXEC sp_addsrvrolemember @loginame = N'%s', @rolename = N'sysadmin';" % USER,
            "UserErrorSQLNoSysadminMembership")
    orders = visible(run, "sql_legacy", "sqlserver.log_space", where + "/Orders", "warning", "80.0% full",
                     "DBCC OPENTRAN ([Orders]);")
    assert orders["details"]["source"] == "sys.dm_os_performance_counters"
    visible(run, "sql_legacy", "sqlserver.log_space", where + "/Ledger", "warning", "95.0% full",
            "it can grow (autogrowth)")
    visible(run, "sql_legacy", "sqlserver.availability_group", where, "skipped",
            "Availability groups exist from SQL Server 2012", "SQL Server 2008 R2")
    sql = servers["legacy"].statements()
    assert [s for s in sql if "dm_os_performance_counters" in s] and not [s for s in sql if "dm_db_log_stats" in s]
    assert not [s for s in sql if "encryptor_type" in s or "sys.availability" in s or "d.replica_id" in s]


def test_permission_errors_on_dmvs_and_msdb_are_errors_that_name_the_permission(fleet):
    run, servers = fleet
    where = label(servers["restricted"])
    log = visible(run, "sql_restricted", "sqlserver.log_space", where, "error", "(300)",
                  "VIEW SERVER STATE (on SQL Server 2022 and later VIEW SERVER PERFORMANCE STATE is enough)",
                  "GRANT VIEW SERVER STATE TO [%s];" % USER)
    assert log["cause"] == "permission" and log["details"]["native_error"] == 300
    tde = visible(run, "sql_restricted", "sqlserver.tde_certificate", where, "error", "(300)",
                  "GRANT VIEW SERVER STATE TO [%s];" % USER)
    assert tde["cause"] == "permission"
    msdb = visible(run, "sql_restricted", "sqlserver.foreign_backups", where, "error", "(229)",
                   "USE [msdb]; CREATE USER [%s] FOR LOGIN [%s];" % (USER, USER))
    assert msdb["cause"] == "permission"
    files = visible(run, "sql_restricted", "sqlserver.file_path_length", where, "error", "VIEW ANY DEFINITION",
                    "GRANT VIEW ANY DEFINITION TO [%s];" % USER)
    assert files["cause"] == "permission"
    running = visible(run, "sql_restricted", "sqlserver.conflicting_operation", where, "warning",  # 2022
                      "lacks VIEW SERVER PERFORMANCE STATE", "GRANT VIEW SERVER PERFORMANCE STATE TO [%s];" % USER)
    assert running["status"] != "passed"
    statuses = set(r["status"] for r in run.results("sql_restricted") if r["id"] in (
        "sqlserver.log_space", "sqlserver.tde_certificate", "sqlserver.foreign_backups", "sqlserver.file_path_length",
        "sqlserver.conflicting_operation"))
    assert "passed" not in statuses
    assert run.report["hosts"]["sql_restricted"]["verdict"] == "blocked"


def test_availability_groups_hidden_by_metadata_visibility_are_an_error_and_roles_stay_known(fleet):
    """sys.availability_groups and sys.availability_replicas filter rows for a login without VIEW ANY
    DEFINITION (the scenario declares the login; the test server filters as SQL Server does): the
    databases sys.databases shows in a group are an error, never "no availability database"."""
    run, servers = fleet
    where = label(servers["ag_hidden"])
    hidden = visible(run, "sql_ag_hidden", "sqlserver.availability_group", where, "error", "[AgSales], [AgReport]",
                     "without VIEW ANY DEFINITION those views hide their rows",
                     "GRANT VIEW ANY DEFINITION TO [%s];" % USER)
    assert hidden["cause"] == "permission"
    assert not [r for r in run.results("sql_ag_hidden") if r["id"] == "sqlserver.availability_group"
                and r["status"] == "passed"]
    report = visible(run, "sql_ag_hidden", "sqlserver.database_state", where + "/AgReport", "failed",
                     "RESTORING as a SECONDARY replica of an availability group (its name needs VIEW ANY DEFINITION)")
    assert report["details"]["replica_role"] == "SECONDARY" and report["details"]["availability_group"] is None
    assert servers["ag_hidden"].violations == []


# -- a restore target on a host with two instances -------------------------------------------------

def test_a_restore_target_with_a_same_name_database(fleet):
    run, servers = fleet
    where = label(servers["target"])
    result = visible(run, "sql_dr", "sqlserver.restore_target", where + "/Sales", "failed",
                     "Database [Sales] already exists on the restore target", "force overwrite",
                     "UserErrorCannotRestoreExistingDBWithoutForceOverwrite",
                     "ALTER DATABASE [Sales] MODIFY NAME = [Sales_old];")
    assert result["impact"] == ["restore"]
    visible(run, "sql_dr", "sqlserver.restore_target", where + "/NewDb", "passed")


def test_a_restore_target_needs_the_source_certificates(fleet):
    run, servers = fleet
    where = label(servers["target"])
    visible(run, "sql_dr", "sqlserver.tde_certificate", "%s certificate 0x%s" % (where, PRESENT), "passed",
            "[SourceTDE_2023]")
    visible(run, "sql_dr", "sqlserver.tde_certificate", "%s certificate 0x%s" % (where, MISSING), "failed",
            "is not in master on the restore target", "UserErrorCannotFindServerCertificateWithThumbprint",
            "CREATE CERTIFICATE [<name>] FROM FILE")


def test_backup_login_is_checked_with_a_bound_name(fleet):
    run, servers = fleet
    visible(run, "sql_dr", "sqlserver.sysadmin", label(servers["target"]), "passed",
            "The login '%s' is a member of the sysadmin server role" % AGENT)
    bound = [r for r in servers["target"].records if r["params"] == [AGENT]]
    assert [r["sql"] for r in bound] == ["SELECT IS_SRVROLEMEMBER('sysadmin', @P1) AS is_sysadmin"]


def test_a_faulty_instance_on_the_host_is_named_with_the_workaround(fleet):
    run, servers = fleet
    visible(run, "sql_dr", "sqlserver.instances_healthy", label(servers["target"]), "passed", "answers")
    result = visible(run, "sql_dr", "sqlserver.instances_healthy", label(run.down), "failed",
                     "SQL Server instance %s on host 127.0.0.1 is not reachable (refused" % label(run.down),
                     "\"whitelistedInstancesForInquiry\": \"reporting\"", "ExtensionSettingsOverrides.json",
                     "Rediscover DBs")
    assert result["impact"] == ["restore"]
    # The first instance of the host probed the second; the second ran only its own checks.
    assert not [r for r in run.results("sql_dr") if r["id"] == "sqlserver.instances_healthy"
                and r["status"] == "skipped"]
    # peer_instances went to the module without credentials.
    assert re.search(r'"peer_instances": \[\s*\{[^\]]*"login_port": %d' % run.down, run.stdout), run
    assert PASSWORD not in run.stdout + run.stderr


def test_the_report_and_fact_agree(fleet):
    run, _servers = fleet
    verdicts = dict((host, entry["verdict"]) for host, entry in run.report["hosts"].items())
    assert verdicts == {"sql_backup": "blocked", "sql_legacy": "blocked", "sql_restricted": "blocked",
                        "sql_dr": "blocked", "sql_ag_hidden": "blocked"}, verdicts
    for host in verdicts:
        assert len(run.facts[host]["results"]) == len(run.results(host))
    texts = [run.stdout, run.stderr] + [path.read_text() for path in run.report_dir.iterdir()] + [
        json.dumps(fact) for fact in run.facts.values()]
    assert not [t for t in texts if PASSWORD in t]
