"""The Oracle defects found against Oracle's reference pages (issue 11), one test each: what the
documented database does, and what the check must make of it. The page each fact comes from is
named in tests/support/catalogs/oracle.yml."""

import pytest

from ansible_collections.cloudbackup.precheck.tests.unit.plugins.module_utils.oracle.test_checks import (
    LABEL, RAC, context_with, database, fake, instance, params)

from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import checks as oc
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import connection as oracle_conn


def on_release(rows, version):
    return [dict(r, version=version) for r in rows]


# 4. srvctl takes -db and -instance from 12.1; 11.2 takes -d and -i.
@pytest.mark.parametrize("version, instance_form, database_form", [
    ("11.2.0.4.0", "srvctl start instance -d <db_unique_name> -i ORCL2", "srvctl stop database -d ORCL"),
    ("19.0.0.0.0", "srvctl start instance -db <db_unique_name> -instance ORCL2", "srvctl stop database -db ORCL")])
def test_4_srvctl_options_fit_the_release(version, instance_form, database_form):
    rac = on_release([RAC[0], dict(RAC[1], status="MOUNTED")], version)
    mounted = oc.judge_instances(LABEL, rac)[1]
    assert instance_form in mounted["remediation"]
    archive = oc.judge_archive_mode(LABEL, [database(log_mode="NOARCHIVELOG")], rac)[0]
    assert database_form in archive["remediation"]
    if version.startswith("11"):
        assert " -db " not in mounted["remediation"] + archive["remediation"]
    mounted_db = oc.judge_database(LABEL, [database(open_mode="MOUNTED")], rac, [])[0]
    assert ("-d ORCL" if version.startswith("11") else "-db ORCL") in mounted_db["remediation"]


def test_4_before_a_login_both_srvctl_forms_are_named():
    failure = oracle_conn._connect_failure(fake("ORA-01034: ORACLE not available", 1034), params(), "ORCL")
    assert "srvctl start database -db <db_unique_name>" in failure.remediation
    assert "on 11.2 srvctl start database -d <db_unique_name>" in failure.remediation


# 5. UNRECOVERABLE_CHANGE# is never reset: only a backup taken after it makes the file recoverable.
def test_5_nologging_changes_backed_up_since_do_not_warn():
    files = [{"file#": 4, "name": "/u01/users01.dbf", "unrecoverable_change#": 5000, "unrecoverable_time": "2024-01-01"}]
    later = [{"file#": 4, "last_backup_change": 6000, "last_backup_time": "2024-02-01"}]
    earlier = [{"file#": 4, "last_backup_change": 4000, "last_backup_time": "2023-12-01"}]
    assert oc.judge_force_logging(LABEL, [database()], files, later)[0]["status"] == "passed"
    warned = oc.judge_force_logging(LABEL, [database()], files, earlier)[0]
    assert warned["status"] == "warning" and "after their latest backup" in warned["message"]
    assert oc.judge_force_logging(LABEL, [database()], files, [])[0]["status"] == "warning"  # never backed up


def test_5_the_latest_backups_are_read_only_when_a_file_had_a_nologging_change():
    def answers(sql, _params):
        if "gv$database" in sql:
            return ["INST_ID", "NAME", "LOG_MODE", "FORCE_LOGGING"], [(1, "ORCL", "ARCHIVELOG", "NO")]
        if "v$datafile" in sql:
            return ["FILE#", "NAME", "UNRECOVERABLE_CHANGE#", "UNRECOVERABLE_TIME"], [(4, "/u01/u.dbf", 5000, None)]
        if "v$backup_datafile" in sql:
            return ["FILE#", "LAST_BACKUP_CHANGE", "LAST_BACKUP_TIME"], [(4, 6000, None)]
        raise AssertionError(sql)
    ctx, fake_connection = context_with(answers)
    assert [r["status"] for r in oc.force_logging(ctx)] == ["passed"]
    assert any("v$backup_datafile" in sql for sql, _p in fake_connection.executed)


# 7. V$DATABASE.OPEN_MODE has no MIGRATE; an upgrade shows as V$INSTANCE.STATUS OPEN MIGRATE.
def test_7_upgrade_mode_is_read_from_the_instance_status():
    result = oc.judge_database(LABEL, [database()], [instance(status="OPEN MIGRATE")], [])[0]
    assert result["status"] == "warning" and "upgrade" in result["message"]
    assert "OPEN MIGRATE" in result["message"]
    unknown = oc.judge_database(LABEL, [database(open_mode="MIGRATE")], [instance()], [])[0]
    assert "unknown open mode" in unknown["message"]        # not a documented V$DATABASE value


# 13. In a CDB, a common user without CONTAINER_DATA sees no row of GV$PDBS: that is an error.
def test_13_a_cdb_whose_pdbs_are_hidden_is_an_error_not_zero_pdbs():
    def answers(sql, _params):
        if "gv$instance" in sql:
            return ["INST_ID", "INSTANCE_NAME", "STATUS", "PARALLEL", "VERSION"], [(1, "CDB1", "OPEN", "NO", "19.0.0.0.0")]
        if "gv$database" in sql:
            return ["INST_ID", "NAME", "OPEN_MODE", "DATABASE_ROLE", "CDB"], [(1, "CDB1", "READ WRITE", "PRIMARY", "YES")]
        if "gv$pdbs" in sql:
            return ["INST_ID", "CON_ID", "NAME", "OPEN_MODE", "RESTRICTED"], []
        raise AssertionError(sql)
    ctx, _fake = context_with(answers)
    results = oc.database_status(ctx)
    assert [r["status"] for r in results] == ["passed", "error"]
    assert "0 PDB(s)" not in results[0]["message"]
    hidden = results[1]
    assert hidden["cause"] == "permission" and "CONTAINER_DATA" in hidden["message"]
    assert 'ALTER USER "C##BKP" SET CONTAINER_DATA=ALL CONTAINER=CURRENT;' in hidden["remediation"]


# 15. A user appears once per container in V$PWFILE_USERS (CON_ID), with its ACCOUNT_STATUS (12.2).
def test_15_every_password_file_row_is_judged_with_its_account_status():
    params = {"mode": "default", "login_user": "c##bkp"}
    rows = [{"username": "C##BKP", "sysdba": "FALSE", "sysbackup": "FALSE", "con_id": 1, "account_status": "OPEN"},
            {"username": "C##BKP", "sysdba": "FALSE", "sysbackup": "TRUE", "con_id": 3, "account_status": "OPEN"}]
    assert oc.judge_backup_privilege(LABEL, params, [], rows)[0]["status"] == "passed"
    locked = [{"username": "C##BKP", "sysdba": "FALSE", "sysbackup": "TRUE", "con_id": 0, "account_status": "LOCKED"}]
    result = oc.judge_backup_privilege(LABEL, params, [], locked)[0]
    assert result["status"] == "failed" and "LOCKED" in result["message"]
    assert 'ALTER USER "C##BKP" ACCOUNT UNLOCK;' in result["remediation"]
    grace = [dict(locked[0], account_status="EXPIRED(GRACE)")]
    assert oc.judge_backup_privilege(LABEL, params, [], grace)[0]["status"] == "warning"


def test_15_on_11_2_the_grant_is_sysdba():
    result = oc.judge_backup_privilege(LABEL, {"mode": "default", "login_user": "bkp"}, [], [], release=(11, 2))[0]
    assert 'GRANT SYSDBA TO "BKP";' in result["remediation"] and "GRANT SYSBACKUP" not in result["remediation"]
