"""Oracle check items judged on plain rows, the classification of driver errors, option validation,
and the gathering layer over a fake connection (no driver needed: nothing here imports oracledb or
the stand-in)."""

import copy
import time

import pytest

from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import checks as oc
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import connection as conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import registry
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import runner
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import engine as oracle_engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import gathering as oracle_gathering

LABEL = "ORCL"


def params(**changes):
    values = dict((k, copy.deepcopy(v.get("default"))) for k, v in oracle_engine.ENGINE.argument_spec.items())
    values.update(login_host="db01", service_name="ORCL", login_user="c##bkp", login_password="pw-unit-1")
    values.update(changes)
    return values


def instance(inst_id=1, name="ORCL", status="OPEN", database_status="ACTIVE", archiver="STARTED", logins="ALLOWED",
             parallel="NO", host="db01"):
    return dict(inst_id=inst_id, instance_number=inst_id, instance_name=name, host_name=host, version="19.0.0.0.0",
                status=status, database_status=database_status, archiver=archiver, logins=logins, parallel=parallel)


def database(inst_id=1, name="ORCL", log_mode="ARCHIVELOG", open_mode="READ WRITE", role="PRIMARY", force="NO",
             cdb="NO"):
    return dict(inst_id=inst_id, name=name, db_unique_name=name, log_mode=log_mode, open_mode=open_mode,
                database_role=role, force_logging=force, cdb=cdb)


RAC = [instance(1, "ORCL1", parallel="YES", host="db01"), instance(2, "ORCL2", parallel="YES", host="db02")]


# --- registry ------------------------------------------------------------------------------------

def test_every_item_is_registered_with_impact_and_references():
    ids = [check.id for check in registry.checks_for("oracle")]
    assert ids == ["oracle.connection", "oracle.instance_status", "oracle.database_status", "oracle.archive_mode",
                   "oracle.recovery_area", "oracle.force_logging", "oracle.block_change_tracking",
                   "oracle.rman_running", "oracle.backup_privilege"]
    refs = dict((check.id, check.references) for check in registry.checks_for("oracle"))
    assert refs["oracle.instance_status"] == ["HBR:ORACLE_INSTANCE_STATUS"]
    assert refs["oracle.database_status"] == ["HBR:ORACLE_DB_STATUS"]
    assert refs["oracle.archive_mode"] == ["HBR:ARCHIVELOG"]
    for check in registry.checks_for("oracle"):
        assert check.rule and check.permissions and check.versions, check.id


# --- instance status -----------------------------------------------------------------------------

def test_open_instance_passes():
    [result] = oc.judge_instances(LABEL, [instance()])
    assert result["status"] == "passed" and result["target"] == LABEL
    assert "Instance ORCL on db01 is OPEN" in result["message"]


@pytest.mark.parametrize("row, status, words, fix", [
    (instance(status="MOUNTED"), "warning", "MOUNTED", "ALTER DATABASE OPEN;"),
    (instance(status="STARTED"), "failed", "NOMOUNT", "ALTER DATABASE MOUNT; ALTER DATABASE OPEN;"),
    (instance(status="OPEN MIGRATE"), "warning", "UPGRADE", "dbupgrade"),
    (instance(database_status="SUSPENDED"), "warning", "SUSPENDED", "ALTER SYSTEM RESUME;"),
    (instance(archiver="FAILED"), "failed", "archiver FAILED", "v$archive_dest"),
    (instance(logins="RESTRICTED"), "warning", "restricted", "DISABLE RESTRICTED SESSION"),
])
def test_instance_findings(row, status, words, fix):
    [result] = oc.judge_instances(LABEL, [row])
    assert result["status"] == status
    assert words in result["message"] and "ORCL" in result["message"]
    assert fix in result["remediation"]


def test_worst_finding_wins_and_all_are_named():
    [result] = oc.judge_instances(LABEL, [instance(status="MOUNTED", archiver="FAILED")])
    assert result["status"] == "failed"
    assert "MOUNTED" in result["message"] and "FAILED" in result["message"]
    assert "ALTER DATABASE OPEN;" in result["remediation"] and "v$archive_dest" in result["remediation"]


def test_rac_reports_each_instance_by_name():
    results = oc.judge_instances(LABEL, [RAC[0], dict(RAC[1], status="MOUNTED")])
    assert [(r["target"], r["status"]) for r in results] == [("ORCL@ORCL1", "passed"), ("ORCL@ORCL2", "warning")]
    assert "srvctl start instance" in results[1]["remediation"] and "ORCL2" in results[1]["remediation"]


# --- database status -----------------------------------------------------------------------------

def test_read_write_primary_passes():
    [result] = oc.judge_database(LABEL, [database()], [instance()], [])
    assert result["status"] == "passed" and "READ WRITE" in result["message"]


@pytest.mark.parametrize("row, status, words", [
    (database(open_mode="MOUNTED"), "warning", "MOUNTED"),
    (database(open_mode="READ ONLY"), "warning", "READ ONLY"),
    (database(open_mode="READ ONLY WITH APPLY", role="PHYSICAL STANDBY"), "warning", "PHYSICAL STANDBY"),
    (database(open_mode="MOUNTED", role="FAR SYNC"), "failed", "FAR SYNC"),
])
def test_database_findings(row, status, words):
    [result] = oc.judge_database(LABEL, [row], [instance()], [])
    assert result["status"] == status and words in result["message"] and "ORCL" in result["message"]


def test_cdb_reports_every_pdb_but_the_seed():
    pdbs = [dict(inst_id=1, con_id=2, name="PDB$SEED", open_mode="READ ONLY", restricted="NO"),
            dict(inst_id=1, con_id=3, name="SALES", open_mode="READ WRITE", restricted="NO"),
            dict(inst_id=1, con_id=4, name="HR", open_mode="MOUNTED", restricted=None),
            dict(inst_id=1, con_id=5, name="FIN", open_mode="READ WRITE", restricted="YES")]
    results = oc.judge_database(LABEL, [database(cdb="YES")], [instance()], pdbs)
    by_target = dict((r["target"], r) for r in results)
    assert sorted(by_target) == ["ORCL", "ORCL/FIN", "ORCL/HR", "ORCL/SALES"]
    assert by_target["ORCL"]["details"]["pdbs"] == ["FIN", "HR", "SALES"]
    assert by_target["ORCL/SALES"]["status"] == "passed"
    assert by_target["ORCL/HR"]["status"] == "warning"
    assert 'ALTER PLUGGABLE DATABASE "HR" OPEN;' in by_target["ORCL/HR"]["remediation"]
    assert by_target["ORCL/FIN"]["status"] == "warning" and "RESTRICTED" in by_target["ORCL/FIN"]["message"]
    assert "pdb_plug_in_violations" in by_target["ORCL/FIN"]["remediation"]


def test_rac_pdb_closed_on_one_instance_names_it():
    pdbs = [dict(inst_id=1, con_id=3, name="SALES", open_mode="READ WRITE", restricted="NO"),
            dict(inst_id=2, con_id=3, name="SALES", open_mode="MOUNTED", restricted=None)]
    results = oc.judge_database(LABEL, [database(1, cdb="YES"), database(2, cdb="YES")], RAC, pdbs)
    sales = [r for r in results if r["target"] == "ORCL/SALES"][0]
    assert sales["status"] == "warning" and "instance ORCL2" in sales["message"]
    assert "INSTANCES=ALL" in sales["remediation"]
    assert sales["details"]["open_mode"] == {"ORCL1": "READ WRITE", "ORCL2": "MOUNTED"}


def test_rac_database_mounted_on_one_instance():
    [result] = oc.judge_database(LABEL, [database(1), database(2, open_mode="MOUNTED")], RAC, [])
    assert result["status"] == "warning" and "on instance ORCL2" in result["message"]


# --- archive mode --------------------------------------------------------------------------------

def test_archivelog_passes():
    [result] = oc.judge_archive_mode(LABEL, [database()], [instance()])
    assert result["status"] == "passed"


def test_noarchivelog_fails_with_the_sequence_and_downtime():
    [result] = oc.judge_archive_mode(LABEL, [database(log_mode="NOARCHIVELOG")], [instance(archiver="STOPPED")])
    assert result["status"] == "failed" and "RMAN-06149" in result["message"]
    fix = result["remediation"]
    assert "Downtime required" in fix
    assert "SHUTDOWN IMMEDIATE; STARTUP MOUNT; ALTER DATABASE ARCHIVELOG; ALTER DATABASE OPEN;" in fix


def test_noarchivelog_on_rac_uses_srvctl():
    [result] = oc.judge_archive_mode(LABEL, [database(1, log_mode="NOARCHIVELOG"),
                                             database(2, log_mode="NOARCHIVELOG")], RAC)
    assert "srvctl stop database -db ORCL" in result["remediation"]
    assert "ALTER DATABASE ARCHIVELOG;" in result["remediation"]


def test_manual_archiving_warns():
    [result] = oc.judge_archive_mode(LABEL, [database(log_mode="MANUAL")], [instance()])
    assert result["status"] == "warning"


# --- recovery area -------------------------------------------------------------------------------

GIB = 1024 ** 3


def fra(limit, used, reclaimable=0, name="+FRA"):
    return [dict(name=name, space_limit=limit * GIB, space_used=used * GIB, space_reclaimable=reclaimable * GIB,
                 number_of_files=10)]


@pytest.mark.parametrize("rows, status", [
    (fra(100, 69), "passed"),
    (fra(100, 70), "warning"),
    (fra(100, 89.9), "warning"),
    (fra(100, 90), "failed"),
    (fra(100, 95, 10), "warning"),      # reclaimable space does not count
    (fra(100, 100, 0), "failed"),
])
def test_recovery_area_thresholds(rows, status):
    [result] = oc.judge_recovery_area(LABEL, rows, 70.0, 90.0)
    assert result["status"] == status, result["message"]


def test_recovery_area_failure_names_the_size_to_set():
    [result] = oc.judge_recovery_area(LABEL, fra(100, 92), 70.0, 90.0)
    assert "+FRA" in result["message"] and "92.0%" in result["message"] and "ORA-19809" in result["message"]
    assert "db_recovery_file_dest_size = 145G" in result["remediation"]


def test_recovery_area_thresholds_are_options():
    [result] = oc.judge_recovery_area(LABEL, fra(100, 65), 60.0, 80.0)
    assert result["status"] == "warning" and "60%" in result["message"]


def test_no_recovery_area_is_skipped():
    [result] = oc.judge_recovery_area(LABEL, [dict(name=None, space_limit=0, space_used=0, space_reclaimable=0,
                                                   number_of_files=0)], 70.0, 90.0)
    assert result["status"] == "skipped"
    [result] = oc.judge_recovery_area(LABEL, [], 70.0, 90.0)
    assert result["status"] == "skipped"


# --- force logging -------------------------------------------------------------------------------

DATAFILES = [{"file#": 4, "name": "/u01/oradata/ORCL/users01.dbf", "unrecoverable_change#": 123456,
              "unrecoverable_time": "2025-04-30T22:15:00"},
             {"file#": 7, "name": "/u01/oradata/ORCL/stage01.dbf", "unrecoverable_change#": 123999,
              "unrecoverable_time": "2025-05-01T01:00:00"}]


def test_force_logging_yes_passes():
    [result] = oc.judge_force_logging(LABEL, [database(force="YES")], DATAFILES)
    assert result["status"] == "passed"


def test_no_force_logging_with_unrecoverable_files_warns():
    [result] = oc.judge_force_logging(LABEL, [database()], DATAFILES)
    assert result["status"] == "warning"
    assert "users01.dbf" in result["message"] and "2025-05-01T01:00:00" in result["message"]
    assert "ALTER DATABASE FORCE LOGGING;" in result["remediation"]
    assert "DATAFILE 4,7;" in result["remediation"]


def test_no_force_logging_without_unrecoverable_files_passes():
    [result] = oc.judge_force_logging(LABEL, [database()], [])
    assert result["status"] == "passed"


# --- block change tracking -----------------------------------------------------------------------

EE = [{"banner": "Oracle Database 19c Enterprise Edition Release 19.0.0.0.0 - Production"}]
SE2 = [{"banner": "Oracle Database 19c Standard Edition 2 Release 19.0.0.0.0 - Production"}]


def test_bct_enabled_passes():
    [result] = oc.judge_block_change_tracking(LABEL, [dict(status="ENABLED", filename="/x/bct.chg", bytes=1)], EE)
    assert result["status"] == "passed"


def test_bct_disabled_warns_on_enterprise_edition():
    [result] = oc.judge_block_change_tracking(LABEL, [dict(status="DISABLED", filename=None, bytes=None)], EE)
    assert result["status"] == "warning"
    assert "ALTER DATABASE ENABLE BLOCK CHANGE TRACKING;" in result["remediation"]


def test_bct_disabled_is_skipped_on_standard_edition():
    [result] = oc.judge_block_change_tracking(LABEL, [dict(status="DISABLED", filename=None, bytes=None)], SE2)
    assert result["status"] == "skipped" and "Standard Edition" in result["message"]


def test_bct_with_unknown_edition_warns():
    [result] = oc.judge_block_change_tracking(LABEL, [dict(status="DISABLED", filename=None, bytes=None)], [])
    assert result["status"] == "warning"


# --- RMAN running --------------------------------------------------------------------------------

def rman_row(inst_id, sid, recid, row_type="COMMAND", operation="BACKUP", level=1):
    return dict(inst_id=inst_id, sid=sid, recid=recid, stamp=1000 + recid, row_level=level, row_type=row_type,
                operation=operation, status="RUNNING", object_type="DB INCR", start_time="2025-05-01T10:00:00",
                mbytes_processed=12)


def rman_session(inst_id, sid):
    return dict(inst_id=inst_id, sid=sid, program="rman@db01 (TNS V1-V3)")


def test_no_running_rows_passes():
    [result] = oc.judge_rman(LABEL, [], [], [instance()])
    assert result["status"] == "passed"


def test_running_job_with_a_live_session_fails():
    rows = [rman_row(1, 55, 10, "SESSION", "RMAN", 0), rman_row(1, 55, 11)]
    [result] = oc.judge_rman(LABEL, rows, [rman_session(1, 55)], [instance()])
    assert result["status"] == "failed"
    assert "BACKUP (DB INCR)" in result["message"] and "session 55" in result["message"]
    assert result["details"]["running"][0]["operation"] == "BACKUP"


def test_stale_running_record_passes_with_a_note():
    [result] = oc.judge_rman(LABEL, [rman_row(1, 55, 11)], [], [instance()])
    assert result["status"] == "passed" and "stale" in result["message"]


def test_session_on_another_rac_instance_does_not_count():
    # SID 55 is alive on instance 1, the RUNNING record belongs to SID 55 on instance 2
    [result] = oc.judge_rman(LABEL, [rman_row(2, 55, 11)], [rman_session(1, 55)], RAC)
    assert result["status"] == "passed"


def test_idle_rman_client_passes():
    [result] = oc.judge_rman(LABEL, [rman_row(1, 55, 10, "SESSION", "RMAN", 0)], [rman_session(1, 55)], [instance()])
    assert result["status"] == "passed" and "connected but running no command" in result["message"]


# --- backup privilege ----------------------------------------------------------------------------

@pytest.mark.parametrize("mode", ["sysbackup", "sysdba"])
def test_administrative_login_passes(mode):
    [result] = oc.judge_backup_privilege(LABEL, params(mode=mode), [{"session_user": "C##BKP"}], [])
    assert result["status"] == "passed" and mode.upper() in result["message"]


@pytest.mark.parametrize("row, status", [
    (dict(username="C##BKP", sysdba="FALSE", sysbackup="TRUE"), "passed"),
    (dict(username="C##BKP", sysdba="TRUE", sysbackup="FALSE"), "passed"),
    (dict(username="C##BKP", sysdba="FALSE", sysbackup="FALSE"), "failed"),
    (None, "failed"),
])
def test_password_file_privileges(row, status):
    [result] = oc.judge_backup_privilege(LABEL, params(), [{"session_user": "C##BKP"}], [row] if row else [])
    assert result["status"] == status
    if status == "failed":
        assert 'GRANT SYSBACKUP TO "C##BKP";' in result["remediation"]
        assert "C##BKP" in result["message"] and LABEL in result["message"]


def test_os_authenticated_default_login_is_looked_up_by_session_user():
    [result] = oc.judge_backup_privilege(LABEL, params(login_user=None, login_password=None),
                                         [{"session_user": "OPS$ORACLE"}], [])
    assert result["status"] == "failed" and "OPS$ORACLE" in result["message"]
    assert 'GRANT SYSBACKUP TO "OPS$ORACLE";' in result["remediation"]


def test_user_names_fold_like_oracle():
    assert conn.normalize_user("c##bkp") == "C##BKP"
    assert conn.normalize_user('"MixedCase"') == "MixedCase"
    assert conn.quote_user("c##bkp") == '"C##BKP"'
    assert conn.quote_user('"MixedCase"') == '"MixedCase"'


# --- classification of driver errors ------------------------------------------------------------

class FakeDriverError:
    def __init__(self, message, code=0, full_code=None):
        self.message = message
        self.code = code
        self.full_code = full_code if full_code is not None else message.split(":", 1)[0]


class FakeDatabaseError(Exception):
    pass


def fake(message, code=0, full_code=None):
    return FakeDatabaseError(FakeDriverError(message, code, full_code))


@pytest.mark.parametrize("exc, during, cause", [
    (fake("DPY-6005: cannot connect to database (CONNECTION_ID=x).\n[Errno 111] Connection refused"), "connect",
     "unreachable"),
    (fake("DPY-6001: Service \"X\" is not registered with the listener at host \"h\" port 1521. (Similar to "
          "ORA-12514)"), "connect", "listener_refused"),
    (fake("DPY-6003: SID \"X\" is not registered with the listener"), "connect", "listener_refused"),
    (fake("DPY-6000: Listener refused connection. (Similar to ORA-12528)"), "connect", "listener_refused"),
    (fake("ORA-12514: TNS:listener does not currently know of service", 12514), "connect", "listener_refused"),
    (fake("ORA-12505: TNS:listener does not currently know of SID", 12505), "connect", "listener_refused"),
    (fake("ORA-01017: invalid username/password; logon denied", 1017), "connect", "login_failed"),
    (fake("ORA-28000: the account is locked", 28000), "connect", "login_failed"),
    (fake("ORA-01031: insufficient privileges", 1031), "connect", "login_failed"),
    (fake("ORA-01031: insufficient privileges", 1031), "query", "permission"),
    (fake("ORA-00942: table or view does not exist", 942), "query", "permission"),
    (fake("ORA-01034: ORACLE not available", 1034), "connect", "listener_refused"),
    (fake("ORA-01033: ORACLE initialization or shutdown in progress", 1033), "connect", "listener_refused"),
    (fake("ORA-12170: TNS:Connect timeout occurred", 12170), "connect", "timeout"),
    (fake("DPY-4024: call timeout of 30000 ms exceeded"), "query", "timeout"),
    (fake("DPY-4011: the database or network closed the connection\nORA-03113: end-of-file", 3113, "DPY-4011"),
     "query", "unreachable"),
    (fake("DPI-1047: Cannot locate a 64-bit Oracle Client library"), "connect", "driver_missing"),
    (fake("DPY-3010: connections to this database server version are not supported"), "connect", "driver_missing"),
    (fake("DPY-3015: password verifier type 0x939 is not supported"), "connect", "driver_missing"),
    (fake("ORA-00600: internal error code", 600), "query", "internal"),
])
def test_classification_is_on_the_numbers(exc, during, cause):
    assert conn.classify(exc, during) == cause


def test_classification_ignores_exception_classes():
    class OperationalError(Exception):
        pass
    assert conn.classify(OperationalError(FakeDriverError("ORA-01017: denied", 1017)), "connect") == "login_failed"


def test_error_text_drops_connection_id_and_help_lines():
    full, code, text = conn.error_info(fake("DPY-6005: cannot connect to database (CONNECTION_ID=abc==).\n"
                                            "[Errno 111] Connection refused\nHelp: https://example"))
    assert (full, code) == ("DPY-6005", 0)
    assert text == "cannot connect to database: [Errno 111] Connection refused"
    full, code, _text = conn.error_info(fake("DPY-6000: Listener refused connection. (Similar to ORA-12519)"))
    assert code == 12519


def test_login_failure_message_and_fix():
    exc = conn._connect_failure(fake("ORA-01017: invalid credential or not authorized; logon denied", 1017),
                                params(mode="sysbackup"), "ORCL")
    assert exc.cause == "login_failed" and exc.source == "oracle.connection"
    assert "ORA-01017" in exc.message and "C##BKP AS SYSBACKUP" in exc.message and "ORCL" in exc.message
    assert "password file" in exc.remediation


def test_missing_administrative_privilege_at_connect():
    exc = conn._connect_failure(fake("ORA-01031: insufficient privileges", 1031), params(mode="sysbackup"), "ORCL")
    assert exc.cause == "login_failed" and 'GRANT SYSBACKUP TO "C##BKP";' in exc.remediation


def test_listener_refusal_names_the_endpoint():
    exc = conn._connect_failure(fake("DPY-6001: Service \"ORCL\" is not registered (Similar to ORA-12514)"),
                                params(login_port=1522), "ORCL")
    assert exc.cause == "listener_refused" and "db01:1522" in exc.message and "lsnrctl status" in exc.remediation


# --- options -------------------------------------------------------------------------------------

def test_valid_options_have_no_problems():
    assert oracle_engine.validate(params()) == []
    assert oracle_engine.validate(params(login_host=None, service_name=None, dsn="db01:1521/ORCL")) == []
    assert oracle_engine.validate(params(login_user=None, login_password=None, service_name=None, login_host=None,
                                         mode="sysdba")) == []      # OS authentication, local bequeath


@pytest.mark.parametrize("changes, expected", [
    (dict(dsn="db01/ORCL"), "dsn: give either dsn or login_host/service_name/sid, not both"),
    (dict(service_name=None), "service_name: give service_name or sid with login_host"),
    (dict(service_name=None, login_host=None), "dsn: give dsn (Easy Connect"),
    (dict(sid="ORCL"), "service_name, sid: give one of them"),
    (dict(login_port=70000), "login_port: 70000 is out of range (valid: a number from 1 to 65535)"),
    (dict(mode="sysoper"), "mode: 'sysoper' is not valid (valid modes: default, sysdba, sysbackup)"),
    (dict(login_password=None), "login_password: required with login_user"),
    (dict(login_user=None), "login_user: required with login_password"),
    (dict(connect_timeout=0), "connect_timeout: 0 is out of range (valid: a number greater than 0"),
    (dict(query_timeout=-1), "query_timeout: -1 is out of range (valid: a number greater than 0"),
    (dict(recovery_area_warn_percent=95), "recovery_area_warn_percent: must be below recovery_area_fail_percent"),
    (dict(recovery_area_fail_percent=120), "recovery_area_fail_percent: 120 is out of range (valid: a number greater than "
                                           "0 and at most 100)"),
])
def test_invalid_options_name_the_option_and_valid_values(changes, expected):
    problems = oracle_engine.ENGINE.problems(params(**changes))
    assert any(p.startswith(expected) for p in problems), problems


def test_dsn_with_credentials_is_refused_without_echoing_it():
    problems = oracle_engine.validate(params(login_host=None, service_name=None, dsn="scott/tiger-secret@db01/ORCL"))
    assert any(p.startswith("dsn: must not contain credentials") for p in problems)
    assert not any("tiger-secret" in p for p in problems)


@pytest.mark.parametrize("dsn, label", [
    ("db01:1521/ORCLPDB1", "db01:1521/ORCLPDB1"),
    ("db01/ORCL", "db01:1521/ORCL"),
    ("//db01.example.com:1521/sales.example.com:dedicated/ORCL1", "db01.example.com:1521/sales.example.com"),
    ("tcps://db01:2484/ORCL?wallet_location=/w&ssl_server_dn_match=true", "db01:2484/ORCL"),
    ("[::1]:1522/ORCL", "[::1]:1522/ORCL"),
    ("(DESCRIPTION=(ADDRESS=(PROTOCOL=TCP)(HOST=db01)(PORT=1522))(CONNECT_DATA=(SERVICE_NAME=ORCL)))",
     "db01:1522/ORCL"),
    ("PRODDB", "PRODDB"),
])
def test_dsn_label(dsn, label):
    assert conn.dsn_label(dsn) == label


def test_targets():
    assert conn.target_label(params()) == "db01:1521/ORCL"
    assert conn.target_label(params(service_name=None, sid="ORCL1")) == "db01:1521/ORCL1"
    assert conn.target_label(params(login_host=None, service_name=None, dsn="db01:1521/PDB1")) == "db01:1521/PDB1"


def test_two_databases_of_one_name_on_one_host_have_their_own_targets():
    first, second = params(login_port=1521), params(login_port=1522, label="reporting")
    assert conn.target_label(first) == "db01:1521/ORCL"
    assert conn.target_label(second) == "reporting (db01:1522/ORCL)"


def test_thick_mode_only_when_asked_or_needed():
    assert not conn.wants_thick_mode(params())
    assert conn.wants_thick_mode(params(oracle_client_lib_dir="/opt/instantclient"))
    assert conn.wants_thick_mode(params(login_user=None, login_password=None))


# --- gathering over a fake connection ------------------------------------------------------------

class FakeCursor:
    def __init__(self, connection):
        self.connection = connection
        self.description = None
        self._rows = []

    def execute(self, sql, params=None):
        self.connection.executed.append((sql, params))
        answer = self.connection.answers(sql, params)
        if isinstance(answer, Exception):
            raise answer
        columns, rows = answer
        self.description = [(c, None) for c in columns]
        self._rows = rows

    def fetchall(self):
        return list(self._rows)

    def close(self):
        pass


class FakeConnection:
    def __init__(self, answers):
        self.answers = answers
        self.executed = []
        self.call_timeout = 0

    def cursor(self):
        return FakeCursor(self)


def context_with(answers, server_version="19.3.0.0.0", **changes):
    ctx = oracle_gathering.OracleContext(params(**changes))
    fake_connection = FakeConnection(answers)
    ctx._cache["connection"] = ((fake_connection, {"driver_mode": "thin", "server_version": server_version}), None)
    return ctx, fake_connection


def test_each_query_is_gathered_once_per_connection():
    def answers(sql, _params):
        if "gv$instance" in sql:
            return ["INST_ID", "INSTANCE_NAME", "STATUS", "PARALLEL"], [(1, "ORCL", "OPEN", "NO")]
        return ["INST_ID", "NAME", "LOG_MODE", "OPEN_MODE", "DATABASE_ROLE", "CDB"], [
            (1, "ORCL", "ARCHIVELOG", "READ WRITE", "PRIMARY", "NO")]
    ctx, fake_connection = context_with(answers)
    for _attempt in range(3):
        assert oracle_gathering.gather(ctx, "instances")[0]["instance_name"] == "ORCL"
        assert oracle_gathering.gather(ctx, "database")[0]["log_mode"] == "ARCHIVELOG"
    assert len(fake_connection.executed) == 2


def test_user_name_is_bound_not_interpolated():
    ctx, fake_connection = context_with(lambda sql, p: (["USERNAME", "SYSDBA", "SYSBACKUP"], []))
    oracle_gathering.gather(ctx, "pwfile_user", {"username": "C##X' OR 1=1 --"})
    sql, bound = fake_connection.executed[0]
    assert bound == {"username": "C##X' OR 1=1 --"} and "C##X" not in sql and ":username" in sql


def test_missing_grant_is_a_permission_error_naming_the_view_and_grant():
    ctx, _fake = context_with(lambda sql, p: fake("ORA-00942: table or view does not exist", 942))
    with pytest.raises(PrecheckError) as caught:
        oracle_gathering.gather(ctx, "recovery_area")
    assert caught.value.cause == "permission"
    assert "C##BKP cannot read V$RECOVERY_FILE_DEST on db01:1521/ORCL (ORA-00942)" in caught.value.message
    assert 'GRANT SELECT ON SYS.V_$RECOVERY_FILE_DEST TO "C##BKP";' in caught.value.remediation


def test_permission_error_becomes_an_error_result_and_other_items_still_run():
    def answers(sql, _params):
        if "gv$rman_status" in sql:
            return fake("ORA-00942: table or view does not exist", 942)
        if "gv$session" in sql:
            return ["INST_ID", "SID"], []
        if "gv$instance" in sql:
            return ["INST_ID", "INSTANCE_NAME", "STATUS", "PARALLEL"], [(1, "ORCL", "OPEN", "NO")]
        return ["INST_ID", "NAME", "LOG_MODE", "OPEN_MODE", "DATABASE_ROLE", "CDB"], [
            (1, "ORCL", "ARCHIVELOG", "READ WRITE", "PRIMARY", "NO")]
    ctx, _fake = context_with(answers)
    selected, _skipped = registry.select("oracle", ["rman_running", "archive_mode"])
    results = dict((r["id"], r) for r in runner.run_checks(selected, ctx))
    assert results["oracle.rman_running"]["status"] == "error"
    assert results["oracle.rman_running"]["cause"] == "permission"
    assert results["oracle.archive_mode"]["status"] == "passed"


def test_database_not_mounted_points_to_the_instance_item():
    ctx, _fake = context_with(lambda sql, p: fake("ORA-01507: database not mounted", 1507))
    with pytest.raises(PrecheckError) as caught:
        oracle_gathering.gather(ctx, "database")
    assert caught.value.cause == "dependency" and caught.value.source == "oracle.instance_status"


def test_a_hung_query_is_given_up_and_the_connection_not_reused():
    def answers(sql, _params):
        time.sleep(3)
        return ["X"], []
    ctx, _fake = context_with(answers, query_timeout=0.01)   # bound: query_timeout + 5 s
    ctx.params["query_timeout"] = -4.5                          # make the outer bound 0.5 s for the test
    started = time.monotonic()
    with pytest.raises(PrecheckError) as caught:
        oracle_gathering.gather(ctx, "version")
    assert caught.value.cause == "timeout" and time.monotonic() - started < 2
    with pytest.raises(PrecheckError) as caught:
        oracle_gathering.gather(ctx, "recovery_area")
    assert caught.value.cause == "timeout" and "given up" in caught.value.message


def test_secrets_are_scrubbed_from_results():
    ctx, _fake = context_with(lambda sql, p: fake("ORA-00600: internal error [pw-unit-1]", 600))
    selected, _skipped = registry.select("oracle", ["recovery_area"])
    [result] = runner.run_checks(selected, ctx)
    assert "pw-unit-1" not in str(result) and "********" in result["message"]


def test_missing_driver_is_a_classified_error(monkeypatch):
    monkeypatch.setattr(conn, "HAS_ORACLEDB", False)
    monkeypatch.setattr(conn, "ORACLEDB_IMPORT_ERROR", "No module named 'oracledb'")
    ctx = oracle_gathering.OracleContext(params())
    selected, _skipped = registry.select("oracle", ["all"])
    results = runner.run_checks(selected, ctx)
    assert results[0]["id"] == "oracle.connection" and results[0]["cause"] == "driver_missing"
    assert "pip install oracledb" in results[0]["remediation"]
    assert all(r["cause"] == "dependency" for r in results[1:])


def test_bounded_call_closes_a_connection_that_arrives_late():
    closed = []

    def slow():
        time.sleep(0.3)
        return "late connection"
    with pytest.raises(conn.Abandoned):
        conn.bounded_call(slow, 0.05, on_late_result=closed.append)
    time.sleep(0.5)
    assert closed == ["late connection"]


def test_unreadable_session_details_do_not_fail_the_connection_item():
    ctx, _fake = context_with(lambda sql, p: fake("ORA-01219: database or pluggable database not open", 1219))
    selected, _skipped = registry.select("oracle", ["connection"])
    [result] = runner.run_checks(selected, ctx)
    assert result["status"] == "passed" and "session details unknown" in result["message"]
