# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SQL Server check items: connection, recovery model and database state (seeds 000, 001, 004),
and the context every SQL Server check item runs with. The items answering Azure Backup's error
codes are in sqlserver_access_checks.py, sqlserver_backup_chain_checks.py, sqlserver_ha_checks.py and
sqlserver_restore_checks.py (what they share in sqlserver_common.py); sqlserver_engine.py puts them
all together into the ENGINE.

Gathering is separate from judging. `SqlServerContext` opens one connection per instance and
memoizes every data set (server properties, permissions, sys.databases, mirroring, availability
group states, recovery status, files), so that however many checks an engine run selects, each
set is read once. The judge_* functions take plain rows and are unit-tested without a server.

Every statement is a SELECT; user-supplied names (database include/exclude patterns) are matched
in Python after reading sys.databases and never reach the server. A check that needs to send a
name binds it as a parameter: `ctx.query("... WHERE name = ?", [name])`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import atexit
import fnmatch

from ansible_collections.cloudbackup.precheck.plugins.module_utils import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils import sqlserver_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.registry import Context, PrecheckError, register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver_conn import quote_name

BACKUP_TYPES = ("full", "differential", "log")

CHECK_ARGS = dict(
    backup_types=dict(type="list", elements="str", choices=list(BACKUP_TYPES), default=list(BACKUP_TYPES)),
    databases_include=dict(type="list", elements="str", default=["*"]),
    databases_exclude=dict(type="list", elements="str", default=[]),
)

SQLSERVER_ARGS = dict(sqlserver_conn.CONNECTION_ARGS)
SQLSERVER_ARGS.update(CHECK_ARGS)

# ProductVersion major -> the name people use.
RELEASES = {9: "2005", 10: "2008", 11: "2012", 12: "2014", 13: "2016", 14: "2017", 15: "2019", 16: "2022", 17: "2025"}
OLDEST_SUPPORTED_MAJOR = 10

STATES = ("ONLINE", "RESTORING", "RECOVERING", "RECOVERY_PENDING", "SUSPECT", "EMERGENCY", "OFFLINE", "COPYING",
          "OFFLINE_SECONDARY")

# -- statements -------------------------------------------------------------------------------
# Column aliases are lower case: rows come back as dicts keyed by them.

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


# -- the context ------------------------------------------------------------------------------

class SqlServerContext(Context):
    """One instance, one connection, each data set gathered once.

    For check authors: `ctx.server()`, `ctx.permissions()`, `ctx.databases()`, `ctx.selection()`,
    `ctx.mirroring()`, `ctx.hadr_states()`, `ctx.recovery_status()`, `ctx.files()`, and for
    anything else `ctx.gather(key, sql, params, what)` (memoized) or `ctx.query(...)` (not).
    `ctx.target` is the instance label; `ctx.database_target(name)` a database's target."""

    def __init__(self, params, settings):
        Context.__init__(self, params, settings["label"], secrets=[settings["password"]])
        self.settings = settings
        self.problems = {}  # optional data set key -> the PrecheckError that made it unavailable

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

    def optional(self, key, produce, unavailable_causes=("permission", "internal")):
        """(value, None), or (None, reason) when the data cannot be read for lack of permission or
        because this SQL Server has no such view; a lost connection still raises."""
        def wrapped():
            try:
                return produce(), None
            except PrecheckError as exc:
                if exc.cause in unavailable_causes:
                    self.problems[key] = exc
                    return None, exc.message
                raise
        return self.cached(("optional", key), wrapped)

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


# -- selection --------------------------------------------------------------------------------

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


def _names(names, limit=20):
    shown = ", ".join(names[:limit])
    return shown + (" and %d more" % (len(names) - limit) if len(names) > limit else "")


def selection_results(selection, label, what, report_unmatched=False):
    """Instance-level results about the selection itself: what was left out, and an empty selection."""
    results = []
    if selection["excluded"]:
        results.append(R.skipped(label, "%d database(s) on %s are not checked for %s (databases_include/"
                                        "databases_exclude): %s." % (len(selection["excluded"]), label, what,
                                                                     _names(selection["excluded"])),
                                 details={"excluded": selection["excluded"]}))
    if report_unmatched:
        for pattern in selection["unmatched"]:
            results.append(R.warning(label, "databases_include pattern '%s' matches no database on %s: a database "
                                            "of that name cannot be backed up because it does not exist (or the "
                                            "login cannot see it)." % (pattern, label),
                                     "Check the name against sys.databases on %s (names match case-insensitively, "
                                     "with * ? and [...] as wildcards), or remove it from databases_include."
                                     % label, details={"pattern": pattern}))
    if not selection["selected"]:
        results.append(R.warning(label, "No database on %s was checked for %s: %d visible, none selected by "
                                        "databases_include/databases_exclude (tempdb is never checked)."
                                 % (label, what, selection["visible"]),
                                 "Check databases_include and databases_exclude.",
                                 details={"visible": selection["visible"]}))
    return results


def visibility_result(permissions, login, label, visible):
    """An `error` result when the login cannot see every database in sys.databases, else None."""
    if permissions.get("is_sysadmin") == 1 or permissions.get("view_any_database") != 0:
        return None
    return R.error(label, "The login '%s' lacks VIEW ANY DATABASE on %s, so sys.databases shows it only master, "
                          "tempdb and the databases it owns (%d visible): the other databases were not checked."
                   % (login or "?", label, visible), "permission",
                   "GRANT VIEW ANY DATABASE TO %s; (the role public has it by default; a REVOKE or DENY removed it)."
                   % quote_name(login or "login"), details={"visible": visible, "permission": "VIEW ANY DATABASE"})


def _snapshot_result(database, target, by_id, label):
    source = by_id.get(database.get("source_database_id"))
    source_name = quote_name(source["name"]) if source else "database_id %s" % database.get("source_database_id")
    return R.skipped(target, "Database %s on %s is a database snapshot of %s: snapshots cannot be backed up (back up "
                             "%s)." % (quote_name(database["name"]), label, source_name, source_name),
                     details={"database": database["name"], "source_database_id": database.get("source_database_id")})


# -- judging: connection ----------------------------------------------------------------------

def describe_server(server):
    release = server.get("release")
    name = "SQL Server %s" % release if release else "SQL Server"
    parts = [p for p in (server.get("product_version"), server.get("product_level")) if p]
    text = "%s %s" % (name, " ".join(parts)) if parts else name
    if server.get("edition"):
        text += ", %s" % server["edition"]
    return text


def judge_connection(server, info, target):
    """`info`: driver, driver_family, driver_version, elapsed_ms, login, encrypt, trust_server_certificate."""
    details = {
        "product_version": server.get("product_version"), "product_level": server.get("product_level"),
        "edition": server.get("edition"), "engine_edition": server.get("engine_edition"),
        "release": server.get("release"), "server_name": server.get("server_name"),
        "instance_name": server.get("instance_name"), "hadr_enabled": server.get("hadr_enabled"),
        "is_clustered": server.get("is_clustered"), "login": server.get("login_name") or info.get("login"),
        "driver": info.get("driver"), "driver_version": info.get("driver_version"),
        "encrypt": info.get("encrypt"), "elapsed_ms": info.get("elapsed_ms"),
    }
    if info.get("driver_family") == "freetds" and info.get("encrypt"):
        details["certificate_check"] = "FreeTDS verifies the server certificate only when freetds.conf sets 'ca file'"
    elif info.get("encrypt"):
        details["certificate_check"] = "not verified (trust_server_certificate)" if info.get(
            "trust_server_certificate") else "verified"
    login = details["login"] or "(integrated authentication)"
    text = "Connected to %s as '%s' in %s ms: %s; driver %s%s." % (
        target, login, info.get("elapsed_ms"), describe_server(server), info.get("driver"),
        " %s" % info["driver_version"] if info.get("driver_version") else "")
    major = server.get("major")
    if major is not None and major < OLDEST_SUPPORTED_MAJOR:
        return [R.warning(target, text[:-1] + ", older than SQL Server 2008, the oldest version these checks and "
                                              "the backup agents support.",
                          "Upgrade the instance to a supported SQL Server version (2008 or later; current ones are "
                          "strongly preferred).", details)]
    return [R.passed(target, text, details)]


# -- judging: recovery model ------------------------------------------------------------------

def _types(types):
    ordered = [t for t in BACKUP_TYPES if t in types]
    return " and ".join(ordered) if len(ordered) < 3 else "full, differential and log"


def judge_recovery_model(databases, backup_types, label, all_databases=None):
    """One result per selected database (snapshots skipped), against the planned backup types."""
    planned = [t for t in BACKUP_TYPES if t in (backup_types or BACKUP_TYPES)]
    by_id = dict((d.get("database_id"), d) for d in (all_databases or databases))
    results = []
    for database in databases:
        name = database["name"]
        target = "%s/%s" % (label, name)
        quoted = quote_name(name)
        model = database.get("recovery_model_desc")
        details = {"database": name, "database_id": database.get("database_id"), "recovery_model": model,
                   "backup_types": planned}
        if database.get("source_database_id") is not None:
            results.append(_snapshot_result(database, target, by_id, label))
            continue
        if str(name).lower() == "master" or database.get("database_id") == 1:
            extra = [t for t in planned if t != "full"]
            if extra:
                results.append(R.warning(
                    target, "Database %s on %s takes only full backups: the planned %s backups of master run as full "
                            "backups (HBR converts them; SQL Server allows only full backups of master)."
                            % (quoted, label, _types(extra)),
                    "Nothing to change on the server. Plan only full backups for master, or leave master out of "
                    "this check (databases_exclude: [master]) to accept the conversion.", details))
            else:
                results.append(R.passed(target, "Database %s on %s: only full backups are planned, the only kind "
                                                "master takes (recovery model %s)." % (quoted, label, model), details))
            continue
        if model is None:
            results.append(R.warning(target, "The recovery model of database %s on %s is not reported (NULL), so "
                                             "the planned %s backups cannot be judged." % (quoted, label, _types(planned)),
                                     "Check it by hand: SELECT name, recovery_model_desc FROM sys.databases;", details))
            continue
        if model == "SIMPLE" and "log" in planned:
            fix = ("ALTER DATABASE %s SET RECOVERY FULL; then take a full backup of %s right away: the log chain, and "
                   "with it log backups, starts only from that full backup. If point-in-time restore is not needed for "
                   "it, plan no log backups for it instead (backup_types without log, or databases_exclude)."
                   % (quoted, quoted))
            if str(name).lower() in ("msdb", "model"):
                fix += (" %s is a system database%s: if its log is not backed up, leave it out (databases_exclude: "
                        "[%s])." % (name, " and SIMPLE by default" if str(name).lower() == "msdb" else "", name))
            results.append(R.failed(target, "Database %s on %s uses the SIMPLE recovery model, so the planned log "
                                            "backups are impossible (SQL Server keeps no log chain in SIMPLE)."
                                    % (quoted, label), fix, details))
        elif model == "BULK_LOGGED" and "log" in planned:
            results.append(R.warning(target, "Database %s on %s uses the BULK_LOGGED recovery model: log backups work, "
                                             "but a log backup that contains minimally logged operations (bulk loads, "
                                             "index rebuilds) restores only to its end, not to a point in time within "
                                             "it." % (quoted, label),
                                     "ALTER DATABASE %s SET RECOVERY FULL; if point-in-time restore is needed (the log "
                                     "chain is kept; back up the log after switching). Use BULK_LOGGED only around "
                                     "bulk operations." % quoted, details))
        elif model in ("SIMPLE", "BULK_LOGGED", "FULL"):
            results.append(R.passed(target, "Database %s on %s uses the %s recovery model, which supports the planned "
                                            "%s backups." % (quoted, label, model, _types(planned)), details))
        else:
            results.append(R.warning(target, "Database %s on %s reports the unknown recovery model %s, so the planned "
                                             "%s backups cannot be judged." % (quoted, label, model, _types(planned)),
                                     "Check the recovery model by hand (sys.databases.recovery_model_desc).", details))
    return results


# -- judging: database state ------------------------------------------------------------------

_STATE_TEXT = {
    "OFFLINE": ("is OFFLINE: it cannot be backed up while offline",
                "ALTER DATABASE {q} SET ONLINE; (if it is offline on purpose and need not be backed up, leave it out: "
                "databases_exclude)."),
    "RESTORING": ("is RESTORING: a restore WITH NORECOVERY was not finished, so it cannot be backed up",
                  "If the restore sequence is complete: RESTORE DATABASE {q} WITH RECOVERY; otherwise restore the "
                  "remaining log backups first, or drop the abandoned database."),
    "RECOVERING": ("is RECOVERING (crash recovery or the end of a restore is running): it cannot be backed up until "
                   "recovery finishes",
                   "Wait for recovery to finish (progress in the SQL Server error log; sys.dm_exec_requests shows the "
                   "DB STARTUP command), then run the precheck again. If it does not finish, read the error log."),
    "RECOVERY_PENDING": ("is RECOVERY_PENDING: SQL Server could not start recovery (a data or log file is missing or "
                         "inaccessible, or the disk is full), so it cannot be backed up",
                         "Read the SQL Server error log for the file error, fix the file (path, permissions, disk "
                         "space), then ALTER DATABASE {q} SET ONLINE;. If a file is lost, restore {q} from its last good "
                         "backup."),
    "SUSPECT": ("is SUSPECT: recovery failed on damaged data or log, so it cannot be backed up",
                "Restore {q} from its last good backup (RESTORE DATABASE {q} FROM ... WITH RECOVERY;). To examine it "
                "first: ALTER DATABASE {q} SET EMERGENCY; DBCC CHECKDB ({q}) WITH NO_INFOMSGS, ALL_ERRORMSGS; and "
                "read the error log. Repair with REPAIR_ALLOW_DATA_LOSS only as a last resort."),
    "EMERGENCY": ("is in EMERGENCY mode (read-only, for repair by sysadmins): it cannot be backed up normally",
                  "Finish the repair: DBCC CHECKDB ({q}) WITH NO_INFOMSGS, ALL_ERRORMSGS; then ALTER DATABASE {q} SET "
                  "ONLINE;, or restore {q} from its last good backup."),
    "COPYING": ("is COPYING (an Azure SQL Database copy is being created): it cannot be backed up yet",
                "Wait for the copy to finish (sys.dm_database_copies), then run the precheck again."),
    "OFFLINE_SECONDARY": ("is OFFLINE_SECONDARY (an Azure SQL Database geo-replication secondary that is not "
                          "available): it cannot be backed up",
                          "Back up the geo-replication primary, and check the replication link "
                          "(sys.dm_geo_replication_link_status)."),
}


def judge_database_state(databases, label, roles=None, role_notes=None, all_databases=None):
    """One result per selected database. `roles`: {database_id: {'mirroring': row, 'hadr': row}};
    `role_notes`: why a role could not be looked up (shown in the details of non-online databases)."""
    roles = roles or {}
    by_id = dict((d.get("database_id"), d) for d in (all_databases or databases))
    results = []
    for database in databases:
        name = database["name"]
        target = "%s/%s" % (label, name)
        quoted = quote_name(name)
        state = database.get("state_desc")
        role = roles.get(database.get("database_id"), {})
        mirroring, hadr = role.get("mirroring"), role.get("hadr")
        details = {"database": name, "database_id": database.get("database_id"), "state": state,
                   "is_read_only": database.get("is_read_only"), "is_in_standby": database.get("is_in_standby"),
                   "user_access": database.get("user_access_desc")}
        if mirroring:
            details.update({"mirroring_role": mirroring.get("mirroring_role_desc"),
                            "mirroring_state": mirroring.get("mirroring_state_desc"),
                            "mirroring_partner": mirroring.get("mirroring_partner_name")})
        if hadr:
            details.update({"availability_group": hadr.get("ag_name"), "replica_role": hadr.get("role_desc"),
                            "synchronization_state": hadr.get("synchronization_state_desc")})
        if database.get("source_database_id") is not None:
            results.append(_snapshot_result(database, target, by_id, label))
            continue
        if state is None:
            results.append(R.warning(target, "The state of database %s on %s is not reported (NULL), so it is not "
                                             "known to be ONLINE." % (quoted, label),
                                     "Check it by hand: SELECT name, state_desc FROM sys.databases;", details))
            continue
        if state == "ONLINE":
            if database.get("is_in_standby"):
                results.append(R.failed(
                    target, "Database %s on %s is in STANDBY (read-only between log restores, as a log-shipping "
                            "secondary is): it cannot be backed up." % (quoted, label),
                    "Back up the log-shipping primary instead and leave %s out here (databases_exclude). To make it an "
                    "ordinary database, end log shipping to it: RESTORE DATABASE %s WITH RECOVERY;" % (quoted, quoted),
                    details))
            elif database.get("is_read_only"):
                results.append(R.warning(
                    target, "Database %s on %s is ONLINE but READ_ONLY: full backups work and are the kind to take "
                            "of it; differential backups of a read-only database read more than changed (SQL Server "
                            "keeps their base in master)." % (quoted, label),
                    "Plan only full backups for it, or, if it should accept writes: ALTER DATABASE %s SET READ_WRITE;"
                    % quoted, details))
            else:
                where = ""
                if hadr and hadr.get("role_desc"):
                    where = " (%s replica of availability group %s)" % (hadr["role_desc"], quote_name(hadr.get("ag_name")))
                results.append(R.passed(target, "Database %s on %s is ONLINE%s." % (quoted, label, where), details))
            continue
        if role_notes and not (mirroring or hadr):
            details["role_lookup"] = role_notes
        if mirroring and str(mirroring.get("mirroring_role_desc") or "").upper() == "MIRROR":
            partner = mirroring.get("mirroring_partner_instance") or mirroring.get("mirroring_partner_name") or "?"
            results.append(R.failed(
                target, "Database %s on %s is %s because it is the MIRROR in a database mirroring session (partner "
                        "%s, %s): a mirror database cannot be backed up." % (
                            quoted, label, state, partner, mirroring.get("mirroring_state_desc") or "state unknown"),
                "Back up the principal database on %s and run this precheck there; leave the mirror out here "
                "(databases_exclude)." % partner, details))
            continue
        if hadr and str(hadr.get("role_desc") or "").upper() != "PRIMARY":
            results.append(R.failed(
                target, "Database %s on %s is %s as a %s replica of availability group %s (synchronization %s): it "
                        "cannot be backed up here." % (
                            quoted, label, state, hadr.get("role_desc") or "secondary", quote_name(hadr.get("ag_name")),
                            hadr.get("synchronization_state_desc") or "unknown"),
                "Back up on the primary replica or on a synchronized secondary as the availability group's backup "
                "preference says. If data movement is suspended: ALTER DATABASE %s SET HADR RESUME;" % quoted, details))
            continue
        text, fix = _STATE_TEXT.get(state, (
            "is %s, not ONLINE: it cannot be backed up" % state,
            "Bring it online (ALTER DATABASE {q} SET ONLINE;) after reading the SQL Server error log."))
        results.append(R.failed(target, "Database %s on %s %s." % (quoted, label, text), fix.replace("{q}", quoted),
                                details))
    return results


# -- the check items --------------------------------------------------------------------------

_DATABASE_PERMISSIONS = ("sys.databases shows every database only with VIEW ANY DATABASE (granted to public by default), "
                         "ALTER ANY DATABASE, CREATE DATABASE in master, or sysadmin; otherwise only master, tempdb and "
                         "the login's own databases, which is reported as an error (cause permission).")


def _connection_info(ctx):
    conn = ctx.connection()
    settings = ctx.settings
    return {"driver": conn.driver, "driver_family": conn.family, "driver_version": conn.driver_version,
            "elapsed_ms": conn.elapsed_ms, "login": settings["user"], "encrypt": settings["encrypt"],
            "trust_server_certificate": settings["trust_server_certificate"]}


@register(
    "sqlserver.connection", "SQL Server instance reachable and login works", ("all_operations",),
    tags=("connectivity",),
    references=("Azure:UserErrorOpeningSQLConnection",),
    rule="Connect (ODBC Driver 18/17 for SQL Server or FreeTDS) and log in within connect_timeout; report the "
         "version and edition. Failures are classified: unreachable (refused, no route, DNS, browser), "
         "login_failed (18456, 18452, ...), timeout, tls, driver_missing, permission. Older than SQL Server 2008 "
         "warns.",
    permissions="CONNECT SQL (any enabled login) and access to master (through guest, by default).",
    versions="SQL Server 2008 and later (SERVERPROPERTY ProductVersion, Edition, EngineEdition; IsHadrEnabled "
             "from 2012, NULL before).",
)
def connection(ctx):
    info = _connection_info(ctx)
    return judge_connection(ctx.server(), info, ctx.target)


def _database_check(ctx, what, judge, report_unmatched=False):
    server = ctx.server()
    selection = ctx.selection()
    results = judge(selection)
    problem = visibility_result(ctx.permissions(), server.get("login_name") or ctx.settings["user"], ctx.target,
                                selection["visible"])
    if problem:
        results.append(problem)
    return results + selection_results(selection, ctx.target, what, report_unmatched)


@register(
    "sqlserver.recovery_model", "Recovery model supports the planned backup types", ("log_backup", "incremental_backup"),
    tags=("databases", "recovery"),
    references=("HBR:SQL_SERVER_DB_IN_SIMPLE_RECOVERY_MODE", "Azure:UserErrorSQLPODoesNotSupportBackupType"),
    rule="Per selected database (tempdb never; snapshots skipped), against backup_types: SIMPLE with log backups "
         "planned fails; master takes full backups only (planned differential or log backups of master are "
         "converted to full by HBR: warning); BULK_LOGGED with log backups planned warns (no point-in-time restore "
         "within a log backup holding minimally logged operations); otherwise passes.",
    permissions=_DATABASE_PERMISSIONS,
    versions="SQL Server 2008 and later (sys.databases recovery_model_desc, source_database_id).",
)
def recovery_model(ctx):
    return _database_check(ctx, "the recovery model", lambda selection: judge_recovery_model(
        selection["selected"], ctx.params.get("backup_types"), ctx.target, ctx.databases()))


def _roles(ctx, databases):
    """Mirroring and availability group roles of the databases that are not ONLINE (read only then)."""
    if all(d.get("state_desc") == "ONLINE" for d in databases):
        return {}, []
    roles, notes = {}, []
    mirrored, problem = ctx.mirroring()
    if problem:
        notes.append("mirroring role unknown: %s" % problem)
    elif ctx.permissions().get("is_sysadmin") == 0:
        notes.append("a mirror database shows its mirroring role only to sysadmin")
    hadr, problem = ctx.hadr_states()
    if problem:
        notes.append("availability group role unknown (needs VIEW SERVER STATE): %s" % problem)
    for database_id, row in (mirrored or {}).items():
        roles.setdefault(database_id, {})["mirroring"] = row
    for database_id, row in (hadr or {}).items():
        roles.setdefault(database_id, {})["hadr"] = row
    return roles, notes


@register(
    "sqlserver.database_state", "Databases are online and can be backed up", ("backup", "restore"),
    tags=("databases", "state"),
    references=("HBR:SQL_SERVER_DB_NOT_ONLINE",),
    rule="Per selected database (tempdb never): state_desc ONLINE passes; RESTORING, RECOVERING, RECOVERY_PENDING, "
         "SUSPECT, EMERGENCY, OFFLINE, COPYING, OFFLINE_SECONDARY fail (a database mirroring mirror or an "
         "availability group secondary is reported as such); ONLINE in STANDBY fails; READ_ONLY warns; snapshots "
         "are skipped. A databases_include pattern that matches nothing warns.",
    permissions=(_DATABASE_PERMISSIONS + " The mirroring role of a mirror database shows only to sysadmin; "
                 "availability group roles need VIEW SERVER STATE. Without them, the state is still judged."),
    versions="SQL Server 2008 and later (sys.databases state_desc, is_in_standby, is_read_only; "
             "sys.database_mirroring); availability groups from SQL Server 2012 (sys.dm_hadr_database_replica_states).",
)
def database_state(ctx):
    def judge(selection):
        roles, notes = _roles(ctx, selection["selected"])
        return judge_database_state(selection["selected"], ctx.target, roles, "; ".join(notes) or None,
                                    ctx.databases())
    return _database_check(ctx, "its state", judge, report_unmatched=True)


# -- the engine -------------------------------------------------------------------------------

def validate(params):
    problems = sqlserver_conn.validate_connection(params)
    if not params.get("backup_types"):
        problems.append("backup_types: name at least one of %s" % ", ".join(BACKUP_TYPES))
    if not params.get("databases_include"):
        problems.append("databases_include: an empty list selects no database; use ['*'] for every database "
                        "(tempdb is never checked)")
    for option in ("databases_include", "databases_exclude"):
        for pattern in params.get(option) or []:
            if not str(pattern).strip():
                problems.append("%s: empty pattern (use a database name or a glob such as Sales*)" % option)
    return problems


def sqlserver_context(params):
    return SqlServerContext(params, sqlserver_conn.resolve_settings(params))
