"""The SAP HANA engine through ansible-playbook and the role, with SAP's real hdbcli against the HANA
protocol test server (tests/support/hana_server) on 127.0.0.1 and fixture trees of HANA
installations (tests/support/hana_tree.py).

One playbook run at -vvv checks one entry of cloudbackup_precheck_hana_instances per fixture tree,
each against a server of its own scenario: a healthy 2.0 SPS07 system, one with findings in every
SYSTEMDB item, a distributed one, and the faults (refused, silent, silent after the init, a drop
mid-query, a slow statement, a wrong password, TLS to a server without it, a name that does not
resolve, errors on single views). No password may appear in the output, the report files or the
fact; the servers' records must show only SELECTs, names bound.
"""

import copy
import json
import re

import pytest

import hana_tree
from harness import fact_play, local_inventory, run_playbook

pytest.importorskip("hdbcli")
from hana_server import HanaServer  # noqa: E402  (needs hdbcli's presence checked first)

PASSWORD = "Hana-pw-4e1b7c9d2a"
WRONG_PASSWORD = "Hana-wrong-0c8f3e61"
SECRETS = (PASSWORD, WRONG_PASSWORD)
TIMEOUTS = {"connect_timeout": 2, "statement_timeout": 2}
BOUND_MS = (2 + 2 + 1) * 1000  # the driver's timeout, the thread's margin, and a second of slack

VERSION = "2.00.070.00.1700000000"
SPS09 = "1.00.097.00.1500000000"


def privilege(name):
    return {"USER_NAME": "BACKUP", "PRIVILEGE": name, "OBJECT_TYPE": "SYSTEMPRIVILEGE", "IS_VALID": "TRUE"}


def complete(database, state="successful", backup_id=1, kind="complete data backup"):
    return {"DATABASE_NAME": database, "ENTRY_TYPE_NAME": kind, "STATE_NAME": state, "BACKUP_ID": backup_id,
            "SYS_START_TIME": "2026-11-30T01:00:00"}


def scenario(version=VERSION, databases=(("SYSTEMDB", "YES"), ("HDB", "YES"), ("ERP", "YES")), started="Yes",
             distributed="No", backups=None, privileges=("BACKUP ADMIN", "CATALOG READ", "DATABASE ADMIN"), **extra):
    result = {
        "server": {"version": version, "sid": "HDB"},
        "users": [{"user": "BACKUP", "password": PASSWORD}],
        "views": {
            "SYS.M_DATABASE": [{"SYSTEM_ID": "HDB", "DATABASE_NAME": "SYSTEMDB", "VERSION": version}],
            "SYS.M_DATABASES": [{"DATABASE_NAME": name, "ACTIVE_STATUS": active,
                                 "ACTIVE_STATUS_DETAILS": "" if active == "YES" else "stopped by the administrator"}
                                for name, active in databases],
            "SYS.M_SYSTEM_OVERVIEW": [
                {"SECTION": "Services", "NAME": "All Started", "STATUS": "OK" if started == "Yes" else "ERROR",
                 "VALUE": started},
                {"SECTION": "System", "NAME": "Distributed", "STATUS": "", "VALUE": distributed}],
            "SYS_DATABASES.M_BACKUP_CATALOG": [complete(name, backup_id=i + 1) for i, (name, _a) in enumerate(databases)]
            if backups is None else backups,
            "SYS.EFFECTIVE_PRIVILEGES": [privilege(p) for p in privileges],
        },
    }
    result.update(extra)
    return result


HEALTHY = scenario()
SERVERS = {
    "healthy": HEALTHY,
    "findings": scenario(databases=(("SYSTEMDB", "YES"), ("HDB", "NO")), started="No",
                         backups=[complete("SYSTEMDB"), complete("SYSTEMDB", state="running", backup_id=1700),
                                  complete("HDB", kind="incremental data backup", backup_id=3)],
                         privileges=("BACKUP ADMIN",)),
    "distributed": scenario(version=SPS09, databases=(("SYSTEMDB", "YES"), ("HDB", "YES")), distributed="Yes",
                            privileges=("BACKUP OPERATOR", "CATALOG READ")),
    "refuse": dict(HEALTHY, behaviour={"mode": "refuse"}),
    "silent": dict(HEALTHY, behaviour={"mode": "silent"}),
    "silent_after_init": dict(HEALTHY, behaviour={"mode": "silent_after_init"}),
    "drop": dict(HEALTHY, behaviour={"drop_on": "M_SYSTEM_OVERVIEW"}),
    "slow": dict(HEALTHY, behaviour={"delay": {"match": "M_SYSTEM_OVERVIEW", "seconds": 6}}),
    "view_errors": dict(HEALTHY, errors={
        "SYS_DATABASES.M_BACKUP_CATALOG": {"code": 258, "message": "insufficient privilege: Not authorized"},
        "SYS.M_DATABASES": {"code": 259,
                            "message": "invalid table name:  Could not find table/view M_DATABASES in schema SYS"}}),
}

# entry name -> (fixture tree, server, extra options)
ENTRIES = {
    "sps07": ("sps07", "healthy", {}),
    "sps12": ("sps12_single", "findings", {}),
    "sps09": ("sps09_mdc", "distributed", {}),
    "sps00": ("sps00", "healthy", {}),
    "two": ("two_instances", "refuse", {}),
    "two_hq2": ("two_instances", "healthy", {"sid": "HQ2", "checks": ["@files"]}),
    "overwrite": ("overwrite", "silent", {}),
    "tenant_off": ("tenant_without_backint", "silent_after_init", {}),
    "param_file": ("missing_param_file", "drop", {}),
    "no_agent": ("no_agent", "healthy", {"login_password": WRONG_PASSWORD}),
    "agent_mode": ("agent_not_executable", "view_errors", {}),
    "secondary": ("secondary", "slow", {}),
    "manifest": ("unreadable_manifest", "healthy", {"checks": ["version"]}),
    "empty": ("empty", "healthy", {"checks": ["@files"]}),
    # The test server speaks no TLS: hdbcli's handshake fails on its first reply.
    "tls": ("sps07", "healthy", {"encrypt": True, "validate_certificate": False, "checks": ["@database"]}),
    "nodns": ("sps07", "healthy", {"login_host": "hana-precheck.invalid", "checks": ["@database"]}),
}


@pytest.fixture(scope="module")
def fleet(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hana")
    servers = dict((name, HanaServer(copy.deepcopy(s))) for name, s in SERVERS.items())
    for server in servers.values():
        server.start()
    try:
        entries = []
        for name, (tree, server, extra) in ENTRIES.items():
            root = hana_tree.build(tmp / "roots" / name, tree)
            entry = dict(name=name, root=root, login_host="127.0.0.1", login_port=servers[server].port,
                         login_user="backup", login_password=PASSWORD, **TIMEOUTS)
            entry.update(extra)
            entries.append(entry)
        inventory = local_inventory(cloudbackup_precheck_host_checks=[], cloudbackup_precheck_hana_instances=entries)
        facts = tmp / "facts"
        facts.mkdir()
        run = run_playbook(tmp, inventory, playbook=fact_play(facts), verbosity=3, timeout=600)
        run.facts = dict((p.stem, json.loads(p.read_text())) for p in facts.iterdir())
        run.tmp = tmp
        yield run, servers
    finally:
        for server in servers.values():
            server.stop()


def results(run, entry):
    return [r for r in run.results() if r["target"].startswith(entry + " (")]


def find(run, entry, check, database=None):
    found = [r for r in results(run, entry) if r["id"] == "hana." + check
             and (database is None or r["target"].endswith(")/" + database))]
    assert len(found) == 1, (entry, check, database, [r["target"] for r in results(run, entry)])
    return found[0]


def status(run, entry, check, database=None):
    found = find(run, entry, check, database)
    return found["status"], found["code"].split("/", 1)[1]


def test_the_gate_blocks_the_host_on_the_findings(fleet):
    run, _servers = fleet
    # -vvv printed the module arguments, the password masked by no_log.
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in run.stdout, run
    assert (run.rc, run.report["hosts"]["localhost"]["verdict"]) == (2, "blocked"), run
    assert len(set(r["target"].split(" (")[0] for r in run.results())) == len(ENTRIES)


def test_a_healthy_2_0_sps07_system_passes_everything(fleet):
    run, _servers = fleet
    found = results(run, "sps07")
    not_passed = [(r["id"], r["status"], r["message"]) for r in found if r["status"] != "passed"]
    assert found and not not_passed, not_passed
    targets = set(r["target"] for r in found if r["id"] == "hana.backint_params")
    assert targets == set("sps07 (127.0.0.1:%d)/%s" % (fleet[1]["healthy"].port, d) for d in ("SYSTEMDB", "HDB", "ERP"))
    assert "2.0 SPS07" in find(run, "sps07", "version")["message"]


def test_versions_and_container_modes(fleet):
    run, _servers = fleet
    assert status(run, "sps12", "version") == ("failed", "single_container")
    assert status(run, "sps12", "container_mode") == ("failed", "failed")
    assert "hdbnsutil -convertToMultiDB" in find(run, "sps12", "container_mode")["remediation"]
    assert status(run, "sps09", "version") == ("passed", "passed")
    assert "1.0 SPS09 revision 97" in find(run, "sps09", "version")["message"]
    assert status(run, "sps00", "version") == ("failed", "mdc_needs_sps01")
    assert status(run, "manifest", "version") == ("warning", "unknown")


def test_instances(fleet):
    run, _servers = fleet
    two = find(run, "two", "instances")
    assert (two["status"], two["code"]) == ("failed", "hana.instances/several")
    assert "HDB HDB00, HQ2 HDB10" in two["message"] and "Installation of HANA failed" in two["message"]
    dependent = find(run, "two", "backint_agent")
    assert (dependent["status"], dependent["cause"]) == ("error", "dependency")
    # With sid set, the file items judge that instance.
    assert status(run, "two_hq2", "backint_agent") == ("passed", "passed")
    assert "HQ2" in find(run, "two_hq2", "backint_agent")["message"]
    assert status(run, "empty", "instances") == ("failed", "none")
    assert status(run, "sps07", "instances") == ("passed", "passed")


def test_backint_agent_params_and_log_mode(fleet):
    run, _servers = fleet
    assert status(run, "no_agent", "backint_agent") == ("failed", "missing")
    mode = find(run, "agent_mode", "backint_agent")
    assert (mode["status"], mode["code"]) == ("failed", "hana.backint_agent/not_executable")
    assert "/usr/sap/HDB/SYS/global/hdb/opt/hdbbackint" in mode["message"] and "chmod 0750" in mode["remediation"]
    erp = find(run, "tenant_off", "backint_params", "ERP")
    assert erp["status"] == "failed" and "DB_ERP/global.ini" in erp["message"]
    assert ("ALTER SYSTEM ALTER CONFIGURATION ('global.ini', 'DATABASE', 'ERP') SET ('backup', "
            "'log_backup_using_backint') = 'true' WITH RECONFIGURE;") in erp["remediation"]
    assert status(run, "tenant_off", "backint_params", "HDB") == ("passed", "passed")
    missing = find(run, "param_file", "backint_params", "SYSTEMDB")
    assert missing["status"] == "failed" and "log_param.ini does not exist" in missing["message"]
    overwrite = find(run, "overwrite", "log_mode", "SYSTEMDB")
    assert overwrite["status"] == "failed" and "log_mode = overwrite" in overwrite["message"]
    assert "SET ('persistence', 'log_mode') = 'normal' WITH RECONFIGURE" in overwrite["remediation"]
    assert status(run, "sps07", "log_mode", "ERP") == ("passed", "passed")


def test_system_replication(fleet):
    run, _servers = fleet
    secondary = find(run, "secondary", "system_replication")
    assert secondary["status"] == "failed" and "hana02:30001" in secondary["message"]
    assert status(run, "sps07", "system_replication") == ("passed", "passed")


def test_systemdb_findings(fleet):
    run, _servers = fleet
    assert status(run, "sps12", "services_started") == ("failed", "not_started")
    assert status(run, "sps09", "services_started") == ("warning", "distributed")
    assert status(run, "sps12", "tenants_active", "HDB") == ("warning", "stopped")
    assert 'ALTER SYSTEM START DATABASE "HDB";' in find(run, "sps12", "tenants_active", "HDB")["remediation"]
    assert status(run, "sps12", "full_backup_base", "HDB") == ("failed", "no_full_backup")
    assert status(run, "sps12", "full_backup_base", "SYSTEMDB") == ("passed", "passed")
    running = find(run, "sps12", "backup_running")
    assert running["status"] == "failed" and "BACKUP CANCEL 1700" in running["remediation"]
    privileges = find(run, "sps12", "privileges")
    assert privileges["status"] == "failed" and 'GRANT CATALOG READ TO "BACKUP"' in privileges["remediation"]
    assert status(run, "sps09", "privileges") == ("warning", "no_database_admin")


@pytest.mark.parametrize("entry, cause", [("two", "refused"), ("overwrite", "timeout"), ("tenant_off", "timeout"),
                                          ("no_agent", "login_failed"), ("tls", "tls"), ("nodns", "dns")])
def test_connection_faults_are_classified_within_the_bound(fleet, entry, cause):
    run, _servers = fleet
    found = find(run, entry, "connection")
    assert (found["status"], found["cause"]) == ("error", cause), found
    assert found["duration_ms"] < BOUND_MS
    assert (find(run, entry, "privileges")["cause"]) == "dependency"


def test_faults_after_login(fleet):
    run, _servers = fleet
    dropped = find(run, "param_file", "services_started")
    assert (dropped["status"], dropped["cause"]) == ("error", "unreachable") and "-10807" in dropped["message"]
    slow = find(run, "secondary", "services_started")
    assert (slow["status"], slow["cause"]) == ("error", "timeout") and slow["duration_ms"] < BOUND_MS
    assert find(run, "secondary", "privileges")["cause"] == "timeout"  # the broken session is not used again
    assert find(run, "agent_mode", "full_backup_base")["cause"] == "permission"
    assert find(run, "agent_mode", "tenants_active")["cause"] == "unsupported"
    assert status(run, "agent_mode", "services_started") == ("passed", "passed")


def test_the_servers_saw_only_selects_with_bound_names(fleet):
    run, servers = fleet
    records = [r for s in servers.values() for r in s.records]
    assert records
    assert all(r["sql"].lstrip().upper().startswith("SELECT") for r in records), records
    # No literal at all: the user name and every value arrive as bound parameters.
    assert all(not re.search(r"\bBACKUP\b|'", r["sql"], re.I) for r in records), records
    bound = [r for r in records if r["kind"] == "execute" and "EFFECTIVE_PRIVILEGES" in r["sql"]]
    assert bound and all(r["params"] == ["BACKUP", "SYSTEMPRIVILEGE"] for r in bound)


def test_no_password_anywhere(fleet):
    run, _servers = fleet
    texts = {"stdout": run.stdout, "stderr": run.stderr, "facts": json.dumps(run.facts)}
    for path in run.report_dir.rglob("*"):
        if path.is_file():
            texts[str(path)] = path.read_text(errors="replace")
    for where, text in texts.items():
        for secret in SECRETS:
            assert secret not in text, "a password appears in %s" % where
    assert run.facts["localhost"]["results"]
