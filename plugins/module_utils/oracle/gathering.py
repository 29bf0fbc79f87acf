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

# Every query of the collection. `view` names the view a permission error is reported for;
# `legacy` is tried when an older release lacks a column (ORA-00904) or USERENV parameter.
QUERIES = {
    "session": dict(
        view="dual",
        sql="SELECT SYS_CONTEXT('USERENV', 'INSTANCE_NAME') AS instance_name, "
            "SYS_CONTEXT('USERENV', 'DB_NAME') AS db_name, "
            "SYS_CONTEXT('USERENV', 'CON_NAME') AS con_name, "
            "SYS_CONTEXT('USERENV', 'SESSION_USER') AS session_user FROM dual",
        legacy="SELECT SYS_CONTEXT('USERENV', 'INSTANCE_NAME') AS instance_name, "
               "SYS_CONTEXT('USERENV', 'DB_NAME') AS db_name, NULL AS con_name, "
               "SYS_CONTEXT('USERENV', 'SESSION_USER') AS session_user FROM dual",
    ),
    "instances": dict(
        view="gv$instance",
        sql="SELECT inst_id, instance_number, instance_name, host_name, version, status, database_status, "
            "archiver, logins, parallel FROM gv$instance ORDER BY inst_id",
    ),
    "database": dict(
        view="gv$database",
        sql="SELECT inst_id, name, db_unique_name, log_mode, open_mode, database_role, force_logging, cdb "
            "FROM gv$database ORDER BY inst_id",
        legacy="SELECT inst_id, name, db_unique_name, log_mode, open_mode, database_role, force_logging, "
               "'NO' AS cdb FROM gv$database ORDER BY inst_id",
    ),
    "pdbs": dict(
        view="gv$pdbs",
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
    "pwfile_user": dict(
        view="v$pwfile_users",
        sql="SELECT username, sysdba, sysbackup FROM v$pwfile_users WHERE username = :username",
        legacy="SELECT username, sysdba, 'FALSE' AS sysbackup FROM v$pwfile_users WHERE username = :username",
    ),
}


def gather(ctx, name, params=None):
    query = QUERIES[name]
    return ctx.query(name, query["sql"], params=params, legacy_sql=query.get("legacy"), view=query["view"])


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

    def query(self, name, sql, params=None, legacy_sql=None, view=None):
        """Gather the rows of one query once per run. On ORA-00904/ORA-02003 (a column or USERENV
        parameter an older release lacks) `legacy_sql` is tried instead."""
        return self.cached("query:" + name, lambda: self._run(name, sql, params, legacy_sql, view))

    def _run(self, name, sql, params, legacy_sql, view):
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
            _full, code, _text = error_info(exc)
            if legacy_sql and code in (904, 2003):
                try:
                    return self._execute(connection, name, legacy_sql, params)
                except PrecheckError:
                    raise
                except Exception as exc2:  # pylint: disable=broad-except
                    raise self._query_failure(exc2, name, view)
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
