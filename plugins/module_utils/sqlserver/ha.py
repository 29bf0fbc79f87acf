# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SQL Server check items on high availability (seed 004): no database takes part in database
mirroring, and the backup preference of each availability group can be met. The options, their
validation and the shared helpers are in common.py.

The judge_* functions take plain rows and are unit-tested without a server. Every statement is a
SELECT.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError, register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver.common import (
    BACKUP_TYPES, names_text, V2008, rows_by_id, as_int, login_of, lower_keys, major_version, summary_check, read_rows, sql_string, state_permission,
    unreadable)
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver.connection import quote_name

# -- statements -------------------------------------------------------------------------------
# Column aliases are lower case: rows come back as dicts keyed by them. Aliases of sys.databases are
# not `d`, so that they never look like the database list statement of gathering.py.

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


# -- small helpers ----------------------------------------------------------------------------


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
    eligible = [r for r in replicas if (as_int(r.get("backup_priority")) or 0) > 0]
    eligible.sort(key=lambda r: -(as_int(r.get("backup_priority")) or 0))
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
        row = lower_keys(row)
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
        local = next((r for r in rows if as_int(r.get("is_local")) == 1), {})
        state = (states or {}).get(database.get("database_id")) or {}
        preference = str((rows[0] if rows else {}).get("automated_backup_preference_desc") or "").upper() or None
        primary = next((r.get("primary_replica") for r in rows if r.get("primary_replica")), None)
        role = str(state.get("role_desc") or local.get("role_desc") or "").upper() or None
        preferred = as_int(member.get("is_preferred_replica"))
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
        if as_int((rows[0] if rows else {}).get("basic_features")) == 1:
            issues.append(("failed", "it is in a Basic availability group, whose databases Azure Backup does not back "
                                     "up", "Back it up by other means, or move it to an Always On (Enterprise) "
                                           "availability group."))
        suspended = as_int(state.get("is_suspended")) == 1 or state.get("is_suspended") is True
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
        eligible = [r for r in rows if (as_int(r.get("backup_priority")) or 0) > 0]
        if rows and not eligible:
            issues.append(("failed", "no replica may take backups: the backup_priority of every replica of %s is 0"
                                     % group_q,
                           "Give the replicas that should back up a priority: ALTER AVAILABILITY GROUP %s MODIFY "
                           "REPLICA ON %s WITH (BACKUP_PRIORITY = 50);"
                           % (group_q, sql_string(local.get("replica_server_name") or "<replica>"))))
        elif preference == "SECONDARY_ONLY" and role == "PRIMARY":
            connected = [r for r in rows if r.get("replica_server_name") != primary and (as_int(r.get("backup_priority"))
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
                top = max([as_int(r.get("backup_priority")) or 0 for r in rows] or [0])
                change = "ALTER AVAILABILITY GROUP %s MODIFY REPLICA ON %s WITH (BACKUP_PRIORITY = %d);" % (
                    group_q, sql_string(here), min(100, top + 1))
            issues.append(("warning", "this replica is not the preferred backup replica (preference %s): log and "
                                      "copy-only backups run on %s, which must have the backup agent registered "
                                      "(Azure FabricSvcBackupPreferenceCheckFailedUserError)"
                                      % (_PREFERENCES.get(preference, preference or "unknown"),
                                         names_text(candidates, 10) if candidates else "another replica"),
                           "Install and register the backup agent on %s too and run this precheck there, or let this "
                           "replica take them: %s" % (names_text(candidates, 10) if candidates else "every replica", change)))
        elif preferred is None:
            issues.append(("warning", "whether this replica is the preferred backup replica is unknown "
                                      "(sys.fn_hadr_backup_is_preferred_replica returned NULL)",
                           "Check it: SELECT sys.fn_hadr_backup_is_preferred_replica(%s);" % sql_string(name)))
        if role == "PRIMARY":
            down = [r.get("replica_server_name") for r in rows if r.get("connected_state_desc") and str(
                r["connected_state_desc"]).upper() != "CONNECTED"]
            if down:
                issues.append(("warning", "replica %s of %s %s not connected"
                               % (names_text(down, 10), group_q, "is" if len(down) == 1 else "are"),
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


# -- the check items --------------------------------------------------------------------------

@register(
    "sqlserver.mirroring", "No database takes part in database mirroring", ("backup",),
    tags=("databases", "ha"),
    references=("Azure:UserErrorOperationNotAllowedDatabaseMirroringEnabled",),
    rule="Per selected database, a row of sys.database_mirroring with mirroring_guid set (principal or mirror) fails "
         "with ALTER DATABASE ... SET PARTNER OFF. A RESTORING database whose role the login cannot see (a mirror's "
         "values show only to sysadmin) warns.",
    permissions="VIEW ANY DATABASE to see principals; sysadmin to see a mirror database's values (otherwise a "
                "RESTORING database warns).",
    versions=V2008 + " (sys.database_mirroring; deprecated but present up to SQL Server 2022).",
)
def mirroring(ctx):
    mirrored, problem = ctx.mirroring()
    if mirrored is None:
        return [unreadable(ctx.target, ctx.problems.get("mirroring") or PrecheckError("internal", problem),
                           "VIEW ANY DATABASE", login_of(ctx))]
    return summary_check(
        ctx, "database mirroring",
        lambda sel: judge_mirroring(sel["selected"], mirrored, ctx.target, ctx.permissions().get("is_sysadmin")),
        "No selected database on %s takes part in database mirroring" % ctx.target)


def _ag_applies(ctx):
    server = ctx.server()
    if major_version(server) < 11:
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
        return summary_check(ctx, "availability groups", lambda sel: [],
                             "%s on %s" % (why[0].upper() + why[1:], ctx.target))
    login = login_of(ctx)
    rows, exc = read_rows(ctx, "ag_databases", AG_DATABASES_SQL, "availability databases (sys.availability_groups)")
    if rows is None:
        return [unreadable(ctx.target, exc, "VIEW ANY DEFINITION", login)]
    columns = AG_REPLICAS_COLUMNS + (AG_REPLICAS_COLUMNS_2016 if major_version(server) >= 13 else ())
    replicas, exc = read_rows(ctx, "ag_replicas", "SELECT " + ", ".join(columns) + AG_REPLICAS_FROM,
                              "availability replicas (sys.dm_hadr_availability_replica_states)")
    if replicas is None:
        return [unreadable(ctx.target, exc, state_permission(server), login)]
    states, problem = ctx.hadr_states()
    if states is None:
        return [unreadable(ctx.target, ctx.problems.get("hadr") or PrecheckError("internal", problem),
                           state_permission(server), login)]
    return summary_check(ctx, "availability groups", lambda sel: judge_availability_groups(
        sel["selected"], rows_by_id(rows), replicas, dict((k, lower_keys(v)) for k, v in states.items()),
        ctx.params.get("backup_types"), ctx.target), "No selected database on %s is in an availability group"
        % ctx.target)
