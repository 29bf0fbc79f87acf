# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SQL Server check items: connection, recovery model and database state (seeds 000, 001, 004).

The items answering Azure Backup's error codes are in access.py, backup_chain.py, ha.py and
restore.py (what they share in common.py); engine.py puts them all together into the ENGINE. The
data sets come from the context in gathering.py; the judge_* functions take plain rows and are
unit-tested without a server.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver.common import (
    BACKUP_TYPES, database_names, selection_results, visibility_result)
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver.connection import quote_name

OLDEST_SUPPORTED_MAJOR = 10

STATES = ("ONLINE", "RESTORING", "RECOVERING", "RECOVERY_PENDING", "SUSPECT", "EMERGENCY", "OFFLINE", "COPYING",
          "OFFLINE_SECONDARY")


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
        name, quoted, target = database_names(database, label)
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


def _group(hadr):
    """How an availability group is named: sys.availability_groups hides its name from a login
    without VIEW ANY DEFINITION, while the replica's role is still known."""
    name = hadr.get("ag_name")
    return "availability group %s" % quote_name(name) if name else \
        "an availability group (its name needs VIEW ANY DEFINITION)"


def judge_database_state(databases, label, roles=None, role_notes=None, all_databases=None):
    """One result per selected database. `roles`: {database_id: {'mirroring': row, 'hadr': row}};
    `role_notes`: why a role could not be looked up (shown in the details of non-online databases)."""
    roles = roles or {}
    by_id = dict((d.get("database_id"), d) for d in (all_databases or databases))
    results = []
    for database in databases:
        name, quoted, target = database_names(database, label)
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
                    where = " (%s replica of %s)" % (hadr["role_desc"], _group(hadr))
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
                target, "Database %s on %s is %s as a %s replica of %s (synchronization %s): it cannot be backed up "
                        "here." % (quoted, label, state, hadr.get("role_desc") or "secondary", _group(hadr),
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
    versions="SQL Server 2008 and later (SERVERPROPERTY ProductVersion, Edition, EngineEdition, Collation; "
             "IsHadrEnabled from 2012, NULL before).",
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
                 "availability group roles need VIEW SERVER STATE, and the group's name VIEW ANY DEFINITION "
                 "(sys.availability_groups hides its rows without it). Without them, the state is still judged."),
    versions="SQL Server 2008 and later (sys.databases state_desc, is_in_standby, is_read_only; "
             "sys.database_mirroring); availability groups from SQL Server 2012 (sys.dm_hadr_database_replica_states).",
)
def database_state(ctx):
    def judge(selection):
        roles, notes = _roles(ctx, selection["selected"])
        return judge_database_state(selection["selected"], ctx.target, roles, "; ".join(notes) or None,
                                    ctx.databases())
    return _database_check(ctx, "its state", judge, report_unmatched=True)
