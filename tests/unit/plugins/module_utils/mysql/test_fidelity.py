"""The MySQL/MariaDB defects found against the manuals and on a real MariaDB (issue 11), and the
version thresholds of the code against the documented catalog (tests/support/catalogs/mysql.yml).
The printed remediation statements themselves run on MariaDB in tests/functional/mysql/test_precheck.py."""

import pytest

from catalogs import load

from ansible_collections.cloudbackup.precheck.plugins.module_utils.mysql import checks as M
from ansible_collections.cloudbackup.precheck.plugins.module_utils.mysql import gathering as mysql_gathering

CATALOG = load("mysql")
TARGET = "db1:3306"
MARIADB = mysql_gathering.parse_server_version("10.11.19-MariaDB-0+deb12u1", "Debian 12")
MYSQL_80 = mysql_gathering.parse_server_version("8.0.36")
ACCOUNT = ("bk", "%")


def with_roles(roles):
    return {"global": ["LOCK TABLES"], "all": False, "roles": roles}


# 2. SHOW GRANTS FOR ... USING is MySQL 8.0 only; MariaDB answers ERROR 1064 and shows a role's
#    privileges with SHOW GRANTS FOR role.
def test_2_the_role_check_is_the_statement_of_the_flavour():
    (mariadb,) = M.judge_privileges(MARIADB, with_roles(["backup_role"]), ACCOUNT, TARGET)
    assert mariadb["status"] == "warning"
    assert "USING" not in mariadb["remediation"]
    assert "SHOW GRANTS FOR 'backup_role';" in mariadb["remediation"]
    (mysql,) = M.judge_privileges(MYSQL_80, with_roles(["backup_role@%"]), ACCOUNT, TARGET)
    assert "SHOW GRANTS FOR 'bk'@'%' USING 'backup_role'@'%';" in mysql["remediation"]


def test_2_the_forms_printed_are_those_the_catalog_gives_each_flavour():
    forms = CATALOG.spec["statements"]
    assert forms["SHOW GRANTS FOR ... USING"]["since"]["mariadb"] is None
    assert forms["SHOW GRANTS FOR role"]["since"]["mariadb"]


# 6. The retention is judged whatever binlog_format is.
def test_6_a_short_retention_is_reported_with_a_format_that_is_not_row():
    variables = {"log_bin": "ON", "binlog_format": "MIXED", "binlog_expire_logs_seconds": str(12 * 3600)}
    (result,) = M.judge_binlog(MARIADB, variables, TARGET, 24)
    assert result["status"] == "warning"
    assert "binlog_format = MIXED" in result["message"] and "shorter than 24 hours" in result["message"]
    assert "binlog_format = ROW" in result["remediation"] and "binlog_expire_logs_seconds" in result["remediation"]


# Version-specific forms against the catalog, per flavour.
@pytest.mark.parametrize("server, has_seconds", [
    ("8.0.0", False), ("8.0.1", True), ("10.6.0-MariaDB", False), ("10.6.1-MariaDB", True), ("5.7.44", False)])
def test_binlog_expire_logs_seconds_is_read_from_the_documented_releases(server, has_seconds):
    parsed = mysql_gathering.parse_server_version(server)
    first = CATALOG.spec["variables"]["binlog_expire_logs_seconds"][parsed["flavour"]]
    assert (parsed["version"] >= tuple(int(n) for n in first.split("."))) is has_seconds
    _seconds, source = M.binlog_retention(parsed, {"binlog_expire_logs_seconds": "7200", "expire_logs_days": "1"})
    assert (source == "binlog_expire_logs_seconds") is has_seconds


def test_every_variable_read_is_in_the_catalog():
    assert sorted(mysql_gathering.BINLOG_VARIABLES) == sorted(CATALOG.spec["variables"])


@pytest.mark.parametrize("server, needs", [
    ("10.5.1-MariaDB", "REPLICATION CLIENT"), ("10.5.2-MariaDB", "BINLOG MONITOR"), ("8.0.36", "BACKUP_ADMIN")])
def test_required_privileges_by_release(server, needs):
    assert needs in [name for name, _accepted in M.required_privileges(mysql_gathering.parse_server_version(server))]
