"""Every query of the Oracle items, in the variant each release is sent, against the documented
catalog (tests/support/catalogs/oracle.yml, from the Oracle Database Reference): it parses as Oracle
SQL (sqlglot), is a read-only SELECT, binds user input, and reads only views, columns and USERENV
parameters that the release it is sent to has. Every statement the remediations print fits the
release it is printed for (srvctl -db, GRANT SYSBACKUP and ALTER PLUGGABLE DATABASE from 12.1)."""

import re

import pytest
from sqlglot import exp

from ansible_collections.cloudbackup.precheck.tests.support.catalogs import load, statements_in

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import registry
from ansible_collections.cloudbackup.precheck.tests.unit.plugins.module_utils.oracle.test_checks import RAC, context_with, database, instance

from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import checks as oracle_checks
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import gathering as oracle_gathering

CATALOG = load("oracle")
RELEASES = sorted(CATALOG.releases, key=CATALOG.since)


def sent(release):
    """(name, SQL) of every query a database of `release` is sent."""
    for name, query in sorted(oracle_gathering.QUERIES.items()):
        if CATALOG.has(query.get("since", "11.2"), CATALOG.since(release)):
            yield name, oracle_gathering.statement(name, release)


STATEMENTS = [(release, name, sql) for release in RELEASES for name, sql in sent(release)]


@pytest.mark.parametrize("release, name, sql", STATEMENTS, ids=["%s-%s" % (r, n) for r, n, _s in STATEMENTS])
def test_every_query_reads_only_what_its_release_documents(release, name, sql):
    assert CATALOG.problems(sql, CATALOG.since(release)) == []


@pytest.mark.parametrize("release, name, sql", STATEMENTS, ids=["%s-%s" % (r, n) for r, n, _s in STATEMENTS])
def test_query_parses_as_a_read_only_select(release, name, sql):
    tree = CATALOG.parse(sql)
    assert isinstance(tree, exp.Select), "%s is not a SELECT" % name
    forbidden = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter, exp.Command,
                 exp.Commit, exp.Rollback)
    assert not [node for node in tree.walk() if isinstance(node, forbidden)]
    assert re.match(r"^SELECT\b", sql)
    assert "%" not in sql.replace("LIKE 'RUNNING%'", "").replace("LIKE 'rman%'", "")
    assert "{" not in sql                        # not a format template filled with input


@pytest.mark.parametrize("name", sorted(n for n, q in oracle_gathering.QUERIES.items() if q.get("variants")))
def test_variants_return_the_same_columns(name):
    outputs = set(tuple(n for n, _s in CATALOG.analyze(sql).outputs) for _r, sql in
                  oracle_gathering.QUERIES[name]["variants"])
    assert len(outputs) == 1, outputs


@pytest.mark.parametrize("name", sorted(oracle_gathering.QUERIES))
def test_query_view_is_the_view_it_reads(name):
    tables = set(t.name.lower() for t in CATALOG.parse(oracle_gathering.statement(name)).find_all(exp.Table))
    assert oracle_gathering.QUERIES[name]["view"].lower() in tables


@pytest.mark.parametrize("version, expected", [
    ("11.2.0.4.0", "'FALSE' AS sysbackup"), ("12.1.0.2.0", "NULL AS account_status"), ("19.3.0.0.0", "account_status, con_id"),
    (None, "account_status, con_id")])
def test_the_release_of_the_connection_picks_the_variant(version, expected):
    ctx, fake_connection = context_with(lambda sql, p: (["USERNAME"], []), server_version=version)
    oracle_gathering.gather(ctx, "pwfile_user", {"username": "C##BKP"})
    assert len(fake_connection.executed) == 1 and expected in fake_connection.executed[0][0]


def test_user_input_is_bound():
    for _first, sql in oracle_gathering.QUERIES["pwfile_user"]["variants"]:
        assert [p.name for p in CATALOG.parse(sql).find_all(exp.Placeholder)] == ["username"]


def test_instance_level_views_are_read_as_gv_views():
    for name in ("instances", "database", "pdbs", "rman_running", "rman_sessions"):
        tree = CATALOG.parse(oracle_gathering.statement(name))
        assert all(t.name.lower().startswith("gv$") for t in tree.find_all(exp.Table)), name
        assert "inst_id" in [s.alias_or_name.lower() for s in tree.selects]


def test_every_query_is_used_by_a_check():
    import inspect
    source = inspect.getsource(oracle_checks)
    for name in oracle_gathering.QUERIES:
        assert re.search(r'gather\(ctx, "%s"' % name, source), "query %s is never gathered" % name


def remediations(version):
    """What the items print for a troubled database of `version`: RAC, NOARCHIVELOG, MOUNTED, a mounted
    and a restricted PDB, NOLOGGING changes, no SYSBACKUP."""
    rac = [dict(r, version=version) for r in (RAC[0], dict(RAC[1], status="MOUNTED", archiver="FAILED"))]
    single = [instance(status="MOUNTED", database_status="SUSPENDED", logins="RESTRICTED")]
    single[0]["version"] = version
    multitenant = oracle_gathering.release_tuple(version) >= (12, 1)   # PDBs exist from 12.1
    pdbs = [dict(inst_id=1, con_id=3, name="HR", open_mode="MOUNTED", restricted="YES")] if multitenant else []
    found = oracle_checks.judge_instances("ORCL", rac) + oracle_checks.judge_instances("ORCL", single)
    found += oracle_checks.judge_database("ORCL", [database(open_mode="MOUNTED", cdb="YES" if multitenant else "NO")],
                                          rac, pdbs)
    found += oracle_checks.judge_archive_mode("ORCL", [database(log_mode="NOARCHIVELOG")], rac)
    found += oracle_checks.judge_archive_mode("ORCL", [database(log_mode="NOARCHIVELOG")], single)
    found += oracle_checks.judge_force_logging("ORCL", [database()], [{"file#": 4, "unrecoverable_change#": 9}])
    found += oracle_checks.judge_backup_privilege("ORCL", {"mode": "default", "login_user": "bkp"}, [], [],
                                                  oracle_gathering.release_tuple(version))
    found += oracle_checks.judge_block_change_tracking("ORCL", [{"status": "DISABLED"}], [])
    found += oracle_checks.judge_recovery_area("ORCL", [{"name": "/fra", "space_limit": 100, "space_used": 95}], 70, 90)
    return [r for r in found if r["remediation"]]


@pytest.mark.parametrize("release", RELEASES)
def test_every_printed_statement_fits_the_release_it_is_printed_for(release):
    version = CATALOG.releases[release]
    printed = 0
    for result in remediations(".".join(str(n) for n in version) + ".0.0"):
        text = result["remediation"]
        for form in CATALOG.statement_forms(text, version):
            pytest.fail("%s: %s" % (result["target"], form))
        for statement in statements_in(text):
            printed += 1
            assert CATALOG.printed_problems(statement, version) == [], "%s: %s" % (result["target"], statement)
    assert printed >= 10


VALUES = {"inst_id": 1, "instance_name": "ORCL", "status": "OPEN", "version": "19.0.0.0.0", "parallel": "NO",
          "name": "ORCL", "log_mode": "ARCHIVELOG", "open_mode": "READ WRITE", "database_role": "PRIMARY",
          "force_logging": "NO", "cdb": "YES", "con_id": 3, "file#": 4, "unrecoverable_change#": 9,
          "space_limit": 100, "space_used": 10, "banner": "Oracle Database 19c Enterprise Edition"}


def test_each_item_names_the_views_it_reads_in_its_permissions():
    """docs/checks.md shows each item's `permissions=` text: it must name every view the item reads."""
    def answers(sql, _params):
        outputs = [n for n, _s in CATALOG.analyze(sql).outputs]
        return [n.upper() for n in outputs], [tuple(VALUES.get(n.lower()) for n in outputs)]
    missing = []
    for check in registry.checks_for("oracle"):
        if check.id == "oracle.connection":
            continue
        ctx, fake_connection = context_with(answers, mode="default")
        check.run(ctx)
        for sql, _params in fake_connection.executed:
            for name in CATALOG.analyze(sql).objects():
                if name != "dual" and name.upper() not in check.permissions.upper():
                    missing.append("%s reads %s but its permissions do not name it" % (check.id, name.upper()))
    assert missing == [], "\n".join(missing)
