"""Every statement the SAP HANA engine sends, against the documented catalog (tests/support/catalogs/
hana.yml) for the first and the last supported release; each item's `permissions=` names what the
catalog says the views it reads need. The same statements run against the HANA test server through
the real hdbcli in tests/functional/hana/test_precheck.py."""

import pytest

from catalogs import load

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import registry, runner
from ansible_collections.cloudbackup.precheck.plugins.module_utils.hana import connection as hana_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.hana import engine as hana_engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.hana.gathering import STATEMENTS

import hana_tree

CATALOG = load("hana")


class RecordingConnection:
    elapsed_ms = 3

    def __init__(self):
        self.statements = []

    def query(self, sql, args=(), what=None, max_rows=10000):
        assert sql.count("?") == len(args), sql
        self.statements.append(sql)
        return []


@pytest.mark.parametrize("version", ["1.00.097.00", "2.00.070.00"])
@pytest.mark.parametrize("name", sorted(STATEMENTS))
def test_every_statement_is_in_the_catalog_of_the_release(name, version):
    assert CATALOG.problems(STATEMENTS[name], version) == []


def test_each_item_names_the_privileges_of_the_views_it_reads(monkeypatch, tmp_path):
    root = hana_tree.build(tmp_path, "sps07")
    missing = []
    for check in registry.checks_for("hana"):
        fake = RecordingConnection()
        monkeypatch.setattr(hana_conn, "connect", lambda settings, fake=fake: fake)
        params = dict((name, spec.get("default")) for name, spec in hana_engine.ENGINE.argument_spec.items())
        params.update(root=root, login_user="BACKUP", login_password="pw")
        runner.run_checks([check], hana_engine.ENGINE.context(params), [])
        for sql in fake.statements:
            for name in CATALOG.analyze(sql).objects():
                permission = CATALOG.entry(name)[1].get("permission")
                if permission and permission.upper() not in check.permissions.upper():
                    missing.append("%s reads %s but its permissions do not name %s" % (check.id, name, permission))
    assert missing == [], missing
