# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SQL Server check items that find, before the first backup, the conditions behind Azure Backup's
SQL Server error codes (seed 004): sysadmin membership, a running BACKUP or RESTORE, backups by
another product, a missing full backup, a full transaction log, database mirroring, availability
group backup preferences, TDE certificates, the 20,000-byte file list, missing databases, same-name
databases on a restore target, and faulty instances on a multi-instance host.

Each data set is read through the SqlServerContext of sqlserver_checks (memoized per instance), so an
engine run reads each statement once however many items use it. The judge_* functions take plain
rows and options and are unit-tested without a server. Every statement is a SELECT; the only values
sent with a statement are bound parameters (the backup window in hours, a login name).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch
import json
import re

from ansible_collections.cloudbackup.precheck.plugins.module_utils import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils import sqlserver_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.probes import parallel_map
from ansible_collections.cloudbackup.precheck.plugins.module_utils.registry import PrecheckError, register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver_checks import (
    BACKUP_TYPES, selection_results, visibility_result)
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver_conn import quote_name

# -- options ----------------------------------------------------------------------------------

PEER_ARGS = dict(
    name=dict(type="str"),
    login_host=dict(type="str", default="localhost"),
    login_port=dict(type="int"),
    instance_name=dict(type="str"),
)

BACKUP_ARGS = dict(
    backup_login=dict(type="str"),
    databases=dict(type="list", elements="str", default=[]),
    foreign_backup_window_hours=dict(type="int", default=168),
    own_backup_users=dict(type="list", elements="str", default=[]),
    log_space_warn_percent=dict(type="int", default=75),
    log_space_fail_percent=dict(type="int", default=90),
    file_list_limit_bytes=dict(type="int", default=20000),
    file_list_warn_percent=dict(type="int", default=90),
    restore_target=dict(type="bool", default=False),
    restore_databases=dict(type="list", elements="str", default=[]),
    overwrite=dict(type="bool", default=False),
    source_certificate_thumbprints=dict(type="list", elements="str", default=[]),
    peer_instances=dict(type="list", elements="dict", default=[], options=PEER_ARGS),
)

AZURE_BIN = "C:\\Program Files\\Azure Workload Backup\\bin"
RESTORE_OVERRIDE_DIR = AZURE_BIN + "\\plugins\\SQL*"
EXTENSION_OVERRIDES = AZURE_BIN + "\\ExtensionSettingsOverrides.json"
NUL_DEVICES = ("NUL", "NUL:", "\\\\.\\NUL")

# 2016 SP2 is 13.0.5026: sys.dm_db_log_stats exists from there (and in 2017 and later).
LOG_STATS_FROM = (13, 5026)

_THUMBPRINT = re.compile(r"^[0-9A-F]{40}$")


def validate(params):
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


# -- statements -------------------------------------------------------------------------------
# Column aliases are lower case: rows come back as dicts keyed by them. Aliases of sys.databases are
# not `d`, so that they never look like the database list statement of sqlserver_checks.

BACKUP_LOGIN_SQL = "SELECT IS_SRVROLEMEMBER('sysadmin', ?) AS is_sysadmin"

REQUESTS_SQL = """SELECT r.session_id, r.database_id, r.command, r.start_time, r.percent_complete, r.status,
 s.login_name, s.program_name, s.host_name
 FROM sys.dm_exec_requests AS r LEFT JOIN sys.dm_exec_sessions AS s ON s.session_id = r.session_id
 WHERE r.command LIKE N'BACKUP%' OR r.command LIKE N'RESTORE%'"""

_NUL_CASE = ("CASE WHEN UPPER(LTRIM(RTRIM(mf.physical_device_name))) IN (N'NUL', N'NUL:', N'\\\\.\\NUL') "
             "THEN 1 ELSE 0 END")

HISTORY_SQL = """SELECT bs.database_guid, bs.database_name, bs.type AS backup_type, bs.recovery_model, bs.user_name,
 mf.device_type, %(nul)s AS to_nul,
 COUNT(DISTINCT bs.backup_set_id) AS backup_count, MIN(bs.backup_finish_date) AS first_finish_date,
 MAX(bs.backup_finish_date) AS last_finish_date, MAX(mf.physical_device_name) AS example_device,
 MAX(ms.software_name) AS software_name
 FROM msdb.dbo.backupset AS bs
 JOIN msdb.dbo.backupmediafamily AS mf ON mf.media_set_id = bs.media_set_id
 LEFT JOIN msdb.dbo.backupmediaset AS ms ON ms.media_set_id = bs.media_set_id
 WHERE bs.type IN ('D', 'L') AND ISNULL(bs.is_copy_only, 0) = 0
 AND bs.backup_finish_date >= DATEADD(hour, -CAST(? AS int), GETDATE())
 GROUP BY bs.database_guid, bs.database_name, bs.type, bs.recovery_model, bs.user_name, mf.device_type,
 %(nul)s""" % {"nul": _NUL_CASE}

LOG_STATS_SQL = """SELECT sdb.database_id, ls.total_log_size_mb, ls.active_log_size_mb, ls.log_truncation_holdup_reason
 FROM sys.databases AS sdb CROSS APPLY sys.dm_db_log_stats(sdb.database_id) AS ls
 WHERE sdb.state = 0"""

LOG_COUNTERS_SQL = """SELECT RTRIM(pc.instance_name) AS database_name,
 MAX(CASE WHEN pc.counter_name = N'Log File(s) Size (KB)' THEN pc.cntr_value END) AS log_size_kb,
 MAX(CASE WHEN pc.counter_name = N'Log File(s) Used Size (KB)' THEN pc.cntr_value END) AS log_used_kb
 FROM sys.dm_os_performance_counters AS pc
 WHERE pc.object_name LIKE N'%:Databases%'
 AND pc.counter_name IN (N'Log File(s) Size (KB)', N'Log File(s) Used Size (KB)')
 GROUP BY pc.instance_name"""

AG_DATABASES_SQL = """SELECT adb.database_id, ag.name AS ag_name,
 sys.fn_hadr_backup_is_preferred_replica(adb.name) AS is_preferred_replica
 FROM sys.databases AS adb
 JOIN sys.availability_replicas AS ar ON ar.replica_id = adb.replica_id
 JOIN sys.availability_groups AS ag ON ag.group_id = ar.group_id"""

AG_REPLICAS_COLUMNS = ("ag.name AS ag_name", "ag.automated_backup_preference_desc", "ags.primary_replica",
                       "ar.replica_server_name", "ar.backup_priority", "ar.availability_mode_desc", "ars.is_local",
                       "ars.role_desc", "ars.connected_state_desc", "ars.synchronization_health_desc")
AG_REPLICAS_COLUMNS_2016 = ("ag.basic_features",)
AG_REPLICAS_FROM = """ FROM sys.availability_groups AS ag
 JOIN sys.availability_replicas AS ar ON ar.group_id = ag.group_id
 LEFT JOIN sys.dm_hadr_availability_group_states AS ags ON ags.group_id = ag.group_id
 LEFT JOIN sys.dm_hadr_availability_replica_states AS ars ON ars.replica_id = ar.replica_id"""

ENCRYPTION_KEYS_COLUMNS = ("k.database_id", "k.encryption_state", "k.encryptor_thumbprint", "k.key_algorithm",
                           "k.key_length", "k.percent_complete")
ENCRYPTION_KEYS_COLUMNS_2012 = ("k.encryptor_type",)

CERTIFICATES_SQL = """SELECT c.name, c.thumbprint, c.pvt_key_encryption_type_desc, c.pvt_key_last_backup_date,
 c.expiry_date, c.subject
 FROM master.sys.certificates AS c"""

ENCRYPTION_STATES = {0: "NONE", 1: "UNENCRYPTED", 2: "ENCRYPTION_IN_PROGRESS", 3: "ENCRYPTED",
                     4: "KEY_CHANGE_IN_PROGRESS", 5: "DECRYPTION_IN_PROGRESS", 6: "PROTECTION_CHANGE_IN_PROGRESS"}

DEVICE_TYPES = {2: "disk", 102: "a permanent disk backup device", 5: "tape", 105: "a permanent tape backup device",
                7: "a virtual device (VDI, as backup products use)", 9: "a URL (Azure Blob Storage)"}


# -- small helpers ----------------------------------------------------------------------------

def _major(server):
    return server.get("major") or 0


def _build(product_version):
    parts = str(product_version or "").split(".")
    return int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0


def has_log_stats(server):
    """sys.dm_db_log_stats exists from SQL Server 2016 SP2 (13.0.5026) and 2017 on."""
    major = _major(server)
    return major > LOG_STATS_FROM[0] or (major == LOG_STATS_FROM[0] and _build(server.get("product_version"))
                                         >= LOG_STATS_FROM[1])


def state_permission(server):
    if _major(server) >= 16:
        return "VIEW SERVER STATE (on SQL Server 2022 and later VIEW SERVER PERFORMANCE STATE is enough)"
    return "VIEW SERVER STATE"


def sql_string(text):
    """A T-SQL N'...' literal, quotes doubled."""
    return "N'%s'" % str(text).replace("'", "''")


def _text(value):
    if value is None:
        return None
    if isinstance(value, (bytes, bytearray)):
        return "0x" + "".join("%02X" % b for b in bytearray(value))
    return str(value)


def _num(value):
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _mb(value):
    return "%.1f" % value if value < 10 else "%.0f" % value


def _int(value):
    number = _num(value)
    return None if number is None else int(number)


def _lower_keys(row):
    return dict((str(k).lower(), v) for k, v in (row or {}).items())


def _guid(value):
    return str(value).strip("{}").upper() if value is not None else None


def _names(names, limit=10):
    shown = ", ".join(names[:limit])
    return shown + (" and %d more" % (len(names) - limit) if len(names) > limit else "")


def _plural(count, word, plural=None):
    return "%d %s" % (count, word if count == 1 else (plural or word + "s"))


def _who_fix(login):
    return quote_name(login) if login else "[<precheck login>]"


def _login(ctx):
    return ctx.server().get("login_name") or ctx.settings.get("user") or "login"


def _judgeable(database):
    """(True, None) or (False, why): snapshots and databases that are not ONLINE are judged by
    sqlserver.database_state, not here."""
    if database.get("source_database_id") is not None:
        return False, "database snapshot"
    if database.get("state_desc") != "ONLINE":
        return False, "state %s" % (database.get("state_desc") or "unknown")
    return True, None


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
        text += " (%s not checked: databases_include/databases_exclude)" % _plural(len(selection["excluded"]),
                                                                                   "database")
    info.update(details or {})
    return [R.passed(label, text + ".", info)]


# -- judging: sysadmin ------------------------------------------------------------------------

def add_sysadmin_statement(login, major):
    if major and major < 11:
        return "EXEC sp_addsrvrolemember @loginame = %s, @rolename = N'sysadmin';" % sql_string(login)
    return "ALTER SERVER ROLE [sysadmin] ADD MEMBER %s;" % quote_name(login)


def judge_sysadmin(is_member, login, label, major, connected=True):
    """`is_member`: IS_SRVROLEMEMBER('sysadmin'[, login]) as 1, 0 or None. `connected`: whether
    `login` is the login of the connection (or the backup_login option)."""
    details = {"login": login, "is_sysadmin": is_member,
               "source": "the connection's login" if connected else "backup_login"}
    quoted = "'%s'" % login
    if is_member == 1:
        return [R.passed(label, "The login %s is a member of the sysadmin server role on %s." % (quoted, label),
                         details)]
    if is_member == 0:
        return [R.failed(label, "The login %s is not a member of the sysadmin server role on %s: the backup agent "
                                "needs sysadmin to discover, back up and restore databases (Azure "
                                "UserErrorSQLNoSysadminMembership)." % (quoted, label),
                         "%s (run as a sysadmin; the login the backup agent uses must be sysadmin, for Azure Backup "
                         "NT SERVICE\\AzureWLBackupPluginSvc)." % add_sysadmin_statement(login, major), details)]
    why = ("the permission query failed" if connected else
           "IS_SRVROLEMEMBER returned NULL: the login does not exist, or the checking login may not see its role "
           "membership")
    return [R.warning(label, "Whether the login %s is a member of the sysadmin server role on %s is unknown (%s)."
                      % (quoted, label, why),
                      "Run the precheck with a login that may see server role membership (VIEW ANY DEFINITION or "
                      "sysadmin), check that the login exists (SELECT name FROM sys.server_principals;), then: %s"
                      % add_sysadmin_statement(login, major), details)]


# -- judging: conflicting operations ----------------------------------------------------------

def judge_conflicting_operations(databases, requests, label):
    """One `failed` per selected database with a BACKUP or RESTORE running on it."""
    by_id = {}
    for row in requests or []:
        row = _lower_keys(row)
        by_id.setdefault(row.get("database_id"), []).append(row)
    results = []
    for database in databases:
        running = by_id.get(database.get("database_id"))
        if not running:
            continue
        name = database["name"]
        quoted = quote_name(name)
        described = []
        for row in running:
            who = ", ".join(part for part in (
                "session %s" % row.get("session_id"),
                "login '%s'" % row["login_name"] if row.get("login_name") else None,
                "program '%s'" % row["program_name"] if row.get("program_name") else None,
                "host %s" % row["host_name"] if row.get("host_name") else None,
                "started %s" % row["start_time"] if row.get("start_time") else None,
                "%.0f%% done" % _num(row["percent_complete"]) if _num(row.get("percent_complete")) else None) if part)
            described.append("%s (%s)" % (str(row.get("command") or "").strip(), who))
        sessions = sorted(set(str(row.get("session_id")) for row in running))
        details = {"database": name, "database_id": database.get("database_id"), "requests": [
            dict((k, _text(v) if not isinstance(v, (int, float)) else v) for k, v in row.items()) for row in running]}
        results.append(R.failed(
            label + "/" + name,
            "Database %s on %s has %s running now: %s. A backup started meanwhile is cancelled as a conflicting "
            "operation (Azure OperationCancelledBecauseConflictingOperationRunningUserError)."
            % (quoted, label, "a BACKUP or RESTORE" if len(running) == 1 else "%d BACKUP or RESTORE operations"
               % len(running), "; ".join(described)),
            "Let it finish (SELECT session_id, command, percent_complete FROM sys.dm_exec_requests WHERE session_id "
            "IN (%s);) and run the precheck again. If it comes from another backup product or a SQL Server Agent "
            "job, disable that schedule for %s before the backup agent takes over." % (", ".join(sessions), quoted),
            details))
    return results


# -- judging: backups by another product ------------------------------------------------------

def normalize_history(row):
    """A msdb history row: lower-case keys, `recovery_model` as sys.databases spells it (msdb writes
    BULK-LOGGED with a hyphen), GUID upper case, flags and counts as ints, dates as text."""
    row = _lower_keys(row)
    model = row.get("recovery_model")
    if model is not None:
        row["recovery_model"] = str(model).strip().upper().replace("-", "_")
    row["database_guid"] = _guid(row.get("database_guid"))
    row["backup_type"] = str(row.get("backup_type") or "").strip().upper()
    row["to_nul"] = 1 if _int(row.get("to_nul")) == 1 else 0
    row["backup_count"] = _int(row.get("backup_count")) or 0
    row["device_type"] = _int(row.get("device_type"))
    for key in ("first_finish_date", "last_finish_date"):
        row[key] = _text(row.get(key))
    return row


def own_backup(row, own_users):
    user = str(row.get("user_name") or "").lower()
    return bool(user) and any(user == p.lower() or fnmatch.fnmatchcase(user, p.lower()) for p in own_users or [])


def _who(row):
    parts = ["by '%s'" % row["user_name"] if row.get("user_name") else "by an unknown user"]
    device = DEVICE_TYPES.get(row.get("device_type"))
    if row.get("example_device"):
        parts.append("to %s%s" % (row["example_device"], " (%s)" % device if device else ""))
    if row.get("software_name"):
        parts.append("software '%s'" % row["software_name"])
    parts.append("last %s" % row.get("last_finish_date"))
    return ", ".join(parts)


def judge_foreign_backups(databases, history, guids, own_users, backup_types, window_hours, label):
    """Per selected database, the non-copy-only full (D) and log (L) backups of msdb history within
    the window that were not taken by the product being rolled out (own_users), joined on
    database_guid (`guids`: {database_id: guid}), so that backups of an earlier database of the same
    name do not count. To NUL fails; log backups by another product fail (broken log chain); full
    backups by another product fail when differential backups are planned (they move the
    differential base), else warn."""
    planned = [t for t in BACKUP_TYPES if t in (backup_types or BACKUP_TYPES)]
    rows = [normalize_history(row) for row in history or []]
    by_guid = {}
    for row in rows:
        by_guid.setdefault(row["database_guid"], []).append(row)
    results = []
    for database in databases:
        guid = _guid(guids.get(database.get("database_id")))
        name = database["name"]
        quoted = quote_name(name)
        foreign = [r for r in by_guid.get(guid, []) if guid and not own_backup(r, own_users)]
        if not foreign:
            continue
        nul = [r for r in foreign if r["to_nul"]]
        logs = [r for r in foreign if not r["to_nul"] and r["backup_type"] == "L"]
        fulls = [r for r in foreign if not r["to_nul"] and r["backup_type"] == "D"]
        details = {"database": name, "database_guid": guid, "window_hours": window_hours, "backups": [
            dict((k, v) for k, v in r.items() if k != "database_guid") for r in foreign]}
        texts, status = [], "warning"
        if nul:
            count = sum(r["backup_count"] for r in nul)
            kinds = " and ".join(sorted(set({"L": "log", "D": "full"}[r["backup_type"]] for r in nul)))
            texts.append("%s to NUL (%s): a backup to NUL throws the backup away, so the log chain (or the "
                         "differential base) it moved cannot be restored"
                         % (_plural(count, kinds + " backup"), "; ".join(_who(r) for r in nul)))
            status = "failed"
        if logs:
            count = sum(r["backup_count"] for r in logs)
            texts.append("%s by another product or job (%s): each one truncates the log, so the log backups of "
                         "the new backup agent miss those log records and its log chain breaks (Azure "
                         "UserErrorSQLLSNValidationFailure)" % (_plural(count, "log backup"),
                                                                "; ".join(_who(r) for r in logs)))
            status = "failed"
        if fulls:
            count = sum(r["backup_count"] for r in fulls)
            text = ("%s that %s not COPY_ONLY by another product or job (%s): each one becomes the differential "
                    "base" % (_plural(count, "full backup"), "is" if count == 1 else "are",
                              "; ".join(_who(r) for r in fulls)))
            if "differential" in planned:
                text += (", so the differential backups of the new backup agent depend on a full backup it does not "
                         "hold; a backup by another product running at the same time also fails the agent's backup "
                         "(Azure UserErrorFileManipulationIsNotAllowedDuringBackup)")
                status = "failed"
            else:
                text += "; a backup running at the same time as the agent's fails it"
            texts.append(text)
        models = sorted(set(r["recovery_model"] for r in foreign if r.get("recovery_model")))
        if models:
            details["recovery_models"] = models
        message = "Database %s on %s was backed up in the last %d hours with %s." % (
            quoted, label, window_hours, "; and ".join(texts))
        fix = ("Stop the other backups of %s before the backup agent takes over: disable the SQL Server Agent job, "
               "maintenance plan or product that runs them (SELECT user_name, physical_device_name, "
               "backup_finish_date FROM msdb.dbo.backupset AS b JOIN msdb.dbo.backupmediafamily AS f ON "
               "f.media_set_id = b.media_set_id WHERE b.database_name = %s ORDER BY backup_finish_date DESC; shows "
               "them), or make them COPY_ONLY (%s). Then take a full backup with the backup agent to start its "
               "own chain." % (quoted, sql_string(name), " or ".join(
                   "BACKUP %s %s TO ... WITH COPY_ONLY;" % (kind, quoted)
                   for kind, rows in (("DATABASE", fulls), ("LOG", logs + nul)) if rows)))
        if nul:
            fix = ("Remove the BACKUP ... TO DISK = 'NUL' step (often a job that keeps the log small): use the backup "
                   "agent's log backups instead. " + fix)
        if own_users:
            fix += " Backups by %s are the agent's own (own_backup_users)." % ", ".join(own_users)
        else:
            fix += (" If some of these are the backup agent's own, name its login in own_backup_users (for Azure "
                    "Backup NT SERVICE\\AzureWLBackupPluginSvc).")
        if status == "failed":
            results.append(R.failed(label + "/" + name, message, fix, details))
        else:
            results.append(R.warning(label + "/" + name, message, fix, details))
    return results


# -- judging: the full backup every log and differential backup needs --------------------------

def _data_files(files):
    return [f for f in files or [] if str(f.get("type_desc") or "").upper() in ("ROWS", "FILESTREAM")]


def judge_full_backup_base(databases, recovery, files, backup_types, label, can_see_files=True, login=None):
    """`recovery`: {database_id: sys.database_recovery_status row}; `files`: {database_id: [sys.master_files
    rows]} (None when unreadable). FULL/BULK_LOGGED with log backups planned and last_log_backup_lsn NULL
    fails (no log backup before a full backup); differential backups planned and no data file with a
    differential_base_lsn fails (no full backup, so no differential base)."""
    planned = [t for t in BACKUP_TYPES if t in (backup_types or BACKUP_TYPES)]
    results = []
    for database in databases:
        name = database["name"]
        target = label + "/" + name
        quoted = quote_name(name)
        model = database.get("recovery_model_desc")
        details = {"database": name, "database_id": database.get("database_id"), "recovery_model": model,
                   "backup_types": planned}
        judgeable, why = _judgeable(database)
        if not judgeable:
            results.append(R.skipped(target, "Database %s on %s is not judged (%s); sqlserver.database_state reports "
                                             "it." % (quoted, label, why), details))
            continue
        if str(name).lower() == "master" or database.get("database_id") == 1:
            results.append(R.skipped(target, "Database %s on %s takes only full backups, which need no earlier "
                                             "backup." % (quoted, label), details))
            continue
        problems, unknown = [], []
        if "log" in planned and model in ("FULL", "BULK_LOGGED"):
            row = (recovery or {}).get(database.get("database_id"))
            if row is None:
                unknown.append("sys.database_recovery_status has no row for it, so whether a log backup is possible "
                               "is unknown")
            else:
                details["last_log_backup_lsn"] = _text(row.get("last_log_backup_lsn"))
                if row.get("last_log_backup_lsn") is None:
                    problems.append("it is in %s recovery but has had no full backup since (last_log_backup_lsn is "
                                    "NULL), so log backups fail until one is taken (error 4214)" % model)
        if "differential" in planned:
            data = _data_files((files or {}).get(database.get("database_id")))
            if files is None or not data:
                unknown.append("its data files are not visible (sys.master_files%s), so whether it has a differential "
                               "base is unknown" % ("" if can_see_files else " needs VIEW ANY DEFINITION"))
            else:
                bases = [f.get("differential_base_lsn") for f in data]
                details["differential_base_lsn"] = [_text(b) for b in bases]
                if all(b is None for b in bases):
                    problems.append("it has never had a full backup (no data file has a differential_base_lsn), so "
                                    "differential backups fail until one is taken (error 3035)")
        if problems:
            results.append(R.failed(
                target, "Database %s on %s needs a full backup first: %s (Azure UserErrorParentFullBackupMissing)."
                        % (quoted, label, "; and ".join(problems)),
                "Take a full backup of %s before its first log or differential backup: an on-demand full backup with "
                "the backup agent once it is rolled out (it then owns the chain). A native full backup (BACKUP "
                "DATABASE %s TO DISK = N'<path>\\%s.bak' WITH CHECKSUM;) also starts the chain, but it becomes a "
                "base the agent does not hold." % (quoted, quoted, name.replace("\\", "_").replace("'", "")), details))
        elif unknown:
            results.append(R.warning(target, "Database %s on %s: %s." % (quoted, label, "; ".join(unknown)),
                                     "GRANT VIEW ANY DEFINITION TO %s; (sys.master_files) and GRANT VIEW ANY "
                                     "DATABASE TO %s; (sys.database_recovery_status), then run the precheck again."
                                     % (_who_fix(login), _who_fix(login)),
                                     details))
        else:
            what = [t for t in ("log", "differential") if t in planned and (t != "log" or model != "SIMPLE")]
            if what:
                results.append(R.passed(target, "Database %s on %s has the full backup that its %s backups start "
                                                "from." % (quoted, label, " and ".join(what)), details))
            else:
                results.append(R.passed(target, "Database %s on %s: no log or differential backup is planned for it "
                                                "(%s recovery), so no earlier full backup is needed."
                                        % (quoted, label, model or "unknown"), details))
    return results


# -- judging: log space -----------------------------------------------------------------------

def log_growth(files):
    """(can_grow, log files): True if a log file has autogrowth and room below its max_size, False if
    none has, None when the files are unknown."""
    logs = [f for f in files or [] if str(f.get("type_desc") or "").upper() == "LOG"]
    if not logs:
        return None, []
    for f in logs:
        growth, size, max_size = _int(f.get("growth")), _int(f.get("size_pages")), _int(f.get("max_size_pages"))
        if growth and growth > 0 and (max_size == -1 or max_size is None or size is None or size < max_size):
            return True, logs
    return False, logs


_REUSE_FIX = {
    "LOG_BACKUP": "Back up the log of {q} now so that SQL Server can reuse it (the backup agent's log backup once it "
                  "is rolled out, or BACKUP LOG {q} TO DISK = N'<path>\\{f}.trn';), and keep log backups scheduled.",
    "ACTIVE_TRANSACTION": "A long-running transaction holds the log: find it (DBCC OPENTRAN ({q});), let it finish or "
                          "end it if that is safe.",
    "ACTIVE_BACKUP_OR_RESTORE": "A backup or restore holds the log: let it finish (sys.dm_exec_requests).",
    "DATABASE_MIRRORING": "The mirror holds the log: check the mirroring session (sys.database_mirroring) and resume it "
                          "(ALTER DATABASE {q} SET PARTNER RESUME;).",
    "AVAILABILITY_REPLICA": "A secondary replica holds the log: check its synchronization "
                            "(sys.dm_hadr_database_replica_states) and resume data movement (ALTER DATABASE {q} SET "
                            "HADR RESUME;).",
    "REPLICATION": "Replication holds the log: check that the Log Reader Agent runs.",
    "CHECKPOINT": "The log waits for a checkpoint: run CHECKPOINT in {q} if it does not come soon.",
}


def judge_log_space(databases, usage, files, warn, fail, label):
    """`usage`: {database_id: {'size_mb', 'used_mb', 'source'}}; `files`: {database_id: [rows]} or None.
    Used >= fail% and the log cannot grow fails; used >= fail% with growth (or growth unknown), or
    used >= warn%, warns. log_reuse_wait_desc is reported."""
    results = []
    for database in databases:
        name = database["name"]
        target = label + "/" + name
        quoted = quote_name(name)
        reuse = database.get("log_reuse_wait_desc")
        details = {"database": name, "database_id": database.get("database_id"), "log_reuse_wait_desc": reuse,
                   "warn_percent": warn, "fail_percent": fail}
        judgeable, why = _judgeable(database)
        if not judgeable:
            results.append(R.skipped(target, "Database %s on %s is not judged (%s); sqlserver.database_state reports "
                                             "it." % (quoted, label, why), details))
            continue
        row = (usage or {}).get(database.get("database_id"))
        size, used = (_num(row.get("size_mb")), _num(row.get("used_mb"))) if row else (None, None)
        if row:
            details["source"] = row.get("source")
            if row.get("holdup") and not reuse:
                reuse = details["log_reuse_wait_desc"] = row["holdup"]
        if row and not size and database.get("replica_id") is not None:
            results.append(R.skipped(target, "The log usage of database %s on %s is not reported here: it is an "
                                             "availability group secondary, whose log the primary replica manages."
                                     % (quoted, label), details))
            continue
        if not size or used is None:
            results.append(R.warning(target, "The log usage of database %s on %s is not reported, so whether its log "
                                             "has room for the next backup is unknown." % (quoted, label),
                                     "Check it by hand: USE %s; SELECT used_log_space_in_percent FROM "
                                     "sys.dm_db_log_space_usage;" % quoted, details))
            continue
        percent = round(100.0 * used / size, 1)
        can_grow, logs = log_growth((files or {}).get(database.get("database_id")) if files is not None else None)
        details.update({"log_size_mb": round(size, 1), "log_used_mb": round(used, 1), "log_used_percent": percent,
                        "can_grow": can_grow})
        if logs:
            details["log_files"] = [dict(logical_name=f.get("logical_name"), growth=_int(f.get("growth")),
                                         is_percent_growth=f.get("is_percent_growth"),
                                         max_size_pages=_int(f.get("max_size_pages"))) for f in logs]
        wait = (" Log reuse waits on %s." % reuse) if reuse and reuse != "NOTHING" else ""
        amount = "%.1f%% full (%s of %s MB)" % (percent, _mb(used), _mb(size))
        fix = _REUSE_FIX.get(reuse, "Back up the log or free it (see log_reuse_wait_desc in sys.databases).")
        fix = fix.replace("{q}", quoted).replace("{f}", name.replace("\\", "_").replace("'", ""))
        logical = logs[0].get("logical_name") if logs else "<log file>"
        grow = ("Or let it grow: ALTER DATABASE %s MODIFY FILE (NAME = %s, FILEGROWTH = 512MB, MAXSIZE = UNLIMITED); "
                "on a disk with room." % (quoted, sql_string(logical)))
        if percent >= fail and can_grow is False:
            results.append(R.failed(target, "The transaction log of database %s on %s is %s and cannot grow "
                                            "(autogrowth off or at its maximum size): backups can fail with error 9002 "
                                            "(Azure UserErrorBackupFailedAsTransactionLogIsFull).%s"
                                    % (quoted, label, amount, wait), fix + " " + grow, details))
        elif percent >= fail:
            how = "it can grow (autogrowth), if its disk has room" if can_grow else "whether it can grow is unknown"
            results.append(R.warning(target, "The transaction log of database %s on %s is %s; %s.%s"
                                     % (quoted, label, amount, how, wait), fix, details))
        elif percent >= warn:
            results.append(R.warning(target, "The transaction log of database %s on %s is %s (warning from %d%%).%s"
                                     % (quoted, label, amount, warn, wait), fix, details))
        else:
            results.append(R.passed(target, "The transaction log of database %s on %s is %s." % (quoted, label, amount),
                                    details))
    return results


# -- judging: database mirroring --------------------------------------------------------------

def judge_mirroring(databases, mirrored, label, is_sysadmin):
    """One `failed` per selected database in a mirroring session; a RESTORING database whose role a
    non-sysadmin cannot see warns."""
    results = []
    for database in databases:
        name = database["name"]
        quoted = quote_name(name)
        row = (mirrored or {}).get(database.get("database_id"))
        if row:
            role = str(row.get("mirroring_role_desc") or "?").upper()
            partner = row.get("mirroring_partner_instance") or row.get("mirroring_partner_name") or "?"
            details = {"database": name, "mirroring_role": role, "mirroring_state": row.get("mirroring_state_desc"),
                       "mirroring_partner": row.get("mirroring_partner_name"), "partner_instance": partner,
                       "safety_level": row.get("mirroring_safety_level_desc")}
            where = "on this principal" if role == "PRINCIPAL" else "on the principal %s" % partner
            results.append(R.failed(
                label + "/" + name,
                "Database %s on %s takes part in a database mirroring session as %s (partner %s, %s): backups of "
                "mirrored databases are not supported (Azure UserErrorOperationNotAllowedDatabaseMirroringEnabled)."
                % (quoted, label, role, partner, row.get("mirroring_state_desc") or "state unknown"),
                "Remove the mirroring session %s: ALTER DATABASE %s SET PARTNER OFF; (the mirror stays RESTORING; "
                "drop it or RESTORE DATABASE %s WITH RECOVERY; there), or leave %s out of the backup "
                "(databases_exclude) and stop its protection." % (where, quoted, quoted, quoted), details))
        elif is_sysadmin == 0 and database.get("state_desc") == "RESTORING":
            results.append(R.warning(
                label + "/" + name,
                "Database %s on %s is RESTORING; whether it is the mirror of a database mirroring session is unknown: "
                "sys.database_mirroring shows a mirror's values only to sysadmin." % (quoted, label),
                "Run the precheck with a sysadmin login, or check on the partner: SELECT DB_NAME(database_id), "
                "mirroring_role_desc FROM sys.database_mirroring WHERE mirroring_guid IS NOT NULL;",
                {"database": name, "state": "RESTORING"}))
    return results


# -- judging: availability groups -------------------------------------------------------------

_PREFERENCES = {"PRIMARY": "PRIMARY (back up on the primary)",
                "SECONDARY_ONLY": "SECONDARY_ONLY (back up on a secondary only)",
                "SECONDARY": "SECONDARY (prefer a secondary)",
                "NONE": "NONE (any replica)"}


def preferred_replicas(replicas, preference, primary):
    """The replicas that can take log and copy-only backups under the preference, highest
    backup_priority first (priority 0 never does)."""
    eligible = [r for r in replicas if (_int(r.get("backup_priority")) or 0) > 0]
    eligible.sort(key=lambda r: -(_int(r.get("backup_priority")) or 0))
    secondaries = [r for r in eligible if r.get("replica_server_name") != primary]
    if preference == "PRIMARY":
        return [r for r in replicas if r.get("replica_server_name") == primary]
    if preference == "SECONDARY_ONLY":
        return secondaries
    if preference == "SECONDARY":
        return secondaries or [r for r in eligible if r.get("replica_server_name") == primary]
    return eligible


def judge_availability_groups(databases, ag_databases, replicas, states, backup_types, label):
    """`ag_databases`: {database_id: {ag_name, is_preferred_replica}}; `replicas`: rows of every
    replica of every group (sys.availability_replicas with the states this replica can see);
    `states`: {database_id: local sys.dm_hadr_database_replica_states row}. One result per selected
    availability database: health, no differential backup on a secondary, the backup preference
    met here or elsewhere, and a preference that no replica can meet."""
    planned = [t for t in BACKUP_TYPES if t in (backup_types or BACKUP_TYPES)]
    by_group = {}
    for row in replicas or []:
        row = _lower_keys(row)
        by_group.setdefault(row.get("ag_name"), []).append(row)
    results = []
    for database in databases:
        member = (ag_databases or {}).get(database.get("database_id"))
        if not member:
            continue
        name = database["name"]
        quoted = quote_name(name)
        group = member.get("ag_name")
        group_q = quote_name(group)
        rows = by_group.get(group, [])
        local = next((r for r in rows if _int(r.get("is_local")) == 1), {})
        state = (states or {}).get(database.get("database_id")) or {}
        preference = str((rows[0] if rows else {}).get("automated_backup_preference_desc") or "").upper() or None
        primary = next((r.get("primary_replica") for r in rows if r.get("primary_replica")), None)
        role = str(state.get("role_desc") or local.get("role_desc") or "").upper() or None
        preferred = _int(member.get("is_preferred_replica"))
        candidates = [r.get("replica_server_name") for r in preferred_replicas(rows, preference, primary)]
        details = {"database": name, "availability_group": group, "role": role, "backup_preference": preference,
                   "is_preferred_replica": preferred, "primary_replica": primary, "preferred_replicas": candidates,
                   "replica": local.get("replica_server_name"),
                   "synchronization_state": state.get("synchronization_state_desc"),
                   "synchronization_health": state.get("synchronization_health_desc"),
                   "replicas": [dict((k, r.get(k)) for k in ("replica_server_name", "backup_priority", "role_desc",
                                                             "connected_state_desc", "synchronization_health_desc"))
                                for r in rows]}
        issues = []  # (status, text, fix)
        if _int((rows[0] if rows else {}).get("basic_features")) == 1:
            issues.append(("failed", "it is in a Basic availability group, whose databases Azure Backup does not back "
                                     "up", "Back it up by other means, or move it to an Always On (Enterprise) "
                                           "availability group."))
        suspended = _int(state.get("is_suspended")) == 1 or state.get("is_suspended") is True
        health = str(state.get("synchronization_health_desc") or "").upper()
        if suspended or (health and health != "HEALTHY"):
            issues.append(("failed", "its data movement on this replica is %s (synchronization %s, health %s), so log "
                                     "backups here fail" % (
                                         "SUSPENDED (%s)" % (state.get("suspend_reason_desc") or "reason unknown")
                                         if suspended else "not healthy",
                                         state.get("synchronization_state_desc") or "unknown", health or "unknown"),
                           "Resume data movement: ALTER DATABASE %s SET HADR RESUME; and check the availability group "
                           "dashboard for the cause." % quoted))
        if role == "SECONDARY" and "differential" in planned:
            issues.append(("failed", "this replica is a SECONDARY, where SQL Server takes only copy-only full and log "
                                     "backups: the planned differential backups (and the full backups they are based "
                                     "on) run on the primary replica%s" % (" %s" % primary if primary else ""),
                           "Register the primary replica%s with the backup service and run this precheck there too, "
                           "or plan no differential backups for %s (backup_types)."
                           % (" %s" % primary if primary else "", quoted)))
        eligible = [r for r in rows if (_int(r.get("backup_priority")) or 0) > 0]
        if rows and not eligible:
            issues.append(("failed", "no replica may take backups: the backup_priority of every replica of %s is 0"
                                     % group_q,
                           "Give the replicas that should back up a priority: ALTER AVAILABILITY GROUP %s MODIFY "
                           "REPLICA ON %s WITH (BACKUP_PRIORITY = 50);"
                           % (group_q, sql_string(local.get("replica_server_name") or "<replica>"))))
        elif preference == "SECONDARY_ONLY" and role == "PRIMARY":
            connected = [r for r in rows if r.get("replica_server_name") != primary and (_int(r.get("backup_priority"))
                                                                                         or 0) > 0
                         and str(r.get("connected_state_desc") or "").upper() == "CONNECTED"]
            if not connected:
                issues.append(("failed", "the backup preference is SECONDARY_ONLY but no secondary replica that may "
                                         "back up is connected, so log and copy-only backups cannot run anywhere",
                               "Bring a secondary replica online, or change the preference: ALTER AVAILABILITY GROUP "
                               "%s SET (AUTOMATED_BACKUP_PREFERENCE = SECONDARY);" % group_q))
        if preferred == 0:
            here = local.get("replica_server_name") or "<this replica>"
            if role == "SECONDARY" and preference == "PRIMARY":
                change = "ALTER AVAILABILITY GROUP %s SET (AUTOMATED_BACKUP_PREFERENCE = SECONDARY);" % group_q
            elif role == "PRIMARY" and preference in ("SECONDARY", "SECONDARY_ONLY"):
                change = "ALTER AVAILABILITY GROUP %s SET (AUTOMATED_BACKUP_PREFERENCE = PRIMARY);" % group_q
            else:
                top = max([_int(r.get("backup_priority")) or 0 for r in rows] or [0])
                change = "ALTER AVAILABILITY GROUP %s MODIFY REPLICA ON %s WITH (BACKUP_PRIORITY = %d);" % (
                    group_q, sql_string(here), min(100, top + 1))
            issues.append(("warning", "this replica is not the preferred backup replica (preference %s): log and "
                                      "copy-only backups run on %s, which must have the backup agent registered "
                                      "(Azure FabricSvcBackupPreferenceCheckFailedUserError)"
                                      % (_PREFERENCES.get(preference, preference or "unknown"),
                                         _names(candidates) if candidates else "another replica"),
                           "Install and register the backup agent on %s too and run this precheck there, or let this "
                           "replica take them: %s" % (_names(candidates) if candidates else "every replica", change)))
        elif preferred is None:
            issues.append(("warning", "whether this replica is the preferred backup replica is unknown "
                                      "(sys.fn_hadr_backup_is_preferred_replica returned NULL)",
                           "Check it: SELECT sys.fn_hadr_backup_is_preferred_replica(%s);" % sql_string(name)))
        if role == "PRIMARY":
            down = [r.get("replica_server_name") for r in rows if r.get("connected_state_desc") and str(
                r["connected_state_desc"]).upper() != "CONNECTED"]
            if down:
                issues.append(("warning", "replica %s of %s %s not connected"
                               % (_names(down), group_q, "is" if len(down) == 1 else "are"),
                               "Check the replica's SQL Server service and the availability group endpoint "
                               "(sys.dm_hadr_availability_replica_states)."))
        head = "Database %s on %s (availability group %s, this replica %s)" % (quoted, label, group_q,
                                                                               role or "role unknown")
        if not issues:
            results.append(R.passed(label + "/" + name, "%s: this is the preferred backup replica and the database is "
                                                        "healthy." % head, details))
            continue
        status = "failed" if any(i[0] == "failed" for i in issues) else "warning"
        message = "%s: %s." % (head, "; ".join(i[1] for i in issues))
        fix = " ".join(i[2] for i in issues)
        details["issues"] = [i[1] for i in issues]
        results.append(R.failed(label + "/" + name, message, fix, details) if status == "failed"
                       else R.warning(label + "/" + name, message, fix, details))
    return results


# -- judging: TDE certificates ----------------------------------------------------------------

def _certificate_fix(certificate):
    quoted = quote_name(certificate)
    stem = re.sub(r"[^A-Za-z0-9_.-]", "_", str(certificate))
    return ("USE [master]; BACKUP CERTIFICATE %s TO FILE = N'<secure path>\\%s.cer' WITH PRIVATE KEY (FILE = "
            "N'<secure path>\\%s.pvk', ENCRYPTION BY PASSWORD = N'<strong password>'); and keep the files and the "
            "password apart from the database backups: a restore on another server needs them." % (quoted, stem, stem))


def judge_tde(databases, keys, certificates, label, can_see_certificates=True, backup_date_known=True, login=None):
    """`keys`: {database_id: sys.dm_database_encryption_keys row}; `certificates`: master's
    sys.certificates rows. Transitional encryption states fail (backups and encryption scans are
    serialized); an encrypted database whose certificate is missing from master, or whose private key
    was never backed up, fails."""
    by_thumbprint = dict((normalize_thumbprint(c.get("thumbprint")), c) for c in certificates or [])
    results = []
    for database in databases:
        name = database["name"]
        quoted = quote_name(name)
        target = label + "/" + name
        key = (keys or {}).get(database.get("database_id"))
        if not key:
            if database.get("is_encrypted"):
                results.append(R.warning(target, "Database %s on %s is marked encrypted (sys.databases.is_encrypted) "
                                                 "but has no database encryption key row." % (quoted, label),
                                         "Check it: SELECT * FROM sys.dm_database_encryption_keys WHERE database_id = "
                                         "DB_ID(%s);" % sql_string(name), {"database": name}))
            continue
        state = _int(key.get("encryption_state"))
        state_desc = ENCRYPTION_STATES.get(state, "state %s" % state)
        thumbprint = normalize_thumbprint(key.get("encryptor_thumbprint"))
        encryptor = str(key.get("encryptor_type") or "CERTIFICATE").upper()
        details = {"database": name, "encryption_state": state_desc,
                   "encryptor_thumbprint": ("0x%s" % thumbprint) if thumbprint else None, "encryptor_type": key.get("encryptor_type"),
                   "key_algorithm": key.get("key_algorithm"), "percent_complete": _num(key.get("percent_complete"))}
        if state in (0, 1, None) and not database.get("is_encrypted"):
            continue  # no key, or a key of an unencrypted database: nothing to protect
        if state in (2, 4, 5, 6):
            results.append(R.failed(
                target, "Database %s on %s is in the transitional TDE state %s (%.0f%% done): backups and encryption "
                        "changes are serialized, so a backup fails or waits until the scan ends (Azure "
                        "UserErrorFileManipulationIsNotAllowedDuringBackup)."
                        % (quoted, label, state_desc, _num(key.get("percent_complete")) or 0),
                "Let the encryption scan finish (SELECT encryption_state, percent_complete FROM "
                "sys.dm_database_encryption_keys WHERE database_id = DB_ID(%s);); if it was suspended (SQL Server 2019 "
                "and later): ALTER DATABASE %s SET ENCRYPTION RESUME;" % (sql_string(name), quoted), details))
            continue
        if "ASYMMETRIC" in encryptor:
            results.append(R.warning(
                target, "Database %s on %s is encrypted by an asymmetric key (thumbprint 0x%s, usually in an EKM "
                        "provider such as Azure Key Vault): whether it is backed up cannot be seen from SQL Server, and a "
                        "restore target needs access to the same key." % (quoted, label, thumbprint),
                "Make sure the key is kept in the key store (its own backup or soft delete) and that every restore "
                "target has the EKM provider and a credential for it.", details))
            continue
        certificate = by_thumbprint.get(thumbprint)
        if certificate is None:
            if not can_see_certificates:
                results.append(R.error(target, "Database %s on %s is encrypted with TDE by the certificate with "
                                               "thumbprint 0x%s, which the login may not see in master (it needs VIEW "
                                               "ANY DEFINITION), so whether its private key was backed up is unknown."
                                       % (quoted, label, thumbprint), "permission",
                                       "GRANT VIEW ANY DEFINITION TO %s;" % _who_fix(login),
                                       dict(details, permission="VIEW ANY DEFINITION")))
            else:
                results.append(R.failed(
                    target, "Database %s on %s is encrypted with TDE by a certificate with thumbprint 0x%s that is not "
                            "in master: its backups cannot be restored anywhere without that certificate (Azure "
                            "UserErrorCannotFindServerCertificateWithThumbprint)." % (quoted, label, thumbprint),
                    "Find the certificate (SELECT name, thumbprint FROM master.sys.certificates;) or restore it into "
                    "master from its backup (CREATE CERTIFICATE [<name>] FROM FILE = N'<path>.cer' WITH PRIVATE KEY "
                    "(FILE = N'<path>.pvk', DECRYPTION BY PASSWORD = N'<password>');), then back it up.", details))
            continue
        cert_name = certificate.get("name")
        details.update({"certificate": cert_name, "pvt_key_last_backup_date": _text(
            certificate.get("pvt_key_last_backup_date")), "certificate_expiry_date": _text(certificate.get("expiry_date"))})
        if not backup_date_known:
            results.append(R.warning(
                target, "Database %s on %s is encrypted with TDE by certificate %s; this SQL Server version does not "
                        "record whether its private key was backed up (pvt_key_last_backup_date)."
                        % (quoted, label, quote_name(cert_name)), _certificate_fix(cert_name), details))
        elif certificate.get("pvt_key_last_backup_date") is None:
            results.append(R.failed(
                target, "Database %s on %s is encrypted with TDE by certificate %s (thumbprint 0x%s), whose private key "
                        "was never backed up (pvt_key_last_backup_date is NULL): if this server is lost, no backup of %s "
                        "can be restored elsewhere (Azure UserErrorCannotFindServerCertificateWithThumbprint)."
                        % (quoted, label, quote_name(cert_name), thumbprint, quoted), _certificate_fix(cert_name),
                details))
        else:
            results.append(R.passed(target, "Database %s on %s is encrypted with TDE by certificate %s, whose private "
                                            "key was backed up on %s." % (quoted, label, quote_name(cert_name),
                                                                          details["pvt_key_last_backup_date"]), details))
    return results


def judge_source_certificates(thumbprints, certificates, label, can_see_certificates=True, login=None):
    """On a restore target: each source TDE certificate (by thumbprint) must be in master with its private key."""
    by_thumbprint = dict((normalize_thumbprint(c.get("thumbprint")), c) for c in certificates or [])
    results = []
    for given in thumbprints or []:
        thumbprint = normalize_thumbprint(given)
        target = "%s certificate 0x%s" % (label, thumbprint)
        certificate = by_thumbprint.get(thumbprint)
        details = {"thumbprint": "0x%s" % thumbprint}
        fix = ("Copy the certificate of the source server here: on the source, BACKUP CERTIFICATE [<name>] TO FILE = "
               "N'<path>.cer' WITH PRIVATE KEY (FILE = N'<path>.pvk', ENCRYPTION BY PASSWORD = N'<password>'); on "
               "this server: USE [master]; CREATE MASTER KEY ENCRYPTION BY PASSWORD = N'<password>'; (if there is "
               "none) CREATE CERTIFICATE [<name>] FROM FILE = N'<path>.cer' WITH PRIVATE KEY (FILE = N'<path>.pvk', "
               "DECRYPTION BY PASSWORD = N'<password>');")
        if certificate is None and not can_see_certificates:
            results.append(R.error(target, "The source TDE certificate with thumbprint 0x%s is not visible in master on "
                                           "the restore target %s: the login lacks VIEW ANY DEFINITION, so whether it "
                                           "is there is unknown." % (thumbprint, label), "permission",
                                   "GRANT VIEW ANY DEFINITION TO %s;" % _who_fix(login),
                                   dict(details, permission="VIEW ANY DEFINITION")))
        elif certificate is None:
            results.append(R.failed(target, "The source TDE certificate with thumbprint 0x%s is not in master on the "
                                            "restore target %s: restoring the encrypted backups here fails (Azure "
                                            "UserErrorCannotFindServerCertificateWithThumbprint)." % (thumbprint, label),
                                    fix, details))
        elif str(certificate.get("pvt_key_encryption_type_desc") or "").upper() == "NO_PRIVATE_KEY":
            results.append(R.failed(target, "The source TDE certificate %s (thumbprint 0x%s) is in master on the "
                                            "restore target %s without its private key, which a restore needs to "
                                            "decrypt the database encryption key." % (
                                                quote_name(certificate.get("name")), thumbprint, label),
                                    "Drop it and create it again with its private key: " + fix,
                                    dict(details, certificate=certificate.get("name"))))
        else:
            results.append(R.passed(target, "The source TDE certificate %s (thumbprint 0x%s) is in master on the restore "
                                            "target %s with its private key." % (
                                                quote_name(certificate.get("name")), thumbprint, label),
                                    dict(details, certificate=certificate.get("name"))))
    return results


# -- judging: the file list of a restore ------------------------------------------------------

def file_list_json(files):
    """The file list of one database as Azure Backup builds it (seed 004, "Size limit for files"):
    `[{"path":"<physical name>","logicalName":"<logical name>","isDir":false},...]`, compact, in
    file_id order, JSON-escaped (a backslash counts twice), non-ASCII characters as UTF-8. FILESTREAM
    containers and full-text catalogs are directories (isDir true)."""
    entries = []
    for row in sorted(files or [], key=lambda f: _int(f.get("file_id")) or 0):
        is_dir = str(row.get("type_desc") or "").upper() in ("FILESTREAM", "FULLTEXT")
        entries.append({"path": str(row.get("physical_name") or ""), "logicalName": str(row.get("logical_name") or ""),
                        "isDir": is_dir})
    return json.dumps(entries, separators=(",", ":"), ensure_ascii=False)


def file_list_bytes(files):
    return len(file_list_json(files).encode("utf-8"))


def judge_file_path_length(databases, files, limit, warn_percent, label, can_see_files=True, login=None):
    """Per selected database: over `limit` bytes warns (the restore cannot choose target paths; the
    override file is named), from `warn_percent` of the limit warns as close, else passes."""
    threshold = int(limit * warn_percent / 100.0)
    results = []
    for database in databases:
        name = database["name"]
        quoted = quote_name(name)
        target = label + "/" + name
        rows = (files or {}).get(database.get("database_id")) or []
        details = {"database": name, "limit_bytes": limit, "warn_from_bytes": threshold}
        if database.get("source_database_id") is not None:
            results.append(R.skipped(target, "Database %s on %s is a database snapshot, which is not backed up."
                                     % (quoted, label), details))
            continue
        if not rows:
            if can_see_files:
                results.append(R.warning(target, "sys.master_files lists no file of database %s on %s, so the size of "
                                                 "its restore file list is unknown." % (quoted, label),
                                         "Check it: SELECT name, physical_name FROM sys.master_files WHERE database_id "
                                         "= DB_ID(%s);" % sql_string(name), details))
            else:
                results.append(R.error(target, "The login may not see the files of database %s on %s in "
                                               "sys.master_files (it needs VIEW ANY DEFINITION), so the size of its "
                                               "restore file list is unknown." % (quoted, label), "permission",
                                       "GRANT VIEW ANY DEFINITION TO %s;" % _who_fix(login),
                                       dict(details, permission="VIEW ANY DEFINITION")))
            continue
        size = file_list_bytes(rows)
        longest = max(rows, key=lambda f: len(str(f.get("physical_name") or "")))
        details.update({"bytes": size, "files": len(rows), "longest_path": longest.get("physical_name"),
                        "longest_path_chars": len(str(longest.get("physical_name") or "")),
                        "override_file": "%s\\%s.json" % (RESTORE_OVERRIDE_DIR, name)})
        override = ("Before a restore that must place files elsewhere, create %s\\%s.json with one entry per file, "
                    "[{\"Path\": \"<restore path>\", \"LogicalName\": \"<logical name>\", \"IsDir\": \"false\"}, ...] "
                    "(SELECT mf.name AS LogicalName, mf.physical_name FROM sys.master_files AS mf WHERE mf.database_id "
                    "= DB_ID(%s); lists them), or shorten the list: fewer files or shorter paths (ALTER DATABASE %s "
                    "MODIFY FILE (NAME = N'<logical name>', FILENAME = N'<shorter path>'); takes effect when the "
                    "database is next taken offline)." % (RESTORE_OVERRIDE_DIR, name, sql_string(name), quoted))
        what = "The restore file list of database %s on %s is %d bytes (%s, longest path %d characters)" % (
            quoted, label, size, _plural(len(rows), "file"), details["longest_path_chars"])
        if size > limit:
            results.append(R.warning(target, "%s, over Azure Backup's limit of %d bytes: a restore cannot choose the "
                                             "target file paths and puts the files in SQL Server's default paths, unless "
                                             "the override file %s\\%s.json is in place."
                                     % (what, limit, RESTORE_OVERRIDE_DIR, name), override, details))
        elif size >= threshold:
            results.append(R.warning(target, "%s, close to Azure Backup's limit of %d bytes (warning from %d%%, %d "
                                             "bytes): a few more files or longer paths, and restores can no longer "
                                             "choose the target file paths." % (what, limit, warn_percent, threshold),
                                     override, details))
        else:
            results.append(R.passed(target, "%s, within Azure Backup's limit of %d bytes." % (what, limit), details))
    return results


# -- judging: configured databases and restore targets ----------------------------------------

def _find(databases, name):
    """(row, exact) of the database named `name`: exact first, then case-insensitively."""
    for database in databases:
        if database.get("name") == name:
            return database, True
    for database in databases:
        if str(database.get("name") or "").lower() == str(name).lower():
            return database, False
    return None, False


def judge_database_exists(names, databases, label, can_see_all=True, login=None):
    results = []
    for name in names or []:
        target = label + "/" + name
        quoted = quote_name(name)
        found, exact = _find(databases, name)
        if found is not None:
            text = "Database %s exists on %s" % (quoted, label)
            if not exact:
                text += " as %s (the names differ in case only)" % quote_name(found["name"])
            results.append(R.passed(target, text + " (state %s)." % (found.get("state_desc") or "unknown"),
                                    {"database": found["name"], "configured": name,
                                     "state": found.get("state_desc")}))
        elif not can_see_all:
            results.append(R.error(target, "Database %s is not among the databases the login may see on %s; without "
                                           "VIEW ANY DATABASE it sees only master, tempdb and its own databases, so "
                                           "whether %s exists is unknown." % (quoted, label, quoted), "permission",
                                   "GRANT VIEW ANY DATABASE TO %s;" % _who_fix(login),
                                   {"database": name, "permission": "VIEW ANY DATABASE"}))
        else:
            results.append(R.failed(target, "Database %s does not exist on %s: it was dropped or renamed, so its "
                                            "backups fail (Azure UserErrorSQLPODoesNotExist)." % (quoted, label),
                                    "Check what happened to it (SELECT name, create_date FROM sys.databases ORDER BY "
                                    "create_date DESC;). If it was dropped by mistake, restore it to its original "
                                    "location; if it was renamed, configure the new name; if it is gone for good, "
                                    "remove it from the databases option and stop its protection.",
                                    {"database": name}))
    return results


def judge_restore_target(names, databases, overwrite, label, can_see_all=True, login=None):
    results = []
    for name in names or []:
        target = label + "/" + name
        quoted = quote_name(name)
        found, _exact = _find(databases, name)
        details = {"database": name, "overwrite": overwrite}
        if found is None and not can_see_all:
            results.append(R.error(target, "Whether a database %s already exists on the restore target %s is unknown: "
                                           "the login lacks VIEW ANY DATABASE." % (quoted, label), "permission",
                                   "GRANT VIEW ANY DATABASE TO %s;" % _who_fix(login),
                                   dict(details, permission="VIEW ANY DATABASE")))
        elif found is None:
            results.append(R.passed(target, "No database named %s exists on the restore target %s, so the restore can "
                                            "create it." % (quoted, label), details))
        elif overwrite:
            details["existing_state"] = found.get("state_desc")
            results.append(R.passed(target, "Database %s exists on the restore target %s and overwrite is planned: the "
                                            "restore replaces it and its data." % (quote_name(found["name"]), label),
                                    details))
        else:
            details["existing_state"] = found.get("state_desc")
            results.append(R.failed(target, "Database %s already exists on the restore target %s: a restore under that "
                                            "name without force overwrite fails (Azure "
                                            "UserErrorCannotRestoreExistingDBWithoutForceOverwrite)."
                                    % (quote_name(found["name"]), label),
                                    "Restore under another name, or choose force overwrite for the restore (and set "
                                    "overwrite: true here), or rename the existing database first: ALTER DATABASE %s "
                                    "MODIFY NAME = %s;" % (quote_name(found["name"]), quote_name(found["name"] + "_old")),
                                    details))
    return results


# -- judging: the other instances of the host -------------------------------------------------

def instance_inquiry_name(peer):
    """The SQL Server instance name Azure Backup lists: the named instance, MSSQLSERVER for a default
    instance on 1433, else the entry's name."""
    if peer.get("instance_name"):
        return peer["instance_name"]
    if peer.get("login_port") in (None, 1433):
        return "MSSQLSERVER"
    return peer.get("name") or "<instance name of %s>" % peer.get("label")


def judge_instances(probes, host):
    """`probes`: [{label, name, instance, ok, reason, detail, self}] for every instance configured on
    the host. Every instance must answer the TDS pre-login: one faulty instance hides the host as a
    restore target."""
    faulty = [p for p in probes if not p["ok"]]
    results = []
    names = ",".join(instance_inquiry_name(p) for p in faulty)
    for probe in probes:
        details = dict((k, v) for k, v in probe.items() if k not in ("ok",))
        what = "%s%s" % (probe["label"], " (%s)" % probe["name"] if probe.get("name") else "")
        if probe["ok"]:
            results.append(R.passed(probe["label"], "SQL Server instance %s on host %s answers (TDS pre-login%s)." % (
                what, host, ", version %s" % probe["server_version"] if probe.get("server_version") else ""),
                details))
            continue
        results.append(R.failed(
            probe["label"],
            "SQL Server instance %s on host %s is not reachable (%s: %s): while one instance of a host is faulty, "
            "the host does not appear as a restore target for any of its %d instances."
            % (what, host, probe.get("reason") or "unknown", probe.get("detail") or "no answer", len(probes)),
            "Start or repair the instance (its service, TCP/IP, the firewall, the port). To restore to the healthy "
            "instances meanwhile: in %s add \"whitelistedInstancesForInquiry\": \"%s\" (seed 004 names the faulty "
            "instances there), run Rediscover DBs in the portal, and remove the entry after the restore. If the "
            "instance is gone for good, uninstall it or leave it out of peer_instances." % (EXTENSION_OVERRIDES, names),
            details))
    return results


def probe_instance(entry, timeout):
    """TCP (after a SQL Server Browser lookup for a named instance) and a TDS pre-login, no login."""
    settings = sqlserver_conn.resolve_settings({
        "login_host": entry.get("login_host") or "localhost", "login_port": entry.get("login_port"),
        "instance_name": entry.get("instance_name"), "encrypt": False, "connect_timeout": timeout})
    found = sqlserver_conn.diagnose(settings, timeout)
    result = {"label": settings["label"], "name": entry.get("name"), "instance_name": entry.get("instance_name"),
              "login_port": entry.get("login_port"), "self": bool(entry.get("self"))}
    # `tls` here means the server answered the pre-login and requires encryption: it is up.
    result["ok"] = found.get("cause") in (None, "tls")
    for key in ("reason", "detail", "server_version", "port"):
        if found.get(key) is not None:
            result[key] = found[key]
    return result


# -- gathering --------------------------------------------------------------------------------

def _by_id(rows):
    return dict((row.get("database_id"), _lower_keys(row)) for row in rows or [])


def _log_usage(ctx):
    """({database_id: {size_mb, used_mb, holdup, source}}, None) or (None, PrecheckError)."""
    server = ctx.server()
    if has_log_stats(server):
        rows, exc = read_rows(ctx, "log_stats", LOG_STATS_SQL, "log usage (sys.dm_db_log_stats)")
        if rows is None:
            return None, exc
        usage = {}
        for row in rows:
            row = _lower_keys(row)
            usage[row.get("database_id")] = {"size_mb": row.get("total_log_size_mb"),
                                             "used_mb": row.get("active_log_size_mb"),
                                             "holdup": row.get("log_truncation_holdup_reason"),
                                             "source": "sys.dm_db_log_stats"}
        return usage, None
    rows, exc = read_rows(ctx, "log_counters", LOG_COUNTERS_SQL,
                          "log usage (sys.dm_os_performance_counters, Log File(s) Used Size)")
    if rows is None:
        return None, exc
    by_name = {}
    for row in rows:
        row = _lower_keys(row)
        by_name[str(row.get("database_name") or "").rstrip()] = row
    usage = {}
    for database in ctx.databases():
        row = by_name.get(database.get("name"))
        if row is None:
            continue
        size_kb, used_kb = _num(row.get("log_size_kb")), _num(row.get("log_used_kb"))
        usage[database.get("database_id")] = {
            "size_mb": size_kb / 1024.0 if size_kb is not None else None,
            "used_mb": used_kb / 1024.0 if used_kb is not None else None,
            "source": "sys.dm_os_performance_counters"}
    return usage, None


def _files(ctx):
    """({database_id: [rows]}, None) or (None, PrecheckError)."""
    files, _problem = ctx.files()
    if files is None:
        return None, ctx.problems.get("files")
    return dict((k, [_lower_keys(r) for r in v]) for k, v in files.items()), None


def _recovery(ctx):
    status, _problem = ctx.recovery_status()
    if status is None:
        return None, ctx.problems.get("recovery_status")
    return dict((k, _lower_keys(v)) for k, v in status.items()), None


def _can_see_definitions(ctx):
    permissions = ctx.permissions()
    return permissions.get("is_sysadmin") == 1 or permissions.get("view_any_definition") == 1


def _can_see_all_databases(ctx):
    permissions = ctx.permissions()
    return permissions.get("is_sysadmin") == 1 or permissions.get("view_any_database") != 0


def _certificates(ctx):
    rows, exc = read_rows(ctx, "certificates", CERTIFICATES_SQL, "certificates in master (sys.certificates)")
    return ([_lower_keys(r) for r in rows] if rows is not None else None), exc


def _database_check(ctx, what, judge):
    """Per-database checks: judge the selection, then say what was left out and whether the login
    sees every database."""
    selection = ctx.selection()
    results = judge(selection)
    problem = visibility_result(ctx.permissions(), _login(ctx), ctx.target, selection["visible"])
    if problem:
        results.append(problem)
    return results + selection_results(selection, ctx.target, what)


def _summary_check(ctx, what, judge, passed_text, details=None):
    """Checks that report the databases with a finding, or one `passed` on the instance."""
    selection = ctx.selection()
    findings = judge(selection)
    problem = visibility_result(ctx.permissions(), _login(ctx), ctx.target, selection["visible"])
    if problem:
        return findings + [problem]
    return _summary(ctx.target, findings, selection, passed_text, what, details)


def _online(selection):
    return [d for d in selection["selected"] if _judgeable(d)[0]]


# -- the check items --------------------------------------------------------------------------

_V2008 = "SQL Server 2008 and later"


@register(
    "sqlserver.sysadmin", "The backup login is a sysadmin", ("all_operations",),
    tags=("permissions",),
    references=("Azure:UserErrorSQLNoSysadminMembership",),
    rule="IS_SRVROLEMEMBER('sysadmin') is 1 for the login the backup agent uses: backup_login if set (bound as a "
         "parameter), else the login of the connection. 0 fails with the ALTER SERVER ROLE statement "
         "(sp_addsrvrolemember before 2012); NULL (unknown login, or membership not visible) warns.",
    permissions="None for the login of the connection. For another backup_login, the checking login must see its "
                "role membership (VIEW ANY DEFINITION or sysadmin), otherwise the result is a warning.",
    versions=_V2008 + " (ALTER SERVER ROLE from 2012; the remediation uses sp_addsrvrolemember before).",
)
def sysadmin(ctx):
    server = ctx.server()
    connected = server.get("login_name") or ctx.settings.get("user")
    wanted = ctx.params.get("backup_login")
    if wanted and wanted.lower() != str(connected or "").lower():
        rows, exc = read_rows(ctx, "backup_login_sysadmin", BACKUP_LOGIN_SQL,
                              "the sysadmin membership of backup_login", [wanted])
        if rows is None:
            return [unreadable(ctx.target, exc, "VIEW ANY DEFINITION", _login(ctx))]
        value = _lower_keys(rows[0]).get("is_sysadmin") if rows else None
        member = None if value is None else (1 if _int(value) == 1 else 0)
        return judge_sysadmin(member, wanted, ctx.target, _major(server), connected=False)
    return judge_sysadmin(ctx.permissions().get("is_sysadmin"), connected or "login", ctx.target, _major(server))


@register(
    "sqlserver.conflicting_operation", "No BACKUP or RESTORE is running on the databases", ("backup",),
    tags=("databases", "activity"),
    references=("Azure:OperationCancelledBecauseConflictingOperationRunningUserError",),
    rule="Per selected database, a request in sys.dm_exec_requests whose command starts with BACKUP or RESTORE "
         "fails, naming the session, login, program and progress. Without VIEW SERVER STATE the DMV shows only the "
         "login's own requests, so the answer is unknown: a warning on the instance, never passed.",
    permissions="VIEW SERVER STATE (SQL Server 2022 and later: VIEW SERVER PERFORMANCE STATE) to see the requests "
                "of other sessions; without it a warning.",
    versions=_V2008 + " (sys.dm_exec_requests, sys.dm_exec_sessions).",
)
def conflicting_operation(ctx):
    server = ctx.server()
    permissions = ctx.permissions()
    login = _login(ctx)
    selection = ctx.selection()
    rows, exc = read_rows(ctx, "requests", REQUESTS_SQL, "running requests (sys.dm_exec_requests)")
    findings = judge_conflicting_operations(selection["selected"], rows, ctx.target)
    sees_all = permissions.get("is_sysadmin") == 1 or permissions.get("view_server_state") == 1
    if rows is None or not sees_all:
        why = exc.message if rows is None else ("the login '%s' lacks VIEW SERVER STATE, so sys.dm_exec_requests "
                                                "shows only its own requests" % login)
        return findings + [R.warning(ctx.target, "Whether a BACKUP or RESTORE is running on the databases of %s is "
                                                 "unknown: %s." % (ctx.target, why.rstrip(".")),
                                     "GRANT VIEW SERVER STATE TO %s;" % quote_name(login),
                                     {"permission": state_permission(server)})]
    return _summary_check(ctx, "running operations", lambda sel: findings,
                          "No BACKUP or RESTORE is running on the %s selected on %s"
                          % (_plural(len(selection["selected"]), "database"), ctx.target))


@register(
    "sqlserver.foreign_backups", "No other product takes log or full backups", ("log_backup", "incremental_backup"),
    tags=("databases", "history"),
    references=("Azure:UserErrorSQLLSNValidationFailure", "Azure:UserErrorFileManipulationIsNotAllowedDuringBackup"),
    rule="msdb backup history of the last foreign_backup_window_hours (default 168), joined to the databases on "
         "database_guid (so an earlier database of the same name does not count): non-copy-only backups to NUL fail; "
         "non-copy-only log backups not taken by own_backup_users fail (they truncate the log, so the agent's log "
         "chain breaks); non-copy-only full backups by others fail when differential backups are planned (they move "
         "the differential base), else warn. Copy-only backups and differentials are ignored. msdb writes the "
         "recovery model BULK-LOGGED with a hyphen; it is reported as BULK_LOGGED.",
    permissions="SELECT on msdb.dbo.backupset, backupmediafamily and backupmediaset (a user in msdb with "
                "db_datareader, or sysadmin); sys.database_recovery_status rows need VIEW ANY DATABASE. Without "
                "them an error (cause permission).",
    versions=_V2008 + " (backupset.is_copy_only, database_guid, recovery_model; backupmediaset.software_name).",
)
def foreign_backups(ctx):
    login = _login(ctx)
    window = ctx.params.get("foreign_backup_window_hours") or 168
    rows, exc = read_rows(ctx, "backup_history", HISTORY_SQL, "the backup history in msdb (msdb.dbo.backupset)",
                          [window])
    if rows is None:
        return [unreadable(ctx.target, exc, "SELECT on msdb.dbo.backupset, backupmediafamily and backupmediaset",
                           login, "USE [msdb]; CREATE USER %s FOR LOGIN %s; ALTER ROLE [db_datareader] ADD MEMBER %s; "
                                  "(or GRANT SELECT ON dbo.backupset, dbo.backupmediafamily and dbo.backupmediaset)"
                           % (quote_name(login), quote_name(login), quote_name(login)))]
    recovery, exc = _recovery(ctx)
    if recovery is None:
        return [unreadable(ctx.target, exc, "VIEW ANY DATABASE", login)]
    guids = dict((k, v.get("database_guid")) for k, v in recovery.items())
    return _summary_check(ctx, "backups by other products", lambda sel: judge_foreign_backups(
        sel["selected"], rows, guids, ctx.params.get("own_backup_users"), ctx.params.get("backup_types"), window,
        ctx.target),
        "No selected database on %s had a non-copy-only full or log backup by another product, or to NUL, in the last "
        "%d hours" % (ctx.target, window), {"window_hours": window, "history_groups": len(rows)})


@register(
    "sqlserver.full_backup_base", "A full backup exists for log and differential backups to build on",
    ("log_backup", "incremental_backup"),
    tags=("databases", "history"),
    references=("Azure:UserErrorParentFullBackupMissing",),
    rule="Per selected ONLINE database (master, snapshots skipped): FULL or BULK_LOGGED with log backups planned and "
         "sys.database_recovery_status.last_log_backup_lsn NULL fails (no full backup since it entered that model); "
         "differential backups planned and no data file with sys.master_files.differential_base_lsn fails (never a "
         "full backup). What cannot be seen warns.",
    permissions="VIEW ANY DATABASE (sys.database_recovery_status) and VIEW ANY DEFINITION (sys.master_files); "
                "without the latter a warning naming it.",
    versions=_V2008 + " (sys.database_recovery_status.last_log_backup_lsn, sys.master_files.differential_base_lsn).",
)
def full_backup_base(ctx):
    recovery, exc = _recovery(ctx)
    if recovery is None:
        return [unreadable(ctx.target, exc, "VIEW ANY DATABASE", _login(ctx))]
    files, _exc = _files(ctx)
    return _database_check(ctx, "a full backup", lambda sel: judge_full_backup_base(
        sel["selected"], recovery, files, ctx.params.get("backup_types"), ctx.target, _can_see_definitions(ctx),
        _login(ctx)))


@register(
    "sqlserver.log_space", "The transaction log has room for the backup", ("backup", "log_backup"),
    tags=("databases", "logging"),
    references=("Azure:UserErrorBackupFailedAsTransactionLogIsFull",),
    rule="Per selected ONLINE database, log used percent: from log_space_fail_percent (default 90) fails when no log "
         "file can grow (autogrowth off, or at max_size, from sys.master_files) and warns when it can; from "
         "log_space_warn_percent (default 75) warns. log_reuse_wait_desc is reported and picks the remediation. "
         "Usage comes from sys.dm_db_log_stats (active / total log size) where it exists, else from the performance "
         "counters Log File(s) Used Size (KB) / Log File(s) Size (KB); DBCC is never run.",
    permissions="VIEW SERVER STATE (SQL Server 2022 and later: VIEW SERVER PERFORMANCE STATE) for either source; "
                "VIEW ANY DEFINITION to see whether the log can grow. Without them an error (cause permission).",
    versions="sys.dm_db_log_stats from SQL Server 2016 SP2 (13.0.5026) and 2017; SQL Server 2008 to 2016 SP1 through "
             "sys.dm_os_performance_counters.",
)
def log_space(ctx):
    usage, exc = _log_usage(ctx)
    if usage is None:
        return [unreadable(ctx.target, exc, state_permission(ctx.server()), _login(ctx))]
    files, _exc = _files(ctx)
    return _database_check(ctx, "log space", lambda sel: judge_log_space(
        sel["selected"], usage, files, ctx.params.get("log_space_warn_percent") or 75,
        ctx.params.get("log_space_fail_percent") or 90, ctx.target))


@register(
    "sqlserver.mirroring", "No database takes part in database mirroring", ("backup",),
    tags=("databases", "ha"),
    references=("Azure:UserErrorOperationNotAllowedDatabaseMirroringEnabled",),
    rule="Per selected database, a row of sys.database_mirroring with mirroring_guid set (principal or mirror) fails "
         "with ALTER DATABASE ... SET PARTNER OFF. A RESTORING database whose role the login cannot see (a mirror's "
         "values show only to sysadmin) warns.",
    permissions="VIEW ANY DATABASE to see principals; sysadmin to see a mirror database's values (otherwise a "
                "RESTORING database warns).",
    versions=_V2008 + " (sys.database_mirroring; deprecated but present up to SQL Server 2022).",
)
def mirroring(ctx):
    mirrored, problem = ctx.mirroring()
    if mirrored is None:
        return [unreadable(ctx.target, ctx.problems.get("mirroring") or PrecheckError("internal", problem),
                           "VIEW ANY DATABASE", _login(ctx))]
    return _summary_check(
        ctx, "database mirroring",
        lambda sel: judge_mirroring(sel["selected"], mirrored, ctx.target, ctx.permissions().get("is_sysadmin")),
        "No selected database on %s takes part in database mirroring" % ctx.target)


def _ag_applies(ctx):
    server = ctx.server()
    if _major(server) < 11:
        return ("Availability groups exist from SQL Server 2012; %s is SQL Server %s."
                % (ctx.target, server.get("release") or server.get("product_version") or "of an unknown version"))
    return None


@register(
    "sqlserver.availability_group", "Availability group backup preference can be met", ("backup",),
    tags=("databases", "ha"),
    references=("Azure:FabricSvcBackupPreferenceCheckFailedUserError",),
    rule="Per selected availability database: data movement suspended or not HEALTHY fails; differential backups "
         "planned on a SECONDARY fail (SQL Server takes only copy-only full and log backups there); a preference no "
         "replica can meet (every backup_priority 0, or SECONDARY_ONLY without a connected secondary) fails; a Basic "
         "availability group fails (2016 and later); this replica not preferred "
         "(sys.fn_hadr_backup_is_preferred_replica = 0) warns, naming the replicas that take the backups; "
         "disconnected replicas (seen from the primary) warn.",
    permissions="VIEW ANY DEFINITION (sys.availability_groups, sys.availability_replicas) and VIEW SERVER STATE "
                "(sys.dm_hadr_*; SQL Server 2022 and later: VIEW SERVER PERFORMANCE STATE). Without them an error "
                "(cause permission).",
    versions="SQL Server 2012 and later with Always On enabled; skipped before 2012 (no availability groups); "
             "basic_features read from 2016.",
    applies=_ag_applies,
)
def availability_group(ctx):
    server = ctx.server()
    selection = ctx.selection()
    members = [d for d in selection["selected"] if d.get("replica_id") is not None]
    if server.get("hadr_enabled") != 1 or not members:
        why = "Always On availability groups are not enabled" if server.get("hadr_enabled") != 1 else \
            "no selected database is in an availability group"
        return _summary_check(ctx, "availability groups", lambda sel: [],
                              "%s on %s" % (why[0].upper() + why[1:], ctx.target))
    login = _login(ctx)
    rows, exc = read_rows(ctx, "ag_databases", AG_DATABASES_SQL, "availability databases (sys.availability_groups)")
    if rows is None:
        return [unreadable(ctx.target, exc, "VIEW ANY DEFINITION", login)]
    columns = AG_REPLICAS_COLUMNS + (AG_REPLICAS_COLUMNS_2016 if _major(server) >= 13 else ())
    replicas, exc = read_rows(ctx, "ag_replicas", "SELECT " + ", ".join(columns) + AG_REPLICAS_FROM,
                              "availability replicas (sys.dm_hadr_availability_replica_states)")
    if replicas is None:
        return [unreadable(ctx.target, exc, state_permission(server), login)]
    states, problem = ctx.hadr_states()
    if states is None:
        return [unreadable(ctx.target, ctx.problems.get("hadr") or PrecheckError("internal", problem),
                           state_permission(server), login)]
    return _summary_check(ctx, "availability groups", lambda sel: judge_availability_groups(
        sel["selected"], _by_id(rows), replicas, dict((k, _lower_keys(v)) for k, v in states.items()),
        ctx.params.get("backup_types"), ctx.target), "No selected database on %s is in an availability group"
        % ctx.target)


@register(
    "sqlserver.tde_certificate", "TDE certificates are present and backed up", ("backup", "restore"),
    tags=("databases", "encryption"),
    references=("Azure:UserErrorCannotFindServerCertificateWithThumbprint",),
    rule="Per selected TDE database (sys.dm_database_encryption_keys): a transitional encryption_state (2, 4, 5, 6) "
         "fails; its certificate missing from master.sys.certificates fails; a certificate whose private key was "
         "never backed up (pvt_key_last_backup_date NULL) fails; an asymmetric (EKM) encryptor warns. On a "
         "restore_target, each of source_certificate_thumbprints must be in master with its private key.",
    permissions="VIEW SERVER STATE (sys.dm_database_encryption_keys) and VIEW ANY DEFINITION (sys.certificates in "
                "master); without them an error (cause permission) when a database is encrypted or a thumbprint is "
                "to be found.",
    versions=_V2008 + " (TDE: Enterprise and Developer editions, Standard from 2019; encryptor_type read from 2012).",
)
def tde_certificate(ctx):
    server = ctx.server()
    login = _login(ctx)
    selection = ctx.selection()
    columns = ENCRYPTION_KEYS_COLUMNS + (ENCRYPTION_KEYS_COLUMNS_2012 if _major(server) >= 11 else ())
    keys, exc = read_rows(ctx, "encryption_keys", "SELECT %s FROM sys.dm_database_encryption_keys AS k"
                          % ", ".join(columns), "database encryption keys (sys.dm_database_encryption_keys)")
    if keys is None and any(d.get("is_encrypted") for d in selection["selected"]):
        return [unreadable(ctx.target, exc, state_permission(server), login)]
    keyed = _by_id(keys)
    selected_ids = set(d.get("database_id") for d in selection["selected"])
    thumbprints = ctx.params.get("source_certificate_thumbprints") if ctx.params.get("restore_target") else []
    keyed_selected = [k for i, k in keyed.items() if i in selected_ids and _int(k.get("encryption_state"))]
    certificates, exc = _certificates(ctx) if thumbprints or keyed_selected else ([], None)
    if certificates is None:
        return [unreadable(ctx.target, exc, "VIEW ANY DEFINITION", login)]
    visible = _can_see_definitions(ctx)
    findings = judge_tde(selection["selected"], keyed, certificates, ctx.target, visible, login=login)
    source = judge_source_certificates(thumbprints, certificates, ctx.target, visible, login)
    passes = [r for r in findings if r["status"] == "passed"]
    issues = [r for r in findings if r["status"] != "passed"]
    details = {}
    if keys is None:
        details["note"] = ("sys.dm_database_encryption_keys is not readable (%s): a decryption in progress would not "
                           "be seen" % state_permission(server))
    text = ("No selected database on %s is encrypted with TDE" % ctx.target if not passes else
            "The TDE certificates of the %s encrypted on %s are in master and backed up"
            % (_plural(len(passes), "database"), ctx.target))
    return source + passes + _summary_check(ctx, "TDE", lambda sel: issues, text, details)


@register(
    "sqlserver.file_path_length", "The restore file list fits Azure Backup's 20,000-byte limit", ("restore",),
    tags=("databases", "files", "restore"),
    references=("Azure:sql-troubleshoot#size-limit-for-files",),
    rule="Per selected database, the byte length of the JSON file list [{\"path\",\"logicalName\",\"isDir\"}] that "
         "Azure Backup builds from sys.master_files (compact, JSON-escaped, UTF-8): over file_list_limit_bytes "
         "(default 20000) warns that a restore cannot choose target paths, naming the override file "
         "<db>.json in C:\\Program Files\\Azure Workload Backup\\bin\\plugins\\SQL*; from file_list_warn_percent "
         "(default 90) of the limit warns as close; the measured size is reported.",
    permissions="VIEW ANY DEFINITION (or CREATE DATABASE, ALTER ANY DATABASE) to see sys.master_files; without it "
                "an error (cause permission).",
    versions=_V2008 + " (sys.master_files).",
)
def file_path_length(ctx):
    files, exc = _files(ctx)
    login = _login(ctx)
    if files is None:
        return [unreadable(ctx.target, exc, "VIEW ANY DEFINITION", login)]
    if not files and not _can_see_definitions(ctx):
        return [R.error(ctx.target, "sys.master_files shows the login '%s' no file on %s: it needs VIEW ANY DEFINITION "
                                    "(or CREATE DATABASE, ALTER ANY DATABASE) to see them, so the size of the restore "
                                    "file lists is unknown." % (login, ctx.target), "permission",
                        "GRANT VIEW ANY DEFINITION TO %s;" % quote_name(login), {"permission": "VIEW ANY DEFINITION"})]
    return _database_check(ctx, "the restore file list", lambda sel: judge_file_path_length(
        sel["selected"], files, ctx.params.get("file_list_limit_bytes") or 20000,
        ctx.params.get("file_list_warn_percent") or 90, ctx.target, _can_see_definitions(ctx), login))


@register(
    "sqlserver.database_exists", "The configured databases exist", ("backup",),
    tags=("databases",),
    references=("Azure:UserErrorSQLPODoesNotExist",),
    rule="Each name in the databases option is in sys.databases (exactly, or differing in case only, which passes "
         "with a note); a missing one fails. Skipped when databases is empty.",
    permissions="VIEW ANY DATABASE (granted to public by default); without it a name that is not visible is an "
                "error (cause permission), never failed or passed.",
    versions=_V2008 + " (sys.databases).",
    applies=lambda ctx: None if ctx.params.get("databases") else
    "No databases are configured (option databases), so none is checked for existence.",
)
def database_exists(ctx):
    return judge_database_exists(ctx.params.get("databases"), ctx.databases(), ctx.target,
                                 _can_see_all_databases(ctx), _login(ctx))


@register(
    "sqlserver.restore_target", "No same-name database on a restore target", ("restore",),
    tags=("databases", "restore"),
    references=("Azure:UserErrorCannotRestoreExistingDBWithoutForceOverwrite",),
    rule="With restore_target true, each name in restore_databases must not exist on the instance (case-insensitive) "
         "unless overwrite is true; a same-name database fails. restore_target true with no restore_databases warns. "
         "Skipped when restore_target is false.",
    permissions="VIEW ANY DATABASE; without it an error (cause permission).",
    versions=_V2008 + " (sys.databases).",
    applies=lambda ctx: None if ctx.params.get("restore_target") else
    "This instance is not a restore target (restore_target: false).",
)
def restore_target(ctx):
    names = ctx.params.get("restore_databases") or []
    if not names:
        return [R.warning(ctx.target, "%s is a restore target (restore_target: true) but restore_databases names no "
                                      "database, so same-name conflicts were not checked." % ctx.target,
                          "Name the databases that restores will create here in restore_databases.")]
    return judge_restore_target(names, ctx.databases(), bool(ctx.params.get("overwrite")), ctx.target,
                                _can_see_all_databases(ctx), _login(ctx))


@register(
    "sqlserver.instances_healthy", "Every SQL Server instance of the host answers", ("restore",),
    tags=("connectivity", "restore"),
    references=("Azure:sql-troubleshoot#faulty-instance-in-a-vm-with-multiple-sql-server-instances",),
    rule="This instance and each of peer_instances (the other instances configured on the same host; the role passes "
         "them to the first instance of the host) are probed at once with TCP (after a SQL Server Browser lookup for a "
         "named instance) and a TDS pre-login, without a login, within connect_timeout. One that does not answer "
         "fails, naming it, with the whitelistedInstancesForInquiry workaround of ExtensionSettingsOverrides.json. "
         "Skipped when peer_instances is empty.",
    permissions="None (no login; TCP to each instance's port and UDP 1434 for named instances).",
    versions="Any SQL Server version (TDS pre-login).",
    applies=lambda ctx: None if ctx.params.get("peer_instances") else
    "One SQL Server instance is configured for this host (peer_instances is empty).",
)
def instances_healthy(ctx):
    params = ctx.params
    me = {"name": None, "login_host": params.get("login_host"), "login_port": params.get("login_port"),
          "instance_name": params.get("instance_name"), "self": True}
    entries = [me] + [dict(peer) for peer in params.get("peer_instances") or []]
    timeout = float(params.get("connect_timeout") or 10.0)
    probes = parallel_map(lambda entry: probe_instance(entry, timeout), entries)
    return judge_instances(probes, params.get("login_host") or "localhost")
