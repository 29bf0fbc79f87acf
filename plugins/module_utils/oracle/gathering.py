# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Oracle gathering: every query of the collection, and the context that runs each once per connection."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.context import Context
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle.connection import (
    Abandoned, bounded_call, classify, error_info, normalize_user, open_connection, quote_user, target_label)

# Every query of the collection. `view` names the view a permission error is reported for. A query
# whose columns depend on the release has `variants`: (first release, SQL) pairs, newest first; the
# release of the connected database picks one, so that no release is sent a column it does not have
# (the releases are those of the Oracle Database Reference pages named in
# tests/support/catalogs/oracle.yml). `since`: the first release that has the view at all.
QUERIES = {
    "session": dict(
        view="dual",
        variants=(
            ("12.1", "SELECT SYS_CONTEXT('USERENV', 'INSTANCE_NAME') AS instance_name, "
                     "SYS_CONTEXT('USERENV', 'DB_NAME') AS db_name, "
                     "SYS_CONTEXT('USERENV', 'CON_NAME') AS con_name, "
                     "SYS_CONTEXT('USERENV', 'SESSION_USER') AS session_user FROM dual"),
            ("11.2", "SELECT SYS_CONTEXT('USERENV', 'INSTANCE_NAME') AS instance_name, "
                     "SYS_CONTEXT('USERENV', 'DB_NAME') AS db_name, NULL AS con_name, "
                     "SYS_CONTEXT('USERENV', 'SESSION_USER') AS session_user FROM dual"),
        ),
    ),
    "instances": dict(
        view="gv$instance",
        sql="SELECT inst_id, instance_number, instance_name, host_name, version, status, database_status, "
            "archiver, logins, parallel FROM gv$instance ORDER BY inst_id",
    ),
    "database": dict(
        view="gv$database",
        variants=(
            ("12.1", "SELECT inst_id, name, db_unique_name, log_mode, open_mode, database_role, force_logging, cdb "
                     "FROM gv$database ORDER BY inst_id"),
            ("11.2", "SELECT inst_id, name, db_unique_name, log_mode, open_mode, database_role, force_logging, "
                     "'NO' AS cdb FROM gv$database ORDER BY inst_id"),
        ),
    ),
    "pdbs": dict(
        view="gv$pdbs",
        since="12.1",
        sql="SELECT inst_id, con_id, name, open_mode, restricted FROM gv$pdbs ORDER BY con_id, inst_id",
    ),
    "recovery_area": dict(
        view="v$recovery_file_dest",
        sql="SELECT name, space_limit, space_used, space_reclaimable, number_of_files FROM v$recovery_file_dest",
    ),
    "unrecoverable_datafiles": dict(
        view="v$datafile",
        sql="SELECT file#, name, unrecoverable_change#, unrecoverable_time FROM v$datafile "
            "WHERE unrecoverable_change# > 0 ORDER BY file#",
    ),
    # The newest backup of each datafile: UNRECOVERABLE_CHANGE# is never reset, so only a backup taken
    # after it makes a file recoverable again (as RMAN REPORT UNRECOVERABLE judges).
    "datafile_backups": dict(
        view="v$backup_datafile",
        sql="SELECT file#, MAX(checkpoint_change#) AS last_backup_change, MAX(completion_time) AS last_backup_time "
            "FROM v$backup_datafile WHERE file# > 0 GROUP BY file#",
    ),
    "block_change_tracking": dict(
        view="v$block_change_tracking",
        sql="SELECT status, filename, bytes FROM v$block_change_tracking",
    ),
    "version": dict(
        view="v$version",
        sql="SELECT banner FROM v$version",
    ),
    "rman_running": dict(
        view="gv$rman_status",
        sql="SELECT inst_id, sid, recid, stamp, row_level, row_type, operation, status, object_type, start_time, "
            "mbytes_processed FROM gv$rman_status WHERE status LIKE 'RUNNING%' ORDER BY start_time",
    ),
    "rman_sessions": dict(
        view="gv$session",
        sql="SELECT inst_id, sid, serial#, username, program, status, logon_time FROM gv$session "
            "WHERE LOWER(program) LIKE 'rman%'",
    ),
    # One row per container the user was granted in (CON_ID, 12.1); ACCOUNT_STATUS from 12.2.
    "pwfile_user": dict(
        view="v$pwfile_users",
        variants=(
            ("12.2", "SELECT username, sysdba, sysbackup, account_status, con_id FROM v$pwfile_users "
                     "WHERE username = :username"),
            ("12.1", "SELECT username, sysdba, sysbackup, NULL AS account_status, con_id FROM v$pwfile_users "
                     "WHERE username = :username"),
            ("11.2", "SELECT username, sysdba, 'FALSE' AS sysbackup, NULL AS account_status, NULL AS con_id "
                     "FROM v$pwfile_users WHERE username = :username"),
        ),
    ),
}


def release_tuple(text):
    """`19.3.0.0.0` or `12.1` -> (19, 3) / (12, 1); None when unknown."""
    parts = []
    for part in str(text or "").split(".")[:2]:
        if not part.isdigit():
            break
        parts.append(int(part))
    return tuple(parts) or None


def statement(name, version=None):
    """The SQL of query `name` for a database of `version` (newest when unknown)."""
    query = QUERIES[name]
    if "variants" not in query:
        return query["sql"]
    release = release_tuple(version)
    for first, sql in query["variants"]:
        if release is None or release >= release_tuple(first):
            return sql
    return query["variants"][-1][1]


def gather(ctx, name, params=None):
    return ctx.query(name, statement(name, ctx.server_version()), params=params, view=QUERIES[name]["view"])


def need_rows(rows, ctx, name):
    if not rows:
        view = QUERIES[name]["view"].upper()
        raise PrecheckError("permission", "%s returned no rows on %s: the login sees no data in it (a common user "
                            "without CONTAINER_DATA access, or a view restricted by a security policy)."
                            % (view, ctx.target),
                            "As SYS in the root: ALTER USER %s SET CONTAINER_DATA=ALL CONTAINER=CURRENT; or run "
                            "the precheck with mode sysbackup." % quote_user(ctx.params.get("login_user")),
                            details={"view": view})
    return rows


def _plain(value):
    """Rows become JSON-safe plain values (dates as ISO text)."""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def fetch_rows(connection, sql, params=None):
    """Run one read-only query; rows as dicts keyed by lower-case column name."""
    cursor = connection.cursor()
    try:
        cursor.execute(sql, params or {})
        columns = [d[0].lower() for d in cursor.description or []]
        return [dict(zip(columns, [_plain(v) for v in row])) for row in cursor.fetchall()]
    finally:
        try:
            cursor.close()
        except Exception:  # pylint: disable=broad-except
            pass


class OracleContext(Context):
    """One connection per run, opened on first use; each query gathered once (ctx.cached)."""

    def __init__(self, params):
        super(OracleContext, self).__init__(params, target_label(params), secrets=[params.get("login_password")])
        self._dead = None

    def connection(self):
        """(connection, info); a failure is remembered, so a dead listener is asked once."""
        return self.cached("connection", lambda: open_connection(self.params, self.target))

    def server_version(self):
        """The connected database's version (`19.3.0.0.0`), from the driver."""
        _connection, info = self.connection()
        return info.get("server_version")

    def query(self, name, sql, params=None, view=None):
        """Gather the rows of one query once per run."""
        return self.cached("query:" + name, lambda: self._run(name, sql, params, view))

    def _run(self, name, sql, params, view):
        connection, _info = self.connection()
        if self._dead:
            raise PrecheckError("timeout", "Not run: an earlier query on %s did not return within query_timeout "
                                "(%s), so the connection was given up." % (self.target, self._dead),
                                "Raise query_timeout, or check the database for blocking (v$session waits).")
        try:
            return self._execute(connection, name, sql, params)
        except PrecheckError:
            raise
        except Exception as exc:  # pylint: disable=broad-except
            raise self._query_failure(exc, name, view)

    def _execute(self, connection, name, sql, params):
        limit = float(self.params["query_timeout"]) + 5.0     # call_timeout is the first line of defence
        try:
            return bounded_call(lambda: fetch_rows(connection, sql, params), limit)
        except Abandoned:
            self._dead = name
            raise PrecheckError("timeout", "Query %s on %s did not return within %g s." % (name, self.target, limit),
                                "Raise query_timeout, or look for what blocks the session on the database.")

    def _query_failure(self, exc, name, view):
        full_code, code, text = error_info(exc)
        cause = classify(exc, during="query")
        ora = ("ORA-%05d" % code) if code else full_code
        view = view or name
        user = normalize_user(self.params.get("login_user")) or "the OS-authenticated login"
        details = {"query": name, "view": view.upper(), "error_code": full_code or None,
                   "ora_code": ("ORA-%05d" % code) if code else None}
        if cause == "permission":
            underlying = "SYS." + view.upper().replace("V$", "V_$", 1)
            return PrecheckError(
                "permission",
                "%s cannot read %s on %s (%s): the answer is unknown, not passed." % (user, view.upper(), self.target, ora),
                "As SYS: GRANT SELECT ON %s TO %s; or GRANT SELECT_CATALOG_ROLE TO %s; or run the precheck with "
                "mode sysbackup (the SYSBACKUP privilege reads every v$ view)." % (
                    underlying, quote_user(self.params.get("login_user")), quote_user(self.params.get("login_user"))),
                details=details)
        if code in (1507, 1219):
            return PrecheckError(
                "dependency",
                "%s cannot be read on %s (%s): the database is not mounted/open. %s" % (view.upper(), self.target, ora, text),
                "Mount the database (ALTER DATABASE MOUNT;), see oracle.instance_status.",
                source="oracle.instance_status", details=details)
        if cause == "timeout":
            return PrecheckError("timeout", "Query of %s on %s exceeded query_timeout (%s): %s" % (
                view.upper(), self.target, full_code or ora, text),
                "Raise query_timeout, or look for what blocks the session on the database.", details=details)
        if cause == "unreachable":
            return PrecheckError("unreachable", "The connection to %s was lost while reading %s (%s): %s" % (
                self.target, view.upper(), full_code or ora, text),
                "Check the network and the database alert log; then run the precheck again.", details=details)
        return PrecheckError(cause, "Reading %s on %s failed (%s): %s" % (view.upper(), self.target, full_code or ora, text),
                             "Check the database alert log; report this if the view exists in your release.",
                             details=details)
