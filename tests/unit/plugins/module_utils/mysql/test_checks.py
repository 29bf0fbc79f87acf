"""MySQL/MariaDB judging on plain rows, the option file, settings, error classification, and the
check items run through the registry with gathered data put in the context's cache."""

import socket
import ssl
import sys
import time

import pytest

from ansible_collections.cloudbackup.precheck.plugins.module_utils.mysql import checks as M
from ansible_collections.cloudbackup.precheck.plugins.module_utils.mysql import connection as C
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import registry
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import runner
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.mysql import engine as mysql_engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.mysql import gathering as mysql_gathering

pymysql = pytest.importorskip("pymysql")

TARGET = "db1:3306"


def server(version, comment=""):
    return mysql_gathering.parse_server_version(version, comment)


def params(**overrides):
    values = dict((name, spec.get("default")) for name, spec in mysql_engine.ENGINE.argument_spec.items())
    values["config_file"] = None  # no option file unless a test gives one
    values.update(overrides)
    return values


def test_judge_connection_names_the_server_the_account_and_tls():
    server = mysql_gathering.parse_server_version("10.11.6-MariaDB-0+deb12u1", "Debian 12")
    server.update(current_user="backup@localhost", tls_cipher="TLS_AES_256_GCM_SHA384", connect_ms=12)
    settings = {"unix_socket": None, "effective_user": "backup", "config_file": None}
    (result,) = M.judge_connection(server, settings, "db1:3306")
    assert result["status"] == "passed" and result["target"] == "db1:3306"
    assert result["message"] == ("Connected to MariaDB 10.11.6 at db1:3306 over TCP as 'backup'@'localhost' in 12 ms "
                                 "(TLS TLS_AES_256_GCM_SHA384).")
    (over_socket,) = M.judge_connection(dict(server, tls_cipher=None), dict(settings, unix_socket="/run/mysqld.sock"),
                                        "/run/mysqld.sock")
    assert "over socket /run/mysqld.sock" in over_socket["message"] and "(no TLS)" in over_socket["message"]


# -- versions ---------------------------------------------------------------------------------

@pytest.mark.parametrize("version, comment, flavour, numbers, distribution", [
    ("10.11.19-MariaDB-0+deb12u1", "Debian 12", "mariadb", (10, 11, 19), None),
    ("5.5.5-10.3.39-MariaDB", "mariadb.org binary distribution", "mariadb", (10, 3, 39), None),
    ("11.4.2-MariaDB", "", "mariadb", (11, 4, 2), None),
    ("8.0.36", "MySQL Community Server - GPL", "mysql", (8, 0, 36), None),
    ("5.7.44-log", "MySQL Community Server (GPL)", "mysql", (5, 7, 44), None),
    ("8.0.35-27", "Percona Server (GPL), Release 27, Revision 2f8eeab2", "mysql", (8, 0, 35), "Percona Server"),
    ("5.7.25-TiDB-v7.5.0", "", "tidb", (5, 7, 25), None),
    ("8.0", "", "mysql", (8, 0, 0), None),
])
def test_parse_server_version(version, comment, flavour, numbers, distribution):
    parsed = mysql_gathering.parse_server_version(version, comment)
    assert parsed["flavour"] == flavour
    assert parsed["version"] == numbers
    assert parsed["distribution"] == distribution


def test_unreadable_version_is_kept_raw():
    parsed = mysql_gathering.parse_server_version("banana", "")
    assert parsed["version"] is None and parsed["version_text"] == "banana"


@pytest.mark.parametrize("text, low, high", [
    ("5.1.38-8.0", (5, 1, 38), (8, 0)),
    ("10.0-11", (10, 0), (11,)),
    ("8.0.0-8.0", (8, 0, 0), (8, 0)),
])
def test_parse_version_range(text, low, high):
    assert M.parse_version_range(text) == (low, high)


@pytest.mark.parametrize("text", ["5.7", "8.0-5.7", "a-b", "5.7-8.0-9", "", "5.7.1.2-8.0"])
def test_bad_version_range_names_the_valid_form(text):
    with pytest.raises(ValueError, match="MIN-MAX"):
        M.parse_version_range(text)


@pytest.mark.parametrize("version, comment, status, words", [
    ("5.1.38", "", "passed", "supported"),
    ("5.1.37", "", "failed", "older than the oldest supported MySQL 5.1.38"),
    ("5.7.44-log", "", "passed", "MySQL 5.1.38 to 8.0.x"),
    ("8.0.36", "", "passed", "supported"),
    ("8.4.0", "", "failed", "newer than the supported MySQL 8.0.x"),
    ("9.1.0", "", "failed", "newer"),
    ("8.0.35-27", "Percona Server (GPL)", "passed", "MySQL 8.0.35"),
    ("10.11.19-MariaDB-0+deb12u1", "Debian 12", "passed", "MariaDB 10.0 to 11.x"),
    ("11.8.1-MariaDB", "", "passed", "supported"),
    ("12.0.1-MariaDB", "", "failed", "newer than the supported MariaDB 11.x"),
    ("5.5.68-MariaDB", "", "failed", "older than the oldest supported MariaDB 10.0"),
    ("5.7.25-TiDB-v7.5.0", "", "failed", "not a supported server"),
])
def test_judge_version_by_flavour(version, comment, status, words):
    (result,) = M.judge_version(server(version, comment), M.version_ranges(None), TARGET)
    assert result["status"] == status
    assert words in result["message"]
    assert result["target"] == TARGET


def test_supported_versions_option_overrides_one_flavour():
    ranges = M.version_ranges({"mariadb": "10.6-10.11"})
    assert ranges["mysql"] == M.SUPPORTED_VERSIONS["mysql"]
    (old,) = M.judge_version(server("10.5.9-MariaDB"), ranges, TARGET)
    (new,) = M.judge_version(server("11.4.2-MariaDB"), ranges, TARGET)
    (ok,) = M.judge_version(server("10.11.2-MariaDB"), ranges, TARGET)
    assert (old["status"], new["status"], ok["status"]) == ("failed", "failed", "passed")
    assert "10.6 to 10.11.x" in ok["message"]


def test_unreadable_version_warns_not_passes():
    (result,) = M.judge_version(server("banana"), M.version_ranges(None), TARGET)
    assert result["status"] == "warning"


# -- binary log -------------------------------------------------------------------------------

MARIADB = server("10.11.19-MariaDB-0+deb12u1", "Debian 12")
MARIADB_105 = server("10.5.23-MariaDB")
MYSQL_80 = server("8.0.36")
MYSQL_57 = server("5.7.44-log")


@pytest.mark.parametrize("srv, variables, expected", [
    (MYSQL_80, {"binlog_expire_logs_seconds": "2592000", "expire_logs_days": "0"}, (2592000, "binlog_expire_logs_seconds")),
    (MYSQL_80, {"binlog_expire_logs_seconds": "0", "expire_logs_days": "7"}, (7 * 86400, "expire_logs_days")),
    (MYSQL_80, {"binlog_expire_logs_seconds": "0", "expire_logs_days": "0"}, (0, "binlog_expire_logs_seconds")),
    (MYSQL_80, {"binlog_expire_logs_seconds": "86400", "binlog_expire_logs_auto_purge": "OFF"},
     (0, "binlog_expire_logs_auto_purge")),
    (MYSQL_57, {"expire_logs_days": "10"}, (10 * 86400, "expire_logs_days")),
    (MYSQL_57, {"expire_logs_days": "0"}, (0, "expire_logs_days")),
    (MARIADB, {"binlog_expire_logs_seconds": "259200", "expire_logs_days": "3.000000"}, (259200, "binlog_expire_logs_seconds")),
    (MARIADB_105, {"expire_logs_days": "0.500000"}, (43200, "expire_logs_days")),
    (MYSQL_57, {}, (None, None)),
])
def test_binlog_retention_by_version(srv, variables, expected):
    assert M.binlog_retention(srv, variables) == expected


def test_binlog_off_fails_and_names_log_bin():
    (result,) = M.judge_binlog(MARIADB, {"log_bin": "OFF", "binlog_format": "MIXED"}, TARGET)
    assert result["status"] == "failed"
    assert "log_bin = OFF" in result["message"]
    assert "log_bin" in result["remediation"] and "server config" in result["remediation"]
    assert "binlog_format = ROW" in result["remediation"]


@pytest.mark.parametrize("binlog_format", ["STATEMENT", "MIXED"])
def test_binlog_not_row_warns_and_names_the_setting(binlog_format):
    variables = {"log_bin": "ON", "binlog_format": binlog_format, "binlog_expire_logs_seconds": "0",
                 "expire_logs_days": "0.000000"}
    (result,) = M.judge_binlog(MARIADB, variables, TARGET)
    assert result["status"] == "warning"
    assert "binlog_format = %s" % binlog_format in result["message"]
    assert "binlog_format = ROW in the server config" in result["remediation"]
    assert "never purged automatically" in result["message"]


def test_binlog_row_passes_and_reports_gtid_and_retention():
    variables = {"log_bin": "ON", "binlog_format": "ROW", "gtid_mode": "ON", "binlog_expire_logs_seconds": "604800",
                 "expire_logs_days": "0"}
    (result,) = M.judge_binlog(MYSQL_80, variables, TARGET)
    assert result["status"] == "passed"
    assert "gtid_mode = ON" in result["message"] and "7 days" in result["message"]
    assert result["details"]["retention_seconds"] == 604800
    assert result["details"]["gtid_mode"] == "ON"


def test_binlog_short_retention_warns_unless_threshold_is_zero():
    variables = {"log_bin": "ON", "binlog_format": "ROW", "binlog_expire_logs_seconds": "3600"}
    (short,) = M.judge_binlog(MYSQL_80, variables, TARGET, 24)
    (off,) = M.judge_binlog(MYSQL_80, variables, TARGET, 0)
    assert short["status"] == "warning" and "binlog_expire_logs_seconds" in short["remediation"]
    assert off["status"] == "passed"


def test_binlog_variable_names_are_case_insensitive():
    (result,) = M.judge_binlog(MYSQL_57, {"LOG_BIN": "ON", "BINLOG_FORMAT": "ROW", "EXPIRE_LOGS_DAYS": "3"}, TARGET)
    assert result["status"] == "passed"


# -- privileges -------------------------------------------------------------------------------

MARIADB_GRANTS = [
    ("GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO `bk`@`%` IDENTIFIED BY PASSWORD "
     "'*2B602296A79E0A8784ACC5C88D92E46588CCA3C3'",),
]
MYSQL57_GRANTS = [
    "GRANT RELOAD, PROCESS, LOCK TABLES, REPLICATION CLIENT ON *.* TO 'bk'@'localhost'",
    "GRANT SELECT ON `app`.* TO 'bk'@'localhost'",
]
MYSQL80_GRANTS = [
    "GRANT RELOAD, PROCESS, LOCK TABLES, REPLICATION CLIENT ON *.* TO `bk`@`%`",
    "GRANT BACKUP_ADMIN ON *.* TO `bk`@`%`",
]


def test_parse_grants_keeps_global_privileges_and_no_hash():
    parsed = M.parse_grants(MARIADB_GRANTS)
    assert parsed == {"global": ["RELOAD", "PROCESS", "LOCK TABLES", "BINLOG MONITOR"], "all": False, "roles": []}
    assert "2B6022" not in repr(parsed)


def test_parse_grants_ignores_schema_and_column_grants():
    parsed = M.parse_grants(MYSQL57_GRANTS + ["GRANT SELECT (a, b), RELOAD ON `app`.`t` TO 'bk'@'localhost'"])
    assert parsed["global"] == ["RELOAD", "PROCESS", "LOCK TABLES", "REPLICATION CLIENT"]


def test_parse_grants_all_privileges_and_roles():
    parsed = M.parse_grants([
        "GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost` WITH GRANT OPTION",
        "GRANT PROXY ON ``@`%` TO `root`@`localhost` WITH GRANT OPTION",
        "GRANT `backup_role`@`%`,`other` TO `bk`@`%`",
        "SET DEFAULT ROLE `backup_role` FOR `bk`@`%`",
    ])
    assert parsed["all"] is True
    assert parsed["roles"] == ["backup_role@%", "other"]


@pytest.mark.parametrize("srv, names", [
    (MYSQL_57, ["RELOAD", "LOCK TABLES", "PROCESS", "REPLICATION CLIENT"]),
    (MYSQL_80, ["RELOAD", "LOCK TABLES", "PROCESS", "REPLICATION CLIENT", "BACKUP_ADMIN"]),
    (server("10.4.32-MariaDB"), ["RELOAD", "LOCK TABLES", "PROCESS", "REPLICATION CLIENT"]),
    (server("10.5.2-MariaDB"), ["RELOAD", "LOCK TABLES", "PROCESS", "BINLOG MONITOR"]),
    (MARIADB, ["RELOAD", "LOCK TABLES", "PROCESS", "BINLOG MONITOR"]),
])
def test_required_privileges_by_version(srv, names):
    assert [name for name, _accepted in M.required_privileges(srv)] == names


@pytest.mark.parametrize("srv, lines", [(MARIADB, MARIADB_GRANTS), (MYSQL_57, MYSQL57_GRANTS), (MYSQL_80, MYSQL80_GRANTS)])
def test_complete_grants_pass(srv, lines):
    (result,) = M.judge_privileges(srv, M.parse_grants(lines), ("bk", "%"), TARGET + "/bk@%")
    assert result["status"] == "passed", result["message"]
    assert result["details"]["missing"] == []


def test_replication_client_counts_as_binlog_monitor_on_mariadb():
    lines = ["GRANT RELOAD, PROCESS, LOCK TABLES, REPLICATION CLIENT ON *.* TO 'bk'@'%'"]
    (result,) = M.judge_privileges(MARIADB, M.parse_grants(lines), ("bk", "%"), TARGET)
    assert result["status"] == "passed"


def test_missing_reload_fails_with_a_grant_statement_quoting_the_user():
    lines = ["GRANT PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO `norel`@`%`"]
    (result,) = M.judge_privileges(MARIADB, M.parse_grants(lines), ("norel", "%"), TARGET)
    assert result["status"] == "failed"
    assert "lacks RELOAD" in result["message"]
    assert result["remediation"].endswith("GRANT RELOAD ON *.* TO 'norel'@'%';")
    assert result["details"]["missing"] == ["RELOAD"]


def test_mysql80_without_backup_admin_fails():
    (result,) = M.judge_privileges(MYSQL_80, M.parse_grants(MYSQL80_GRANTS[:1]), ("bk", "%"), TARGET)
    assert result["status"] == "failed"
    assert "GRANT BACKUP_ADMIN ON *.* TO 'bk'@'%';" in result["remediation"]


def test_all_privileges_passes():
    lines = ["GRANT ALL PRIVILEGES ON *.* TO 'root'@'localhost' IDENTIFIED BY PASSWORD '*ABC' WITH GRANT OPTION"]
    (result,) = M.judge_privileges(MYSQL_80, M.parse_grants(lines), ("root", "localhost"), TARGET)
    assert result["status"] == "passed" and "ALL PRIVILEGES" in result["message"]


def test_missing_privileges_with_roles_warn_instead_of_fail():
    lines = ["GRANT USAGE ON *.* TO `bk`@`%`", "GRANT `backup_role`@`%` TO `bk`@`%`"]
    (result,) = M.judge_privileges(MYSQL_80, M.parse_grants(lines), ("bk", "%"), TARGET)
    assert result["status"] == "warning"
    assert "backup_role@%" in result["message"] and "GRANT RELOAD, LOCK TABLES" in result["remediation"]


def test_account_quoting_and_splitting():
    assert mysql_gathering.split_account("bk@%") == ("bk", "%")
    assert mysql_gathering.split_account("odd@name@localhost") == ("odd@name", "localhost")
    assert mysql_gathering.split_account("bk") == ("bk", "%")
    assert mysql_gathering.split_account("'bk'@'10.0.0.%'") == ("bk", "10.0.0.%")
    assert mysql_gathering.quote_account("o'brien", "%") == "'o''brien'@'%'"


# -- validation -------------------------------------------------------------------------------

def test_default_params_are_valid():
    assert mysql_engine.validate(params()) == []


@pytest.mark.parametrize("overrides, fragment", [
    ({"login_port": 0}, "login_port: 0 is out of range (valid: a number from 1 to 65535)"),
    ({"connect_timeout": 0.0}, "connect_timeout: 0 is out of range (valid: a number greater than 0"),
    ({"read_timeout": -1.0}, "read_timeout: -1 is out of range (valid: a number greater than 0"),
    ({"client_key": "/etc/hostname"}, "client_key: set client_cert too"),
    ({"check_hostname": True}, "check_hostname: needs ca_cert"),
    ({"ca_cert": "/nonexistent/ca.pem"}, "ca_cert: /nonexistent/ca.pem is not a file"),
    ({"config_file": "/nonexistent/my.cnf"}, "config_file: /nonexistent/my.cnf is not a file"),
    ({"supported_versions": {"postgres": "1-2"}}, "supported_versions: unknown server flavour 'postgres' (valid keys"),
    ({"supported_versions": {"mysql": "8.0"}}, "supported_versions.mysql: '8.0' is not a range"),
    ({"binlog_min_retention_hours": -1.0}, "binlog_min_retention_hours: -1 is out of range (valid: a number at least 0)"),
    ({"backup_user": "@localhost"}, "backup_user: '@localhost' is not an account"),
    ({"login_host": " "}, "login_host: must not be empty"),
])
def test_validate_names_the_option_and_valid_values(overrides, fragment):
    problems = mysql_engine.ENGINE.problems(params(**overrides))
    assert any(fragment in problem for problem in problems), problems


def test_default_config_file_may_be_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    import os
    assert C.validate_connection(params(config_file=os.path.expanduser(C.DEFAULT_CONFIG_FILE))) == []


# -- option file and settings -------------------------------------------------------------------

MY_CNF = r"""
!includedir /etc/mysql/conf.d/
# a comment
[mysqld]
user = mysql
password = server-side-not-ours

[client]
user = backup
password = "p#ss \"word\""
socket=/run/mysqld/mysqld.sock   # trailing comment
loose_ssl_ca = /etc/ssl/ca.pem

[client-mariadb]
user = backup2
"""


def test_parse_option_file_reads_client_groups_only():
    values = C.parse_option_file(MY_CNF)
    assert values["user"] == "backup2"   # [client-mariadb] is read after [client]
    assert values["password"] == 'p#ss "word"'
    assert values["socket"] == "/run/mysqld/mysqld.sock"
    assert values["ssl-ca"] == "/etc/ssl/ca.pem"


def test_settings_options_win_over_file_and_file_password_is_a_secret(tmp_path):
    path = tmp_path / "my.cnf"
    path.write_text("[client]\nuser = fileuser\npassword = file-secret-123\nsocket = /tmp/x.sock\n")
    ctx = mysql_gathering.MysqlContext(params(config_file=str(path), login_user="explicit"))
    assert ctx.settings["user"] == "explicit"
    assert ctx.settings["password"] == "file-secret-123"
    assert ctx.settings["unix_socket"] == "/tmp/x.sock" and ctx.target == "/tmp/x.sock"
    assert "file-secret-123" in ctx.secrets
    remote = mysql_gathering.MysqlContext(params(config_file=str(path), login_host="db1", login_port=3307))
    assert remote.settings["unix_socket"] is None and remote.target == "db1:3307"


def test_unreadable_option_file_is_reported_at_connect(tmp_path):
    path = tmp_path / "my.cnf"
    path.write_bytes(b"[client]\npassword = \xff\xfe\n")
    settings = C.resolve_settings(params(config_file=str(path)))
    with pytest.raises(PrecheckError) as raised:
        C.connect(settings)
    assert raised.value.source == "mysql.connection"


def test_labels():
    assert C.format_label("db1", 3306, None) == "db1:3306"
    assert C.format_label("::1", 3306, None) == "[::1]:3306"
    assert C.format_label("localhost", 3306, "/run/mysqld/mysqld.sock") == "/run/mysqld/mysqld.sock"


def test_tls_options():
    base = C.resolve_settings(params())
    assert C._ssl_options(base) is None
    verified = C._ssl_options(C.resolve_settings(params(ca_cert="/etc/ca.pem")))
    assert verified == {"verify_mode": True, "ca": "/etc/ca.pem", "check_hostname": True}
    no_name = C._ssl_options(C.resolve_settings(params(ca_cert="/etc/ca.pem", check_hostname=False)))
    assert no_name["check_hostname"] is False and no_name["verify_mode"] is True
    client = C._ssl_options(C.resolve_settings(params(client_cert="/c.pem", client_key="/k.pem")))
    assert client == {"verify_mode": False, "check_hostname": False, "cert": "/c.pem", "key": "/k.pem"}


# -- error classification ----------------------------------------------------------------------

def settings_for(**overrides):
    settings = C.resolve_settings(params(login_host="127.0.0.1", login_user="bk", **overrides))
    settings["effective_user"] = "bk"
    return settings


def wrapped(original):
    exc = pymysql.err.OperationalError(2003, "Can't connect to MySQL server on '127.0.0.1' (%s)" % original)
    exc.original_exception = original
    return exc


@pytest.mark.parametrize("exc, cause, reason", [
    (wrapped(ConnectionRefusedError(111, "Connection refused")), "unreachable", "refused"),
    (wrapped(FileNotFoundError(2, "No such file or directory")), "unreachable", "no_socket"),
    (wrapped(socket.timeout("timed out")), "timeout", "timeout"),
    (wrapped(OSError(113, "No route to host")), "unreachable", "no_route"),
    (wrapped(ssl.SSLError(1, "[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")), "tls", "tls"),
    (pymysql.err.OperationalError(2013, "Lost connection to MySQL server during query (timed out)"), "timeout", "timeout"),
    (pymysql.err.OperationalError(2013, "Lost connection to MySQL server during query"), "unreachable", "lost"),
    (pymysql.err.OperationalError(1045, "Access denied for user 'bk'@'10.0.0.5' (using password: YES)"),
     "login_failed", "login"),
    (pymysql.err.OperationalError(1130, "Host '10.0.0.5' is not allowed to connect to this MariaDB server"),
     "login_failed", "login"),
    (pymysql.err.OperationalError(1040, "Too many connections"), "unreachable", "too_many_connections"),
])
def test_classify_connect_error(exc, cause, reason):
    error = C.classify_connect_error(exc, settings_for())
    assert error.cause == cause
    assert error.details.get("reason") == reason
    assert error.source == "mysql.connection"
    assert error.remediation


def test_login_failure_message_names_the_account_and_hints_at_the_options():
    error = C.classify_connect_error(pymysql.err.OperationalError(1045, "Access denied for user 'bk'@'x'"),
                                     settings_for())
    assert "'bk'" in error.message and "login_password" in error.remediation


def test_missing_cryptography_is_driver_missing():
    error = C.classify_connect_error(RuntimeError("'cryptography' package is required for sha256_password or "
                                                  "caching_sha2_password auth methods"), settings_for())
    assert error.cause == "driver_missing" and "pip install cryptography" in error.remediation


@pytest.mark.parametrize("code", [1044, 1142, 1227])
def test_classify_query_permission(code):
    error = C.classify_query_error(pymysql.err.OperationalError(code, "Access denied"), TARGET, "the grants")
    assert error.cause == "permission" and error.source is None


def test_missing_driver_is_classified(monkeypatch):
    monkeypatch.setitem(sys.modules, "pymysql", None)
    with pytest.raises(PrecheckError) as raised:
        C.load_driver()
    assert raised.value.cause == "driver_missing"
    assert "pip install PyMySQL" in raised.value.remediation


def test_queries_are_read_only():
    connection = C.Connection(raw=None, driver=pymysql, settings={"label": TARGET}, elapsed_ms=0)
    for statement in ("SET GLOBAL log_bin = 1", "FLUSH LOGS", "GRANT ALL ON *.* TO x", "SELECTX 1"):
        with pytest.raises(ValueError, match="not SELECT or SHOW"):
            connection.query(statement)


# -- bounded connect, no server needed -----------------------------------------------------------

def test_refused_port_is_unreachable_quickly():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with pytest.raises(PrecheckError) as raised:
        C.connect(C.resolve_settings(params(login_host="127.0.0.1", login_port=port, login_user="x")))
    assert raised.value.cause == "unreachable" and raised.value.details["reason"] == "refused"


def test_silent_listener_times_out_within_connect_timeout():
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    try:
        start = time.monotonic()
        with pytest.raises(PrecheckError) as raised:
            C.connect(C.resolve_settings(params(login_host="127.0.0.1", login_port=listener.getsockname()[1],
                                                login_user="x", connect_timeout=0.5, read_timeout=30.0)))
        assert raised.value.cause == "timeout"
        assert time.monotonic() - start < 3
    finally:
        listener.close()


# -- check items through the registry -----------------------------------------------------------

def context_with(data, **overrides):
    """A MysqlContext whose gathering is already done: `data` fills the memo cache."""
    ctx = mysql_gathering.MysqlContext(params(login_host="db1", login_password="hunter2-secret", **overrides))
    for key, value in data.items():
        ctx._cache[key] = (value, None)
    return ctx


def mariadb_data(grants, variables=None):
    srv = dict(MARIADB, current_user="bk@%", tls_cipher=None, connect_ms=3)
    return {"connection": object(), "server": srv, "grants": grants,
            "variables": variables or {"log_bin": "ON", "binlog_format": "ROW", "binlog_expire_logs_seconds": "0"}}


def run_all(ctx, names=("all",)):
    selected, skipped = registry.select("mysql", list(names))
    return dict((r["id"], r) for r in runner.run_checks(selected, ctx, skipped))


def test_engine_registers_the_four_items():
    assert sorted(c.id for c in registry.checks_for("mysql")) == [
        "mysql.binlog", "mysql.connection", "mysql.privileges", "mysql.version"]
    assert mysql_engine.ENGINE.name == "mysql" and mysql_engine.ENGINE.argument_spec["login_password"]["no_log"] is True


def test_all_items_run_on_gathered_data():
    results = run_all(context_with(mariadb_data(MARIADB_GRANTS)))
    assert [results[i]["status"] for i in sorted(results)] == ["passed"] * 4
    assert results["mysql.privileges"]["target"] == "db1:3306/bk@%"
    assert results["mysql.connection"]["message"].startswith("Connected to MariaDB 10.11.19 at db1:3306")


def test_connection_failure_is_owned_by_the_connection_item():
    ctx = context_with({})
    ctx._cache["connection"] = (None, PrecheckError("login_failed", "Login failed for hunter2-secret", "fix",
                                                    source="mysql.connection"))
    results = run_all(ctx)
    assert results["mysql.connection"]["status"] == "error"
    assert results["mysql.connection"]["cause"] == "login_failed"
    assert "hunter2-secret" not in results["mysql.connection"]["message"]   # scrubbed
    for check in ("mysql.version", "mysql.binlog", "mysql.privileges"):
        assert results[check]["cause"] == "dependency"
    alone = run_all(ctx, ["binlog"])
    assert alone["mysql.binlog"]["cause"] == "login_failed"


def test_backup_user_that_does_not_exist_fails():
    results = run_all(context_with(mariadb_data(None), backup_user="ghost@localhost"), ["privileges"])
    result = results["mysql.privileges"]
    assert result["status"] == "failed" and result["target"] == "db1:3306/ghost@localhost"
    assert "CREATE USER 'ghost'@'localhost'" in result["remediation"]


def test_skip_by_tag_reports_skipped():
    ctx = context_with(mariadb_data(MARIADB_GRANTS))
    selected, skipped = registry.select("mysql", ["all"], ["@logging"])
    results = dict((r["id"], r) for r in runner.run_checks(selected, ctx, skipped))
    assert results["mysql.binlog"]["status"] == "skipped"
    assert [results[c]["status"] for c in ("mysql.connection", "mysql.version", "mysql.privileges")] == ["passed"] * 3


def test_unknown_check_names_the_known_ones():
    with pytest.raises(registry.SelectionError, match="known checks: .*mysql.binlog"):
        registry.select("mysql", ["nosuch"])
