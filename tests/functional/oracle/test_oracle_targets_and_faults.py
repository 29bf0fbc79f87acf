"""Oracle through ansible-playbook and the role: two databases named ORCL on one host keep their own
targets (host, port and service, after the instance's name where given), in the report and in
accepted_findings; and the real python-oracledb (thin) classifies a certificate failure of tcps://
as `tls` and an unresolvable host as `dns`.

The two ORCL databases are served by the driver stand-in (tests/support/oracle_standin), which does
not look at host or port: what is tested is the collection's naming of what it connected to. The
certificate failure is real TLS: a listener on 127.0.0.1 with a self-signed certificate
(tests/support/endpoints.py); python-oracledb's certificate check fails in the handshake, before
any Oracle Net byte, so what serves behind TLS plays no part.
"""

import json
import os
import sys

import pytest

from endpoints import HttpsServer, self_signed_cert
from harness import run_playbook

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
STANDIN = os.path.join(ROOT, "tests", "support", "oracle_standin")

PASSWORD = "Orcl-Targets-pw-5b8e1c0d72"
LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
         "cloudbackup_precheck_host_checks": []}
FIRST = "db01.example.com:1521/ORCL"
SECOND = "reporting (db01.example.com:1522/ORCL)"


def noarchivelog_orcl():
    """A single-instance 19c database ORCL in NOARCHIVELOG mode, as the stand-in serves it."""
    def rule(match, columns, row):
        return {"match": match, "columns": columns, "rows": [row]}
    return {"description": "tests/functional/oracle/test_oracle_targets_and_faults.py", "server_version": "19.3.0.0.0",
            "connect": {"user": "C##BKP", "password": PASSWORD}, "queries": [
                rule(r"SYS_CONTEXT\('USERENV'", ["INSTANCE_NAME", "DB_NAME", "CON_NAME", "SESSION_USER"],
                     ["ORCL", "ORCL", "ORCL", "C##BKP"]),
                rule(r"FROM\s+gv\$instance", ["INST_ID", "INSTANCE_NUMBER", "INSTANCE_NAME", "HOST_NAME", "VERSION",
                                              "STATUS", "DATABASE_STATUS", "ARCHIVER", "LOGINS", "PARALLEL"],
                     [1, 1, "ORCL", "db01", "19.0.0.0.0", "OPEN", "ACTIVE", "STOPPED", "ALLOWED", "NO"]),
                rule(r"FROM\s+gv\$database", ["INST_ID", "NAME", "DB_UNIQUE_NAME", "LOG_MODE", "OPEN_MODE",
                                              "DATABASE_ROLE", "FORCE_LOGGING", "CDB"],
                     [1, "ORCL", "ORCL", "NOARCHIVELOG", "READ WRITE", "PRIMARY", "NO", "NO"]),
            ]}


def instance(**options):
    settings = {"login_user": "c##bkp", "login_password": PASSWORD, "mode": "sysbackup", "connect_timeout": 5,
                "checks": ["connection", "archive_mode"]}
    settings.update(options)
    return settings


def by_target(run):
    found = {}
    for result in run.results():
        found.setdefault(result["target"], {})[result["id"]] = result
    return found


@pytest.fixture(scope="module")
def two_orcl_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("oracle-two-orcl")
    spec = tmp_path / "scenario.json"
    spec.write_text(json.dumps(noarchivelog_orcl()))
    host = dict(LOCAL, cloudbackup_precheck_oracle_instances=[
        instance(login_host="db01.example.com", login_port=1521, service_name="ORCL"),
        instance(name="reporting", login_host="db01.example.com", login_port=1522, service_name="ORCL"),
    ], cloudbackup_precheck_accepted_findings=[
        {"check": "oracle.archive_mode", "target": SECOND, "reason": "reporting copy, rebuilt nightly"}])
    return run_playbook(tmp_path, {"all": {"hosts": {"localhost": host}}}, timeout=300,
                        env={"PYTHONPATH": STANDIN, "ORACLE_STANDIN_SCENARIO": str(spec)})


def test_two_orcl_databases_on_one_host_have_their_own_targets(two_orcl_run):
    results = by_target(two_orcl_run)
    assert sorted(results) == sorted([FIRST, SECOND]), sorted(results)
    for target in (FIRST, SECOND):
        assert results[target]["oracle.connection"]["status"] == "passed"
        assert results[target]["oracle.archive_mode"]["status"] == "failed"
    assert FIRST in two_orcl_run.markdown and SECOND in two_orcl_run.markdown


def test_accepting_one_orcl_leaves_the_other_blocking(two_orcl_run):
    report = two_orcl_run.report["hosts"]["localhost"]
    accepted = [two_orcl_run.results()[a["index"]]["target"] for a in report["accepted"]]
    assert accepted == [SECOND]
    assert report["verdict"] == "blocked" and two_orcl_run.rc != 0
    assert two_orcl_run.result("oracle.archive_mode", FIRST)["status"] == "failed"


@pytest.fixture(scope="module")
def real_driver_run(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("oracle-real-faults")
    cert, key = self_signed_cert(tmp_path)
    with HttpsServer(cert, key) as tls:
        host = dict(LOCAL, cloudbackup_precheck_oracle_instances=[
            instance(name="tls", dsn="tcps://127.0.0.1:%d/ORCL" % tls.port),
            instance(name="dns", login_host="nosuchhost.invalid", service_name="ORCL"),
        ])
        run = run_playbook(tmp_path, {"all": {"hosts": {"localhost": host}}}, timeout=300)
        run.tls_port = tls.port
    return run


def test_a_certificate_failure_of_tcps_is_tls(real_driver_run):
    connection = real_driver_run.result("oracle.connection", "tls (127.0.0.1:%d/ORCL)" % real_driver_run.tls_port)
    assert connection["status"] == "error" and connection["cause"] == "tls", connection
    assert "CERTIFICATE_VERIFY_FAILED" in connection["message"]
    assert "wallet_location" in connection["remediation"] and "firewall" not in connection["remediation"]


def test_an_unresolvable_host_is_dns_and_names_the_host(real_driver_run):
    connection = real_driver_run.result("oracle.connection", "dns (nosuchhost.invalid:1521/ORCL)")
    assert connection["status"] == "error" and connection["cause"] == "dns", connection
    assert "The host name nosuchhost.invalid" in connection["message"] and "()" not in connection["message"]
    assert "resolver" in connection["remediation"] and "firewall" not in connection["remediation"]
    other = real_driver_run.result("oracle.archive_mode", "dns (nosuchhost.invalid:1521/ORCL)")
    assert other["cause"] == "dependency"
