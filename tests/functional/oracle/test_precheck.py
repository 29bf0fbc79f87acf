"""The Oracle modules through ansible-playbook. No Oracle Database can run here, so:

- Connection faults use the real python-oracledb in thin mode against listeners on 127.0.0.1 that
  the tests start: nothing listening, accepting and never answering, closing at once.
- Query results come from the stand-in driver (tests/support/oracle_standin/oracledb), put first on
  the module's Python path with the task's `environment: {PYTHONPATH: ...}`; it serves the rows of
  a scenario file (ORACLE_STANDIN_SCENARIO). Nothing else imports it: the module's code path, from
  its import of `oracledb` to the result, is the one that runs against a real database.

All stand-in scenarios run as tasks of one playbook at -vvv (one ansible-playbook start), and no
password may appear in its output, the saved results or the report files.
"""

import copy
import json
import os
import socket
import threading
import time

import pytest

from endpoints import BlackHole, SilentListener, closed_port
from harness import ROOT, local_inventory, run_playbook
STANDIN = os.path.join(ROOT, "tests", "support", "oracle_standin")

PASSWORD = "Orcl-Bkp-pw-7c5e19a3d2"
APP_PASSWORD = "Orcl-App-pw-3f8b2e6c01"
WRONG_PASSWORD = "Orcl-Wrong-pw-a94d0b7e55"
SECRETS = (PASSWORD, APP_PASSWORD, WRONG_PASSWORD)

GIB = 1024 ** 3


class ClosingListener:
    """Accepts TCP connections and closes each at once, before a byte of Oracle Net is exchanged."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._accept, daemon=True)

    def _accept(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            conn.close()

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.sock.close()


# --- scenarios -----------------------------------------------------------------------------------

def rule(match, columns, rows, **extra):
    spec = {"match": match, "columns": columns, "rows": rows}
    spec.update(extra)
    return spec


def scenario(name="ORCL", user="C##BKP", password=PASSWORD, instances=None, log_mode="ARCHIVELOG",
             open_mode="READ WRITE", cdb="NO", pdbs=(), fra=(20 * GIB, 8 * GIB, 0), bct="ENABLED",
             rman=(), rman_sessions=(), pwfile=None, errors=None, modes=None, login_spec=None):
    """A healthy single-instance 19c database unless told otherwise. `errors`: {rule name: error}.
    `login_spec`: the login the stand-in answers for (its privileges and CONTAINER_DATA)."""
    instances = instances or [dict(inst_id=1, instance_number=1, instance_name=name, host_name="db01",
                                   version="19.0.0.0.0", status="OPEN", database_status="ACTIVE",
                                   archiver="STARTED" if log_mode == "ARCHIVELOG" else "STOPPED",
                                   logins="ALLOWED", parallel="NO")]
    inst_cols = ["INST_ID", "INSTANCE_NUMBER", "INSTANCE_NAME", "HOST_NAME", "VERSION", "STATUS", "DATABASE_STATUS",
                 "ARCHIVER", "LOGINS", "PARALLEL"]
    db_cols = ["INST_ID", "NAME", "DB_UNIQUE_NAME", "LOG_MODE", "OPEN_MODE", "DATABASE_ROLE", "FORCE_LOGGING", "CDB"]
    rules = {
        "session": rule(r"SYS_CONTEXT\('USERENV'", ["INSTANCE_NAME", "DB_NAME", "CON_NAME", "SESSION_USER"],
                        [[instances[0]["instance_name"], name, "CDB$ROOT" if cdb == "YES" else name, user]]),
        "instances": rule(r"FROM\s+gv\$instance", inst_cols, [[i[c.lower()] for c in inst_cols] for i in instances]),
        "database": rule(r"FROM\s+gv\$database", db_cols,
                         [[i["inst_id"], name, name, log_mode, open_mode, "PRIMARY", "NO", cdb] for i in instances]),
        "pdbs": rule(r"FROM\s+gv\$pdbs", ["INST_ID", "CON_ID", "NAME", "OPEN_MODE", "RESTRICTED"], list(pdbs)),
        "recovery_area": rule(r"FROM\s+v\$recovery_file_dest",
                              ["NAME", "SPACE_LIMIT", "SPACE_USED", "SPACE_RECLAIMABLE", "NUMBER_OF_FILES"],
                              [["/u01/app/oracle/fast_recovery_area", fra[0], fra[1], fra[2], 312]]),
        "datafiles": rule(r"FROM\s+v\$datafile", ["FILE#", "NAME", "UNRECOVERABLE_CHANGE#", "UNRECOVERABLE_TIME"], [],
                          con_id=0),
        "bct": rule(r"FROM\s+v\$block_change_tracking", ["STATUS", "FILENAME", "BYTES"],
                    [[bct, "/u01/oradata/ORCL/bct.chg" if bct == "ENABLED" else None,
                      11599872 if bct == "ENABLED" else None]]),
        "version": rule(r"FROM\s+v\$version", ["BANNER"],
                        [["Oracle Database 19c Enterprise Edition Release 19.0.0.0.0 - Production"]]),
        "rman": rule(r"FROM\s+gv\$rman_status", ["INST_ID", "SID", "RECID", "STAMP", "ROW_LEVEL", "ROW_TYPE",
                                                 "OPERATION", "STATUS", "OBJECT_TYPE", "START_TIME",
                                                 "MBYTES_PROCESSED"], list(rman)),
        "rman_sessions": rule(r"FROM\s+gv\$session", ["INST_ID", "SID", "SERIAL#", "USERNAME", "PROGRAM", "STATUS",
                                                      "LOGON_TIME"], list(rman_sessions)),
        "pwfile": rule(r"FROM\s+v\$pwfile_users", ["USERNAME", "SYSDBA", "SYSBACKUP", "ACCOUNT_STATUS", "CON_ID"],
                       [[user, "FALSE", "TRUE", "OPEN", 0]] if pwfile is None else pwfile, params={"username": user}),
    }
    for key, error in (errors or {}).items():
        rules[key] = {"match": rules[key]["match"], "error": error}
    connect = {"user": user, "password": password}
    if modes:
        connect["modes"] = modes
    spec = {"description": "generated by tests/functional/oracle/test_precheck.py", "server_version": "19.3.0.0.0",
            "connect": connect, "queries": list(rules.values())}
    if login_spec is not None:
        spec["login"] = login_spec
    return spec


def login(user="c##bkp", password=PASSWORD, mode="sysbackup", **extra):
    args = {"login_host": "db01.example.com", "service_name": "ORCL", "login_user": user, "login_password": password,
            "mode": mode, "connect_timeout": 5}
    if "dsn" in extra:
        del args["login_host"], args["service_name"]
    args.update(extra)
    return args


RAC_INSTANCES = [dict(inst_id=i, instance_number=i, instance_name="ORCL%d" % i, host_name="db0%d" % i,
                      version="19.0.0.0.0", status="OPEN", database_status="ACTIVE", archiver="STARTED",
                      logins="ALLOWED", parallel="YES") for i in (1, 2)]
MOUNTED_INSTANCE = [dict(RAC_INSTANCES[0], instance_name="ORCL", host_name="db01", status="MOUNTED", parallel="NO")]

# name: (module, scenario, module arguments)
SCENARIOS = {
    "open_archivelog": ("oracle_precheck", scenario(), login()),
    "noarchivelog": ("oracle_precheck", scenario(log_mode="NOARCHIVELOG"), login()),
    "noarchivelog_item": ("oracle_archive_mode", scenario(log_mode="NOARCHIVELOG"), login()),
    "mounted": ("oracle_precheck", scenario(instances=MOUNTED_INSTANCE, open_mode="MOUNTED"), login()),
    "cdb_pdb_mounted": ("oracle_precheck", scenario(name="CDB1", cdb="YES", pdbs=[
        [1, 2, "PDB$SEED", "READ ONLY", "NO"], [1, 3, "SALES", "READ WRITE", "NO"], [1, 4, "HR", "MOUNTED", None]]),
        login(service_name="CDB1")),
    "recovery_area_92": ("oracle_precheck", scenario(fra=(100 * GIB, 95 * GIB, 3 * GIB)), login()),
    "rman_running": ("oracle_precheck", scenario(
        instances=RAC_INSTANCES,
        rman=[[2, 911, 1201, 1170000001, 0, "SESSION", "RMAN", "RUNNING", None, {"$datetime": "2025-05-01T09:58:00"}, 0],
              [2, 911, 1202, 1170000010, 1, "COMMAND", "BACKUP", "RUNNING", "DB FULL",
               {"$datetime": "2025-05-01T10:00:00"}, 51234]],
        rman_sessions=[[2, 911, 4711, "SYS", "rman@db02 (TNS V1-V3)", "ACTIVE", {"$datetime": "2025-05-01T09:58:00"}]]),
        login(dsn="rac-scan.example.com:1521/sales.example.com")),
    "no_sysbackup": ("oracle_precheck", scenario(user="C##APP", password=APP_PASSWORD, pwfile=[]),
                     login(user="c##app", password=APP_PASSWORD, mode="default")),
    "ora_01017": ("oracle_precheck", scenario(), login(password=WRONG_PASSWORD)),
    "os_auth_without_client": ("oracle_precheck", scenario(), {"mode": "sysdba", "connect_timeout": 5}),
    # A common user in the root without CONTAINER_DATA for the PDBs (defect 13): the stand-in hides their
    # gv$pdbs rows, as Oracle does, and the item must not pass with "0 PDB(s)".
    "cdb_without_container_data": ("oracle_precheck", scenario(
        name="CDB1", cdb="YES", pdbs=[[1, 2, "PDB$SEED", "READ ONLY", "NO"], [1, 3, "SALES", "READ WRITE", "NO"]],
        login_spec={"privileges": ["SELECT_CATALOG_ROLE"], "container_data": "CURRENT"}),
        login(mode="default", service_name="CDB1")),
    "permission": ("oracle_precheck", scenario(user="C##APP", password=APP_PASSWORD, errors={
        "rman": {"full_code": "ORA-00942", "message": "table or view does not exist"}}),
        login(user="c##app", password=APP_PASSWORD, mode="default")),
}


def write_scenarios(directory):
    directory.mkdir()
    paths = {}
    for name, (_module, spec, _args) in SCENARIOS.items():
        paths[name] = directory / (name + ".json")
        paths[name].write_text(json.dumps(spec, indent=1))
    return paths


def save_task(name, out):
    return {"name": "Save " + name, "ansible.builtin.copy": {
        "content": "{{ r_%s | to_json }}" % name, "dest": str(out / (name + ".json")), "mode": "0600"}}


def load_results(out, names):
    return dict((name, json.loads((out / (name + ".json")).read_text())) for name in names)


@pytest.fixture(scope="module")
def standin_run(tmp_path_factory):
    """All stand-in scenarios, one task each (the stand-in first on PYTHONPATH of the task), at -vvv."""
    tmp_path = tmp_path_factory.mktemp("oracle-standin")
    scenario_files = write_scenarios(tmp_path / "scenarios")
    logs = tmp_path / "logs"
    logs.mkdir()
    out = tmp_path / "results"
    out.mkdir()
    tasks = []
    for name, (module, _spec, args) in SCENARIOS.items():
        tasks.append({"name": "Oracle scenario " + name, "cloudbackup.precheck." + module: args,
                      "environment": {"PYTHONPATH": STANDIN, "ORACLE_STANDIN_SCENARIO": str(scenario_files[name]),
                                      "ORACLE_STANDIN_LOG": str(logs / (name + ".jsonl"))},
                      "register": "r_" + name})
        tasks.append(save_task(name, out))
    play = [{"name": "Oracle precheck scenarios", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    run = run_playbook(tmp_path, local_inventory(), playbook=play, verbosity=3, timeout=300)
    assert run.rc == 0, run
    violations = [e["text"] for path in logs.glob("*.jsonl") for e in map(json.loads, path.read_text().splitlines())
                  if e["event"] == "violation"]
    assert violations == [], "the stand-in was asked or answered what Oracle would not:\n" + "\n".join(violations)
    return run, load_results(out, SCENARIOS), logs


def by_id(result):
    found = {}
    for item in result["check_results"]:
        found.setdefault(item["id"], []).append(item)
    return found


def one(result, check_id, target=None):
    items = [r for r in by_id(result).get(check_id, []) if target is None or r["target"] == target]
    assert len(items) == 1, (check_id, target, result["check_results"])
    return items[0]


# --- stand-in scenarios --------------------------------------------------------------------------

def test_standin_was_the_driver(standin_run):
    _run, results, _logs = standin_run
    connection = one(results["open_archivelog"], "oracle.connection")
    assert connection["details"]["driver_version"] == "0.0.0+standin"
    assert connection["details"]["driver_mode"] == "thin"


def test_open_archivelog_database_passes_everything(standin_run):
    _run, results, logs = standin_run
    result = results["open_archivelog"]
    assert result["changed"] is False and not result.get("failed")
    assert result["summary"] == {"passed": 9, "warning": 0, "failed": 0, "error": 0, "skipped": 0, "total": 9}
    assert one(result, "oracle.archive_mode")["references"] == ["HBR:ARCHIVELOG"]
    assert one(result, "oracle.instance_status")["references"] == ["HBR:ORACLE_INSTANCE_STATUS"]
    assert one(result, "oracle.database_status")["references"] == ["HBR:ORACLE_DB_STATUS"]
    assert "ORCL" in one(result, "oracle.instance_status")["message"]
    # one connection, and each query once although several items read gv$instance and gv$database
    events = [json.loads(line) for line in (logs / "open_archivelog.jsonl").read_text().splitlines()]
    connects = [e for e in events if e["event"] == "connect"]
    assert len(connects) == 1
    assert connects[0]["mode"] == "sysbackup" and connects[0]["password_given"] is True
    assert connects[0]["host"] == "db01.example.com" and connects[0]["service_name"] == "ORCL"
    sqls = [e["sql"] for e in events if e["event"] == "execute"]
    assert len(sqls) == len(set(sqls)), sqls
    assert sum("gv$instance" in s for s in sqls) == 1


def test_noarchivelog_fails_with_the_archivelog_sequence(standin_run):
    _run, results, _logs = standin_run
    for name in ("noarchivelog", "noarchivelog_item"):
        item = one(results[name], "oracle.archive_mode")
        assert item["status"] == "failed"
        assert "ORCL" in item["message"] and "NOARCHIVELOG" in item["message"]
        assert "RMAN-06149" in item["message"]
        fix = item["remediation"]
        assert "Downtime" in fix
        assert fix.index("SHUTDOWN IMMEDIATE;") < fix.index("STARTUP MOUNT;") < fix.index(
            "ALTER DATABASE ARCHIVELOG;") < fix.index("ALTER DATABASE OPEN;")
        assert item["impact"] == ["backup", "log_backup"]
    assert len(results["noarchivelog_item"]["check_results"]) == 1


def test_mounted_instance_warns_with_open_remediation(standin_run):
    _run, results, _logs = standin_run
    result = results["mounted"]
    instance = one(result, "oracle.instance_status")
    assert instance["status"] == "warning"
    assert "Instance ORCL" in instance["message"] and "MOUNTED" in instance["message"]
    assert "ALTER DATABASE OPEN;" in instance["remediation"]
    database = one(result, "oracle.database_status")
    assert database["status"] == "warning" and "MOUNTED" in database["message"]
    assert one(result, "oracle.archive_mode")["status"] == "passed"


def test_cdb_reports_each_pdb_and_the_mounted_one_warns(standin_run):
    _run, results, _logs = standin_run
    result = results["cdb_pdb_mounted"]
    assert one(result, "oracle.database_status", "db01.example.com:1521/CDB1")["status"] == "passed"
    assert one(result, "oracle.database_status", "db01.example.com:1521/CDB1/SALES")["status"] == "passed"
    hr = one(result, "oracle.database_status", "db01.example.com:1521/CDB1/HR")
    assert hr["status"] == "warning"
    assert "PDB HR" in hr["message"] and "MOUNTED" in hr["message"]
    assert 'ALTER PLUGGABLE DATABASE "HR" OPEN;' in hr["remediation"]
    assert 'SAVE STATE' in hr["remediation"]
    assert not [r for r in result["check_results"] if "PDB$SEED" in r["target"]]


def test_a_cdb_whose_pdbs_the_login_cannot_see_is_an_error(standin_run):
    _run, results, _logs = standin_run
    result = results["cdb_without_container_data"]
    hidden = [r for r in by_id(result)["oracle.database_status"] if r["status"] == "error"]
    assert len(hidden) == 1 and hidden[0]["cause"] == "permission"
    assert "CONTAINER_DATA" in hidden[0]["message"]
    assert 'ALTER USER "C##BKP" SET CONTAINER_DATA=ALL CONTAINER=CURRENT;' in hidden[0]["remediation"]
    assert not [r for r in by_id(result)["oracle.database_status"] if "0 PDB(s)" in r["message"]]
    assert one(result, "oracle.backup_privilege")["status"] == "passed"   # the other items still run


def test_recovery_area_at_92_percent_fails(standin_run):
    _run, results, _logs = standin_run
    item = one(results["recovery_area_92"], "oracle.recovery_area")
    assert item["status"] == "failed"
    assert item["details"]["used_percent"] == 92.0
    assert "92.0% full" in item["message"] and "ORCL" in item["message"]
    assert "db_recovery_file_dest_size" in item["remediation"]
    assert "DELETE ARCHIVELOG" in item["remediation"]


def test_running_rman_job_fails_and_names_session_and_instance(standin_run):
    _run, results, _logs = standin_run
    result = results["rman_running"]
    item = one(result, "oracle.rman_running")
    assert item["status"] == "failed"
    assert item["target"] == "rac-scan.example.com:1521/sales.example.com"
    assert "BACKUP (DB FULL)" in item["message"] and "session 911" in item["message"]
    assert "instance ORCL2" in item["message"]
    # RAC: every instance reported, targeted by instance name
    targets = sorted(r["target"] for r in by_id(result)["oracle.instance_status"])
    assert targets == ["rac-scan.example.com:1521/sales.example.com@ORCL1",
                       "rac-scan.example.com:1521/sales.example.com@ORCL2"]


def test_login_without_sysbackup_fails_with_the_grant(standin_run):
    _run, results, logs = standin_run
    item = one(results["no_sysbackup"], "oracle.backup_privilege")
    assert item["status"] == "failed"
    assert "C##APP" in item["message"] and "SYSBACKUP" in item["message"]
    assert 'GRANT SYSBACKUP TO "C##APP";' in item["remediation"]
    events = [json.loads(line) for line in (logs / "no_sysbackup.jsonl").read_text().splitlines()]
    pwfile = [e for e in events if e["event"] == "execute" and "v$pwfile_users" in e["sql"]]
    assert pwfile[0]["params"] == {"username": "C##APP"} and "C##APP" not in pwfile[0]["sql"]


def test_ora_01017_is_a_classified_login_failure(standin_run):
    _run, results, _logs = standin_run
    result = results["ora_01017"]
    item = one(result, "oracle.connection")
    assert item["status"] == "error" and item["cause"] == "login_failed"
    assert "ORA-01017" in item["message"] and "C##BKP" in item["message"] and "ORCL" in item["message"]
    assert "login_password" in item["remediation"]
    others = [r for r in result["check_results"] if r["id"] != "oracle.connection"]
    assert others and all(r["status"] == "error" and r["cause"] == "dependency" for r in others)
    assert "ORA-01017" in result["msg"]


def test_missing_view_grant_is_a_permission_error(standin_run):
    _run, results, _logs = standin_run
    item = one(results["permission"], "oracle.rman_running")
    assert item["status"] == "error" and item["cause"] == "permission"
    assert "GV$RMAN_STATUS" in item["message"] and "C##APP" in item["message"]
    assert "GRANT SELECT ON SYS.GV_$RMAN_STATUS TO \"C##APP\";" in item["remediation"]
    assert one(results["permission"], "oracle.archive_mode")["status"] == "passed"


def test_os_authentication_needs_thick_mode_and_says_so(standin_run):
    _run, results, logs = standin_run
    item = one(results["os_auth_without_client"], "oracle.connection")
    assert item["status"] == "error" and item["cause"] == "driver_missing"
    assert "OS authentication" in item["message"] and "DPI-1047" in item["message"]
    assert "oracle_client_lib_dir" in item["remediation"] and "Instant Client" in item["remediation"]
    events = [json.loads(line) for line in (logs / "os_auth_without_client.jsonl").read_text().splitlines()]
    assert [e["event"] for e in events] == ["init_oracle_client"]


def test_no_password_in_output_results_or_reports(standin_run):
    run, results, logs = standin_run
    texts = {"ansible-playbook -vvv output": run.output(), "results": json.dumps(results)}
    for path in list(run.report_dir.glob("*")) + list(logs.glob("*")):
        texts[str(path)] = path.read_text(errors="replace")
    assert "ESTABLISH LOCAL CONNECTION" in run.output()      # really -vvv
    for where, text in texts.items():
        for secret in SECRETS:
            assert secret not in text, "password found in %s" % where


def test_standin_through_the_environment_of_ansible_playbook(tmp_path):
    """The other way to place the stand-in: PYTHONPATH of ansible-playbook, inherited by local modules."""
    spec = tmp_path / "scenario.json"
    spec.write_text(json.dumps(scenario()))
    out = tmp_path / "results"
    out.mkdir()
    play = [{"hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Connection item", "cloudbackup.precheck.oracle_connection": login(), "register": "r_inherited"},
        save_task("inherited", out)]}]
    run = run_playbook(tmp_path, local_inventory(), playbook=play,
                       env={"PYTHONPATH": STANDIN, "ORACLE_STANDIN_SCENARIO": str(spec)})
    assert run.rc == 0, run
    item = one(load_results(out, ["inherited"])["inherited"], "oracle.connection")
    assert item["status"] == "passed" and item["details"]["driver_version"] == "0.0.0+standin"


# --- the real python-oracledb against listeners on 127.0.0.1 ------------------------------------

def test_real_driver_connection_faults_through_ansible(tmp_path):
    out = tmp_path / "results"
    out.mkdir()
    with SilentListener() as silent, ClosingListener() as closing:
        faults = {"nothing": closed_port(), "silent": silent.port, "closing": closing.port}
        tasks = []
        for name, port in faults.items():
            tasks.append({"name": "Real driver, " + name, "cloudbackup.precheck.oracle_precheck": login(
                login_host="127.0.0.1", login_port=port, connect_timeout=3), "register": "r_" + name})
            tasks.append(save_task(name, out))
        play = [{"hosts": "localhost", "gather_facts": False, "tasks": tasks}]
        started = time.monotonic()
        run = run_playbook(tmp_path, local_inventory(), playbook=play, verbosity=3)
        elapsed = time.monotonic() - started
    assert run.rc == 0, run
    results = load_results(out, faults)
    for name, result in results.items():
        connection = one(result, "oracle.connection")
        assert connection["details"].get("error_code") or name == "silent"
        assert connection["status"] == "error"
        assert "127.0.0.1:%d" % faults[name] in connection["message"] and "ORCL" in connection["message"]
        assert connection["remediation"]
        assert all(r["cause"] == "dependency" for r in result["check_results"] if r["id"] != "oracle.connection")
    assert one(results["nothing"], "oracle.connection")["cause"] == "unreachable"
    assert "Connection refused" in one(results["nothing"], "oracle.connection")["message"]
    assert one(results["closing"], "oracle.connection")["cause"] == "unreachable"
    silent_result = one(results["silent"], "oracle.connection")
    assert silent_result["cause"] == "timeout"
    assert 2900 <= silent_result["duration_ms"] < 5000
    assert sum(r["duration_ms"] for r in results["silent"]["check_results"]) < 5000
    assert elapsed < 60, elapsed
    for secret in SECRETS:
        assert secret not in run.output()


def direct_connect(port, timeout):
    from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import connection as oracle_conn
    from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import engine as oracle_engine
    from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
    params = dict((k, copy.deepcopy(v.get("default"))) for k, v in oracle_engine.ENGINE.argument_spec.items())
    params.update(login(login_host="127.0.0.1", login_port=port, connect_timeout=timeout))
    assert oracle_engine.validate(params) == []
    started = time.monotonic()
    with pytest.raises(PrecheckError) as caught:
        oracle_conn.open_connection(params, "ORCL")
    return caught.value, time.monotonic() - started


def test_real_driver_nothing_listening_is_unreachable_at_once():
    exc, elapsed = direct_connect(closed_port(), 5)
    assert exc.cause == "unreachable" and exc.details["error_code"] == "DPY-6005"
    assert elapsed < 2


def test_real_driver_closing_listener_is_unreachable_at_once():
    with ClosingListener() as closing:
        exc, elapsed = direct_connect(closing.port, 5)
    assert exc.cause == "unreachable" and exc.details["error_code"] == "DPY-6005"
    assert elapsed < 2


def test_real_driver_silent_listener_is_bounded_by_connect_timeout():
    with SilentListener() as silent:
        exc, elapsed = direct_connect(silent.port, 1.5)
    assert exc.cause == "timeout" and exc.source == "oracle.connection"
    assert 1.4 <= elapsed < 2.5


def test_real_driver_black_holed_port_is_bounded_by_connect_timeout():
    with BlackHole() as hole:
        exc, elapsed = direct_connect(hole.port, 1.5)
    assert exc.cause == "timeout"
    assert elapsed < 2.5
