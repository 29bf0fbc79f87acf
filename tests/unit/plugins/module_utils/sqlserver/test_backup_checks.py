"""The SQL Server check items behind Azure Backup's error codes (seed 004), judged on plain rows:
names with quotes and brackets, NULLs, BULK-LOGGED in msdb, an availability group where this replica
is not preferred, a file list of exactly the limit; the version paths, the option validation, and one
gathering pass over a fake connection."""

import json
import socket

import pytest

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import registry
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import runner
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import access
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import backup_chain as chain
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import common
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import connection as sqlserver_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import engine as sqlserver_engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import ha
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import restore
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import gathering as sqlserver_gathering
from ansible_collections.cloudbackup.precheck.tests.support.results import one
from ansible_collections.cloudbackup.precheck.tests.support.sqlserver_rows import db, params
from tds_server import TdsServer

LABEL = "sql01:1433"
ALL = ["full", "differential", "log"]
ODD = "it's [odd]"
ODD_Q = "[it's [odd]]]"


# -- sysadmin -----------------------------------------------------------------------------------

def test_sysadmin_member_passes_and_non_member_fails_with_the_statement_for_the_version():
    assert one(access.judge_sysadmin(1, "bk", LABEL, 15))["status"] == "passed"
    failed = one(access.judge_sysadmin(0, "DOM\\bk]x", LABEL, 15))
    assert failed["status"] == "failed" and "UserErrorSQLNoSysadminMembership" in failed["message"]
    assert "'DOM\\bk]x' is not a member of the sysadmin server role on sql01:1433" in failed["message"]
    assert failed["remediation"].startswith("ALTER SERVER ROLE [sysadmin] ADD MEMBER [DOM\\bk]]x];")
    old = one(access.judge_sysadmin(0, "it's", LABEL, 10))
    assert old["remediation"].startswith("EXEC sp_addsrvrolemember @loginame = N'it''s', @rolename = N'sysadmin';")


def test_sysadmin_unknown_is_a_warning_never_passed():
    unknown = one(access.judge_sysadmin(None, "sql_backup", LABEL, 16, connected=False))
    assert unknown["status"] == "warning" and "IS_SRVROLEMEMBER returned NULL" in unknown["message"]
    assert unknown["details"]["source"] == "backup_login"
    service = one(access.judge_sysadmin(None, "NT SERVICE\\AzureWLBackupPluginSvc", LABEL, 16, connected=False))
    assert service["status"] == "warning" and "through a Windows group" in service["message"]
    assert "ALTER SERVER ROLE [sysadmin] ADD MEMBER [NT SERVICE\\AzureWLBackupPluginSvc];" in service["remediation"]


# -- conflicting operations ---------------------------------------------------------------------

def test_a_running_backup_log_fails_its_database_only():
    requests = [{"session_id": 71, "database_id": 6, "command": "BACKUP LOG      ", "login_name": "CORP\\svc",
                 "program_name": "Other Backup", "host_name": None, "start_time": None, "percent_complete": 42.0}]
    results = chain.judge_conflicting_operations([db("Sales", 5), db(ODD, 6)], requests, LABEL)
    result = one(results)
    assert result["status"] == "failed" and result["target"] == LABEL + "/" + ODD
    assert "Database %s on sql01:1433 has a BACKUP or RESTORE running now: BACKUP LOG (session 71, login " \
           "'CORP\\svc', program 'Other Backup', 42%% done)" % ODD_Q in result["message"]
    assert "OperationCancelledBecauseConflictingOperationRunningUserError" in result["message"]
    assert "WHERE session_id IN (71);" in result["remediation"]
    assert chain.judge_conflicting_operations([db("Sales", 5)], requests, LABEL) == []
    assert chain.judge_conflicting_operations([db("Sales", 5)], None, LABEL) == []


# -- backups by another product -----------------------------------------------------------------

def history(guid, kind="L", user="CORP\\legacy", nul=0, count=3, model="FULL", device="E:\\b\\x.trn", device_type=2):
    return {"DATABASE_GUID": guid, "database_name": "x", "backup_type": kind, "recovery_model": model,
            "user_name": user, "device_type": device_type, "to_nul": nul, "backup_count": count,
            "first_finish_date": None, "last_finish_date": "2024-06-01 02:00:00", "example_device": device,
            "software_name": "Microsoft SQL Server"}


def test_msdb_writes_bulk_logged_with_a_hyphen():
    row = chain.normalize_history(history("g", model="BULK-LOGGED"))
    assert row["recovery_model"] == "BULK_LOGGED" and row["database_guid"] == "G"
    assert chain.normalize_history(history("g", model=None))["recovery_model"] is None


def test_log_backups_by_another_product_fail_joined_on_database_guid():
    guids = {5: "aaaaaaaa-0000-0000-0000-000000000005", 6: "{BBBBBBBB-0000-0000-0000-000000000006}"}
    rows = [history("AAAAAAAA-0000-0000-0000-000000000005", count=42),
            history("cccccccc-0000-0000-0000-000000000099", count=7),     # an earlier database of the same name
            history("bbbbbbbb-0000-0000-0000-000000000006", user="NT SERVICE\\AzureWLBackupPluginSvc")]
    results = chain.judge_foreign_backups([db("Sales", 5), db(ODD, 6)], rows, guids, ["nt service\\azurewl*"], ALL, 168,
                                          LABEL)
    result = one(results)
    assert result["status"] == "failed" and result["target"] == LABEL + "/Sales"
    assert "42 log backups by another product or job (by 'CORP\\legacy', to E:\\b\\x.trn (disk)" in result["message"]
    assert "UserErrorSQLLSNValidationFailure" in result["message"] and "in the last 168 hours" in result["message"]
    assert "WHERE b.database_name = N'Sales'" in result["remediation"] and "COPY_ONLY" in result["remediation"]
    assert [b["backup_count"] for b in result["details"]["backups"]] == [42]


def test_backups_to_nul_always_fail_and_bulk_logged_is_reported():
    rows = [history("g6", nul=1, count=96, model="BULK-LOGGED", device="NUL")]
    result = one(chain.judge_foreign_backups([db(ODD, 6, model="BULK_LOGGED")], rows, {6: "G6"}, [], ["full"], 24,
                                             LABEL))
    assert result["status"] == "failed"
    assert "Database %s on sql01:1433 was backed up in the last 24 hours with 96 log backups to NUL" % ODD_Q \
        in result["message"]
    assert result["remediation"].startswith("Remove the BACKUP ... TO DISK = 'NUL' step")
    assert "WHERE b.database_name = N'it''s [odd]'" in result["remediation"]
    assert result["details"]["recovery_models"] == ["BULK_LOGGED"]
    assert "own_backup_users" in result["remediation"]


def test_full_backups_by_another_product_fail_with_differentials_planned_else_warn():
    rows = [history("g5", kind="D", count=1)]
    failed = one(chain.judge_foreign_backups([db("Sales", 5)], rows, {5: "g5"}, [], ALL, 168, LABEL))
    assert failed["status"] == "failed" and "1 full backup that is not COPY_ONLY" in failed["message"]
    assert "differential backups of the new backup agent depend on a full backup it does not hold" in failed["message"]
    warned = one(chain.judge_foreign_backups([db("Sales", 5)], rows, {5: "g5"}, [], ["full", "log"], 168, LABEL))
    assert warned["status"] == "warning"


def test_foreign_backups_match_on_guid_else_on_name_and_a_null_user_is_foreign():
    rows = [history("g5", user=None)]
    assert chain.judge_foreign_backups([db("Sales", 5)], rows, {5: None}, [], ALL, 168, LABEL) == []  # another name
    result = one(chain.judge_foreign_backups([db("Sales", 5)], rows, {5: "G5"}, ["*"], ALL, 168, LABEL))
    assert "by an unknown user" in result["message"]


def test_the_history_statement_reads_only_non_copy_only_full_and_log_backups_with_a_bound_window():
    sql = " ".join(chain.HISTORY_SQL.split())
    assert "bs.type IN ('D', 'L', 'P') AND ISNULL(bs.is_copy_only, 0) = 0" in sql
    assert "DATEADD(hour, -CAST(? AS int), GETDATE())" in sql and sql.count("?") == 1
    assert "N'\\\\.\\NUL'" in sql and "N'NUL:'" in sql


# -- full backup base ---------------------------------------------------------------------------

def files(database_id, base=12345, log_growth=10, size=100, max_size=-1, names=("data", "log"), paths=None):
    paths = paths or ("D:\\%s.mdf" % names[0], "L:\\%s.ldf" % names[1])
    return [{"database_id": database_id, "file_id": 1, "type_desc": "ROWS", "logical_name": names[0],
             "physical_name": paths[0], "differential_base_lsn": base},
            {"database_id": database_id, "file_id": 2, "type_desc": "LOG", "logical_name": names[1],
             "physical_name": paths[1], "growth": log_growth, "size_pages": size, "max_size_pages": max_size,
             "differential_base_lsn": None}]


def test_a_full_database_never_backed_up_fails_for_log_and_differential_backups():
    result = one(chain.judge_full_backup_base([db(ODD, 8)], {8: {"last_log_backup_lsn": None}},
                                              {8: files(8, base=None)}, ALL, LABEL))
    assert result["status"] == "failed" and "UserErrorParentFullBackupMissing" in result["message"]
    assert "last_log_backup_lsn is NULL" in result["message"] and "no data file has a differential_base_lsn" \
        in result["message"]
    assert "Take a full backup of %s" % ODD_Q in result["remediation"]
    assert "BACKUP DATABASE %s TO DISK" % ODD_Q in result["remediation"]


def test_full_backup_base_by_plan_model_and_visibility():
    recovery = {5: {"last_log_backup_lsn": 987}}
    assert one(chain.judge_full_backup_base([db("Sales")], recovery, {5: files(5)}, ALL, LABEL))["status"] == "passed"
    # Only the log chain is missing, and only log backups are planned.
    broken = one(chain.judge_full_backup_base([db("Sales")], {5: {"last_log_backup_lsn": None}}, {5: files(5)},
                                              ["full", "log"], LABEL))
    assert broken["status"] == "failed" and "differential" not in broken["message"]
    # SIMPLE has no log chain to judge; with only full and log planned nothing is to be checked.
    simple = one(chain.judge_full_backup_base([db("Sales", model="SIMPLE")], {5: {"last_log_backup_lsn": None}},
                                              {5: files(5)}, ["full", "log"], LABEL))
    assert simple["status"] == "passed" and "no log or differential backup" in simple["message"]
    assert one(chain.judge_full_backup_base([db("master", 1)], {}, {}, ALL, LABEL))["status"] == "skipped"
    assert one(chain.judge_full_backup_base([db("Gone", state="OFFLINE")], {}, {}, ALL, LABEL))["status"] == "skipped"
    unknown = one(chain.judge_full_backup_base([db("Sales")], {}, None, ALL, LABEL, can_see_files=False, login="bk"))
    assert unknown["status"] == "warning" and "needs VIEW ANY DEFINITION" in unknown["message"]
    assert "GRANT VIEW ANY DEFINITION TO [bk];" in unknown["remediation"]


# -- log space ----------------------------------------------------------------------------------

def usage(database_id, used, size=1000.0):
    return {database_id: {"size_mb": size, "used_mb": used, "source": "test"}}


@pytest.mark.parametrize("used, growth, max_size, status", [
    (950, 0, -1, "failed"),          # 95% and no autogrowth
    (900, 10, 100, "failed"),        # exactly the fail threshold and at max_size
    (950, 10, -1, "warning"),        # 95% but it can grow
    (950, 10, 268435456, "warning"),
    (800, 0, -1, "warning"),         # between warn and fail
    (750, 0, -1, "warning"),         # exactly the warn threshold
    (749, 0, -1, "passed"),
])
def test_log_space_thresholds_and_growth(used, growth, max_size, status):
    result = one(chain.judge_log_space([db("Sales", log_reuse_wait_desc="LOG_BACKUP")], usage(5, used),
                                       {5: files(5, log_growth=growth, max_size=max_size)}, 75, 90, LABEL))
    assert result["status"] == status, result
    assert result["details"]["log_used_percent"] == round(used / 10.0, 1)
    if status != "passed":
        assert "Log reuse waits on LOG_BACKUP" in result["message"]
        assert "BACKUP LOG [Sales] TO DISK" in result["remediation"]


def test_a_full_log_that_cannot_grow_names_the_file_to_grow():
    rows = files(6, log_growth=0, names=("odd", "it's log"))
    result = one(chain.judge_log_space([db(ODD, 6, log_reuse_wait_desc="ACTIVE_TRANSACTION")], usage(6, 990), {6: rows},
                                       75, 90, LABEL))
    assert result["status"] == "failed" and "99.0% full (990 of 1000 MB) and cannot grow" in result["message"]
    assert "UserErrorBackupFailedAsTransactionLogIsFull" in result["message"]
    assert "DBCC OPENTRAN (%s);" % ODD_Q in result["remediation"]
    assert "ALTER DATABASE %s MODIFY FILE (NAME = N'it''s log', FILEGROWTH = 512MB" % ODD_Q in result["remediation"]


def test_log_space_nulls_growth_unknown_and_secondaries_are_never_passed():
    null = one(chain.judge_log_space([db("Sales")], {5: {"size_mb": None, "used_mb": None}}, {}, 75, 90, LABEL))
    assert null["status"] == "warning" and "not reported" in null["message"]
    secondary = one(chain.judge_log_space([db("Ag", replica_id="r1")], {5: {"size_mb": None, "used_mb": None}}, {}, 75,
                                          90, LABEL))
    assert secondary["status"] == "skipped" and "availability group secondary" in secondary["message"]
    unknown = one(chain.judge_log_space([db("Sales")], usage(5, 950), None, 75, 90, LABEL))
    assert unknown["status"] == "warning" and "whether it can grow is unknown" in unknown["message"]
    assert one(chain.judge_log_space([db("Snap", source_database_id=1)], {}, {}, 75, 90, LABEL))["status"] == "skipped"


@pytest.mark.parametrize("version, stats", [
    ("13.0.5026.0", True), ("13.0.4001.0", False), ("14.0.1000.169", True), ("16.0.4135.4", True),
    ("12.0.6024.0", False), ("10.50.6000.34", False), (None, False),
])
def test_sys_dm_db_log_stats_from_2016_sp2(version, stats):
    assert chain.has_log_stats(sqlserver_gathering.parse_server({"product_version": version})) is stats


# -- mirroring ----------------------------------------------------------------------------------

def test_mirrored_databases_fail_with_set_partner_off():
    mirrored = {6: {"mirroring_role_desc": "PRINCIPAL", "mirroring_state_desc": "SYNCHRONIZED",
                    "mirroring_partner_instance": "SQLNODE4"}}
    result = one(ha.judge_mirroring([db("Sales", 5), db(ODD, 6)], mirrored, LABEL, 1))
    assert result["status"] == "failed" and "as PRINCIPAL (partner SQLNODE4, SYNCHRONIZED)" in result["message"]
    assert "UserErrorOperationNotAllowedDatabaseMirroringEnabled" in result["message"]
    assert "ALTER DATABASE %s SET PARTNER OFF;" % ODD_Q in result["remediation"]
    mirror = one(ha.judge_mirroring([db("M", 7, state="RESTORING")], {7: {"mirroring_role_desc": "MIRROR",
                                                                          "mirroring_partner_instance": None}},
                                    LABEL, 1))
    assert "as MIRROR (partner ?, state unknown)" in mirror["message"] and "on the principal ?" in mirror["remediation"]


def test_a_restoring_database_a_non_sysadmin_cannot_see_warns():
    assert one(ha.judge_mirroring([db("M", 7, state="RESTORING")], {}, LABEL, 0))["status"] == "warning"
    assert ha.judge_mirroring([db("M", 7, state="RESTORING")], {}, LABEL, 1) == []


# -- availability groups ------------------------------------------------------------------------

def replica(name, priority=50, local=None, role=None, connected=None, preference="SECONDARY", primary="NODE1",
            basic=False, ag="AG]1"):
    return {"ag_name": ag, "automated_backup_preference_desc": preference, "primary_replica": primary,
            "replica_server_name": name, "backup_priority": priority, "is_local": local, "role_desc": role,
            "connected_state_desc": connected, "synchronization_health_desc": None, "basic_features": basic}


def ag_judge(role="SECONDARY", preferred=0, replicas=None, planned=("full", "log"), state=None):
    replicas = replicas or [replica("NODE1"), replica("NODE2", 60), replica("NODE3", 40, local=True, role=role)]
    states = {11: state or {"role_desc": role, "synchronization_state_desc": "SYNCHRONIZED",
                            "synchronization_health_desc": "HEALTHY", "is_suspended": False}}
    members = {11: {"ag_name": "AG]1", "is_preferred_replica": preferred}}
    return one(ha.judge_availability_groups([db(ODD, 11, replica_id="r3")], members, replicas, states, list(planned),
                                            LABEL))


def test_a_replica_that_is_not_preferred_warns_naming_where_backups_run():
    result = ag_judge()
    assert result["status"] == "warning", result
    assert "Database %s on sql01:1433 (availability group [AG]]1], this replica SECONDARY)" % ODD_Q in result["message"]
    assert "this replica is not the preferred backup replica (preference SECONDARY (prefer a secondary)): log and " \
           "copy-only backups run on NODE2, NODE3" in result["message"]
    assert "FabricSvcBackupPreferenceCheckFailedUserError" in result["message"]
    assert "ALTER AVAILABILITY GROUP [AG]]1] MODIFY REPLICA ON N'NODE3' WITH (BACKUP_PRIORITY = 61);" in result["remediation"]
    assert result["details"]["preferred_replicas"] == ["NODE2", "NODE3"]


def test_the_preferred_healthy_replica_passes_and_differentials_on_a_secondary_fail():
    assert ag_judge(preferred=1)["status"] == "passed"
    diff = ag_judge(preferred=1, planned=ALL)
    assert diff["status"] == "failed" and "differential backups (and the full backups they are based on) run on the " \
                                          "primary replica NODE1" in diff["message"]
    assert ag_judge(role="PRIMARY", preferred=1, planned=ALL)["status"] == "passed"


def test_suspended_data_movement_and_unmeetable_preferences_fail():
    suspended = ag_judge(preferred=1, state={"role_desc": "SECONDARY", "synchronization_state_desc": "NOT_SYNCHRONIZING",
                                             "synchronization_health_desc": "NOT_HEALTHY", "is_suspended": True,
                                             "suspend_reason_desc": "SUSPEND_FROM_USER"})
    assert suspended["status"] == "failed" and "SUSPENDED (SUSPEND_FROM_USER)" in suspended["message"]
    assert "ALTER DATABASE %s SET HADR RESUME;" % ODD_Q in suspended["remediation"]
    zero = ag_judge(preferred=0, replicas=[replica("NODE1", 0), replica("NODE3", 0, local=True, role="SECONDARY")])
    assert zero["status"] == "failed" and "every replica of [AG]]1] is 0" in zero["message"]
    assert "MODIFY REPLICA ON N'NODE3' WITH (BACKUP_PRIORITY = 50);" in zero["remediation"]
    lonely = ag_judge(role="PRIMARY", preferred=0, replicas=[
        replica("NODE1", local=True, role="PRIMARY", connected="CONNECTED", preference="SECONDARY_ONLY"),
        replica("NODE2", connected="DISCONNECTED", preference="SECONDARY_ONLY")])
    assert lonely["status"] == "failed" and "SECONDARY_ONLY but no secondary replica" in lonely["message"]
    assert "replica NODE2 of [AG]]1] is not connected" in lonely["message"]
    basic = ag_judge(preferred=1, replicas=[replica("NODE1", basic=True), replica("NODE3", local=True, basic=True)])
    assert basic["status"] == "failed" and "Basic availability group" in basic["message"]


def test_preferred_replicas_by_preference():
    rows = [replica("NODE1", 10), replica("NODE2", 60), replica("NODE3", 0)]
    assert [r["replica_server_name"] for r in ha.preferred_replicas(rows, "PRIMARY", "NODE1")] == ["NODE1"]
    assert [r["replica_server_name"] for r in ha.preferred_replicas(rows, "SECONDARY_ONLY", "NODE1")] == ["NODE2"]
    assert [r["replica_server_name"] for r in ha.preferred_replicas(rows, "NONE", "NODE1")] == ["NODE2", "NODE1"]
    assert [r["replica_server_name"] for r in ha.preferred_replicas(rows[:1], "SECONDARY", "NODE1")] == ["NODE1"]


def test_databases_outside_availability_groups_are_not_judged():
    assert ha.judge_availability_groups([db("Sales")], {}, [], {}, ALL, LABEL) == []


# -- TDE ----------------------------------------------------------------------------------------

THUMB = bytes(bytearray(range(1, 21)))
THUMB_HEX = "0102030405060708090A0B0C0D0E0F1011121314"


def cert(name="TDE]Cert", backed_up="2024-01-01 00:00:00", key="ENCRYPTED_BY_MASTER_KEY", thumbprint=THUMB):
    return {"name": name, "thumbprint": thumbprint, "pvt_key_last_backup_date": backed_up,
            "pvt_key_encryption_type_desc": key}


def tde(state=3, encryptor="CERTIFICATE", certificates=None, **options):
    keys = {12: {"database_id": 12, "encryption_state": state, "encryptor_thumbprint": THUMB,
                 "encryptor_type": encryptor, "percent_complete": 37.5}}
    return restore.judge_tde([db(ODD, 12, is_encrypted=True)], keys, [cert()] if certificates is None else certificates,
                             LABEL, **options)


def test_a_certificate_never_backed_up_fails_with_backup_certificate():
    result = one(tde(certificates=[cert(backed_up=None)]))
    assert result["status"] == "failed" and "whose private key was never backed up" in result["message"]
    assert "certificate [TDE]]Cert] (thumbprint 0x%s)" % THUMB_HEX in result["message"]
    assert result["remediation"].startswith("USE [master]; BACKUP CERTIFICATE [TDE]]Cert] TO FILE = "
                                            "N'<secure path>\\TDE_Cert.cer' WITH PRIVATE KEY (FILE = ")
    assert one(tde())["status"] == "passed"


@pytest.mark.parametrize("state", [2, 4, 5, 6])
def test_transitional_encryption_states_fail(state):
    result = one(tde(state=state, major=15))
    assert result["status"] == "failed" and restore.ENCRYPTION_STATES[state] in result["message"]
    assert "(38% done)" in result["message"] and "SET ENCRYPTION RESUME" in result["remediation"]
    assert "SET ENCRYPTION RESUME" not in one(tde(state=state, major=14))["remediation"]  # 2019 and later


def test_missing_certificate_asymmetric_key_and_visibility():
    missing = one(tde(certificates=[]))
    assert missing["status"] == "failed" and "that is not in master" in missing["message"]
    hidden = one(tde(certificates=[], can_see_certificates=False, login="bk"))
    assert (hidden["status"], hidden["cause"]) == ("error", "permission")
    assert hidden["remediation"] == "GRANT VIEW ANY DEFINITION TO [bk];"
    assert one(tde(encryptor="ASYMMETRIC KEY"))["status"] == "warning"
    assert one(tde(backup_date_known=False))["status"] == "warning"
    assert restore.judge_tde([db("Plain", 5)], {5: {"encryption_state": 1}}, [], LABEL) == []
    assert restore.judge_tde([db("Plain", 5)], {}, [], LABEL) == []
    marked = one(restore.judge_tde([db("Odd", 5, is_encrypted=True)], {}, [], LABEL))
    assert marked["status"] == "warning"


def test_source_certificates_on_a_restore_target():
    rows = [cert(), cert("NoKey", thumbprint="AA" * 20, key="NO_PRIVATE_KEY")]
    results = restore.judge_source_certificates(["0x" + THUMB_HEX.lower(), "aa:" * 19 + "aa", "BB" * 20], rows, LABEL)
    assert [r["status"] for r in results] == ["passed", "failed", "failed"]
    assert results[0]["target"] == "sql01:1433 certificate 0x" + THUMB_HEX
    assert "without its private key" in results[1]["message"]
    assert "UserErrorCannotFindServerCertificateWithThumbprint" in results[2]["message"]
    assert "CREATE CERTIFICATE [<name>] FROM FILE" in results[2]["remediation"]
    hidden = restore.judge_source_certificates(["BB" * 20], [], LABEL, can_see_certificates=False)
    assert one(hidden)["cause"] == "permission"


@pytest.mark.parametrize("value, normalized", [
    ("0x" + THUMB_HEX, THUMB_HEX), (THUMB_HEX.lower(), THUMB_HEX),
    (" 01 02 03 04 05 06 07 08 09 0a 0b 0c 0d 0e 0f 10 11 12 13 14 ", THUMB_HEX),
    (THUMB, THUMB_HEX), ("0x12", None), ("zz" * 20, None), (None, None),
])
def test_normalize_thumbprint(value, normalized):
    assert common.normalize_thumbprint(value) == normalized


# -- the restore file list ----------------------------------------------------------------------

def test_the_file_list_json_is_the_documented_format():
    rows = [{"file_id": 2, "type_desc": "LOG", "logical_name": "TestDB12_log", "physical_name": "F:\\Log\\TestDB12_log.ldf"},
            {"file_id": 1, "type_desc": "ROWS", "logical_name": "TestDB12", "physical_name": "F:\\Data\\TestDB12.mdf"}]
    # The example of seed 004 (without its stray closing brace).
    assert restore.file_list_json(rows) == ('[{"path":"F:\\\\Data\\\\TestDB12.mdf","logicalName":"TestDB12",'
                                            '"isDir":false},{"path":"F:\\\\Log\\\\TestDB12_log.ldf",'
                                            '"logicalName":"TestDB12_log","isDir":false}]')
    stream = [{"file_id": 3, "type_desc": "FILESTREAM", "logical_name": "fs", "physical_name": "F:\\fs"}]
    assert json.loads(restore.file_list_json(stream)) == [{"path": "F:\\fs", "logicalName": "fs", "isDir": True}]
    assert restore.file_list_bytes([{"file_id": 1, "logical_name": "é", "physical_name": "\""}]) == len(
        '[{"path":"\\"","logicalName":"é","isDir":false}]'.encode("utf-8"))


def rows_of_size(target_bytes):
    """File rows whose JSON is exactly target_bytes long."""
    base = [{"file_id": 1, "type_desc": "ROWS", "logical_name": "d", "physical_name": ""}]
    padding = target_bytes - restore.file_list_bytes(base)
    base[0]["physical_name"] = "x" * padding
    assert restore.file_list_bytes(base) == target_bytes
    return base


@pytest.mark.parametrize("size, status, fragment", [
    (20000, "warning", "close to Azure Backup's limit of 20000 bytes"),   # exactly the limit is not over it
    (20001, "warning", "over Azure Backup's limit of 20000 bytes"),
    (18000, "warning", "close to"),                                        # 90% of the limit
    (17999, "passed", "within"),
])
def test_file_list_limit_and_margin(size, status, fragment):
    result = one(restore.judge_file_path_length([db(ODD, 13)], {13: rows_of_size(size)}, 20000, 90, LABEL))
    assert result["status"] == status and fragment in result["message"], result
    assert "is %d bytes (1 file" % size in result["message"] and result["details"]["bytes"] == size
    if status == "warning":
        override = "C:\\Program Files\\Azure Workload Backup\\bin\\plugins\\SQL*\\%s.json" % ODD
        assert override in result["remediation"] and result["details"]["override_file"] == override
        assert "DB_ID(N'it''s [odd]')" in result["remediation"]
    if size > 20000:
        assert "unless the override file" in result["message"]


def test_files_not_visible_are_an_error_and_snapshots_are_skipped():
    hidden = one(restore.judge_file_path_length([db("Sales")], {}, 20000, 90, LABEL, can_see_files=False, login="bk"))
    assert (hidden["status"], hidden["cause"]) == ("error", "permission")
    assert one(restore.judge_file_path_length([db("Sales")], {}, 20000, 90, LABEL))["status"] == "warning"
    snapshot = one(restore.judge_file_path_length([db("S", source_database_id=5)], {}, 20000, 90, LABEL))
    assert snapshot["status"] == "skipped"


# -- configured databases and restore targets ---------------------------------------------------

DATABASES = [db("master", 1), db("Sales", 5), db(ODD, 6, state="OFFLINE")]


def test_database_exists():
    results = restore.judge_database_exists(["Sales", "sales", ODD, "Gone"], DATABASES, LABEL)
    assert [r["status"] for r in results] == ["passed", "passed", "passed", "failed"]
    assert "as [Sales] (the names differ in case only)" in results[1]["message"]
    assert "(state OFFLINE)" in results[2]["message"]
    assert "Database [Gone] does not exist on sql01:1433" in results[3]["message"]
    assert "UserErrorSQLPODoesNotExist" in results[3]["message"]
    hidden = one(restore.judge_database_exists(["Gone"], DATABASES, LABEL, can_see_all=False, login="bk"))
    assert (hidden["status"], hidden["cause"]) == ("error", "permission")


def test_restore_target():
    results = restore.judge_restore_target(["SALES", "NewDb"], DATABASES, False, LABEL)
    assert [r["status"] for r in results] == ["failed", "passed"]
    assert "Database [Sales] already exists on the restore target sql01:1433" in results[0]["message"]
    assert "UserErrorCannotRestoreExistingDBWithoutForceOverwrite" in results[0]["message"]
    assert "ALTER DATABASE [Sales] MODIFY NAME = [Sales_old];" in results[0]["remediation"]
    odd = one(restore.judge_restore_target([ODD], DATABASES, False, LABEL))
    assert "MODIFY NAME = [it's [odd]]_old];" in odd["remediation"]
    assert one(restore.judge_restore_target(["Sales"], DATABASES, True, LABEL))["status"] == "passed"
    assert one(restore.judge_restore_target(["X"], DATABASES, False, LABEL, can_see_all=False))["cause"] == "permission"


# -- the instances of a host --------------------------------------------------------------------

def test_a_faulty_instance_fails_with_the_whitelist_workaround():
    probes = [{"label": "sql01:1433", "name": None, "ok": True, "self": True, "login_port": None},
              {"label": "reporting (sql01\\REPORTING)", "name": "reporting", "instance_name": "REPORTING", "ok": False,
               "reason": "browser_silent", "detail": "no answer on UDP 1434"},
              {"label": "sql01:14330", "name": "staging", "login_port": 14330, "ok": False, "reason": "refused"}]
    ok, reporting, staging = restore.judge_instances(probes, "sql01")
    assert ok["status"] == "passed" and reporting["status"] == staging["status"] == "failed"
    assert "SQL Server instance reporting (sql01\\REPORTING) on host sql01 is not reachable (browser_silent" \
        in reporting["message"]
    assert "\"whitelistedInstancesForInquiry\": \"REPORTING,staging\"" in reporting["remediation"]
    assert "ExtensionSettingsOverrides.json" in reporting["remediation"]
    assert restore.instance_inquiry_name({"login_port": 1433}) == "MSSQLSERVER"


def test_probe_instance_answers_refuses_and_times_out():
    with TdsServer({"server": {"version": "15.0.4298.1"}}) as up, TdsServer({"behaviour": {"mode": "silent"}}) as mute:
        closed = socket.socket()
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
        closed.close()
        entries = [{"login_host": "127.0.0.1", "login_port": up.port, "self": True},
                   {"name": "mute", "login_host": "127.0.0.1", "login_port": mute.port},
                   {"name": "closed", "login_host": "127.0.0.1", "login_port": port}]
        results = [restore.probe_instance(entry, 1.0) for entry in entries]
    assert results[0]["ok"] and results[0]["server_version"].startswith("15.0") and results[0]["self"]
    assert (results[1]["ok"], results[1]["reason"]) == (False, "timeout")
    assert (results[2]["ok"], results[2]["reason"]) == (False, "refused")
    assert up.records == [] and up.logins == []  # a pre-login, no login, no statement


# -- options ------------------------------------------------------------------------------------

@pytest.mark.parametrize("changes, problem", [
    ({"log_space_warn_percent": 0}, "log_space_warn_percent: must be a percentage from 1 to 100"),
    ({"log_space_fail_percent": 101}, "log_space_fail_percent: must be a percentage from 1 to 100"),
    ({"log_space_warn_percent": 95}, "log_space_warn_percent (95) must not be above log_space_fail_percent (90)"),
    ({"file_list_warn_percent": 0}, "file_list_warn_percent"),
    ({"foreign_backup_window_hours": 0}, "foreign_backup_window_hours: must be a number of hours"),
    ({"file_list_limit_bytes": 0}, "file_list_limit_bytes: must be a positive number"),
    ({"databases": [" "]}, "databases: empty name"),
    ({"backup_login": " "}, "backup_login: must not be empty"),
    ({"restore_databases": ["Sales"]}, "restore_databases: set restore_target: true too"),
    ({"source_certificate_thumbprints": ["0x1234"]}, "is not a SHA-1 thumbprint"),
    ({"peer_instances": [{"login_host": "sql01", "login_port": 70000}]},
     "peer_instances[0].login_port: 70000 is out of range"),
    ({"peer_instances": [{"login_host": "sql01\\X", "login_port": None}]}, "peer_instances[0].login_host"),
])
def test_validate_names_the_option(changes, problem):
    problems = sqlserver_engine.validate(params(**changes))
    assert any(problem in p for p in problems), problems


def test_validate_accepts_the_defaults_and_good_values():
    assert sqlserver_engine.validate(params()) == []
    assert sqlserver_engine.validate(params(restore_target=True, restore_databases=["Sales"],
                                            source_certificate_thumbprints=["0x" + THUMB_HEX],
                                            peer_instances=[{"login_host": "sql01", "instance_name": "REPORTING"}],
                                            log_space_warn_percent=90, log_space_fail_percent=90)) == []


# -- one gathering pass ------------------------------------------------------------------------

class FakeConnection:
    driver, family, driver_version, elapsed_ms = "FreeTDS", "freetds", "01.03.0017", 5

    def __init__(self, answers):
        self.answers = answers
        self.statements = []

    def query(self, sql, params=(), what=None):
        self.statements.append((sql, tuple(params)))
        for keyword, answer in self.answers:
            if keyword in sql:
                if isinstance(answer, Exception):
                    raise answer
                return [dict(row) for row in answer]
        raise AssertionError("unexpected statement: %s" % sql)

    def close(self):
        pass


def answers(version="15.0.4298.1", sysadmin=1, **overrides):
    server = {"product_version": version, "product_level": "RTM", "edition": "Enterprise Edition", "hadr_enabled": 1,
              "login_name": "bk"}
    base = [
        ("sys.dm_db_log_stats", [{"database_id": 5, "total_log_size_mb": 100.0, "active_log_size_mb": 95.0,
                                  "log_truncation_holdup_reason": "LOG_BACKUP"}]),
        ("dm_os_performance_counters", [{"database_name": "Sales   ", "log_size_kb": 102400, "log_used_kb": 97280}]),
        ("fn_hadr_backup_is_preferred_replica", [{"database_id": 6, "ag_name": "AG1", "is_preferred_replica": 0}]),
        ("dm_hadr_availability_group_states", [replica("NODE1", preference="PRIMARY", ag="AG1"),
                                               replica("NODE3", local=True, role="SECONDARY", preference="PRIMARY",
                                                       ag="AG1")]),
        ("dm_hadr_database_replica_states", [{"database_id": 6, "ag_name": "AG1", "role_desc": "SECONDARY",
                                              "synchronization_state_desc": "SYNCHRONIZED",
                                              "synchronization_health_desc": "HEALTHY", "is_suspended": 0}]),
        ("IS_SRVROLEMEMBER('sysadmin', ?)", [{"is_sysadmin": None}]),
        ("sys.dm_exec_requests", [{"session_id": 70, "database_id": 5, "command": "RESTORE DATABASE"}]),
        ("msdb.dbo.backupset", [history("G5", nul=1)]),
        ("sys.database_recovery_status", [{"database_id": 5, "database_guid": "g5", "last_log_backup_lsn": None},
                                          {"database_id": 6, "database_guid": "g6", "last_log_backup_lsn": 1}]),
        ("sys.master_files", files(5, base=None, log_growth=0) + files(6)),
        ("sys.database_mirroring", [{"database_id": 5, "mirroring_role_desc": "PRINCIPAL"}]),
        ("sys.dm_database_encryption_keys", [{"database_id": 5, "encryption_state": 3, "encryptor_thumbprint": THUMB}]),
        ("master.sys.certificates", [cert(backed_up=None)]),
        ("SERVERPROPERTY", [server]),
        ("HAS_PERMS_BY_NAME", [{"view_any_database": 1, "view_server_state": 1, "view_any_definition": 1,
                                "is_sysadmin": sysadmin}]),
        ("FROM sys.databases", [{"name": "master", "database_id": 1, "state_desc": "ONLINE",
                                 "recovery_model_desc": "SIMPLE"},
                                {"name": "Sales", "database_id": 5, "state_desc": "ONLINE",
                                 "recovery_model_desc": "FULL", "is_encrypted": 1},
                                {"name": "AgDb", "database_id": 6, "state_desc": "ONLINE",
                                 "recovery_model_desc": "FULL", "replica_id": "r"}]),
    ]
    return [(k, overrides.get(k, v)) for k, v in base]


def run_all(monkeypatch, table, **options):
    fake = FakeConnection(table)
    monkeypatch.setattr(sqlserver_conn, "connect", lambda settings: fake)
    ctx = sqlserver_engine.sqlserver_context(params(login_host="sql01", login_user="bk", login_password="Secret-1234", **options))
    selected, skipped = registry.select("sqlserver", ["all"])
    return runner.run_checks(selected, ctx, skipped), fake


def test_every_check_in_one_pass_reads_each_statement_once(monkeypatch):
    results, fake = run_all(monkeypatch, answers(), databases=["Sales", "Gone"], backup_login="svc")
    texts = [sql for sql, _params in fake.statements]
    assert len(texts) == len(set(texts)), texts
    assert all(sql.lstrip().upper().startswith("SELECT") for sql in texts)
    assert ("SELECT IS_SRVROLEMEMBER('sysadmin', ?) AS is_sysadmin", ("svc",)) in fake.statements
    assert [params for sql, params in fake.statements if "msdb" in sql] == [(168,)]
    assert not [sql for sql in texts if "dm_os_performance_counters" in sql]  # 2019: sys.dm_db_log_stats
    status = dict(((r["id"], r["target"]), r["status"]) for r in results)
    where = "sql01:1433"
    assert status[("sqlserver.sysadmin", where)] == "warning"                # backup_login unknown
    assert status[("sqlserver.conflicting_operation", where + "/Sales")] == "failed"
    assert status[("sqlserver.foreign_backups", where + "/Sales")] == "failed"
    assert status[("sqlserver.full_backup_base", where + "/Sales")] == "failed"
    assert status[("sqlserver.log_space", where + "/Sales")] == "failed"
    assert status[("sqlserver.mirroring", where + "/Sales")] == "failed"
    ag = [r for r in results if r["id"] == "sqlserver.availability_group"]
    assert [(r["target"], r["status"]) for r in ag] == [(where + "/AgDb", "failed")]  # differentials on a secondary
    assert "not the preferred backup replica (preference PRIMARY (back up on the primary)): log and copy-only " \
           "backups run on NODE1" in ag[0]["message"]
    assert status[("sqlserver.tde_certificate", where + "/Sales")] == "failed"
    assert status[("sqlserver.file_path_length", where + "/Sales")] == "passed"
    assert status[("sqlserver.database_exists", where + "/Gone")] == "failed"
    assert status[("sqlserver.restore_target", where)] == "skipped"
    assert not [r for r in results if r["status"] == "error"], [r for r in results if r["status"] == "error"]


def test_sql_server_2008_r2_uses_the_counters_skips_availability_groups_and_reads_no_2012_columns(monkeypatch):
    results, fake = run_all(monkeypatch, answers(version="10.50.6000.34", sysadmin=0))
    texts = [sql for sql, _params in fake.statements]
    assert [sql for sql in texts if "dm_os_performance_counters" in sql]
    assert not [sql for sql in texts if "dm_db_log_stats" in sql or "sys.dm_hadr" in sql or "sys.availability" in sql]
    assert not [sql for sql in texts if "encryptor_type" in sql]
    log = [r for r in results if r["id"] == "sqlserver.log_space" and r["target"].endswith("/Sales")][0]
    assert log["status"] == "failed" and log["details"]["source"] == "sys.dm_os_performance_counters"
    ag = [r for r in results if r["id"] == "sqlserver.availability_group"][0]
    assert ag["status"] == "skipped" and "Availability groups exist from SQL Server 2012" in ag["message"]
    admin = [r for r in results if r["id"] == "sqlserver.sysadmin"][0]
    assert admin["remediation"].startswith("EXEC sp_addsrvrolemember @loginame = N'bk'")


def test_permission_refusals_are_errors_naming_the_permission(monkeypatch):
    denied = PrecheckError("permission", "Not allowed to read log usage (sys.dm_db_log_stats) on sql01:1433: VIEW "
                                         "SERVER PERFORMANCE STATE permission was denied (300).",
                           details={"native_error": 300})
    msdb = PrecheckError("permission", "Not allowed to read the backup history in msdb: denied (229).", details={})
    table = answers(version="16.0.4135.4", **{"sys.dm_db_log_stats": denied, "msdb.dbo.backupset": msdb,
                                              "sys.dm_database_encryption_keys": denied})
    results, _fake = run_all(monkeypatch, table)
    by_id = dict((r["id"], r) for r in results if r["target"] == "sql01:1433")
    log = by_id["sqlserver.log_space"]
    assert (log["status"], log["cause"]) == ("error", "permission")
    assert "VIEW SERVER STATE (on SQL Server 2022 and later VIEW SERVER PERFORMANCE STATE is enough)" in log["message"]
    assert log["remediation"] == "GRANT VIEW SERVER STATE TO [bk];"
    assert by_id["sqlserver.foreign_backups"]["cause"] == "permission"
    assert "USE [msdb]; CREATE USER [bk] FOR LOGIN [bk];" in by_id["sqlserver.foreign_backups"]["remediation"]
    assert by_id["sqlserver.tde_certificate"]["cause"] == "permission"  # Sales is encrypted


def test_without_view_server_state_a_running_backup_is_unknown_not_passed(monkeypatch):
    table = answers(**{"HAS_PERMS_BY_NAME": [{"view_any_database": 1, "view_server_state": 0,
                                              "view_any_definition": 1, "is_sysadmin": 0}],
                       "sys.dm_exec_requests": []})
    results, _fake = run_all(monkeypatch, table)
    result = [r for r in results if r["id"] == "sqlserver.conflicting_operation"]
    assert [r["status"] for r in result] == ["warning"]
    assert "lacks VIEW SERVER STATE" in result[0]["message"] and result[0]["remediation"] == \
        "GRANT VIEW SERVER STATE TO [bk];"
