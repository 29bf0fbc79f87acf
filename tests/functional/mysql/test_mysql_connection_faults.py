"""MySQL connection faults through ansible-playbook and the role, against a private MariaDB on 127.0.0.1:
logins with non-ASCII passwords, TLS asked of a server that has none, and a session that drops or
stalls right after the login (a relay in front of the server cuts it at the connection check's own
query, tests/support/mysql_proxy.py). One playbook run covers every instance."""

import shutil
import sys
import tempfile

import pytest

from endpoints import self_signed_cert
from harness import run_playbook
from mariadb import MariaDBServer
from mysql_proxy import CuttingProxy

# Passwords the mysql client sends as UTF-8; PyMySQL sent a str as Latin-1.
PASSWORDS = {"accent": "café-Pw-41b7e2", "euro": "€-Pw-9c03d5a1", "plain": "Plain-pw-6e28f4b0c1"}
NON_ASCII = ("é", "€", "\\u20ac", "\\xe9", "\\u00e9")

LOCAL = {"ansible_connection": "local", "ansible_python_interpreter": sys.executable,
         "cloudbackup_precheck_host_checks": []}
OTHER_CHECKS = ("mysql.version", "mysql.binlog", "mysql.privileges")


@pytest.fixture(scope="module")
def server():
    basedir = tempfile.mkdtemp(prefix="cbp-mariadb-")
    srv = MariaDBServer(basedir)
    try:
        srv.start(log_bin=True, binlog_format="ROW")
        statements = []
        for user, password in PASSWORDS.items():
            statements += ["CREATE USER '%s'@'%%' IDENTIFIED BY '%s'" % (user, password),
                           "GRANT RELOAD, LOCK TABLES, PROCESS, BINLOG MONITOR ON *.* TO '%s'@'%%'" % user]
        srv.execute(*statements)
        yield srv
    finally:
        srv.cleanup()
        shutil.rmtree(basedir, ignore_errors=True)


def instance(name, port, user="plain", **options):
    settings = {"name": name, "login_host": "127.0.0.1", "login_port": port, "login_user": user,
                "login_password": PASSWORDS[user], "connect_timeout": 5}
    settings.update(options)
    return settings


def target(name, port):
    return "%s (127.0.0.1:%d)" % (name, port)


@pytest.fixture(scope="module")
def role_run(server, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("mysql-faults")
    ca_cert, _key = self_signed_cert(tmp_path)
    port = server.port
    with CuttingProxy(port, b"SELECT VERSION()", "drop") as dropping, \
            CuttingProxy(port, b"SELECT VERSION()", "stall") as stalling:
        instances = [
            instance("accent", port, user="accent"),
            instance("euro", port, user="euro"),
            instance("tls-asked", port, ca_cert=str(ca_cert)),
            instance("dropped", dropping.port),
            instance("stalled", stalling.port, read_timeout=2),
        ]
        inventory = {"all": {"hosts": {"localhost": dict(LOCAL, cloudbackup_precheck_mysql_instances=instances)}}}
        run = run_playbook(tmp_path, inventory, verbosity=3, timeout=300)
        run.ports = {"dropped": dropping.port, "stalled": stalling.port}
        run.cuts = (dropping.cuts, stalling.cuts)
    return run


def by_id(run, name, port):
    return dict((r["id"], r) for r in run.results() if r["target"].startswith(target(name, port)))


@pytest.mark.parametrize("user", ["accent", "euro"])
def test_non_ascii_passwords_log_in(server, role_run, user):
    results = by_id(role_run, user, server.port)
    assert results["mysql.connection"]["status"] == "passed", results["mysql.connection"]
    assert "'%s'@'%%'" % user in results["mysql.connection"]["message"]
    assert results["mysql.privileges"]["status"] == "passed"


def test_no_password_and_no_password_character_in_any_output(role_run):
    texts = {"ansible-playbook -vvv output": role_run.output()}
    for path in role_run.report_dir.glob("*"):
        texts[str(path)] = path.read_text(errors="replace")
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in role_run.output()
    for where, text in texts.items():
        for secret in list(PASSWORDS.values()) + list(NON_ASCII):
            assert secret not in text, "%r appears in %s" % (secret, where)


def test_tls_asked_of_a_server_without_tls_is_a_tls_error(server, role_run):
    connection = by_id(role_run, "tls-asked", server.port)["mysql.connection"]
    assert connection["status"] == "error" and connection["cause"] == "tls", connection
    assert "does not offer TLS" in connection["message"]
    assert "have_ssl" in connection["remediation"] and "ca_cert" in connection["remediation"]
    assert "firewall" not in connection["remediation"]


@pytest.mark.parametrize("name, cause", [("dropped", "unreachable"), ("stalled", "timeout")])
def test_a_session_cut_after_login_is_the_connection_checks_failure(role_run, name, cause):
    assert role_run.cuts == (1, 1)
    results = by_id(role_run, name, role_run.ports[name])
    connection = results["mysql.connection"]
    assert connection["status"] == "error" and connection["cause"] == cause, connection
    assert "the server version" in connection["message"]
    for check in OTHER_CHECKS:
        assert results[check]["cause"] == "dependency", results[check]
        assert results[check]["message"] == "Not run: mysql.connection failed (%s); see that result." % cause
