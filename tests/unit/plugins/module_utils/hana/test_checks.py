"""The SAP HANA judges on plain rows and values, the file parsers, the option validation and the
classification of hdbcli errors (on objects shaped like hdbcli's: errorcode, errortext)."""

import pytest

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.hana import connection as hana_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.hana import database as db
from ansible_collections.cloudbackup.precheck.plugins.module_utils.hana import engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.hana import instance_files as files
from ansible_collections.cloudbackup.precheck.plugins.module_utils.hana import installation as inst
from ansible_collections.cloudbackup.precheck.plugins.module_utils.hana.gathering import user_name, version_numbers

T = "hdb01 (hana01:30013)"
GLOBAL = "/usr/sap/HDB/SYS/global/hdb/custom/config/global.ini"
TENANT_INI = "/usr/sap/HDB/SYS/global/hdb/custom/config/DB_ERP/global.ini"
PARAM = "/usr/sap/HDB/SYS/global/hdb/opt/hdbconfig/param.ini"


def only(results):
    assert len(results) == 1, results
    return results[0]


# -- files ------------------------------------------------------------------------------------------

def test_sapservices_classic_and_systemd_lines_name_the_hdb_instances():
    text = "\n".join([
        "#!/bin/sh",
        "LD_LIBRARY_PATH=/usr/sap/HDB/HDB00/exe:$LD_LIBRARY_PATH;export LD_LIBRARY_PATH;/usr/sap/HDB/HDB00/exe/"
        "sapstartsrv pf=/usr/sap/HDB/SYS/profile/HDB_HDB00_hana01 -D -u hdbadm",
        "systemctl --no-ask-password start SAPHQ2_10 # sapstartsrv pf=/usr/sap/HQ2/SYS/profile/HQ2_HDB10_hana01",
        "LD_LIBRARY_PATH=/usr/sap/S4H/ASCS01/exe;/usr/sap/S4H/ASCS01/exe/sapstartsrv "
        "pf=/usr/sap/S4H/SYS/profile/S4H_ASCS01_hana01 -D -u s4hadm",
        "#LD_LIBRARY_PATH=...;/usr/sap/OLD/HDB02/exe/sapstartsrv pf=/usr/sap/OLD/SYS/profile/OLD_HDB02_x -D",
    ])
    assert files.parse_sapservices(text) == [("HDB", "HDB", "00", "classic"), ("HQ2", "HDB", "10", "systemd"),
                                             ("S4H", "ASCS", "01", "classic")]


def test_ini_and_manifest_parsing():
    ini = files.parse_ini("# comment\n[Backup]\nLog_Backup_Using_Backint = true\n; other\n[persistence]\n"
                          "log_mode=overwrite\nnot a line\n")
    assert ini == {"backup": {"log_backup_using_backint": "true"}, "persistence": {"log_mode": "overwrite"}}
    manifest = files.parse_manifest("release: 2.00.070.00\nfullversion: 2.00.070.00.1700000000 Build x\n")
    assert manifest["release"] == "2.00.070.00"


def test_reads_are_bounded(tmp_path):
    (tmp_path / "big").write_bytes(b"x" * (files.MAX_FILE_BYTES + 10))
    assert len(files.read_text(str(tmp_path), "/big")) == files.MAX_FILE_BYTES
    assert files.read_text(str(tmp_path), "/absent") is None
    for index in range(5):
        (tmp_path / ("d%d" % index)).mkdir()
    assert len(files.list_dir(str(tmp_path), "/", limit=3)) == 3


def test_version_numbers_and_user_names():
    assert version_numbers("2.00.070.00.1700000000") == (2, 70, 0)
    assert version_numbers("1.00.122.05") == (1, 122, 5)
    assert version_numbers("unknown") is None
    assert user_name("backup") == "BACKUP" and user_name('"MixedCase"') == "MixedCase"


# -- hana.instances -----------------------------------------------------------------------------------

def test_instances_one_none_and_two():
    one = {"sapservices": "/usr/sap/sapservices",
           "instances": [{"sid": "HDB", "number": "00", "sources": ["/usr/sap/HDB/HDB00"]}]}
    assert only(inst.judge_instances(one, "/", T))["status"] == "passed"
    none = only(inst.judge_instances({"sapservices": None, "instances": []}, "/", T))
    assert none["status"] == "failed" and none["code"] == "none"
    two = dict(one, instances=one["instances"] + [{"sid": "HQ2", "number": "10", "sources": []}])
    result = only(inst.judge_instances(two, "/", T))
    assert result["status"] == "failed" and result["code"] == "several"
    assert "HDB HDB00, HQ2 HDB10" in result["message"] and "Installation of HANA failed" in result["message"]


# -- hana.version and hana.container_mode -------------------------------------------------------------

@pytest.mark.parametrize("release, mode, status, code", [
    ("1.00.122.05", "singledb", "failed", "single_container"),
    ("1.00.122.05", None, "failed", "single_container"),
    ("1.00.093.00", "multidb", "failed", "too_old"),
    ("1.00.097.00", "multidb", "passed", "passed"),
    ("2.00.002.00", "multidb", "failed", "mdc_needs_sps01"),
    ("2.00.010.00", None, "passed", "passed"),
    ("2.00.070.00", None, "passed", "passed"),
    ("4.00.000.00", None, "warning", "unknown_release"),
    ("garbage", None, "warning", "unknown"),
])
def test_version(release, mode, status, code):
    result = only(inst.judge_version(release, mode, "HDB", "/usr/sap/HDB/HDB00/exe/manifest", T))
    assert (result["status"], result["code"]) == (status, code)
    assert "HDB" in result["message"]
    if status == "failed":
        assert "hdblcm --action=update" in result["remediation"]


def test_version_names_sps_and_revision():
    result = only(inst.judge_version("1.00.097.00", "multidb", "HDB", "manifest", T))
    assert "1.0 SPS09 revision 97" in result["message"]
    assert "2.0 SPS07" in only(inst.judge_version("2.00.070.00", None, "HDB", "manifest", T))["message"]


def test_container_mode():
    assert only(inst.judge_container_mode("multidb", "1.00.097.00", "HDB", GLOBAL, T))["status"] == "passed"
    assert only(inst.judge_container_mode(None, "2.00.070.00", "HDB", GLOBAL, T))["status"] == "passed"
    single = only(inst.judge_container_mode("singledb", "1.00.122.05", "HDB", GLOBAL, T))
    assert single["status"] == "failed" and GLOBAL in single["message"]
    assert "hdbnsutil -convertToMultiDB" in single["remediation"]


# -- hana.backint_agent ----------------------------------------------------------------------------------

AGENT = "/usr/sap/HDB/SYS/global/hdb/opt/hdbbackint"


def agent_state(**extra):
    state = {"exists": True, "path": AGENT, "regular": True, "mode": 0o750, "uid": 1001, "gid": 79}
    state.update(extra)
    return state


def test_backint_agent():
    assert only(inst.judge_backint_agent(agent_state(), (1001, 79), "HDB", T))["status"] == "passed"
    missing = only(inst.judge_backint_agent({"exists": False, "path": AGENT}, None, "HDB", T))
    assert missing["status"] == "failed" and missing["code"] == "missing" and AGENT in missing["message"]
    directory = only(inst.judge_backint_agent(agent_state(regular=False), None, "HDB", T))
    assert directory["code"] == "not_a_file"
    # Executable by its owner only, and hdbadm is someone else outside the group.
    other = only(inst.judge_backint_agent(agent_state(mode=0o700), (2000, 2000), "HDB", T))
    assert other["status"] == "failed" and other["code"] == "not_executable" and "hdbadm" in other["message"]
    assert "chmod 0750 %s" % AGENT in other["remediation"]
    group = only(inst.judge_backint_agent(agent_state(mode=0o710, uid=0), (1001, 79), "HDB", T))
    assert group["status"] == "passed"


# -- hana.backint_params --------------------------------------------------------------------------------

SYSTEM = {"backup": {"log_backup_using_backint": "true", "catalog_backup_using_backint": "true",
                     "data_backup_parameter_file": PARAM, "log_backup_parameter_file": PARAM,
                     "catalog_backup_parameter_file": PARAM}}
PRESENT = {PARAM: {"exists": True, "regular": True, "readable": True}}


def test_backint_params_inherited_by_a_tenant_pass():
    results = inst.judge_backint_params([("SYSTEMDB", GLOBAL, SYSTEM, None), ("ERP", TENANT_INI, SYSTEM, {})],
                                        PRESENT, "HDB", T)
    assert [(r["target"], r["status"]) for r in results] == [(T + "/SYSTEMDB", "passed"), (T + "/ERP", "passed")]


def test_backint_params_a_tenant_that_turns_backint_off_fails_with_its_statement():
    tenant = {"backup": {"log_backup_using_backint": "false"}}
    results = inst.judge_backint_params([("SYSTEMDB", GLOBAL, SYSTEM, None), ("ERP", TENANT_INI, SYSTEM, tenant)],
                                        PRESENT, "HDB", T)
    erp = results[1]
    assert erp["status"] == "failed" and "ERP of HDB" in erp["message"] and TENANT_INI in erp["message"]
    assert ("ALTER SYSTEM ALTER CONFIGURATION ('global.ini', 'DATABASE', 'ERP') SET ('backup', "
            "'log_backup_using_backint') = 'true' WITH RECONFIGURE;") in erp["remediation"]


def test_backint_params_unset_flags_and_missing_files():
    system = {"backup": {"data_backup_parameter_file": PARAM, "log_backup_parameter_file": "/nope.ini"}}
    result = only(inst.judge_backint_params([("SYSTEMDB", GLOBAL, system, None)], PRESENT, "HDB", T))
    assert result["status"] == "failed"
    for text in ("log_backup_using_backint = not set", "catalog_backup_parameter_file is not set",
                 "log_backup_parameter_file /nope.ini does not exist"):
        assert text in result["message"]
    assert "('global.ini', 'SYSTEM') SET ('backup', 'catalog_backup_using_backint') = 'true'" in result["remediation"]
    assert "Create /nope.ini" in result["remediation"]
    unreadable = {PARAM: {"exists": True, "regular": True, "readable": False}}
    result = only(inst.judge_backint_params([("SYSTEMDB", GLOBAL, SYSTEM, None)], unreadable, "HDB", T))
    assert "is not a readable file" in result["message"]
    missing_ini = only(inst.judge_backint_params([("SYSTEMDB", GLOBAL, None, None)], {}, "HDB", T))
    assert missing_ini["code"] == "no_global_ini"


# -- hana.log_mode ----------------------------------------------------------------------------------------

def test_log_mode():
    layers = [("SYSTEMDB", GLOBAL, {"persistence": {"log_mode": "overwrite"}}, None),
              ("ERP", TENANT_INI, {"persistence": {"log_mode": "overwrite"}}, {"persistence": {"log_mode": "normal"}}),
              ("HDB", TENANT_INI, {}, {"persistence": {"enable_auto_log_backup": "no"}})]
    system, erp, hdb = inst.judge_log_mode(layers, "HDB", T)
    assert system["status"] == "failed" and "log_mode = overwrite" in system["message"]
    assert "('global.ini', 'SYSTEM') SET ('persistence', 'log_mode') = 'normal'" in system["remediation"]
    assert erp["status"] == "passed"
    assert hdb["status"] == "failed" and "enable_auto_log_backup = no" in hdb["message"]
    assert "('global.ini', 'DATABASE', 'HDB') SET ('persistence', 'enable_auto_log_backup') = 'yes'" \
        in hdb["remediation"]


# -- hana.system_replication ---------------------------------------------------------------------------------

def test_system_replication():
    assert only(inst.judge_system_replication(None, None, "HDB", GLOBAL, T))["status"] == "passed"
    assert only(inst.judge_system_replication({"mode": "primary"}, None, "HDB", GLOBAL, T))["status"] == "passed"
    secondary = only(inst.judge_system_replication({"mode": "sync", "actual_mode": "syncmem"}, {"1": "hana02:30001"},
                                                   "HDB", GLOBAL, T))
    assert secondary["status"] == "failed" and "hana02:30001" in secondary["message"]
    assert "syncmem" in secondary["message"] and "hdbnsutil -sr_state" in secondary["remediation"]


# -- SYSTEMDB items --------------------------------------------------------------------------------------------

def test_connection():
    server = {"sid": "HDB", "database": "SYSTEMDB", "version": "2.00.070.00", "connect_ms": 12}
    result = only(db.judge_connection(server, "hana01:30013", "BACKUP", T))
    assert result["status"] == "passed" and "SYSTEMDB of HDB" in result["message"]


def overview(started="Yes", distributed="No"):
    return [{"section": "Services", "name": "All Started", "status": "OK", "value": started},
            {"section": "System", "name": "Distributed", "status": "", "value": distributed}]


def test_services():
    assert only(db.judge_services(overview(), T))["status"] == "passed"
    down = only(db.judge_services(overview(started="No"), T))
    assert down["status"] == "failed" and "StartSystem" in down["remediation"]
    assert only(db.judge_services(overview(distributed="Yes"), T))["code"] == "distributed"
    with pytest.raises(PrecheckError) as caught:
        db.judge_services([], T)
    assert caught.value.cause == "permission"


def test_tenants():
    rows = [{"name": "SYSTEMDB", "active": "YES", "details": ""}, {"name": "ERP", "active": "NO", "details": "stopped"}]
    system, erp = db.judge_tenants(rows, None, T)
    assert system["status"] == "passed"
    assert erp["status"] == "warning" and erp["target"] == T + "/ERP"
    assert 'ALTER SYSTEM START DATABASE "ERP";' in erp["remediation"]
    with pytest.raises(PrecheckError) as caught:
        db.judge_tenants(None, PrecheckError("permission", "Not allowed to read SYS.M_DATABASES"), T)
    assert caught.value.cause == "permission" and "GRANT CATALOG READ" in caught.value.remediation
    with pytest.raises(PrecheckError) as caught:
        db.judge_tenants([], None, T)
    assert caught.value.cause == "permission"
    with pytest.raises(PrecheckError) as caught:
        db.judge_tenants(None, PrecheckError("unsupported", "SYS.M_DATABASES cannot be read: 259"), T)
    assert caught.value.cause == "unsupported"


DATABASES = [{"name": "SYSTEMDB", "active": "YES", "details": ""}, {"name": "ERP", "active": "YES", "details": ""}]


def backup(database, state="successful", kind="complete data backup", backup_id=1):
    return {"database": database, "type": kind, "state": state, "backup_id": backup_id, "start": "2026-11-30 01:00:00"}


def test_full_backup_base():
    backups = [backup("SYSTEMDB"), backup("ERP", kind="incremental data backup")]
    system, erp = db.judge_full_backup_base(DATABASES, backups, T)
    assert system["status"] == "passed"
    assert erp["status"] == "failed" and erp["code"] == "no_full_backup"
    assert "BACKUP DATA FOR \"ERP\" USING BACKINT ('full')" in erp["remediation"]
    with pytest.raises(PrecheckError):
        db.judge_full_backup_base(None, [], T)


def test_backup_running():
    assert only(db.judge_backup_running([backup("SYSTEMDB")], T))["status"] == "passed"
    running = only(db.judge_backup_running([backup("ERP", state="running", backup_id=1700)], T))
    assert running["status"] == "failed" and "ERP" in running["message"] and "BACKUP CANCEL 1700" in running["remediation"]


def test_privileges():
    assert only(db.judge_privileges("BACKUP", ["BACKUP ADMIN", "CATALOG READ", "DATABASE ADMIN"], ["ERP"], T))[
        "status"] == "passed"
    assert only(db.judge_privileges("BACKUP", ["BACKUP OPERATOR", "DATA ADMIN"], [], T))["status"] == "passed"
    missing = only(db.judge_privileges("BACKUP", ["CATALOG READ"], [], T))
    assert missing["status"] == "failed" and 'GRANT BACKUP ADMIN TO "BACKUP"' in missing["remediation"]
    nothing = only(db.judge_privileges("BK", [], [], T))
    assert "BACKUP ADMIN and CATALOG READ" in nothing["message"]
    tenants = only(db.judge_privileges("BACKUP", ["BACKUP ADMIN", "CATALOG READ"], ["ERP"], T))
    assert tenants["status"] == "warning" and "DATABASE ADMIN" in tenants["remediation"]


# -- options and errors -------------------------------------------------------------------------------------------

def params(**extra):
    values = dict((name, option.get("default")) for name, option in engine.ENGINE.all_options().items())
    values.update(login_user="BACKUP", login_password="pw")
    values.update(extra)
    return values


def test_validation_names_the_option():
    assert engine.validate(params()) == []
    problems = " ".join(engine.validate(params(login_port=70000, sid="H", instance_number="1", statement_timeout=0,
                                               root="/does/not/exist", userstore_key="K")))
    for option in ("login_port", "sid", "instance_number", "statement_timeout", "root", "userstore_key"):
        assert option + ":" in problems


class FakeHdbError(Exception):
    def __init__(self, code, text):
        super(FakeHdbError, self).__init__(code, text)
        self.errorcode, self.errortext = code, text


SETTINGS = {"endpoint": "hana01:30013", "host": "hana01", "user": "BACKUP", "userstore_key": None,
            "connect_timeout": 5.0}


@pytest.mark.parametrize("code, text, cause", [
    (-10709, "Connection failed (RTE:[89006] System call 'connect' failed, rc=111:Connection refused)", "refused"),
    (-10709, "Connection failed (RTE:[89001] Cannot resolve host name 'nohost')", "dns"),
    (-10709, "Connection failed (RTE:[89013] Socket timed out)", "timeout"),
    (-10709, "Connection failed (RTE:[300015] SSL certificate validation failed)", "tls"),
    (10, "authentication failed", "login_failed"),
    (663, "user is locked", "login_failed"),
])
def test_connect_errors_are_classified(code, text, cause):
    exc = hana_conn.classify_connect_error(FakeHdbError(code, text), SETTINGS)
    assert exc.cause == cause and exc.source == "hana.connection" and "hana01" in exc.message


@pytest.mark.parametrize("code, text, cause", [
    (258, "insufficient privilege: Not authorized", "permission"),
    (259, "invalid table name: Could not find table/view M_X", "unsupported"),
    (-10807, "Connection down: [89008] Socket closed by peer", "unreachable"),
    (-10807, "Connection down: [89013] Socket timed out", "timeout"),
    (1, "something else", "internal"),
])
def test_query_errors_are_classified(code, text, cause):
    assert hana_conn.classify_query_error(FakeHdbError(code, text), "hana01:30013", "SYS.M_X").cause == cause


def test_a_missing_driver_is_driver_missing(monkeypatch):
    monkeypatch.setitem(__import__("sys").modules, "hdbcli", None)
    with pytest.raises(PrecheckError) as caught:
        hana_conn.connect(dict(SETTINGS, password="pw", port=30013, statement_timeout=5.0, encrypt=False))
    assert caught.value.cause == "driver_missing" and "pip install hdbcli" in caught.value.remediation
