"""Every statement the MySQL engine sends, for each flavour and version, against the documented catalog
(tests/support/catalogs/mysql.yml), parsed with sqlglot's mysql dialect where it can read it. The
same statements, and the printed remediations, run on a real MariaDB in tests/functional/mysql/test_precheck.py."""

import pytest
from sqlglot import exp

from catalogs import load

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import registry, runner
from ansible_collections.cloudbackup.precheck.plugins.module_utils.mysql import connection as mysql_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.mysql import engine as mysql_engine

CATALOG = load("mysql")
# sqlglot's names for the functions the catalog lists.
FUNCTIONS = {"CURRENTVERSION": "VERSION", "CURRENTUSER": "CURRENT_USER"}
SERVERS = [("5.1.73", "MySQL Community Server (GPL)"), ("5.7.44-log", "MySQL Community Server (GPL)"),
           ("8.0.36", "MySQL Community Server - GPL"), ("10.0.38-MariaDB", "mariadb.org binary distribution"),
           ("10.5.2-MariaDB", ""), ("10.11.19-MariaDB-0+deb12u1", "Debian 12"), ("11.4.2-MariaDB", "")]


class RecordingConnection:
    elapsed_ms = 3

    def __init__(self, version, comment):
        self.version, self.comment = version, comment
        self.statements = []

    def query(self, sql, args=(), what=None):
        self.statements.append((sql, tuple(args or ())))
        if sql.startswith("SELECT VERSION()"):
            return [(self.version, self.comment, "bk@%")]
        if sql.startswith("SHOW GRANTS"):
            return [("GRANT RELOAD, PROCESS ON *.* TO `bk`@`%`",)]
        return []

    def close(self):
        pass


def statements_of(monkeypatch, version, comment, **options):
    fake = RecordingConnection(version, comment)
    monkeypatch.setattr(mysql_conn, "connect", lambda settings: fake)
    params = dict((name, spec.get("default")) for name, spec in mysql_engine.ENGINE.argument_spec.items())
    params.update(config_file=None, login_host="db1", login_user="bk", login_password="Secret-pw-1")
    params.update(options)
    ctx = mysql_engine.ENGINE.context(params)
    selected, skipped = registry.select("mysql", ["all"])
    results = runner.run_checks(selected, ctx, skipped)
    assert not [r for r in results if r["status"] == "error"], results
    return fake.statements


def kind(sql):
    """The catalog's name for a statement."""
    text = " ".join(sql.upper().split())
    if text.startswith("SHOW GRANTS FOR"):
        return "SHOW GRANTS FOR ... USING" if " USING " in text else "SHOW GRANTS FOR"
    names = [n for n in CATALOG.spec["statements"] if text.startswith(n)]
    return max(names, key=len) if names else None


@pytest.mark.parametrize("version, comment", SERVERS)
@pytest.mark.parametrize("backup_user", [None, "other@%"])
def test_every_statement_is_a_documented_form_of_its_flavour(monkeypatch, version, comment, backup_user):
    sent = statements_of(monkeypatch, version, comment, backup_user=backup_user)
    flavour = "mariadb" if "MariaDB" in version else "mysql"
    assert sent
    for sql, args in sent:
        if sql.startswith("SELECT"):
            calls = [FUNCTIONS.get(f.key.upper(), f.key.upper()) for f in CATALOG.parse(sql).find_all(exp.Func)]
            assert calls and set(calls) <= set(CATALOG.functions), calls
            continue
        name = kind(sql)
        assert name, "not a documented statement: %s" % sql
        assert CATALOG.spec["statements"][name]["since"][flavour], (name, flavour)
        if name == "SHOW GRANTS FOR":
            continue  # sqlglot cannot read 'user'@'host'; the statement runs on MariaDB in the functional tests
        CATALOG.parse(sql)
        if "Variable_name IN" in sql:
            assert set(args) <= set(CATALOG.spec["variables"]), args


def test_each_item_names_the_privileges_the_catalog_gives_for_what_it_sends(monkeypatch):
    """docs/checks.md shows each item's `permissions=` text: it names the privilege of every statement
    the item sends that needs one (as the catalog documents it)."""
    missing = []
    for check in registry.checks_for("mysql"):
        fake = RecordingConnection("10.11.19-MariaDB", "")
        monkeypatch.setattr(mysql_conn, "connect", lambda settings, fake=fake: fake)
        params = dict((name, spec.get("default")) for name, spec in mysql_engine.ENGINE.argument_spec.items())
        params.update(config_file=None, login_host="db1", login_user="bk", login_password="Secret-pw-1",
                      backup_user="other@%")
        runner.run_checks([check], mysql_engine.ENGINE.context(params), [])
        for sql, _args in fake.statements:
            entry = CATALOG.spec["statements"].get(kind(sql) or "", {})
            if entry.get("permission") and entry["permission"].upper() not in check.permissions.upper():
                missing.append("%s sends %s but its permissions do not name %s" % (check.id, kind(sql),
                                                                                   entry["permission"]))
    assert missing == [], missing
