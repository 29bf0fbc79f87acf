"""Every query of the Oracle items parses as Oracle SQL (sqlglot), is a read-only SELECT, binds user
input, and reads only columns that Oracle documents for the views it names.

DOCUMENTED_COLUMNS is kept here, by hand, from the Oracle Database Reference ("Dynamic Performance
Views"); each gv$ view has the columns of its v$ view plus INST_ID ("GV$ Views": "each GV$ view
contains an extra column named INST_ID"). Checked against the Reference pages for 11.2, 12.1, 19c
and 23ai: V$INSTANCE, V$DATABASE, V$PDBS (12.1+), V$RECOVERY_FILE_DEST, V$DATAFILE,
V$BLOCK_CHANGE_TRACKING, V$RMAN_STATUS, V$PWFILE_USERS (SYSBACKUP from 12.1), V$VERSION, V$SESSION.
Only the columns listed are claimed; a view has more.
"""

import re

import pytest
import sqlglot
from sqlglot import exp

from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import checks as oracle_checks
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import gathering as oracle_gathering

DOCUMENTED_COLUMNS = {
    "V$INSTANCE": {
        "INSTANCE_NUMBER", "INSTANCE_NAME", "HOST_NAME", "VERSION", "VERSION_LEGACY", "VERSION_FULL",
        "STARTUP_TIME", "STATUS", "PARALLEL", "THREAD#", "ARCHIVER", "LOG_SWITCH_WAIT", "LOGINS",
        "SHUTDOWN_PENDING", "DATABASE_STATUS", "INSTANCE_ROLE", "ACTIVE_STATE", "BLOCKED", "CON_ID",
    },
    "V$DATABASE": {
        "DBID", "NAME", "CREATED", "RESETLOGS_CHANGE#", "RESETLOGS_TIME", "PRIOR_RESETLOGS_CHANGE#",
        "PRIOR_RESETLOGS_TIME", "LOG_MODE", "CHECKPOINT_CHANGE#", "ARCHIVE_CHANGE#", "CONTROLFILE_TYPE",
        "CONTROLFILE_CREATED", "CONTROLFILE_SEQUENCE#", "CONTROLFILE_CHANGE#", "CONTROLFILE_TIME",
        "OPEN_RESETLOGS", "VERSION_TIME", "OPEN_MODE", "PROTECTION_MODE", "PROTECTION_LEVEL", "REMOTE_ARCHIVE",
        "ACTIVATION#", "SWITCHOVER#", "DATABASE_ROLE", "ARCHIVELOG_CHANGE#", "SWITCHOVER_STATUS",
        "DATAGUARD_BROKER", "GUARD_STATUS", "FORCE_LOGGING", "PLATFORM_NAME", "FLASHBACK_ON", "DB_UNIQUE_NAME",
        "CDB", "CON_ID",
    },
    "V$PDBS": {
        "CON_ID", "DBID", "CON_UID", "GUID", "NAME", "OPEN_MODE", "RESTRICTED", "OPEN_TIME", "CREATE_SCN",
        "TOTAL_SIZE", "BLOCK_SIZE", "RECOVERY_STATUS", "SNAPSHOT_PARENT_CON_ID",
    },
    "V$RECOVERY_FILE_DEST": {"NAME", "SPACE_LIMIT", "SPACE_USED", "SPACE_RECLAIMABLE", "NUMBER_OF_FILES", "CON_ID"},
    "V$DATAFILE": {
        "FILE#", "CREATION_CHANGE#", "CREATION_TIME", "TS#", "RFILE#", "STATUS", "ENABLED", "CHECKPOINT_CHANGE#",
        "CHECKPOINT_TIME", "UNRECOVERABLE_CHANGE#", "UNRECOVERABLE_TIME", "LAST_CHANGE#", "LAST_TIME", "BYTES",
        "NAME", "CON_ID",
    },
    "V$BLOCK_CHANGE_TRACKING": {"STATUS", "FILENAME", "BYTES", "CON_ID"},
    "V$RMAN_STATUS": {
        "SID", "RECID", "STAMP", "PARENT_RECID", "PARENT_STAMP", "SESSION_RECID", "SESSION_STAMP", "ROW_LEVEL",
        "ROW_TYPE", "COMMAND_ID", "OPERATION", "STATUS", "MBYTES_PROCESSED", "START_TIME", "END_TIME",
        "INPUT_BYTES", "OUTPUT_BYTES", "OPTIMIZED", "OBJECT_TYPE", "OUTPUT_DEVICE_TYPE", "OSB_ALLOCATED", "CON_ID",
    },
    "V$PWFILE_USERS": {"USERNAME", "SYSDBA", "SYSOPER", "SYSASM", "SYSBACKUP", "SYSDG", "SYSKM", "CON_ID"},
    "V$VERSION": {"BANNER", "BANNER_FULL", "BANNER_LEGACY", "CON_ID"},
    "V$SESSION": {
        "SADDR", "SID", "SERIAL#", "AUDSID", "PADDR", "USER#", "USERNAME", "COMMAND", "STATUS", "SERVER",
        "SCHEMANAME", "OSUSER", "PROCESS", "MACHINE", "TERMINAL", "PROGRAM", "TYPE", "MODULE", "ACTION",
        "CLIENT_INFO", "LOGON_TIME", "CON_ID",
    },
    "DUAL": {"DUMMY"},
}

# The views each query is documented to read (the query's `view`, as a permission error names it).
STATEMENTS = [(name, kind, text) for name, query in sorted(oracle_gathering.QUERIES.items())
              for kind, text in (("sql", query["sql"]), ("legacy", query.get("legacy"))) if text]


def columns_of(table_name):
    name = table_name.upper()
    if name.startswith("GV$"):
        return DOCUMENTED_COLUMNS[name[1:]] | {"INST_ID"}
    return DOCUMENTED_COLUMNS[name]


def parse(text):
    statements = sqlglot.parse(text, read="oracle")
    assert len(statements) == 1, "one statement per query: %s" % text
    return statements[0]


@pytest.mark.parametrize("name, kind, text", STATEMENTS, ids=["%s-%s" % (n, k) for n, k, _t in STATEMENTS])
def test_query_parses_as_a_read_only_select(name, kind, text):
    tree = parse(text)
    assert isinstance(tree, exp.Select), "%s %s is not a SELECT" % (name, kind)
    forbidden = (exp.Insert, exp.Update, exp.Delete, exp.Merge, exp.Create, exp.Drop, exp.Alter, exp.Command,
                 exp.Commit, exp.Rollback)
    assert not [node for node in tree.walk() if isinstance(node, forbidden)]
    assert re.match(r"^SELECT\b", text)
    assert "%" not in text.replace("LIKE 'RUNNING%'", "").replace("LIKE 'rman%'", "")
    assert "{" not in text                        # not a format template filled with input


@pytest.mark.parametrize("name, kind, text", STATEMENTS, ids=["%s-%s" % (n, k) for n, k, _t in STATEMENTS])
def test_query_reads_only_documented_columns(name, kind, text):
    tree = parse(text)
    tables = dict((t.alias_or_name.upper(), t.name.upper()) for t in tree.find_all(exp.Table))
    for table in set(tables.values()):
        assert table.lstrip("G") in DOCUMENTED_COLUMNS or table in DOCUMENTED_COLUMNS, \
            "%s reads %s, which the test table does not document" % (name, table)
    for column in tree.find_all(exp.Column):
        owners = [tables[column.table.upper()]] if column.table else list(set(tables.values()))
        assert any(column.name.upper() in columns_of(owner) for owner in owners), \
            "%s %s: column %s is not a documented column of %s" % (name, kind, column.name.upper(), owners)


@pytest.mark.parametrize("name", sorted(oracle_gathering.QUERIES))
def test_query_view_is_the_view_it_reads(name):
    query = oracle_gathering.QUERIES[name]
    tables = set(t.name.lower() for t in parse(query["sql"]).find_all(exp.Table))
    assert query["view"].lower() in tables


@pytest.mark.parametrize("name", sorted(n for n, q in oracle_gathering.QUERIES.items() if q.get("legacy")))
def test_legacy_query_returns_the_same_columns(name):
    query = oracle_gathering.QUERIES[name]
    main = [s.alias_or_name.lower() for s in parse(query["sql"]).selects]
    legacy = [s.alias_or_name.lower() for s in parse(query["legacy"]).selects]
    assert main == legacy


def test_user_input_is_bound():
    tree = parse(oracle_gathering.QUERIES["pwfile_user"]["sql"])
    placeholders = [p.name for p in tree.find_all(exp.Placeholder)]
    assert placeholders == ["username"]


def test_instance_level_views_are_read_as_gv_views():
    for name in ("instances", "database", "pdbs", "rman_running", "rman_sessions"):
        tables = [t.name.lower() for t in parse(oracle_gathering.QUERIES[name]["sql"]).find_all(exp.Table)]
        assert all(t.startswith("gv$") for t in tables), (name, tables)
        assert "inst_id" in [s.alias_or_name.lower() for s in parse(oracle_gathering.QUERIES[name]["sql"]).selects]


def test_every_query_is_used_by_a_check():
    import inspect
    source = inspect.getsource(oracle_checks)
    for name in oracle_gathering.QUERIES:
        assert re.search(r'gather\(ctx, "%s"' % name, source), "query %s is never gathered" % name
