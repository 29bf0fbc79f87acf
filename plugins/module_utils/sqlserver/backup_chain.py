# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SQL Server check items on the backups themselves and the chain they build (seed 004): no BACKUP
or RESTORE running, no log or full backups by another product, a full backup for log and
differential backups to start from, and room in the transaction log. The options, their validation
and the shared helpers are in common.py.

The judge_* functions take plain rows and options and are unit-tested without a server. Every
statement is a SELECT; the only value sent with one is a bound parameter (the backup window in hours).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fnmatch

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver.common import (
    BACKUP_TYPES, V2008, VIEW_ANY_DATABASE, add_role_member_statement, can_see_definitions, database_check,
    database_names,
    database_files, as_int, login_of, lower_keys, major_version, num, plural, summary_check, as_text, who_fix,
    read_rows, sql_string, state_permission, unreadable)
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver.connection import quote_name

NUL_DEVICES = ("NUL", "NUL:", "\\\\.\\NUL")

# 2016 SP2 is 13.0.5026: sys.dm_db_log_stats exists from there (and in 2017 and later).
LOG_STATS_FROM = (13, 5026)


# -- statements -------------------------------------------------------------------------------
# Column aliases are lower case: rows come back as dicts keyed by them. Aliases of sys.databases are
# not `d`, so that they never look like the database list statement of gathering.py.

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
 WHERE bs.type IN ('D', 'L', 'P') AND ISNULL(bs.is_copy_only, 0) = 0
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

# backupmediafamily.device_type as backupmediafamily (Transact-SQL) documents it; 9 (Azure Storage, a
# URL) appears in newer releases. Any other value is named by its number.
DEVICE_TYPES = {2: "disk", 5: "tape", 7: "a virtual device (VDI, as backup products use)",
                9: "a URL (Azure Blob Storage)", 105: "a permanent backup device (sys.backup_devices)"}

# RESTORE statements that only read a backup's headers or verify it: they do not conflict with a backup.
READ_ONLY_RESTORES = ("RESTORE HEADERONLY", "RESTORE FILELISTONLY", "RESTORE VERIFYONLY", "RESTORE LABELONLY",
                      "RESTORE REWINDONLY")


# -- small helpers ----------------------------------------------------------------------------

def _build(product_version):
    parts = str(product_version or "").split(".")
    return int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0


def has_log_stats(server):
    """sys.dm_db_log_stats exists from SQL Server 2016 SP2 (13.0.5026) and 2017 on."""
    major = major_version(server)
    return major > LOG_STATS_FROM[0] or (major == LOG_STATS_FROM[0] and _build(server.get("product_version"))
                                         >= LOG_STATS_FROM[1])


def _mb(value):
    return "%.1f" % value if value < 10 else "%.0f" % value


def _guid(value):
    return str(value).strip("{}").upper() if value is not None else None


def _judgeable(database):
    """(True, None) or (False, why): snapshots and databases that are not ONLINE are judged by
    sqlserver.database_state, not here."""
    if database.get("source_database_id") is not None:
        return False, "database snapshot"
    if database.get("state_desc") != "ONLINE":
        return False, "state %s" % (database.get("state_desc") or "unknown")
    return True, None


# -- judging: conflicting operations ----------------------------------------------------------

def judge_conflicting_operations(databases, requests, label):
    """One `failed` per selected database with a BACKUP or RESTORE running on it."""
    by_id = {}
    for row in requests or []:
        row = lower_keys(row)
        if str(row.get("command") or "").strip().upper().startswith(READ_ONLY_RESTORES):
            continue
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
                "%.0f%% done" % num(row["percent_complete"]) if num(row.get("percent_complete")) else None) if part)
            described.append("%s (%s)" % (str(row.get("command") or "").strip(), who))
        sessions = sorted(set(str(row.get("session_id")) for row in running))
        details = {"database": name, "database_id": database.get("database_id"), "requests": [
            dict((k, as_text(v) if not isinstance(v, (int, float)) else v) for k, v in row.items()) for row in running]}
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
    row = lower_keys(row)
    model = row.get("recovery_model")
    if model is not None:
        row["recovery_model"] = str(model).strip().upper().replace("-", "_")
    row["database_guid"] = _guid(row.get("database_guid"))
    row["backup_type"] = str(row.get("backup_type") or "").strip().upper()
    row["to_nul"] = 1 if as_int(row.get("to_nul")) == 1 else 0
    row["backup_count"] = as_int(row.get("backup_count")) or 0
    row["device_type"] = as_int(row.get("device_type"))
    for key in ("first_finish_date", "last_finish_date"):
        row[key] = as_text(row.get(key))
    return row


def own_backup(row, own_users):
    user = str(row.get("user_name") or "").lower()
    return bool(user) and any(user == p.lower() or fnmatch.fnmatchcase(user, p.lower()) for p in own_users or [])


def _who(row):
    parts = ["by '%s'" % row["user_name"] if row.get("user_name") else "by an unknown user"]
    device = DEVICE_TYPES.get(row.get("device_type"))
    if device is None and row.get("device_type") is not None:
        device = "device type %s" % row["device_type"]
    if row.get("example_device"):
        parts.append("to %s%s" % (row["example_device"], " (%s)" % device if device else ""))
    if row.get("software_name"):
        parts.append("software '%s'" % row["software_name"])
    parts.append("last %s" % row.get("last_finish_date"))
    return ", ".join(parts)


def judge_foreign_backups(databases, history, guids, own_users, backup_types, window_hours, label):
    """Per selected database, the non-copy-only full (D), partial (P) and log (L) backups of msdb
    history within the window that were not taken by the product being rolled out (own_users), joined
    on database_guid (`guids`: {database_id: guid}), so that backups of an earlier database of the
    same name do not count; a database whose guid is NULL (sys.database_recovery_status has none while
    it is OFFLINE) is matched by name. To NUL fails; log backups by another product fail (broken log
    chain); full and partial backups by another product fail when differential backups are planned
    (they move the differential base), else warn."""
    planned = [t for t in BACKUP_TYPES if t in (backup_types or BACKUP_TYPES)]
    rows = [normalize_history(row) for row in history or []]
    by_guid, by_name = {}, {}
    for row in rows:
        by_guid.setdefault(row["database_guid"], []).append(row)
        by_name.setdefault(row.get("database_name"), []).append(row)
    results = []
    for database in databases:
        guid = _guid(guids.get(database.get("database_id")))
        name = database["name"]
        quoted = quote_name(name)
        candidates = by_guid.get(guid, []) if guid else by_name.get(name, [])
        foreign = [r for r in candidates if not own_backup(r, own_users)]
        if not foreign:
            continue
        nul = [r for r in foreign if r["to_nul"]]
        logs = [r for r in foreign if not r["to_nul"] and r["backup_type"] == "L"]
        fulls = [r for r in foreign if not r["to_nul"] and r["backup_type"] in ("D", "P")]
        details = {"database": name, "database_guid": guid, "matched_on": "database_guid" if guid else "database_name",
                   "window_hours": window_hours,
                   "backups": [dict((k, v) for k, v in r.items() if k != "database_guid") for r in foreign]}
        texts, status = [], "warning"
        if nul:
            count = sum(r["backup_count"] for r in nul)
            kinds = " and ".join(sorted(set({"L": "log", "D": "full", "P": "partial"}[r["backup_type"]] for r in nul)))
            texts.append("%s to NUL (%s): a backup to NUL throws the backup away, so the log chain (or the "
                         "differential base) it moved cannot be restored"
                         % (plural(count, kinds + " backup"), "; ".join(_who(r) for r in nul)))
            status = "failed"
        if logs:
            count = sum(r["backup_count"] for r in logs)
            texts.append("%s by another product or job (%s): each one truncates the log, so the log backups of "
                         "the new backup agent miss those log records and its log chain breaks (Azure "
                         "UserErrorSQLLSNValidationFailure)" % (plural(count, "log backup"),
                                                                "; ".join(_who(r) for r in logs)))
            status = "failed"
        if fulls:
            count = sum(r["backup_count"] for r in fulls)
            kind = "full or partial backup" if any(r["backup_type"] == "P" for r in fulls) else "full backup"
            text = ("%s that %s not COPY_ONLY by another product or job (%s): each one becomes the differential "
                    "base" % (plural(count, kind), "is" if count == 1 else "are",
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
        name, quoted, target = database_names(database, label)
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
                details["last_log_backup_lsn"] = as_text(row.get("last_log_backup_lsn"))
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
                details["differential_base_lsn"] = [as_text(b) for b in bases]
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
                                     % (who_fix(login), who_fix(login)),
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
        growth, size, max_size = as_int(f.get("growth")), as_int(f.get("size_pages")), as_int(f.get("max_size_pages"))
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


def log_usage_hint(quoted, major):
    """How to read a log's usage by hand: sys.dm_db_log_space_usage exists from SQL Server 2012
    (sys.dm_db_log_space_usage (Transact-SQL)); DBCC SQLPERF(LOGSPACE) before."""
    if major and major < 11:
        return "Check it by hand: DBCC SQLPERF(LOGSPACE); (the row of %s)." % quoted
    return "Check it by hand: USE %s; SELECT used_log_space_in_percent FROM sys.dm_db_log_space_usage;" % quoted


def judge_log_space(databases, usage, files, warn, fail, label, major=None):
    """`usage`: {database_id: {'size_mb', 'used_mb', 'source'}}; `files`: {database_id: [rows]} or None.
    Used >= fail% and the log cannot grow fails; used >= fail% with growth (or growth unknown), or
    used >= warn%, warns. log_reuse_wait_desc is reported. `major`: the release, for the hint."""
    results = []
    for database in databases:
        name, quoted, target = database_names(database, label)
        reuse = database.get("log_reuse_wait_desc")
        details = {"database": name, "database_id": database.get("database_id"), "log_reuse_wait_desc": reuse,
                   "warn_percent": warn, "fail_percent": fail}
        judgeable, why = _judgeable(database)
        if not judgeable:
            results.append(R.skipped(target, "Database %s on %s is not judged (%s); sqlserver.database_state reports "
                                             "it." % (quoted, label, why), details))
            continue
        row = (usage or {}).get(database.get("database_id"))
        size, used = (num(row.get("size_mb")), num(row.get("used_mb"))) if row else (None, None)
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
                                     log_usage_hint(quoted, major), details))
            continue
        percent = round(100.0 * used / size, 1)
        can_grow, logs = log_growth((files or {}).get(database.get("database_id")) if files is not None else None)
        details.update({"log_size_mb": round(size, 1), "log_used_mb": round(used, 1), "log_used_percent": percent,
                        "can_grow": can_grow})
        if logs:
            details["log_files"] = [dict(logical_name=f.get("logical_name"), growth=as_int(f.get("growth")),
                                         is_percent_growth=f.get("is_percent_growth"),
                                         max_size_pages=as_int(f.get("max_size_pages"))) for f in logs]
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


# -- gathering --------------------------------------------------------------------------------

def _log_usage(ctx):
    """({database_id: {size_mb, used_mb, holdup, source}}, None) or (None, PrecheckError)."""
    server = ctx.server()
    if has_log_stats(server):
        rows, exc = read_rows(ctx, "log_stats", LOG_STATS_SQL, "log usage (sys.dm_db_log_stats)")
        if rows is None:
            return None, exc
        usage = {}
        for row in rows:
            row = lower_keys(row)
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
        row = lower_keys(row)
        by_name[str(row.get("database_name") or "").rstrip()] = row
    usage = {}
    for database in ctx.databases():
        row = by_name.get(database.get("name"))
        if row is None:
            continue
        size_kb, used_kb = num(row.get("log_size_kb")), num(row.get("log_used_kb"))
        usage[database.get("database_id")] = {
            "size_mb": size_kb / 1024.0 if size_kb is not None else None,
            "used_mb": used_kb / 1024.0 if used_kb is not None else None,
            "source": "sys.dm_os_performance_counters"}
    return usage, None


def _recovery(ctx):
    status, _problem = ctx.recovery_status()
    if status is None:
        return None, ctx.problems.get("recovery_status")
    return dict((k, lower_keys(v)) for k, v in status.items()), None


def _online(selection):
    return [d for d in selection["selected"] if _judgeable(d)[0]]


# -- the check items --------------------------------------------------------------------------

@register(
    "sqlserver.conflicting_operation", "No BACKUP or RESTORE is running on the databases", ("backup",),
    tags=("databases", "activity"),
    references=("Azure:OperationCancelledBecauseConflictingOperationRunningUserError",),
    rule="Per selected database, a request in sys.dm_exec_requests whose command starts with BACKUP or RESTORE "
         "fails, naming the session, login, program and progress; RESTORE HEADERONLY, FILELISTONLY, VERIFYONLY and "
         "LABELONLY only read a backup and are ignored. Without VIEW SERVER STATE (SQL Server 2022 and later: VIEW "
         "SERVER PERFORMANCE STATE) the DMV shows only the login's own requests, so the answer is unknown: a warning "
         "on the instance, never passed.",
    permissions="VIEW SERVER STATE, or on SQL Server 2022 and later VIEW SERVER PERFORMANCE STATE, to see the "
                "requests of other sessions (sys.dm_exec_requests and sys.dm_exec_sessions list only the login's own "
                "session otherwise): without it a warning. " + VIEW_ANY_DATABASE,
    versions=V2008 + " (sys.dm_exec_requests, sys.dm_exec_sessions).",
)
def conflicting_operation(ctx):
    server = ctx.server()
    permissions = ctx.permissions()
    login = login_of(ctx)
    selection = ctx.selection()
    rows, exc = read_rows(ctx, "requests", REQUESTS_SQL, "running requests (sys.dm_exec_requests)")
    findings = judge_conflicting_operations(selection["selected"], rows, ctx.target)
    # sys.dm_exec_requests (Transact-SQL): without the permission only the caller's session is listed;
    # SQL Server 2022 requires VIEW SERVER PERFORMANCE STATE for it, which VIEW SERVER STATE covers.
    narrower = major_version(server) >= 16
    needed = "VIEW SERVER PERFORMANCE STATE" if narrower else "VIEW SERVER STATE"
    sees_all = permissions.get("is_sysadmin") == 1 or permissions.get("view_server_state") == 1 or (
        narrower and permissions.get("view_server_performance_state") == 1)
    if rows is None or not sees_all:
        why = exc.message if rows is None else ("the login '%s' lacks %s, so sys.dm_exec_requests shows only its "
                                                "own requests" % (login, needed))
        return findings + [R.warning(ctx.target, "Whether a BACKUP or RESTORE is running on the databases of %s is "
                                                 "unknown: %s." % (ctx.target, why.rstrip(".")),
                                     "GRANT %s TO %s;" % (needed, quote_name(login)),
                                     {"permission": state_permission(server)})]
    return summary_check(ctx, "running operations", lambda sel: findings,
                         "No BACKUP or RESTORE is running on the %s selected on %s"
                         % (plural(len(selection["selected"]), "database"), ctx.target))


@register(
    "sqlserver.foreign_backups", "No other product takes log or full backups", ("log_backup", "incremental_backup"),
    tags=("databases", "history"),
    references=("Azure:UserErrorSQLLSNValidationFailure", "Azure:UserErrorFileManipulationIsNotAllowedDuringBackup"),
    rule="msdb backup history of the last foreign_backup_window_hours (default 168), joined to the databases on "
         "database_guid (so an earlier database of the same name does not count; an OFFLINE database, whose "
         "database_guid is NULL, by name): non-copy-only backups to NUL fail; non-copy-only log backups not taken by "
         "own_backup_users fail (they truncate the log, so the agent's log chain breaks); non-copy-only full and "
         "partial backups by others fail when differential backups are planned (they move the differential base), "
         "else warn. Copy-only backups and differentials are ignored. msdb writes the recovery model BULK-LOGGED "
         "with a hyphen; it is reported as BULK_LOGGED.",
    permissions="SELECT ON msdb: SELECT on msdb.dbo.backupset, backupmediafamily and backupmediaset (a user in msdb "
                "with db_datareader, or sysadmin; the fix uses sp_addrolemember before SQL Server 2012): without it "
                "an error (cause permission, error 229). sys.database_recovery_status rows need VIEW ANY DATABASE; "
                "without it an error (cause permission).",
    versions=V2008 + " (backupset.is_copy_only, database_guid, recovery_model; backupmediaset.software_name).",
    options=dict(
        foreign_backup_window_hours=dict(type="int", minimum=1, maximum=87840, default=168, description=(
            "How many hours of C(msdb) backup history C(sqlserver.foreign_backups) reads.",
        )),
        own_backup_users=dict(type="list", elements="str", default=[], description=(
            "The logins (C(msdb.dbo.backupset.user_name)) under which the backup agent being rolled out takes its "
            "backups, as names or glob patterns, case-insensitive. Their backups are not reported by "
            "C(sqlserver.foreign_backups); every other non-copy-only full or log backup is.",
            "Before the rollout no backup is the agent's own, so the default reports them all.",
        )),
    ),
)
def foreign_backups(ctx):
    login = login_of(ctx)
    window = ctx.params.get("foreign_backup_window_hours") or 168
    rows, exc = read_rows(ctx, "backup_history", HISTORY_SQL, "the backup history in msdb (msdb.dbo.backupset)",
                          [window])
    if rows is None:
        return [unreadable(ctx.target, exc, "SELECT on msdb.dbo.backupset, backupmediafamily and backupmediaset",
                           login, "USE [msdb]; CREATE USER %s FOR LOGIN %s; %s (or GRANT SELECT ON dbo.backupset TO "
                                  "%s; and the same on dbo.backupmediafamily and dbo.backupmediaset)"
                           % (quote_name(login), quote_name(login),
                              add_role_member_statement("db_datareader", login, major_version(ctx.server())),
                              quote_name(login)))]
    recovery, exc = _recovery(ctx)
    if recovery is None:
        return [unreadable(ctx.target, exc, "VIEW ANY DATABASE", login)]
    guids = dict((k, v.get("database_guid")) for k, v in recovery.items())
    return summary_check(ctx, "backups by other products", lambda sel: judge_foreign_backups(
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
    permissions="VIEW ANY DATABASE (sys.database_recovery_status and sys.databases list the other databases only "
                "with it: an error otherwise) and VIEW ANY DEFINITION (sys.master_files lists no file without it, "
                "rather than refusing: a warning naming it).",
    versions=V2008 + " (sys.database_recovery_status.last_log_backup_lsn, sys.master_files.differential_base_lsn).",
)
def full_backup_base(ctx):
    recovery, exc = _recovery(ctx)
    if recovery is None:
        return [unreadable(ctx.target, exc, "VIEW ANY DATABASE", login_of(ctx))]
    files, _exc = database_files(ctx)
    return database_check(ctx, "a full backup", lambda sel: judge_full_backup_base(
        sel["selected"], recovery, files, ctx.params.get("backup_types"), ctx.target, can_see_definitions(ctx),
        login_of(ctx)))


@register(
    "sqlserver.log_space", "The transaction log has room for the backup", ("backup", "log_backup"),
    tags=("databases", "logging"),
    references=("Azure:UserErrorBackupFailedAsTransactionLogIsFull",),
    rule="Per selected ONLINE database, log used percent: from log_space_fail_percent (default 90) fails when no log "
         "file can grow (autogrowth off, or at max_size, from sys.master_files) and warns when it can; from "
         "log_space_warn_percent (default 75) warns. log_reuse_wait_desc is reported and picks the remediation. "
         "Usage comes from sys.dm_db_log_stats (active / total log size) where it exists, else from the performance "
         "counters Log File(s) Used Size (KB) / Log File(s) Size (KB); DBCC is never run.",
    permissions="VIEW SERVER STATE for either source (error 300 without it: an error, cause permission; for the "
                "performance counters SQL Server 2022 and later need only VIEW SERVER PERFORMANCE STATE); VIEW ANY "
                "DEFINITION to see whether the log can grow (sys.master_files lists no file without it: growth "
                "unknown). " + VIEW_ANY_DATABASE,
    versions="sys.dm_db_log_stats from SQL Server 2016 SP2 (13.0.5026) and 2017; SQL Server 2008 to 2016 SP1 through "
             "sys.dm_os_performance_counters.",
    options=dict(
        log_space_warn_percent=dict(type="int", minimum=1, maximum=100, default=75, description=(
            "C(sqlserver.log_space) warns from this percentage of the transaction log in use.",
        )),
        log_space_fail_percent=dict(type="int", minimum=1, maximum=100, default=90, description=(
            "C(sqlserver.log_space) fails from this percentage of the transaction log in use when the log cannot "
            "grow (no autogrowth, or every log file at its maximum size), and warns when it can.",
        )),
    ),
)
def log_space(ctx):
    usage, exc = _log_usage(ctx)
    if usage is None:
        return [unreadable(ctx.target, exc, state_permission(ctx.server()), login_of(ctx))]
    files, _exc = database_files(ctx)
    return database_check(ctx, "log space", lambda sel: judge_log_space(
        sel["selected"], usage, files, ctx.params.get("log_space_warn_percent") or 75,
        ctx.params.get("log_space_fail_percent") or 90, ctx.target, major_version(ctx.server())))
