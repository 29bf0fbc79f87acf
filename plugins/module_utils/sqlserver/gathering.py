# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SQL Server gathering: every statement the engine's shared data sets need, and the context that
opens one connection per instance and reads each data set once.

`SqlServerContext` memoizes every data set (server properties, permissions, sys.databases,
mirroring, availability group states, recovery status, files), so that however many checks an
engine run selects, each set is read once. Every statement is a SELECT; user-supplied names
(database include/exclude patterns) are matched in Python after reading sys.databases and never
reach the server. A check that needs to send a name binds it as a parameter:
`ctx.query("... WHERE name = ?", [name])`."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import atexit
import fnmatch

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.context import Context
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import connection as sqlserver_conn

# Column aliases are lower case: rows come back as dicts keyed by them.

# ProductVersion major -> the name people use.
RELEASES = {9: "2005", 10: "2008", 11: "2012", 12: "2014", 13: "2016", 14: "2017", 15: "2019", 16: "2022", 17: "2025"}


SERVER_SQL = """SELECT CAST(SERVERPROPERTY('ProductVersion') AS nvarchar(128)) AS product_version,
 CAST(SERVERPROPERTY('ProductLevel') AS nvarchar(128)) AS product_level,
 CAST(SERVERPROPERTY('Edition') AS nvarchar(128)) AS edition,
 CAST(SERVERPROPERTY('EngineEdition') AS int) AS engine_edition,
 CAST(SERVERPROPERTY('InstanceName') AS nvarchar(128)) AS instance_name,
 CAST(SERVERPROPERTY('MachineName') AS nvarchar(128)) AS machine_name,
 CAST(SERVERPROPERTY('ServerName') AS nvarchar(128)) AS server_name,
 CAST(SERVERPROPERTY('IsHadrEnabled') AS int) AS hadr_enabled,
 CAST(SERVERPROPERTY('IsClustered') AS int) AS is_clustered,
 SUSER_SNAME() AS login_name,
 @@VERSION AS version_string"""


PERMISSIONS_SQL = """SELECT HAS_PERMS_BY_NAME(NULL, NULL, 'VIEW ANY DATABASE') AS view_any_database,
 HAS_PERMS_BY_NAME(NULL, NULL, 'VIEW SERVER STATE') AS view_server_state,
 HAS_PERMS_BY_NAME(NULL, NULL, 'VIEW ANY DEFINITION') AS view_any_definition,
 IS_SRVROLEMEMBER('sysadmin') AS is_sysadmin"""


# SQL Server 2008 has every column here; 2012 adds the availability group ones.
DATABASE_COLUMNS = ("d.name", "d.database_id", "d.source_database_id", "d.state_desc", "d.recovery_model_desc",
                    "d.is_read_only", "d.is_in_standby", "d.user_access_desc", "d.log_reuse_wait_desc",
                    "d.is_encrypted")


DATABASE_COLUMNS_2012 = ("d.replica_id", "d.group_database_id")


MIRRORING_SQL = """SELECT m.database_id, m.mirroring_role_desc, m.mirroring_state_desc, m.mirroring_partner_name,
 m.mirroring_partner_instance, m.mirroring_safety_level_desc
 FROM sys.database_mirroring AS m WHERE m.mirroring_guid IS NOT NULL"""


HADR_SQL = """SELECT drs.database_id, ag.name AS ag_name, ars.role_desc, drs.synchronization_state_desc,
 drs.synchronization_health_desc, drs.is_suspended, drs.suspend_reason_desc
 FROM sys.dm_hadr_database_replica_states AS drs
 JOIN sys.dm_hadr_availability_replica_states AS ars ON ars.replica_id = drs.replica_id AND ars.is_local = 1
 JOIN sys.availability_groups AS ag ON ag.group_id = drs.group_id
 WHERE drs.is_local = 1"""


RECOVERY_STATUS_SQL = """SELECT rs.database_id, rs.database_guid, rs.family_guid, rs.last_log_backup_lsn
 FROM sys.database_recovery_status AS rs"""


FILES_SQL = """SELECT f.database_id, f.file_id, f.type_desc, f.name AS logical_name, f.physical_name, f.state_desc,
 f.size AS size_pages, f.max_size AS max_size_pages, f.growth, f.is_percent_growth, f.differential_base_lsn
 FROM sys.master_files AS f"""


class SqlServerContext(Context):
    """One instance, one connection, each data set gathered once.

    For check authors: `ctx.server()`, `ctx.permissions()`, `ctx.databases()`, `ctx.selection()`,
    `ctx.mirroring()`, `ctx.hadr_states()`, `ctx.recovery_status()`, `ctx.files()`, and for
    anything else `ctx.gather(key, sql, params, what)` (memoized) or `ctx.query(...)` (not).
    `ctx.target` is the instance label; `ctx.database_target(name)` a database's target."""

    def __init__(self, params, settings):
        Context.__init__(self, params, settings["label"], secrets=[settings["password"]])
        self.settings = settings

    # connection
    def connection(self):
        def produce():
            conn = sqlserver_conn.connect(self.settings)
            atexit.register(conn.close)
            return conn
        return self.cached("connection", produce)

    def query(self, sql, params=(), what=None):
        return self.connection().query(sql, params, what)

    def gather(self, key, sql, params=(), what=None):
        """Rows of a read-only statement, read once per run under `key`."""
        return self.cached(("query", key), lambda: self.query(sql, params, what))

    def database_target(self, name):
        return "%s/%s" % (self.target, name)

    # data sets
    def server(self):
        """SERVERPROPERTY values, the login name and the parsed version (`major`, `release`)."""
        def produce():
            try:
                rows = self.query(SERVER_SQL, what="server properties")
            except PrecheckError as exc:
                # The connection check owns this: without server properties nothing else is judged.
                raise PrecheckError(exc.cause, exc.message, exc.remediation, source=sqlserver_conn.CONNECTION_CHECK,
                                    details=exc.details)
            return parse_server(rows[0] if rows else {})
        return self.cached("server", produce)

    def permissions(self):
        """{view_any_database, view_server_state, view_any_definition, is_sysadmin}: 1, 0 or None (unknown)."""
        def produce():
            value, _problem = self.optional("permissions_query", lambda: self.query(PERMISSIONS_SQL,
                                                                                    what="the login's permissions"))
            row = (value or [{}])[0] if value else {}
            return dict((key, _flag(row.get(key))) for key in (
                "view_any_database", "view_server_state", "view_any_definition", "is_sysadmin"))
        return self.cached("permissions", produce)

    def databases(self):
        """Every row of sys.databases the login can see (tempdb and snapshots included)."""
        def produce():
            columns = DATABASE_COLUMNS + (DATABASE_COLUMNS_2012 if (self.server().get("major") or 0) >= 11 else ())
            sql = "SELECT %s FROM sys.databases AS d ORDER BY d.database_id" % ", ".join(columns)
            return [normalize_database(row) for row in self.query(sql, what="the database list (sys.databases)")]
        return self.cached("databases", produce)

    def selection(self):
        """The databases the options select: see select_databases()."""
        return self.cached("selection", lambda: select_databases(
            self.databases(), self.params.get("databases_include") or ["*"], self.params.get("databases_exclude") or []))

    def mirroring(self):
        """({database_id: row} of mirrored databases, None) or (None, why unavailable)."""
        return self.optional("mirroring", lambda: dict(
            (row["database_id"], row) for row in self.query(MIRRORING_SQL, what="database mirroring (sys.database_mirroring)")))

    def hadr_states(self):
        """({database_id: row} of local availability databases, None) or (None, why unavailable).
        An empty dict without querying on SQL Server before 2012 or with Always On disabled."""
        server = self.server()
        if (server.get("major") or 0) < 11 or server.get("hadr_enabled") != 1:
            return {}, None
        return self.optional("hadr", lambda: dict(
            (row["database_id"], row) for row in self.query(HADR_SQL, what="availability group states "
                                                                           "(sys.dm_hadr_database_replica_states)")))

    def recovery_status(self):
        """({database_id: row} of sys.database_recovery_status, None) or (None, why unavailable): the
        database_guid (foreign_backups) and last_log_backup_lsn (full_backup_base)."""
        return self.optional("recovery_status", lambda: dict(
            (row["database_id"], row) for row in self.query(RECOVERY_STATUS_SQL, what="sys.database_recovery_status")))

    def files(self):
        """({database_id: [file rows]} of sys.master_files, None) or (None, why unavailable): file
        paths (file_path_length), log growth (log_space) and differential bases (full_backup_base).
        Without VIEW ANY DEFINITION the view shows no rows rather than an error."""
        def produce():
            grouped = {}
            for row in self.query(FILES_SQL, what="database files (sys.master_files)"):
                grouped.setdefault(row["database_id"], []).append(row)
            return grouped
        return self.optional("files", produce)


def _flag(value):
    if value is None:
        return None
    try:
        return 1 if int(value) == 1 else 0
    except (TypeError, ValueError):
        return None


def _bool(value):
    if value is None:
        return None
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return bool(value)


def parse_server(row):
    """A server-properties row -> the same dict plus `major`, `minor`, `release` (2019, ...)."""
    server = dict((str(k).lower(), v) for k, v in (row or {}).items())
    version = str(server.get("product_version") or "")
    parts = version.split(".")
    server["major"] = int(parts[0]) if parts[0].isdigit() else None
    server["minor"] = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
    release = RELEASES.get(server["major"])
    if server["major"] == 10 and (server["minor"] or 0) >= 50:
        release = "2008 R2"
    server["release"] = release
    server["hadr_enabled"] = _flag(server.get("hadr_enabled"))
    return server


def normalize_database(row):
    """A sys.databases row with lower-case keys and the flags as True/False/None."""
    database = dict((str(k).lower(), v) for k, v in row.items())
    for key in ("is_read_only", "is_in_standby", "is_encrypted"):
        database[key] = _bool(database.get(key))
    for key in ("state_desc", "recovery_model_desc"):
        if database.get(key) is not None:
            database[key] = str(database[key]).strip().upper()
    return database


def is_tempdb(database):
    return database.get("database_id") == 2 or str(database.get("name") or "").lower() == "tempdb"


def name_matches(name, pattern):
    """Case-insensitive, like SQL Server's default collations. A pattern equal to the name matches
    literally, so that `it's [odd]` selects that database although `[odd]` is a glob class."""
    name, pattern = str(name).lower(), str(pattern).lower()
    return name == pattern or fnmatch.fnmatchcase(name, pattern)


def select_databases(databases, include, exclude):
    """{'selected': rows, 'excluded': names, 'unmatched': include patterns that matched nothing,
    'visible': count}. tempdb is never selected (nor reported as excluded)."""
    candidates = [d for d in databases if not is_tempdb(d)]
    names = [str(d.get("name")) for d in databases]
    unmatched = [p for p in include if not any(name_matches(n, p) for n in names)]
    selected, excluded = [], []
    for database in candidates:
        name = str(database.get("name"))
        wanted = any(name_matches(name, p) for p in include) and not any(name_matches(name, p) for p in exclude)
        (selected if wanted else excluded).append(database if wanted else name)
    return {"selected": selected, "excluded": excluded, "unmatched": unmatched, "visible": len(databases)}
