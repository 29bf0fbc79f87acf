"""The SQL Server defects found against Microsoft's reference pages (issue 11), one test each: what
the documented engine does, and what the check must make of it. The page each fact comes from is
named in tests/support/catalogs/sqlserver.yml."""

import pytest

from ansible_collections.cloudbackup.precheck.tests.support.sqlserver_fake import CATALOG, VERSIONS
from ansible_collections.cloudbackup.precheck.tests.support.results import one
from ansible_collections.cloudbackup.precheck.tests.support.sqlserver_rows import db
from ansible_collections.cloudbackup.precheck.tests.unit.plugins.module_utils.sqlserver.test_statements import run_all, troubled

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import access
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import backup_chain as chain
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import checks as S
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import gathering
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import ha
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import restore

LABEL = "sql01:1433"
MSDB_DENIED = PrecheckError("permission", "The SELECT permission was denied on the object 'backupset', database "
                                          "'msdb', schema 'dbo'. (229)", details={"native_error": 229})


def by_check(results, check_id):
    return [r for r in results if r["id"] == check_id]


# 1. ALTER ROLE ... ADD MEMBER exists from SQL Server 2012 (ALTER ROLE (Transact-SQL)).
@pytest.mark.parametrize("release, form", [
    ("2008", "EXEC sp_addrolemember @rolename = N'db_datareader', @membername = N'bk';"),
    ("2008 R2", "EXEC sp_addrolemember @rolename = N'db_datareader', @membername = N'bk';"),
    ("2012", "ALTER ROLE [db_datareader] ADD MEMBER [bk];"),
    ("2022", "ALTER ROLE [db_datareader] ADD MEMBER [bk];")])
def test_1_the_msdb_reader_fix_uses_the_statement_the_release_has(monkeypatch, release, form):
    version = VERSIONS[release]
    results, _fake = run_all(monkeypatch, version, troubled(version, **{"msdb.dbo.backupset": MSDB_DENIED}),
                             checks=["foreign_backups"])
    result = one(by_check(results, "sqlserver.foreign_backups"))
    assert result["cause"] == "permission"
    assert form in result["remediation"]
    if CATALOG.since("2012") > CATALOG.since(release):
        assert "ALTER ROLE" not in result["remediation"]


# 3. On SQL Server 2022, VIEW SERVER PERFORMANCE STATE is what sys.dm_exec_requests requires.
def test_3_view_server_performance_state_is_enough_on_2022(monkeypatch):
    version = VERSIONS["2022"]
    answers = troubled(version, sysadmin=0)
    answers[2] = ("HAS_PERMS_BY_NAME", [{"view_any_database": 1, "view_server_state": 0, "view_any_definition": 1,
                                         "view_server_performance_state": 1, "is_sysadmin": 0}])
    results, fake = run_all(monkeypatch, version, answers, checks=["conflicting_operation"])
    asked = [sql for sql, _p in fake.statements if "HAS_PERMS_BY_NAME" in sql]
    assert "'VIEW SERVER PERFORMANCE STATE'" in asked[0]
    statuses = dict((r["target"], r["status"]) for r in by_check(results, "sqlserver.conflicting_operation"))
    assert statuses == {LABEL + "/Sales": "failed"}          # seen, not "unknown"


def test_3_without_either_permission_2022_is_told_the_narrower_grant(monkeypatch):
    version = VERSIONS["2022"]
    answers = troubled(version, sysadmin=0)
    answers[2] = ("HAS_PERMS_BY_NAME", [{"view_any_database": 1, "view_server_state": 0, "view_any_definition": 1,
                                         "view_server_performance_state": 0, "is_sysadmin": 0}])
    results, _fake = run_all(monkeypatch, version, answers, checks=["conflicting_operation"])
    unknown = [r for r in by_check(results, "sqlserver.conflicting_operation") if r["target"] == LABEL]
    assert one(unknown)["remediation"] == "GRANT VIEW SERVER PERFORMANCE STATE TO [bk];"
    results, fake = run_all(monkeypatch, VERSIONS["2019"], troubled(VERSIONS["2019"], sysadmin=0),
                            checks=["conflicting_operation"])
    assert not [sql for sql, _p in fake.statements if "PERFORMANCE STATE" in sql]  # 2019 does not know it


# 8. backupmediafamily.device_type: 2 disk, 5 tape, 7 virtual device, 9 URL, 105 a permanent backup device.
def test_8_device_types_are_the_documented_ones():
    permanent = chain.judge_foreign_backups(
        [db("Sales", 5)], [{"database_guid": "G5", "backup_type": "L", "user_name": "old", "device_type": 105,
                            "backup_count": 1, "example_device": "NightlyDevice"}], {5: "G5"}, [], ["full", "log"],
        168, LABEL)
    assert "NightlyDevice (a permanent backup device" in one(permanent)["message"]
    undocumented = chain.judge_foreign_backups(
        [db("Sales", 5)], [{"database_guid": "G5", "backup_type": "L", "user_name": "old", "device_type": 102,
                            "backup_count": 1, "example_device": "X"}], {5: "G5"}, [], ["full", "log"], 168, LABEL)
    assert "permanent disk" not in one(undocumented)["message"]
    assert "X (device type 102)" in one(undocumented)["message"]
    assert "URL" in chain.DEVICE_TYPES[9] and 102 not in chain.DEVICE_TYPES


# 9. sys.availability_groups and sys.availability_replicas filter rows without VIEW ANY DEFINITION.
def test_9_an_availability_group_hidden_by_metadata_visibility_is_an_error_not_a_pass(monkeypatch):
    version = VERSIONS["2019"]
    answers = troubled(version, sysadmin=0, fn_hadr_backup_is_preferred_replica=[])
    answers[2] = ("HAS_PERMS_BY_NAME", [{"view_any_database": 1, "view_server_state": 1, "view_any_definition": 0,
                                         "is_sysadmin": 0}])
    results, _fake = run_all(monkeypatch, version, answers, checks=["availability_group"])
    result = one(by_check(results, "sqlserver.availability_group"))
    assert (result["status"], result["cause"]) == ("error", "permission"), result
    assert "AgDb" in result["message"] and "VIEW ANY DEFINITION" in result["message"]
    assert result["remediation"] == "GRANT VIEW ANY DEFINITION TO [bk];"


def test_9_the_replica_role_survives_a_hidden_availability_group_name():
    joins = CATALOG.analyze(gathering.HADR_SQL).tables
    assert joins["ag"] == ("sys.availability_groups", "left")
    result = one(S.judge_database_state([db("AgDb", 9, state="RESTORING")], LABEL, {9: {"hadr": {
        "ag_name": None, "role_desc": "SECONDARY", "synchronization_state_desc": "NOT SYNCHRONIZING"}}}))
    assert result["status"] == "failed"
    assert "SECONDARY replica of an availability group" in result["message"]
    assert "[None]" not in result["message"]


# 10. Database names compare with the server's collation: on a case-sensitive one, Sales is not sales.
def test_10_a_name_differing_in_case_does_not_exist_on_a_case_sensitive_server():
    databases = [db("Sales", 5)]
    assert one(restore.judge_database_exists(["sales"], databases, LABEL, case_sensitive=True))["status"] == "failed"
    assert one(restore.judge_database_exists(["sales"], databases, LABEL))["status"] == "passed"
    assert one(restore.judge_restore_target(["sales"], databases, False, LABEL, case_sensitive=True))["status"] == \
        "passed"
    assert one(restore.judge_restore_target(["sales"], databases, False, LABEL))["status"] == "failed"
    assert gathering.select_databases(databases, ["sales"], [], case_sensitive=True)["unmatched"] == ["sales"]
    assert gathering.is_case_sensitive("SQL_Latin1_General_CP1_CS_AS") and gathering.is_case_sensitive("Latin1_General_BIN2")
    assert not gathering.is_case_sensitive("SQL_Latin1_General_CP1_CI_AS")


def test_10_the_server_collation_is_read_and_decides(monkeypatch):
    version = VERSIONS["2019"]
    results, fake = run_all(monkeypatch, version, troubled(version), checks=["database_exists"])
    assert "SERVERPROPERTY('Collation')" in fake.statements[0][0]
    statuses = dict((r["target"], r["status"]) for r in by_check(results, "sqlserver.database_exists"))
    assert statuses[LABEL + "/sales"] == "failed" and statuses[LABEL + "/Sales"] == "passed"


# 11. IS_SRVROLEMEMBER(role, login) cannot see a Windows login's membership through a group.
def test_11_a_windows_backup_login_that_is_not_seen_as_sysadmin_is_unknown_not_failed():
    through_group = one(access.judge_sysadmin(0, "CORP\\svc_backup", LABEL, 15, connected=False))
    assert through_group["status"] == "warning"
    assert "Windows group" in through_group["message"]
    no_own_login = one(access.judge_sysadmin(None, "CORP\\svc_backup", LABEL, 15, connected=False))
    assert no_own_login["status"] == "warning" and "Windows group" in no_own_login["message"]
    assert one(access.judge_sysadmin(0, "sql_backup", LABEL, 15, connected=False))["status"] == "failed"
    assert one(access.judge_sysadmin(0, "CORP\\me", LABEL, 15))["status"] == "failed"  # own login: resolved


# 12. sys.dm_db_log_space_usage exists from SQL Server 2012.
@pytest.mark.parametrize("major, hint", [(10, "DBCC SQLPERF(LOGSPACE);"), (11, "sys.dm_db_log_space_usage")])
def test_12_the_log_usage_hint_fits_the_release(major, hint):
    result = one(chain.judge_log_space([db("Sales", 5)], {}, None, 75, 90, LABEL, major=major))
    assert result["status"] == "warning" and hint in result["remediation"]
    if major < 11:
        assert "dm_db_log_space_usage" not in result["remediation"]


# 14. dm_hadr_availability_group_states.primary_replica is NULL on a secondary.
def test_14_a_secondary_that_cannot_see_the_primary_does_not_name_it():
    rows = [{"ag_name": "AG1", "automated_backup_preference_desc": "SECONDARY_ONLY", "primary_replica": None,
             "replica_server_name": name, "backup_priority": 50, "is_local": local, "role_desc": role}
            for name, local, role in (("NODE1", None, None), ("NODE2", None, None), ("NODE3", 1, "SECONDARY"))]
    states = {11: {"role_desc": "SECONDARY", "synchronization_health_desc": "HEALTHY", "is_suspended": 0}}
    result = one(ha.judge_availability_groups([db("AgDb", 11, replica_id="r3")], {11: {
        "ag_name": "AG1", "is_preferred_replica": 0}}, rows, states, ["full", "log"], LABEL))
    assert result["status"] == "warning"
    assert result["details"]["primary_replica"] is None
    assert "primary replica is not visible from this secondary" in result["message"]
    assert "run on NODE1, NODE2" not in result["message"]


# 16. sys.dm_database_encryption_keys has no encryptor_type before 2012: the thumbprint tells.
def test_16_an_ekm_key_on_2008_is_found_among_the_asymmetric_keys():
    thumb = b"\x01" * 20
    keys = {5: {"database_id": 5, "encryption_state": 3, "encryptor_thumbprint": thumb}}
    result = one(restore.judge_tde([db("Sales", 5, is_encrypted=True)], keys, [], LABEL,
                                   asymmetric_keys=[{"name": "EkmKey", "thumbprint": thumb}]))
    assert result["status"] == "warning" and "asymmetric key" in result["message"]
    missing = one(restore.judge_tde([db("Sales", 5, is_encrypted=True)], keys, [], LABEL, asymmetric_keys=[]))
    assert missing["status"] == "failed"


def test_16_2008_reads_the_asymmetric_keys_and_no_encryptor_type(monkeypatch):
    version = VERSIONS["2008 R2"]
    results, fake = run_all(monkeypatch, version, troubled(version), checks=["tde_certificate"])
    sent = " ".join(sql for sql, _p in fake.statements)
    assert "master.sys.asymmetric_keys" in sent and "encryptor_type" not in sent
    ekm = one([r for r in by_check(results, "sqlserver.tde_certificate") if r["target"] == LABEL + "/Ekm"])
    assert ekm["status"] == "warning" and "asymmetric key" in ekm["message"]


# 17. RESTORE HEADERONLY, FILELISTONLY, VERIFYONLY and LABELONLY read a backup, they do not restore.
@pytest.mark.parametrize("command, conflicts", [("RESTORE HEADERONLY", False), ("RESTORE FILELISTONLY", False),
                                                ("RESTORE VERIFYONLY", False), ("RESTORE LABELONLY", False),
                                                ("RESTORE DATABASE", True), ("RESTORE LOG", True),
                                                ("BACKUP DATABASE", True)])
def test_17_only_real_backups_and_restores_conflict(command, conflicts):
    found = chain.judge_conflicting_operations([db("Sales", 5)], [{"session_id": 60, "database_id": 5,
                                                                   "command": command}], LABEL)
    assert bool(found) is conflicts


# 18. An OFFLINE database has no database_guid; partial backups (type P) move the base too.
def test_18_backups_of_an_offline_database_and_partial_backups_are_seen():
    offline = chain.judge_foreign_backups(
        [db("Offline", 7, state="OFFLINE")], [{"database_guid": "G7", "database_name": "Offline", "backup_type": "L",
                                               "user_name": "old", "backup_count": 2}], {7: None}, [],
        ["full", "log"], 168, LABEL)
    assert one(offline)["status"] == "failed" and "2 log backups" in one(offline)["message"]
    partial = chain.judge_foreign_backups(
        [db("Sales", 5)], [{"database_guid": "G5", "database_name": "Sales", "backup_type": "P", "user_name": "old",
                            "backup_count": 1}], {5: "G5"}, [], ["full", "differential"], 168, LABEL)
    assert one(partial)["status"] == "failed" and "partial" in one(partial)["message"]
    assert "'P'" in chain.HISTORY_SQL
