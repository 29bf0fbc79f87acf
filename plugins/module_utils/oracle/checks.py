# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Oracle check items (seed 002 and beyond): instance, database and PDB status, archiving,
recovery area, force logging, block change tracking, running RMAN jobs, backup privilege.

Gathering is separate from judging: every query is in gathering.QUERIES (read-only, user names
bound as parameters), gathered once per connection through the context, and each `judge_*`
function works on plain rows (lists of dicts keyed by lower-case column name).

RAC: the instance-level views are read as gv$ views, which work on a single instance too; each
instance is reported, and on RAC the instance's target is `<label>@<INSTANCE_NAME>`.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import math

from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import connection as oracle_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError, register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle.gathering import (
    gather, need_rows, release_tuple)


GIB = 1024.0 ** 3


def _instances(ctx):
    return need_rows(gather(ctx, "instances"), ctx, "instances")


def _database(ctx):
    return need_rows(gather(ctx, "database"), ctx, "database")


def _upper(value):
    return str(value).strip().upper() if value is not None else ""


def is_rac(instance_rows):
    return len(instance_rows) > 1 or any(_upper(r.get("parallel")) == "YES" for r in instance_rows)


def instance_names(instance_rows):
    return dict((r.get("inst_id"), r.get("instance_name")) for r in instance_rows)


def instance_target(label, row, rac):
    return "%s@%s" % (label, row.get("instance_name")) if rac else label


def _sql_name(name):
    return '"%s"' % str(name).replace('"', '""')


def release_of(instance_rows):
    """(major, minor) of the database from gv$instance.VERSION, None when unknown."""
    return release_tuple((instance_rows or [{}])[0].get("version"))


def srvctl(verb, noun, db_unique_name, instance=None, release=None):
    """A srvctl command for the release: -db and -instance from 12.1 (srvctl start database / start
    instance, Oracle RAC Administration and Deployment Guide 12.1); -d and -i on 11.2."""
    old = release is not None and release < (12, 1)
    text = "srvctl %s %s %s %s" % (verb, noun, "-d" if old else "-db", db_unique_name)
    if instance:
        text += " %s %s" % ("-i" if old else "-instance", instance)
    return text


def _combine(target, findings, passed_message, details):
    """One outcome from (status, text, fix) findings: the worst status, every text and fix."""
    if not findings:
        return R.passed(target, passed_message, details)
    order = {"failed": 0, "warning": 1}
    findings = sorted(findings, key=lambda f: order[f[0]])
    status = findings[0][0]
    message = " ".join(f[1] for f in findings)
    fixes = []
    for finding in findings:
        if finding[2] and finding[2] not in fixes:
            fixes.append(finding[2])
    return R.outcome(status, target, message, " ".join(fixes), details)


# ---------------------------------------------------------------------------------------------
# oracle.connection
# ---------------------------------------------------------------------------------------------

def judge_connection(label, session, info, params):
    session = session[0] if session else {}
    who = (session.get("session_user") or oracle_conn.normalize_user(params.get("login_user"))
           or "the OS-authenticated user")
    mode = (params.get("mode") or "default")
    as_mode = "" if mode == "default" else " AS %s" % mode.upper()
    where = ["instance %s" % session.get("instance_name")] if session.get("instance_name") else []
    if session.get("db_name"):
        where.append("database %s" % session["db_name"])
    if session.get("con_name"):
        where.append("container %s" % session["con_name"])
    message = "Connected to %s as %s%s (%s), Oracle Database %s, python-oracledb %s in %s mode, in %d ms." % (
        label, who, as_mode, ", ".join(where) or "session details unknown", info.get("server_version") or "?",
        info.get("driver_version") or "?", info.get("driver_mode"), info.get("connect_ms") or 0)
    details = dict(info)
    details.update(dict((k, session.get(k)) for k in ("instance_name", "db_name", "con_name", "session_user")))
    return [R.passed(label, message, details)]


def _session(ctx):
    """Who and where the session is; only descriptive, so a failure to read it is not fatal."""
    try:
        return gather(ctx, "session")
    except PrecheckError as exc:
        if exc.source == oracle_conn.CONNECTION_CHECK:
            raise
        return []


@register(
    "oracle.connection", "Listener reachable and login works within a timeout", ("all_operations",),
    tags=("connectivity",),
    references=(),
    rule="python-oracledb connects (thin mode unless oracle_client_lib_dir is set or OS authentication is used) "
         "and logs in within connect_timeout, the whole connect bounded by the module. Failures are classified on "
         "the DPY-/ORA- numbers: unreachable (DPY-6005, ORA-12541, ...), listener_refused (ORA-12514/12505, "
         "instance not open), login_failed (ORA-01017, locked, expired, missing AS SYSxxx privilege), timeout, "
         "driver_missing.",
    permissions="CREATE SESSION, or the SYSBACKUP/SYSDBA administrative privilege for mode sysbackup/sysdba "
                "(required to connect to a MOUNTED database).",
    versions="Thin mode: Oracle Database 12.1 and later. Thick mode (Oracle Client 19 or later): 11.2 and later.",
)
def connection(ctx):
    _conn, info = ctx.connection()
    return judge_connection(ctx.target, _session(ctx), info, ctx.params)


# ---------------------------------------------------------------------------------------------
# oracle.instance_status (HBR ORACLE_INSTANCE_STATUS)
# ---------------------------------------------------------------------------------------------

def judge_instances(label, instance_rows):
    rac = is_rac(instance_rows)
    release = release_of(instance_rows)
    out = []
    for row in instance_rows:
        name = row.get("instance_name")
        target = instance_target(label, row, rac)
        status = _upper(row.get("status"))
        db_status = _upper(row.get("database_status"))
        archiver = _upper(row.get("archiver"))
        logins = _upper(row.get("logins"))
        subject = "Instance %s on %s" % (name, row.get("host_name") or "?")
        findings = []
        if status == "MOUNTED":
            findings.append(("warning", "%s is MOUNTED, not OPEN: online backups through the agent and its catalog "
                             "queries need an open database." % subject,
                             ("Open it: ALTER DATABASE OPEN; (RAC: %s)."
                              % srvctl("start", "instance", "<db_unique_name>", name, release))
                             if rac else "Open it: ALTER DATABASE OPEN;"))
        elif status == "STARTED":
            findings.append(("failed", "%s is STARTED (NOMOUNT): no database is mounted, so nothing can be backed "
                             "up or restored." % subject,
                             "Mount and open it: ALTER DATABASE MOUNT; ALTER DATABASE OPEN; (if MOUNT fails, the "
                             "alert log names the missing or damaged control file)."))
        elif status == "OPEN MIGRATE":
            findings.append(("warning", "%s is open in UPGRADE/DOWNGRADE mode (OPEN MIGRATE)." % subject,
                             "Finish the upgrade (dbupgrade), then SHUTDOWN IMMEDIATE; STARTUP;"))
        elif status != "OPEN":
            findings.append(("warning", "%s has an unknown status %r." % (subject, row.get("status")), ""))
        if db_status and db_status != "ACTIVE":
            if db_status == "SUSPENDED":
                fix = "Resume I/O: ALTER SYSTEM RESUME; (after the storage snapshot or split mirror that suspended it)."
            else:
                fix = "Wait for %s to finish (alert log), then run the precheck again." % db_status.lower()
            findings.append(("warning", "%s: database status is %s, not ACTIVE." % (subject, db_status), fix))
        if archiver == "FAILED":
            findings.append(("failed", "%s: the archiver FAILED to archive an online redo log: archived-log backups "
                             "miss logs, and the database stops when the online logs fill." % subject,
                             "Find the failing destination: SELECT dest_name, status, error FROM v$archive_dest "
                             "WHERE status <> 'INACTIVE'; free space or fix it (see oracle.recovery_area), then "
                             "ALTER SYSTEM ARCHIVE LOG CURRENT;"))
        if logins == "RESTRICTED":
            findings.append(("warning", "%s is in restricted mode: only users with RESTRICTED SESSION may log in."
                             % subject, "ALTER SYSTEM DISABLE RESTRICTED SESSION;"))
        keys = ("inst_id", "instance_name", "host_name", "version", "status", "database_status", "archiver", "logins")
        details = dict((k, row.get(k)) for k in keys)
        details["rac"] = rac
        out.append(_combine(target, findings, "%s is %s, database %s, archiver %s (version %s)." % (
            subject, status, db_status or "?", archiver or "?", row.get("version") or "?"), details))
    return out


@register(
    "oracle.instance_status", "Instance open and healthy", ("backup", "restore"),
    tags=("status",),
    references=("HBR:ORACLE_INSTANCE_STATUS",),
    rule="Per instance (gv$instance): STATUS OPEN passes, MOUNTED and OPEN MIGRATE warn, STARTED (NOMOUNT) fails; "
         "DATABASE_STATUS other than ACTIVE (SUSPENDED, INSTANCE RECOVERY) warns; ARCHIVER FAILED fails; LOGINS "
         "RESTRICTED warns.",
    permissions="SELECT on GV$INSTANCE (SELECT_CATALOG_ROLE, SELECT ANY DICTIONARY, or SYSBACKUP/SYSDBA).",
    versions="Oracle Database 11.2 and later; RAC reports every instance.",
)
def instance_status(ctx):
    return judge_instances(ctx.target, _instances(ctx))


# ---------------------------------------------------------------------------------------------
# oracle.database_status (HBR ORACLE_DB_STATUS), PDBs included
# ---------------------------------------------------------------------------------------------

def _per_instance(rows, names):
    return ", ".join("%s on %s" % (r.get("open_mode"), names.get(r.get("inst_id"), r.get("inst_id"))) for r in rows)


def judge_database(label, database_rows, instance_rows, pdb_rows):
    names = instance_names(instance_rows)
    rac = is_rac(instance_rows)
    first = database_rows[0]
    db = first.get("name")
    role = _upper(first.get("database_role"))
    cdb = _upper(first.get("cdb")) == "YES"
    subject = "Database %s%s" % (db, " (CDB)" if cdb else "")
    modes = sorted(set(_upper(r.get("open_mode")) for r in database_rows))
    where = (" (%s)" % _per_instance(database_rows, names)) if rac and len(modes) > 1 else ""
    findings = []
    release = release_of(instance_rows)
    for mode in modes:
        on = [names.get(r.get("inst_id"), r.get("inst_id")) for r in database_rows if _upper(r.get("open_mode")) == mode]
        on_text = (" on instance %s" % ", ".join(str(n) for n in on)) if rac else ""
        if mode == "MOUNTED":
            findings.append(("warning", "%s is MOUNTED, not open%s: online backups through the agent need it open."
                             % (subject, on_text), "ALTER DATABASE OPEN;" if not rac else
                             "ALTER DATABASE OPEN; on each mounted instance (or %s)."
                             % srvctl("start", "database", first.get("db_unique_name") or db, release=release)))
        elif mode.startswith("READ ONLY") and role == "PRIMARY":
            findings.append(("warning", "%s is open %s%s: backups work, but nothing can change until it is opened "
                             "READ WRITE." % (subject, mode, on_text),
                             "If unintended: SHUTDOWN IMMEDIATE; STARTUP; (opens READ WRITE)."))
        elif mode not in ("READ WRITE",) and not mode.startswith("READ ONLY"):
            findings.append(("warning", "%s has an unknown open mode %r%s." % (subject, mode, on_text), ""))
    # V$DATABASE.OPEN_MODE has no upgrade value: an instance opened for upgrade shows OPEN MIGRATE in
    # V$INSTANCE.STATUS (V$INSTANCE, V$DATABASE in the Oracle Database Reference).
    upgrading = [str(r.get("instance_name")) for r in instance_rows if _upper(r.get("status")) == "OPEN MIGRATE"]
    if upgrading:
        findings.append(("warning", "%s is open in upgrade or downgrade mode (V$INSTANCE.STATUS OPEN MIGRATE%s): "
                         "backups of a database in the middle of an upgrade are not a consistent starting point."
                         % (subject, " on instance %s" % ", ".join(upgrading) if rac else ""),
                         "Finish the upgrade (dbupgrade, or the DBUA run), then restart the database normally and "
                         "take a full backup."))
    if role == "FAR SYNC":
        findings.append(("failed", "%s is a FAR SYNC instance: it holds no datafiles, there is nothing to back up."
                         % subject, "Back up the primary or a standby database instead."))
    elif role and role != "PRIMARY":
        findings.append(("warning", "%s is a %s: back it up only with an agent configured for standby backups "
                         "(archived-log deletion policy APPLIED ON ALL STANDBY, control file autobackup), or back up "
                         "the primary." % (subject, role), "Confirm that backups are planned on this %s; otherwise "
                         "register the primary database." % role.lower()))
    details = {"name": db, "db_unique_name": first.get("db_unique_name"), "database_role": first.get("database_role"),
               "open_mode": first.get("open_mode") if len(modes) == 1 else dict(
                   (str(names.get(r.get("inst_id"), r.get("inst_id"))), r.get("open_mode")) for r in database_rows),
               "cdb": cdb}
    pdbs = [r for r in pdb_rows or [] if _upper(r.get("name")) != "PDB$SEED"]
    if cdb:
        details["pdbs"] = sorted(set(r.get("name") for r in pdbs)) if pdb_rows is not None else None
    count = ""
    if cdb:
        count = ", PDBs not visible" if pdb_rows is None else ", %d PDB(s)" % len(details["pdbs"])
    out = [_combine(label, findings, "%s is %s, role %s%s%s." % (
        subject, "/".join(modes), role or "?", where, count), details)]
    by_pdb = {}
    for row in pdbs:
        by_pdb.setdefault(row.get("name"), []).append(row)
    for name in sorted(by_pdb, key=lambda n: min(r.get("con_id") or 0 for r in by_pdb[n])):
        out.append(judge_pdb(label, name, by_pdb[name], names, rac))
    return out


def judge_pdb(label, name, rows, names, rac):
    target = "%s/%s" % (label, name)
    findings = []
    quoted = _sql_name(name)

    def on(selected):
        return (" on instance %s" % ", ".join(str(names.get(r.get("inst_id"), r.get("inst_id"))) for r in selected)) \
            if rac else ""

    mounted = [r for r in rows if _upper(r.get("open_mode")) == "MOUNTED"]
    restricted = [r for r in rows if _upper(r.get("restricted")) == "YES"]
    migrate = [r for r in rows if _upper(r.get("open_mode")) == "MIGRATE"]
    if mounted:
        findings.append(("warning", "PDB %s is MOUNTED (closed)%s: its data cannot be read by online backups and "
                         "its applications are down." % (name, on(mounted)),
                         "ALTER PLUGGABLE DATABASE %s OPEN%s; then ALTER PLUGGABLE DATABASE %s SAVE STATE; so that "
                         "it opens again after a restart." % (quoted, " INSTANCES=ALL" if rac else "", quoted)))
    if migrate:
        findings.append(("warning", "PDB %s is open for upgrade (MIGRATE)%s." % (name, on(migrate)),
                         "Finish the upgrade of the PDB, then ALTER PLUGGABLE DATABASE %s CLOSE IMMEDIATE; "
                         "ALTER PLUGGABLE DATABASE %s OPEN;" % (quoted, quoted)))
    if restricted:
        findings.append(("warning", "PDB %s is open RESTRICTED%s: usually plug-in violations; only users with "
                         "RESTRICTED SESSION can connect." % (name, on(restricted)),
                         "Resolve SELECT name, cause, message FROM pdb_plug_in_violations WHERE status <> "
                         "'RESOLVED'; then ALTER PLUGGABLE DATABASE %s CLOSE IMMEDIATE; ALTER PLUGGABLE DATABASE %s "
                         "OPEN;" % (quoted, quoted)))
    modes = sorted(set(_upper(r.get("open_mode")) for r in rows))
    details = {"pdb": name, "con_id": rows[0].get("con_id"),
               "open_mode": rows[0].get("open_mode") if len(modes) == 1 else dict(
                   (str(names.get(r.get("inst_id"), r.get("inst_id"))), r.get("open_mode")) for r in rows),
               "restricted": bool(restricted)}
    return _combine(target, findings, "PDB %s is %s%s." % (
        name, "/".join(modes), (" (%s)" % _per_instance(rows, names)) if rac and len(modes) > 1 else ""), details)


@register(
    "oracle.database_status", "Database and every PDB open", ("backup",),
    tags=("status",),
    references=("HBR:ORACLE_DB_STATUS",),
    rule="gv$database OPEN_MODE READ WRITE passes; MOUNTED and READ ONLY on a primary warn; an instance open in "
         "upgrade mode (gv$instance STATUS OPEN MIGRATE) warns; a standby role warns, FAR SYNC fails. In a CDB every "
         "PDB of gv$pdbs but PDB$SEED is reported as <target>/<PDB>: MOUNTED warns, RESTRICTED warns, MIGRATE warns; "
         "a CDB in which gv$pdbs shows no row at all (not even PDB$SEED) is an error (cause permission).",
    permissions="SELECT on GV$DATABASE, GV$INSTANCE and (CDB) GV$PDBS (SELECT_CATALOG_ROLE; ORA-00942 without it: an "
                "error). GV$PDBS is a container data object: a common user in the root without CONTAINER_DATA for the "
                "PDBs sees none of their rows, which is an error (cause permission), never 0 PDBs.",
    versions="Oracle Database 11.2 and later (PDBs from 12.1).",
)
def database_status(ctx):
    instances = _instances(ctx)
    database = _database(ctx)
    if _upper(database[0].get("cdb")) != "YES":
        return judge_database(ctx.target, database, instances, [])
    pdbs = gather(ctx, "pdbs")
    if pdbs:
        return judge_database(ctx.target, database, instances, pdbs)
    # A CDB always has PDB$SEED: no row at all means the rows are hidden (CONTAINER_DATA), not absent.
    try:
        need_rows(pdbs, ctx, "pdbs")
        hidden = []
    except PrecheckError as exc:
        hidden = [R.error(ctx.target, exc.message, exc.cause, exc.remediation, exc.details)]
    return judge_database(ctx.target, database, instances, None) + hidden


# ---------------------------------------------------------------------------------------------
# oracle.archive_mode (HBR ARCHIVELOG)
# ---------------------------------------------------------------------------------------------

def judge_archive_mode(label, database_rows, instance_rows):
    first = database_rows[0]
    db = first.get("name")
    log_mode = _upper(first.get("log_mode"))
    rac = is_rac(instance_rows)
    details = {"name": db, "log_mode": first.get("log_mode")}
    if log_mode == "ARCHIVELOG":
        return [R.passed(label, "Database %s is in ARCHIVELOG mode: online backups and archived-log backups are "
                         "possible." % db, details)]
    if log_mode == "NOARCHIVELOG":
        if rac:
            unique = first.get("db_unique_name") or db
            release = release_of(instance_rows)
            steps = ("%s; then on one node in SQL*Plus AS SYSDBA: STARTUP MOUNT; ALTER DATABASE ARCHIVELOG; SHUTDOWN "
                     "IMMEDIATE; then %s;" % (srvctl("stop", "database", unique, release=release),
                                              srvctl("start", "database", unique, release=release)))
        else:
            steps = "As SYSDBA: SHUTDOWN IMMEDIATE; STARTUP MOUNT; ALTER DATABASE ARCHIVELOG; ALTER DATABASE OPEN;"
        return [R.failed(label, "Database %s is in NOARCHIVELOG mode: RMAN cannot back it up while it is open "
                         "(RMAN-06149), and there are no archived logs for log backups or point-in-time restore."
                         % db,
                         "Downtime required: the database is closed from the shutdown until it is opened again "
                         "(usually minutes). First set an archive destination with enough space "
                         "(db_recovery_file_dest and db_recovery_file_dest_size, or log_archive_dest_1). %s Then "
                         "take a full backup." % steps, details)]
    if log_mode == "MANUAL":
        return [R.warning(label, "Database %s archives only manually (LOG_MODE MANUAL, deprecated): online redo "
                          "logs fill up and the database hangs unless someone archives them." % db,
                          "As SYSDBA with downtime: SHUTDOWN IMMEDIATE; STARTUP MOUNT; ALTER DATABASE ARCHIVELOG; "
                          "ALTER DATABASE OPEN;", details)]
    return [R.warning(label, "Database %s reports an unknown LOG_MODE %r." % (db, first.get("log_mode")), "", details)]


@register(
    "oracle.archive_mode", "Database in ARCHIVELOG mode", ("backup", "log_backup"),
    tags=("logging",),
    references=("HBR:ARCHIVELOG",),
    rule="gv$database LOG_MODE ARCHIVELOG passes; NOARCHIVELOG fails (no online backup, RMAN-06149; no log "
         "backups); MANUAL warns.",
    permissions="SELECT on GV$DATABASE and GV$INSTANCE.",
    versions="Oracle Database 11.2 and later.",
)
def archive_mode(ctx):
    return judge_archive_mode(ctx.target, _database(ctx), _instances(ctx))


# ---------------------------------------------------------------------------------------------
# oracle.recovery_area
# ---------------------------------------------------------------------------------------------

def _gib(value):
    return "%.1f GiB" % ((value or 0) / GIB)


def judge_recovery_area(label, rows, warn_percent, fail_percent):
    configured = [r for r in rows if r.get("name") and (r.get("space_limit") or 0) > 0]
    if not configured:
        return [R.skipped(label, "No fast recovery area is configured (db_recovery_file_dest is empty): archived "
                          "logs go to log_archive_dest_n, whose file-system space this item does not measure.")]
    row = configured[0]
    limit = float(row["space_limit"])
    used = float(row.get("space_used") or 0)
    reclaimable = float(row.get("space_reclaimable") or 0)
    net = max(0.0, used - reclaimable)
    percent = round(net / limit * 100.0, 1)
    details = {"name": row.get("name"), "space_limit": row.get("space_limit"), "space_used": row.get("space_used"),
               "space_reclaimable": row.get("space_reclaimable"), "number_of_files": row.get("number_of_files"),
               "used_percent": percent, "warn_percent": warn_percent, "fail_percent": fail_percent}
    text = "Recovery area %s of %s is %.1f%% full (%s used, %s of it reclaimable, limit %s)" % (
        row.get("name"), label, percent, _gib(used), _gib(reclaimable), _gib(limit))
    if percent < warn_percent:
        return [R.passed(label, text + ".", details)]
    target_gib = int(math.ceil(net / (warn_percent / 100.0) * 1.1 / GIB))
    fix = ("Grow it (room in the file system or ASM disk group first): ALTER SYSTEM SET db_recovery_file_dest_size "
           "= %dG SCOPE=BOTH SID='*'; or free space with RMAN once the files are backed up elsewhere: DELETE "
           "ARCHIVELOG ALL BACKED UP 1 TIMES TO DEVICE TYPE SBT; DELETE OBSOLETE; (and check the "
           "flashback retention)." % target_gib)
    consequence = (": when it is full, archiving stops and the database hangs (ORA-00257, ORA-19809), and log "
                   "backups fail.")
    if percent >= fail_percent:
        return [R.failed(label, text + consequence, fix, details)]
    return [R.warning(label, text + ", above the %g%% warning threshold" % warn_percent + consequence, fix, details)]


@register(
    "oracle.recovery_area", "Fast recovery area has room", ("log_backup",),
    tags=("space", "logging"),
    references=(),
    rule="v$recovery_file_dest: (SPACE_USED - SPACE_RECLAIMABLE) / SPACE_LIMIT at or above "
         "recovery_area_warn_percent (70) warns, at or above recovery_area_fail_percent (90) fails. Skipped when "
         "no recovery area is configured.",
    permissions="SELECT on V$RECOVERY_FILE_DEST.",
    versions="Oracle Database 11.2 and later.",
    options=dict(
        recovery_area_warn_percent=dict(type="float", exclusive_minimum=0, maximum=100, default=70.0, description=(
            "C(oracle.recovery_area) warns when the used, not reclaimable part of the fast recovery area reaches "
            "this percentage of its limit.",
        )),
        recovery_area_fail_percent=dict(type="float", exclusive_minimum=0, maximum=100, default=90.0, description=(
            "C(oracle.recovery_area) fails at this percentage. Must be above O(recovery_area_warn_percent).",
        )),
    ),
)
def recovery_area(ctx):
    return judge_recovery_area(ctx.target, gather(ctx, "recovery_area"), ctx.params["recovery_area_warn_percent"],
                               ctx.params["recovery_area_fail_percent"])


# ---------------------------------------------------------------------------------------------
# oracle.force_logging
# ---------------------------------------------------------------------------------------------

def judge_force_logging(label, database_rows, datafile_rows, backup_rows=()):
    """`datafile_rows`: v$datafile rows with UNRECOVERABLE_CHANGE# > 0; `backup_rows`: the newest
    backup of each datafile (v$backup_datafile: file#, last_backup_change, last_backup_time).
    UNRECOVERABLE_CHANGE# is the last unrecoverable change ever made to a file and is never reset,
    so a file is unrecoverable only while no backup was taken after it (RMAN REPORT UNRECOVERABLE)."""
    first = database_rows[0]
    db = first.get("name")
    force = _upper(first.get("force_logging"))
    backups = dict((r.get("file#"), r) for r in backup_rows or [])

    def backed_up_since(row):
        backup = backups.get(row.get("file#"))
        return bool(backup) and (backup.get("last_backup_change") or 0) >= (row.get("unrecoverable_change#") or 0)
    changed = [r for r in datafile_rows if (r.get("unrecoverable_change#") or 0) > 0]
    files = [r for r in changed if not backed_up_since(r)]
    latest = max((str(r.get("unrecoverable_time")) for r in files if r.get("unrecoverable_time")), default=None)
    details = {"name": db, "force_logging": first.get("force_logging"), "log_mode": first.get("log_mode"),
               "unrecoverable_files": len(files), "backed_up_since": len(changed) - len(files),
               "last_unrecoverable_time": latest,
               "files": [dict(file=r.get("file#"), name=r.get("name"), time=r.get("unrecoverable_time"),
                              last_backup_time=(backups.get(r.get("file#")) or {}).get("last_backup_time"))
                         for r in files[:20]]}
    if force == "YES":
        return [R.passed(label, "Database %s is in FORCE LOGGING mode: every change is in the redo stream." % db,
                         details)]
    if not files:
        since = (" (%d datafile(s) had NOLOGGING changes, each backed up since)" % len(changed)) if changed else ""
        return [R.passed(label, "Database %s is not in FORCE LOGGING mode (%s), but no datafile has an unrecoverable "
                         "(NOLOGGING) change newer than its latest backup%s%s." % (
                             db, first.get("force_logging"), since,
                             "" if _upper(first.get("log_mode")) == "ARCHIVELOG" else
                             " (in NOARCHIVELOG mode they are not recorded)"), details)]
    numbers = ",".join(str(r.get("file#")) for r in files)
    shown = ", ".join("%s (%s)" % (r.get("name"), r.get("file#")) for r in files[:5])
    more = " and %d more" % (len(files) - 5) if len(files) > 5 else ""
    return [R.warning(label, "Database %s is not in FORCE LOGGING mode and %d datafile(s) had NOLOGGING changes "
                      "after their latest backup, the last at %s: %s%s. Those blocks cannot be recovered from redo; "
                      "a restore leaves them marked corrupt until the files are backed up again."
                      % (db, len(files), latest or "?", shown, more),
                      "ALTER DATABASE FORCE LOGGING; (online, no downtime), then back up the affected datafiles "
                      "again: RMAN> BACKUP INCREMENTAL LEVEL 0 DATAFILE %s; (RMAN> REPORT UNRECOVERABLE; lists "
                      "them)." % numbers, details)]


@register(
    "oracle.force_logging", "No unrecoverable NOLOGGING changes without force logging", ("restore",),
    tags=("logging",),
    references=(),
    rule="gv$database FORCE_LOGGING YES passes; otherwise datafiles of v$datafile whose UNRECOVERABLE_CHANGE# (the "
         "last NOLOGGING change, never reset) is newer than their latest backup in v$backup_datafile warn (those "
         "changes cannot be recovered from redo), as RMAN REPORT UNRECOVERABLE judges; none passes.",
    permissions="SELECT on GV$DATABASE, V$DATAFILE and V$BACKUP_DATAFILE (SELECT_CATALOG_ROLE; ORA-00942 without "
                "it: an error).",
    versions="Oracle Database 11.2 and later (the datafile columns are maintained in ARCHIVELOG mode only).",
)
def force_logging(ctx):
    database = _database(ctx)
    if _upper(database[0].get("force_logging")) == "YES":
        return judge_force_logging(ctx.target, database, [])
    files = gather(ctx, "unrecoverable_datafiles")
    return judge_force_logging(ctx.target, database, files, gather(ctx, "datafile_backups") if files else [])


# ---------------------------------------------------------------------------------------------
# oracle.block_change_tracking
# ---------------------------------------------------------------------------------------------

def edition_of(banner_rows):
    """`enterprise`, `standard`, `express`, `personal`, or None from v$version banners."""
    text = " ".join(str(r.get("banner") or "") for r in banner_rows or []).lower()
    for key, edition in (("enterprise edition", "enterprise"), ("personal", "personal"), ("express", "express"),
                         ("standard edition", "standard"), ("free", "express")):
        if key in text:
            return edition
    return None


def judge_block_change_tracking(label, rows, banner_rows):
    row = rows[0] if rows else {"status": "DISABLED"}
    status = _upper(row.get("status"))
    edition = edition_of(banner_rows)
    details = {"status": row.get("status"), "filename": row.get("filename"), "bytes": row.get("bytes"),
               "edition": edition}
    if status == "ENABLED":
        return [R.passed(label, "Block change tracking is ENABLED on %s (%s): incremental backups read only "
                         "changed blocks." % (label, row.get("filename")), details)]
    if edition in ("standard", "express"):
        return [R.skipped(label, "Block change tracking is %s on %s, and this %s Edition cannot enable it (an "
                          "Enterprise Edition feature): incremental backups read every block."
                          % (status, label, edition.capitalize()), details)]
    return [R.warning(label, "Block change tracking is %s on %s: every incremental backup reads all datafiles, so "
                      "incremental backups take about as long as full ones." % (status, label),
                      "Online, no downtime (Enterprise Edition): ALTER DATABASE ENABLE BLOCK CHANGE TRACKING; (the "
                      "file goes to db_create_file_dest) or ALTER DATABASE ENABLE BLOCK CHANGE TRACKING USING FILE "
                      "'<path>/bct.chg'; the first level 0 backup after it starts the tracking.", details)]


@register(
    "oracle.block_change_tracking", "Block change tracking enabled for fast incrementals", ("incremental_backup",),
    tags=("performance",),
    references=(),
    rule="v$block_change_tracking STATUS ENABLED passes; DISABLED (or TRANSITION) warns; skipped on Standard and "
         "Express Edition, which cannot enable it (edition from v$version).",
    permissions="SELECT on V$BLOCK_CHANGE_TRACKING and V$VERSION.",
    versions="Oracle Database 11.2 and later.",
)
def block_change_tracking(ctx):
    try:
        banners = gather(ctx, "version")
    except PrecheckError as exc:
        if exc.source == oracle_conn.CONNECTION_CHECK:
            raise
        banners = []            # the edition is only a refinement
    return judge_block_change_tracking(ctx.target, gather(ctx, "block_change_tracking"), banners)


# ---------------------------------------------------------------------------------------------
# oracle.rman_running
# ---------------------------------------------------------------------------------------------

def judge_rman(label, rman_rows, session_rows, instance_rows):
    names = instance_names(instance_rows)
    live = dict(((s.get("inst_id"), s.get("sid")), s) for s in session_rows)
    seen, active, idle, stale = set(), [], [], []
    for row in rman_rows:
        key = (row.get("recid"), row.get("stamp"), _upper(row.get("row_type")))
        alive = (row.get("inst_id"), row.get("sid")) in live
        if key in seen and not alive:
            continue
        seen.add(key)
        if not alive:
            stale.append(row)
        elif _upper(row.get("row_type")) == "SESSION":
            idle.append(row)
        else:
            active.append(row)
    details = {"running": [dict((k, r.get(k)) for k in ("inst_id", "sid", "operation", "status", "object_type",
                                                        "start_time", "mbytes_processed")) for r in active],
               "idle_rman_sessions": len(idle), "stale_running_records": len(stale)}
    if active:
        top = [r for r in active if (r.get("row_level") or 0) <= 1] or active
        jobs = "; ".join("%s%s since %s in session %s on instance %s" % (
            r.get("operation"), (" (%s)" % r.get("object_type")) if r.get("object_type") else "", r.get("start_time"),
            r.get("sid"), names.get(r.get("inst_id"), r.get("inst_id"))) for r in top[:3])
        return [R.failed(label, "An RMAN job is running on %s: %s. A backup started now competes with it for the "
                         "same files, channels and archived logs, and another product may be managing this "
                         "database's backups." % (label, jobs),
                         "Let it finish (watch SELECT operation, status, mbytes_processed FROM v$rman_status WHERE "
                         "status LIKE 'RUNNING%'), or find its owner (v$session SID above, PROGRAM rman) and pause "
                         "that schedule; two products must not both delete archived logs.", details)]
    notes = []
    if idle:
        notes.append("%d RMAN client session(s) connected but running no command" % len(idle))
    if stale:
        notes.append("%d stale RUNNING record(s) without a live RMAN session (a client that died)" % len(stale))
    return [R.passed(label, "No RMAN job is running on %s%s." % (label, (" (" + "; ".join(notes) + ")") if notes else ""),
                     details)]


@register(
    "oracle.rman_running", "No RMAN job running", ("backup",),
    tags=("conflict",),
    references=(),
    rule="gv$rman_status rows with STATUS RUNNING% whose session (INST_ID, SID) is a live RMAN session in "
         "gv$session fail; RUNNING records without a live session are stale and pass; an RMAN client that runs no "
         "command passes.",
    permissions="SELECT on GV$RMAN_STATUS, GV$SESSION and GV$INSTANCE (SELECT_CATALOG_ROLE; ORA-00942 without it: an error).",
    versions="Oracle Database 11.2 and later.",
)
def rman_running(ctx):
    return judge_rman(ctx.target, gather(ctx, "rman_running"), gather(ctx, "rman_sessions"), _instances(ctx))


# ---------------------------------------------------------------------------------------------
# oracle.backup_privilege
# ---------------------------------------------------------------------------------------------

def _account(row):
    """How a password-file row's account can log in: `open`, `grace` (EXPIRED (GRACE): still can),
    or `closed` (LOCKED, EXPIRED ...). ACCOUNT_STATUS exists from 12.2; before, it is unknown (NULL)
    and taken as open."""
    status = _upper(row.get("account_status"))
    if not status or status == "OPEN":
        return "open"
    if "GRACE" in status and "LOCKED" not in status:
        return "grace"
    return "closed"


def judge_backup_privilege(label, params, session_rows, pwfile_rows, release=None):
    """`pwfile_rows`: every v$pwfile_users row of the user, one per container it was granted in
    (CON_ID, 12.1); each is judged, with its ACCOUNT_STATUS (12.2). `release`: the database's
    (major, minor), for the GRANT to print (SYSBACKUP exists from 12.1)."""
    mode = params.get("mode") or "default"
    session = session_rows[0] if session_rows else {}
    user = oracle_conn.normalize_user(params.get("login_user"))
    if mode in ("sysbackup", "sysdba"):
        return [R.passed(label, "The login connected AS %s (session user %s): it can run RMAN backups and restores "
                         "of %s." % (mode.upper(), session.get("session_user") or user or "?", label),
                         {"mode": mode, "session_user": session.get("session_user")})]
    user = user or session.get("session_user")
    rows = list(pwfile_rows or [])
    details = {"mode": mode, "user": user, "in_password_file": bool(rows),
               "rows": [dict((k, r.get(k)) for k in ("con_id", "sysdba", "sysbackup", "account_status")) for r in rows]}
    quoted = oracle_conn.quote_user(params.get("login_user") or ('"%s"' % user if user else None))
    privileged = [(privilege, r) for privilege in ("SYSBACKUP", "SYSDBA") for r in rows
                  if _upper(r.get(privilege.lower())) == "TRUE"]
    for privilege, row in privileged:
        state = _account(row)
        if state == "closed":
            continue
        details.update(sysbackup=row.get("sysbackup"), sysdba=row.get("sysdba"), con_id=row.get("con_id"))
        least = "" if privilege == "SYSBACKUP" else " (SYSBACKUP would be the least privilege)"
        text = "%s holds %s in the password file of %s%s: the backup agent can connect AS %s." % (
            user, privilege, label, least, privilege)
        if state == "grace":
            return [R.warning(label, text[:-1] + ", but its password has expired (%s): logins fail once the grace "
                              "period ends." % row.get("account_status"),
                              "Set a new password: ALTER USER %s IDENTIFIED BY <password>; and configure it in the "
                              "backup agent." % quoted, details)]
        return [R.passed(label, text, details)]
    if privileged:
        statuses = ", ".join(sorted(set(str(r.get("account_status")) for _p, r in privileged)))
        return [R.failed(label, "%s holds %s in the password file of %s, but the account is %s: RMAN logins AS "
                         "SYSBACKUP or AS SYSDBA fail until it is opened." % (
                             user, " and ".join(sorted(set(p for p, _r in privileged))), label, statuses),
                         "As SYS: ALTER USER %s ACCOUNT UNLOCK; (and for an expired password ALTER USER %s "
                         "IDENTIFIED BY <password>;)" % (quoted, quoted), details)]
    if release is not None and release < (12, 1):
        grant = ("As SYS: GRANT SYSDBA TO %s; (SYSBACKUP exists from 12c). It needs a password file (orapwd) and "
                 "REMOTE_LOGIN_PASSWORDFILE=EXCLUSIVE; then run the precheck with mode sysdba." % quoted)
    else:
        grant = ("As SYS: GRANT SYSBACKUP TO %s; (for a common user in a CDB add CONTAINER=ALL). It needs a password "
                 "file (orapwd) and REMOTE_LOGIN_PASSWORDFILE=EXCLUSIVE; then run the precheck with mode sysbackup."
                 % quoted)
    return [R.failed(label, "%s holds neither SYSBACKUP nor SYSDBA in the password file of %s: RMAN backups and "
                     "restores must connect AS SYSBACKUP or AS SYSDBA, so this login cannot run them."
                     % (user, label), grant, details)]


@register(
    "oracle.backup_privilege", "Login holds SYSBACKUP or SYSDBA", ("backup",),
    tags=("permissions",),
    references=(),
    rule="A login made AS SYSBACKUP or AS SYSDBA passes. Otherwise every v$pwfile_users row of login_user (bound as "
         "a parameter; one per container, CON_ID): SYSBACKUP or SYSDBA TRUE on an OPEN account passes, on an "
         "EXPIRED (GRACE) one warns, only on LOCKED or EXPIRED accounts (ACCOUNT_STATUS, 12.2) fails; neither "
         "privilege (or not in the password file) fails.",
    permissions="For mode default: SELECT on V$PWFILE_USERS (SELECT_CATALOG_ROLE; ORA-00942 without it: an error); "
                "none beyond the login for mode sysbackup/sysdba.",
    versions="Oracle Database 12.1 and later for SYSBACKUP (on 11.2 only SYSDBA, and GRANT SYSDBA is printed); "
             "ACCOUNT_STATUS from 12.2.",
)
def backup_privilege(ctx):
    session = _session(ctx)
    mode = ctx.params.get("mode") or "default"
    pwfile = []
    if mode == "default":
        user = oracle_conn.normalize_user(ctx.params.get("login_user")) or (session[0].get("session_user")
                                                                            if session else None)
        if not user:
            raise PrecheckError("internal", "The user name of the OS-authenticated session on %s is unknown, so its "
                                "password-file privileges cannot be looked up." % ctx.target,
                                "Run the precheck with mode sysbackup or sysdba, or with login_user.")
        pwfile = gather(ctx, "pwfile_user", {"username": user})
    return judge_backup_privilege(ctx.target, ctx.params, session, pwfile, release_tuple(ctx.server_version()))
