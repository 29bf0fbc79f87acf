"""The Oracle stand-in answers as the documented Oracle Database would (tests/support/catalogs/oracle.yml):
what a release lacks fails as Oracle fails it, an answer with a column the statement does not return is
a violation, and a declared login sees only the views it may read and the containers of its
CONTAINER_DATA."""

import importlib
import json
import os
import sys

import pytest

STANDIN = os.path.join(os.path.dirname(os.path.abspath(__file__)), "oracle_standin")
PDBS_SQL = "SELECT inst_id, con_id, name, open_mode, restricted FROM gv$pdbs ORDER BY con_id, inst_id"
PDB_ROWS = [[1, 2, "PDB$SEED", "READ ONLY", "NO"], [1, 3, "SALES", "READ WRITE", "NO"], [1, 4, "HR", "MOUNTED", None]]


@pytest.fixture
def standin(tmp_path, monkeypatch):
    """The stand-in module, with a scenario writer and the violations it logged."""
    monkeypatch.syspath_prepend(STANDIN)
    sys.modules.pop("oracledb", None)
    oracledb = importlib.import_module("oracledb")
    assert getattr(oracledb, "STANDIN", False)
    log = tmp_path / "standin.jsonl"
    monkeypatch.setenv("ORACLE_STANDIN_LOG", str(log))

    def use(scenario):
        path = tmp_path / "scenario.json"
        path.write_text(json.dumps(scenario))
        monkeypatch.setenv("ORACLE_STANDIN_SCENARIO", str(path))
        return oracledb.connect(user="c##bkp", password="pw", dsn="db01/CDB1").cursor()

    def violations():
        lines = log.read_text().splitlines() if log.exists() else []
        return [e["text"] for e in map(json.loads, lines) if e["event"] == "violation"]
    yield oracledb, use, violations
    sys.modules.pop("oracledb", None)


def pdbs_rule(columns=("INST_ID", "CON_ID", "NAME", "OPEN_MODE", "RESTRICTED"), rows=None):
    rows = PDB_ROWS if rows is None else rows
    return {"match": r"FROM\s+gv\$pdbs", "columns": list(columns), "rows": [r[:len(columns)] for r in rows]}


def test_an_answer_with_a_column_the_statement_lacks_is_a_violation(standin):
    oracledb, use, violations = standin
    cursor = use({"queries": [pdbs_rule(("INST_ID", "CON_ID", "NAME", "OPEN_MODE", "RESTRICTED", "INVENTED"),
                                        [r + ["x"] for r in PDB_ROWS])]})
    with pytest.raises(oracledb.DatabaseError, match="STANDIN-0004"):
        cursor.execute(PDBS_SQL)
    assert [v for v in violations() if "INVENTED" in v and "does not return" in v]


def test_what_the_release_lacks_fails_as_oracle_fails_it(standin):
    oracledb, use, violations = standin
    cursor = use({"server_version": "11.2.0.4.0", "queries": [
        {"match": "gv\\$database", "columns": ["INST_ID", "CDB"], "rows": [[1, "NO"]]}]})
    with pytest.raises(oracledb.DatabaseError, match="ORA-00904"):
        cursor.execute("SELECT inst_id, cdb FROM gv$database")
    with pytest.raises(oracledb.DatabaseError, match="ORA-00942"):
        cursor.execute(PDBS_SQL)
    cursor.execute("SELECT inst_id, 'NO' AS cdb FROM gv$database")
    assert cursor.fetchall() == [(1, "NO")]
    assert len(violations()) == 2


def test_a_common_user_without_container_data_sees_no_pdb_row(standin):
    _oracledb, use, violations = standin
    cursor = use({"login": {"privileges": ["SELECT_CATALOG_ROLE"], "container_data": "CURRENT"},
                  "queries": [pdbs_rule()]})
    assert cursor.execute(PDBS_SQL).fetchall() == []
    cursor = use({"login": {"privileges": ["SELECT_CATALOG_ROLE"], "container_data": ["SALES"]},
                  "queries": [pdbs_rule()]})
    assert [r[2] for r in cursor.execute(PDBS_SQL).fetchall()] == ["SALES"]
    cursor = use({"login": {"privileges": ["SELECT_CATALOG_ROLE"], "container_data": "ALL"}, "queries": [pdbs_rule()]})
    assert len(cursor.execute(PDBS_SQL).fetchall()) == 3
    assert violations() == []


def test_a_container_data_answer_without_con_id_cannot_be_filtered(standin):
    oracledb, use, violations = standin
    cursor = use({"login": {"privileges": ["SELECT_CATALOG_ROLE"]},
                  "queries": [pdbs_rule(("INST_ID", "NAME"), [[1, "SALES"]])]})
    with pytest.raises(oracledb.DatabaseError, match="STANDIN-0004"):
        cursor.execute(PDBS_SQL)
    assert [v for v in violations() if "without saying which container" in v]


def test_a_view_the_login_may_not_read_is_ora_00942(standin):
    oracledb, use, _violations = standin
    rule = {"match": "v\\$recovery_file_dest", "columns": ["NAME"], "rows": [["/fra"]]}
    sql = "SELECT name FROM v$recovery_file_dest"
    with pytest.raises(oracledb.DatabaseError, match="ORA-00942"):
        use({"login": {"privileges": ["SELECT ON V_$INSTANCE"]}, "queries": [rule]}).execute(sql)
    assert use({"login": {"privileges": ["SELECT ON V_$RECOVERY_FILE_DEST"]}, "queries": [rule]}).execute(
        sql).fetchall() == [("/fra",)]
