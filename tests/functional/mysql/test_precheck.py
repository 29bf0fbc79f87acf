"""The MySQL modules through ansible-playbook against a private MariaDB server on 127.0.0.1.

One server per module (tests/support/mariadb.py), restarted with other options between scenarios:
binlog off, binlog STATEMENT, binlog ROW, a user missing RELOAD, a wrong password, a stopped server.
Every playbook runs at -vvv, and no password may appear in its output, the saved results or the
report files.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import time

import pytest

from catalogs import statements_in
from harness import ROOT, local_inventory, run_playbook
from mariadb import MariaDBServer

PASSWORDS = {
    "bk": "Bk-pw-5d1c0e8a77",
    "norel": "Norel-pw-2b94f6c3d1",
    "admin": "Admin-pw-9e7a31b05c",
    "cfguser": "Cfg-pw-c4f28a6e90",
}
WRONG_PASSWORD = "Wrong-pw-81f3bb2a4e"
SECRETS = list(PASSWORDS.values()) + [WRONG_PASSWORD]


@pytest.fixture(scope="module")
def server():
    # A short path of its own: the unix socket path must stay under 108 bytes.
    basedir = tempfile.mkdtemp(prefix="cbp-mariadb-")
    srv = MariaDBServer(basedir)
    try:
        srv.start()
        srv.execute(
            "CREATE USER 'bk'@'%%' IDENTIFIED BY '%s'" % PASSWORDS["bk"],
            "GRANT RELOAD, LOCK TABLES, PROCESS, REPLICATION CLIENT ON *.* TO 'bk'@'%'",
            "CREATE USER 'norel'@'%%' IDENTIFIED BY '%s'" % PASSWORDS["norel"],
            "GRANT LOCK TABLES, PROCESS, REPLICATION CLIENT ON *.* TO 'norel'@'%'",
            "CREATE USER 'admin'@'%%' IDENTIFIED BY '%s'" % PASSWORDS["admin"],
            "GRANT ALL PRIVILEGES ON *.* TO 'admin'@'%'",
            "CREATE USER 'cfguser'@'%%' IDENTIFIED BY '%s'" % PASSWORDS["cfguser"],
        )
        yield srv
    finally:
        srv.cleanup()
        leftovers = srv.leftover_processes()
        shutil.rmtree(basedir, ignore_errors=True)
    assert not leftovers, "MariaDB processes left behind: %s" % leftovers


def tcp(user, password=None, **extra):
    args = {"login_host": "127.0.0.1", "login_user": user,
            "login_password": PASSWORDS[user] if password is None else password}
    args.update(extra)
    return args


def run_tasks(tmp_path, runs):
    """`runs`: [(name, module, args)]. Runs one play at -vvv; returns ({name: registered result}, run).

    Every registered result is written to tmp_path/results/<name>.json with a copy task, as a role
    user would persist them; the password must not reach those files either."""
    out = tmp_path / "results"
    out.mkdir()
    tasks = []
    for name, module, args in runs:
        tasks.append({"name": name, "cloudbackup.precheck." + module: args, "register": "r_" + name,
                      "ignore_errors": True})
        tasks.append({"name": "Save " + name, "ansible.builtin.copy": {
            "content": "{{ r_%s | to_json }}" % name, "dest": str(out / (name + ".json")), "mode": "0600"}})
    play = [{"name": "MySQL precheck scenarios", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]
    run = run_playbook(tmp_path, local_inventory(), playbook=play, verbosity=3, timeout=300)
    # -vvv prints each module's arguments, the password masked by no_log, and its results.
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in run.stdout and "check_results" in run.stdout, run
    assert_no_secret(run, tmp_path)
    results = {}
    for name, _module, _args in runs:
        path = out / (name + ".json")
        assert path.exists(), "no result saved for %s\n%r" % (name, run)
        results[name] = json.loads(path.read_text())
    return results, run


def assert_no_secret(run, tmp_path):
    texts = {"stdout": run.stdout, "stderr": run.stderr}
    for directory in (tmp_path / "results", tmp_path / "report"):
        if directory.exists():
            for path in directory.rglob("*"):
                if path.is_file():
                    texts[str(path)] = path.read_text(errors="replace")
    for where, text in texts.items():
        for secret in SECRETS:
            assert secret not in text, "a password appears in %s" % where


def by_id(result):
    assert "check_results" in result, result
    return dict((r["id"], r) for r in result["check_results"])


# -- scenarios -------------------------------------------------------------------------------------

def test_binlog_off_and_accounts(server, tmp_path):
    server.ensure(log_bin=False)
    port = server.port
    cnf = tmp_path / "my.cnf"
    cnf.write_text("[client]\nuser = cfguser\npassword = \"%s\"\n" % PASSWORDS["cfguser"])
    cnf.chmod(0o600)
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(1)
    try:
        results, run = run_tasks(tmp_path, [
            ("all", "mysql_precheck", tcp("bk", login_port=port)),
            ("norel", "mysql_precheck", tcp("norel", login_port=port)),
            ("wrong_password", "mysql_precheck", tcp("bk", WRONG_PASSWORD, login_port=port)),
            ("config_file", "mysql_connection", {"login_host": "127.0.0.1", "login_port": port,
                                                 "config_file": str(cnf)}),
            ("socket_root", "mysql_precheck", {"login_unix_socket": server.socket, "login_user": "root",
                                               "checks": ["connection", "@permissions"]}),
            ("other_account", "mysql_privileges", tcp("admin", login_port=port, backup_user="norel@%")),
            ("not_allowed", "mysql_privileges", tcp("norel", login_port=port, backup_user="bk@%")),
            ("version", "mysql_version", tcp("bk", login_port=port)),
            ("binlog", "mysql_binlog", tcp("bk", login_port=port)),
            ("privileges", "mysql_privileges", tcp("bk", login_port=port)),
            ("silent", "mysql_precheck", tcp("bk", login_port=silent.getsockname()[1], connect_timeout=1)),
            ("bad_option", "mysql_precheck", tcp("bk", login_port=70000, checks=["binlog", "nosuch"])),
        ])
    finally:
        silent.close()
    assert run.rc == 0, run

    everything = by_id(results["all"])
    assert {k: v["status"] for k, v in everything.items()} == {
        "mysql.connection": "passed", "mysql.version": "passed", "mysql.binlog": "failed",
        "mysql.privileges": "passed"}
    assert everything["mysql.connection"]["target"] == "127.0.0.1:%d" % port
    assert "MariaDB" in everything["mysql.version"]["message"]
    binlog = everything["mysql.binlog"]
    assert "log_bin = OFF" in binlog["message"]
    assert "log_bin" in binlog["remediation"] and "server config" in binlog["remediation"]
    assert binlog["impact"] == ["log_backup", "incremental_backup"]
    assert results["all"]["summary"]["failed"] == 1 and results["all"]["changed"] is False

    norel = by_id(results["norel"])["mysql.privileges"]
    assert norel["status"] == "failed" and norel["target"] == "127.0.0.1:%d/norel@%%" % port
    assert "RELOAD" in norel["message"]
    assert "GRANT RELOAD ON *.* TO 'norel'@'%';" in norel["remediation"]

    wrong = by_id(results["wrong_password"])
    assert wrong["mysql.connection"]["status"] == "error"
    assert wrong["mysql.connection"]["cause"] == "login_failed"
    assert "1045" in wrong["mysql.connection"]["message"] and "login_password" in wrong["mysql.connection"]["remediation"]
    assert all(wrong[c]["cause"] == "dependency" for c in ("mysql.version", "mysql.binlog", "mysql.privileges"))

    (config,) = results["config_file"]["check_results"]
    assert config["status"] == "passed" and "'cfguser'@'%'" in config["message"]
    assert config["details"]["config_file"] == str(cnf)

    socket_root = by_id(results["socket_root"])
    assert socket_root["mysql.connection"]["target"] == server.socket
    assert socket_root["mysql.privileges"]["status"] == "passed"
    assert "ALL PRIVILEGES" in socket_root["mysql.privileges"]["message"]
    assert set(socket_root) == {"mysql.connection", "mysql.privileges"}

    (other,) = results["other_account"]["check_results"]
    assert other["status"] == "failed" and "GRANT RELOAD ON *.* TO 'norel'@'%';" in other["remediation"]
    (not_allowed,) = results["not_allowed"]["check_results"]
    assert not_allowed["status"] == "error" and not_allowed["cause"] == "permission"
    assert "GRANT SELECT ON mysql.* TO 'norel'@'%';" in not_allowed["remediation"]

    for name, check, status in (("version", "mysql.version", "passed"), ("binlog", "mysql.binlog", "failed"),
                                ("privileges", "mysql.privileges", "passed")):
        (only,) = results[name]["check_results"]
        assert (only["id"], only["status"]) == (check, status)

    silent_results = by_id(results["silent"])
    assert silent_results["mysql.connection"]["cause"] == "timeout"
    assert max(r["duration_ms"] for r in silent_results.values()) < 5000

    bad = results["bad_option"]
    assert bad["failed"] is True and "check_results" not in bad
    assert "login_port: 70000 is out of range (valid: a number from 1 to 65535)" in bad["msg"]


def test_binlog_statement_format_warns(server, tmp_path):
    server.ensure(log_bin=True, binlog_format="STATEMENT")
    results, run = run_tasks(tmp_path, [("binlog", "mysql_binlog", tcp("bk", login_port=server.port))])
    assert run.rc == 0, run
    (binlog,) = results["binlog"]["check_results"]
    assert binlog["status"] == "warning"
    assert "binlog_format = STATEMENT" in binlog["message"]
    assert "binlog_format = ROW in the server config" in binlog["remediation"]
    assert binlog["details"]["log_bin"] == "ON"


def test_binlog_row_format_passes_and_reports_retention(server, tmp_path):
    server.ensure(log_bin=True, binlog_format="ROW", extra=["--expire-logs-days=2"])
    results, run = run_tasks(tmp_path, [
        ("all", "mysql_precheck", tcp("bk", login_port=server.port)),
        ("strict_retention", "mysql_binlog", tcp("bk", login_port=server.port, binlog_min_retention_hours=72)),
    ])
    assert run.rc == 0, run
    everything = by_id(results["all"])
    assert [everything[c]["status"] for c in sorted(everything)] == ["passed"] * 4
    binlog = everything["mysql.binlog"]
    assert "binlog_format = ROW" in binlog["message"] and "2 days" in binlog["message"]
    assert binlog["details"]["retention_seconds"] == 2 * 86400
    assert binlog["details"]["retention_variable"] == "binlog_expire_logs_seconds"   # MariaDB 10.6.1+
    (strict,) = results["strict_retention"]["check_results"]
    assert strict["status"] == "warning" and "72 hours" in strict["message"]


def test_every_printed_statement_runs_on_mariadb(server, tmp_path):
    """The statements the remediations print are run as root on the real MariaDB: a form MariaDB does
    not have (SHOW GRANTS FOR ... USING, MySQL 8.0 only) fails here. Also a binlog in MIXED format with
    a 12-hour retention: both are reported."""
    server.ensure(log_bin=True, binlog_format="MIXED", extra=["--binlog-expire-logs-seconds=43200"])
    server.execute(
        "CREATE USER IF NOT EXISTS 'rolebk'@'%%' IDENTIFIED BY '%s'" % PASSWORDS["bk"],
        "CREATE ROLE IF NOT EXISTS 'bk_role'", "GRANT PROCESS ON *.* TO 'bk_role'", "GRANT 'bk_role' TO 'rolebk'@'%'",
        "CREATE USER IF NOT EXISTS 'lackbk'@'%%' IDENTIFIED BY '%s'" % PASSWORDS["bk"])
    results, run = run_tasks(tmp_path, [
        ("roles", "mysql_precheck", tcp("admin", login_port=server.port, backup_user="rolebk@%")),
        ("lacking", "mysql_precheck", tcp("admin", login_port=server.port, backup_user="lackbk@%")),
        ("missing", "mysql_privileges", tcp("admin", login_port=server.port, backup_user="ghost@%")),
    ])
    assert run.rc == 0, run
    binlog = by_id(results["roles"])["mysql.binlog"]
    assert binlog["status"] == "warning"
    assert "binlog_format = MIXED" in binlog["message"] and "shorter than 24 hours" in binlog["message"]
    roles = by_id(results["roles"])["mysql.privileges"]
    assert roles["status"] == "warning" and "USING" not in roles["remediation"]
    printed = []
    for result in results.values():
        for item in result["check_results"]:
            printed += statements_in((item["remediation"] or "").replace("'<password>'", "'Printed-pw-1e7c'"))
    assert any(s.startswith("SHOW GRANTS FOR 'bk_role'") for s in printed), printed
    assert any(s.startswith("GRANT RELOAD") for s in printed) and any(s.startswith("CREATE USER") for s in printed)
    assert any(s.startswith("SET GLOBAL binlog_format") for s in printed)
    for statement in printed:
        server.execute(statement)  # raises on a statement MariaDB rejects


def test_stopped_server_is_unreachable_and_no_process_is_left(server, tmp_path):
    server.stop()
    assert not server.leftover_processes()
    results, run = run_tasks(tmp_path, [
        ("all", "mysql_precheck", tcp("bk", login_port=server.port)),
        ("binlog", "mysql_binlog", tcp("bk", login_port=server.port)),
        ("socket", "mysql_connection", {"login_unix_socket": server.socket, "login_user": "root"}),
    ])
    assert run.rc == 0, run
    everything = by_id(results["all"])
    connection = everything["mysql.connection"]
    assert connection["status"] == "error" and connection["cause"] == "unreachable"
    assert connection["details"]["reason"] == "refused"
    assert "start the server" in connection["remediation"]
    assert all(everything[c]["cause"] == "dependency" for c in ("mysql.version", "mysql.binlog", "mysql.privileges"))
    (binlog,) = results["binlog"]["check_results"]
    assert binlog["status"] == "error" and binlog["cause"] == "unreachable"
    (sock,) = results["socket"]["check_results"]
    assert sock["cause"] == "unreachable" and sock["details"]["reason"] in ("no_socket", "refused")
    assert os.path.basename(server.socket) in sock["message"]


CHILD = textwrap.dedent("""
    import os, signal, sys
    sys.path.insert(0, %r)
    from mariadb import MariaDBServer
    server = MariaDBServer(sys.argv[1])
    server.start()
    print(server.process.pid, flush=True)
    if sys.argv[2] == "kill":
        os.kill(os.getpid(), signal.SIGKILL)   # no atexit: the kernel's parent-death signal must do it
""")


@pytest.mark.parametrize("how", ["exit", "kill"])
def test_a_server_dies_with_the_test_process(tmp_path, how):
    support = os.path.join(ROOT, "tests", "support")
    basedir = tempfile.mkdtemp(prefix="cbp-mariadb-")
    try:
        proc = subprocess.run([sys.executable, "-c", CHILD % support, basedir, how], capture_output=True, text=True,
                              timeout=120, check=False)
        assert proc.stdout.strip().isdigit(), proc.stdout + proc.stderr
        probe = MariaDBServer(basedir)
        deadline = time.monotonic() + 10
        while probe.leftover_processes() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not probe.leftover_processes()
    finally:
        shutil.rmtree(basedir, ignore_errors=True)
