# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the SQL Server check items behind Azure Backup's error codes (seed 004) share: their options
and the validation of them, and the helpers that read a data set, turn a refused statement into an
`error` result naming the permission, and report per database or with one `passed` on the instance.

The items are in access.py (sysadmin), backup_chain.py (running operations, backups by other
products, the full backup base, log space), ha.py (database mirroring, availability groups) and
restore.py (TDE certificates, the file list size, configured databases, restore targets, the other
instances of the host).

Each data set is read through the SqlServerContext of gathering.py (memoized per instance), so an
engine run reads each statement once however many items use it. Every statement is a SELECT; the only
values sent with a statement are bound parameters (the backup window in hours, a login name).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import connection as sqlserver_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver.connection import quote_name

BACKUP_TYPES = ("full", "differential", "log")


def names_text(names, limit=20):
    shown = ", ".join(names[:limit])
    return shown + (" and %d more" % (len(names) - limit) if len(names) > limit else "")


def database_names(database, label):
    """A sys.databases row's name, its quoted form for messages and SQL hints, and its result target."""
    name = database["name"]
    return name, quote_name(name), "%s/%s" % (label, name)


def selection_results(selection, label, what, report_unmatched=False):
    """Instance-level results about the selection itself: what was left out, and an empty selection."""
    results = []
    if selection["excluded"]:
        results.append(R.skipped(label, "%d database(s) on %s are not checked for %s (databases_include/"
                                        "databases_exclude): %s." % (len(selection["excluded"]), label, what,
                                                                     names_text(selection["excluded"])),
                                 details={"excluded": selection["excluded"]}))
    if report_unmatched:
        for pattern in selection["unmatched"]:
            results.append(R.warning(label, "databases_include pattern '%s' matches no database on %s: a database "
                                            "of that name cannot be backed up because it does not exist (or the "
                                            "login cannot see it)." % (pattern, label),
                                     "Check the name against sys.databases on %s (names match %s, as the server's "
                                     "collation compares them, with * ? and [...] as wildcards), or remove it from "
                                     "databases_include." % (label, "case-sensitively" if selection.get(
                                         "case_sensitive") else "case-insensitively"), details={"pattern": pattern}))
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


# -- options ----------------------------------------------------------------------------------

PEER_OPTIONS = dict(
    name=dict(type="str", description=("A label for the instance in messages.",)),
    login_host=dict(type="str", default="localhost", description=("Its host name or address.",)),
    login_port=dict(type="int", minimum=1, maximum=65535, description=(
        "Its TCP port (1433 when neither this nor O(peer_instances[].instance_name) is set).",)),
    instance_name=dict(type="str", description=(
        "Its named instance, looked up through the SQL Server Browser (UDP 1434).",)),
)

# How an instance's fixed TCP endpoint is found in its options (core.endpoints.endpoint_of): a named
# instance without a port is looked up through the SQL Server Browser instead.
ENDPOINT = dict(host="login_host", port="login_port", default_port=1433, needs_port=("instance_name",))

# Several items read it: sqlserver.restore_target and sqlserver.tde_certificate.
RESTORE_TARGET_OPTION = dict(
    restore_target=dict(type="bool", default=False, description=(
        "This instance is a restore target. C(sqlserver.restore_target) then checks O(restore_databases), and "
        "C(sqlserver.tde_certificate) checks O(source_certificate_thumbprints).",
    )),
)

_THUMBPRINT = re.compile(r"^[0-9A-F]{40}$")

V2008 = "SQL Server 2008 and later"

# What every item that judges the selected databases adds to its permissions (sys.databases (Transact-SQL)).
VIEW_ANY_DATABASE = ("Every database is seen only with VIEW ANY DATABASE (the role public has it by default): "
                     "without it an error (cause permission).")


def validate_backup_options(params):
    """Problems with the options of the backup check items, each naming the option."""
    problems = []
    warn, fail = params.get("log_space_warn_percent"), params.get("log_space_fail_percent")
    for option, value in (("log_space_warn_percent", warn), ("log_space_fail_percent", fail),
                          ("file_list_warn_percent", params.get("file_list_warn_percent"))):
        if value is None or not 1 <= value <= 100:
            problems.append("%s: must be a percentage from 1 to 100, got %r" % (option, value))
    if warn is not None and fail is not None and 1 <= warn <= 100 and 1 <= fail <= 100 and warn > fail:
        problems.append("log_space_warn_percent (%d) must not be above log_space_fail_percent (%d)" % (warn, fail))
    window = params.get("foreign_backup_window_hours")
    if window is None or not 1 <= window <= 24 * 3660:
        problems.append("foreign_backup_window_hours: must be a number of hours from 1 to 87840 (ten years), got %r"
                        % (window,))
    limit = params.get("file_list_limit_bytes")
    if limit is None or limit < 1:
        problems.append("file_list_limit_bytes: must be a positive number of bytes (Azure Backup's limit is 20000), "
                        "got %r" % (limit,))
    for option in ("databases", "restore_databases", "own_backup_users"):
        for name in params.get(option) or []:
            if not str(name).strip():
                problems.append("%s: empty name" % option)
    if params.get("backup_login") is not None and not params["backup_login"].strip():
        problems.append("backup_login: must not be empty; omit it to check the login of the connection")
    if params.get("restore_databases") and not params.get("restore_target"):
        problems.append("restore_databases: set restore_target: true too (restore_databases names the databases that "
                        "restores will create on this instance when it is a restore target)")
    for thumbprint in params.get("source_certificate_thumbprints") or []:
        if normalize_thumbprint(thumbprint) is None:
            problems.append("source_certificate_thumbprints: %r is not a SHA-1 thumbprint (40 hexadecimal digits, "
                            "0x optional, as sys.certificates.thumbprint shows it)" % (thumbprint,))
    for index, peer in enumerate(params.get("peer_instances") or []):
        peer_params = {"login_host": peer.get("login_host") or "localhost", "login_port": peer.get("login_port"),
                       "instance_name": peer.get("instance_name"), "connect_timeout": 1, "query_timeout": 1}
        for problem in sqlserver_conn.validate_connection(peer_params):
            problems.append("peer_instances[%d].%s" % (index, problem))
    return problems


def normalize_thumbprint(value):
    """`0xAB12...`, `ab:12:...` or bytes -> `AB12...` (40 hex digits), None if it is not a SHA-1 thumbprint."""
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        text = "".join("%02X" % b for b in bytearray(value))
    else:
        text = re.sub(r"[\s:]", "", str(value)).upper()
        if text.startswith("0X"):
            text = text[2:]
    return text if _THUMBPRINT.match(text) else None


# -- small helpers ----------------------------------------------------------------------------

def major_version(server):
    return server.get("major") or 0


def state_permission(server):
    if major_version(server) >= 16:
        return "VIEW SERVER STATE (on SQL Server 2022 and later VIEW SERVER PERFORMANCE STATE is enough)"
    return "VIEW SERVER STATE"


def add_role_member_statement(role, member, major):
    """Adds a database user to a database role: ALTER ROLE ... ADD MEMBER exists from SQL Server 2012
    (ALTER ROLE (Transact-SQL)); before, sp_addrolemember."""
    if major and major < 11:
        return "EXEC sp_addrolemember @rolename = %s, @membername = %s;" % (sql_string(role), sql_string(member))
    return "ALTER ROLE %s ADD MEMBER %s;" % (quote_name(role), quote_name(member))


def sql_string(text):
    """A T-SQL N'...' literal, quotes doubled."""
    return "N'%s'" % str(text).replace("'", "''")


def as_text(value):
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        return "0x" + "".join("%02X" % b for b in bytearray(value))
    return str(value)


def num(value):
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def as_int(value):
    number = num(value)
    return None if number is None else int(number)


def lower_keys(row):
    return dict((str(k).lower(), v) for k, v in (row or {}).items())


def plural(count, word, plural_word=None):
    return "%d %s" % (count, word if count == 1 else (plural_word or word + "s"))


def who_fix(login):
    return quote_name(login) if login else "[<precheck login>]"


def login_of(ctx):
    return ctx.server().get("login_name") or ctx.settings.get("user") or "login"


def read_rows(ctx, key, sql, what, params=()):
    """(rows, None), or (None, PrecheckError) when the server refused the statement for lack of
    permission or does not know a view in it; a lost connection or a timeout still raises. Memoized
    under `key` like every data set of the context."""
    try:
        return ctx.gather(key, sql, params, what), None
    except PrecheckError as exc:
        if exc.cause in ("permission", "internal"):
            return None, exc
        raise


def unreadable(target, exc, permission, login, fix=None):
    """The `error` result of a check whose data the login may not read (or the server could not give)."""
    details = dict(exc.details or {})
    details["permission"] = permission
    if exc.cause == "permission":
        return R.error(target, "%s The check needs %s, which the login '%s' lacks." % (exc.message, permission, login),
                       "permission", fix or "GRANT %s TO %s;" % (permission.split(" (")[0], quote_name(login)), details)
    return R.error(target, exc.message, exc.cause or "internal",
                   "Check that the login can read it (%s) and that the view exists on this SQL Server version." %
                   permission, details)


def _summary(label, findings, selection, text, what, details=None):
    """Checks that report only the databases with a finding: one `passed` on the instance when no
    selected database has one, naming what was left out; else the findings (and what was left out)."""
    if not selection["selected"]:
        return findings + selection_results(selection, label, what)
    if findings:
        excluded = selection_results(selection, label, what)
        return findings + [r for r in excluded if r["status"] == "skipped"]
    info = {"checked": len(selection["selected"])}
    if selection["excluded"]:
        info["excluded"] = selection["excluded"]
        text += " (%s not checked: databases_include/databases_exclude)" % plural(
            len(selection["excluded"]), "database")
    info.update(details or {})
    return [R.passed(label, text + ".", info)]


# -- gathering --------------------------------------------------------------------------------

def rows_by_id(rows):
    return dict((row.get("database_id"), lower_keys(row)) for row in rows or [])


def database_files(ctx):
    """({database_id: [rows]}, None) or (None, PrecheckError)."""
    files, _problem = ctx.files()
    if files is None:
        return None, ctx.problems.get("files")
    return dict((k, [lower_keys(r) for r in v]) for k, v in files.items()), None


def can_see_definitions(ctx):
    permissions = ctx.permissions()
    return permissions.get("is_sysadmin") == 1 or permissions.get("view_any_definition") == 1


def database_check(ctx, what, judge):
    """Per-database checks: judge the selection, then say what was left out and whether the login
    sees every database."""
    selection = ctx.selection()
    results = judge(selection)
    problem = visibility_result(ctx.permissions(), login_of(ctx), ctx.target, selection["visible"])
    if problem:
        results.append(problem)
    return results + selection_results(selection, ctx.target, what)


def summary_check(ctx, what, judge, passed_text, details=None):
    """Checks that report the databases with a finding, or one `passed` on the instance."""
    selection = ctx.selection()
    findings = judge(selection)
    problem = visibility_result(ctx.permissions(), login_of(ctx), ctx.target, selection["visible"])
    if problem:
        return findings + [problem]
    return _summary(ctx.target, findings, selection, passed_text, what, details)
