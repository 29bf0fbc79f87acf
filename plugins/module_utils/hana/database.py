# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SAP HANA items judged from SYSTEMDB's monitoring views: the login, services, tenants, the backup
catalog and the backup user's privileges. One connection; each view read once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import PrecheckError, register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.hana.connection import quote_identifier
from ansible_collections.cloudbackup.precheck.plugins.module_utils.hana.gathering import database_target

CATALOG_READ = "CATALOG READ"


# -- hana.connection -------------------------------------------------------------------------------------

def judge_connection(server, endpoint, user, target):
    details = dict(server, endpoint=endpoint, user=user)
    return [R.passed(target, "Logged in to SYSTEMDB of %s at %s as %s in %d ms (SAP HANA %s)."
                     % (server.get("sid"), endpoint, user, server.get("connect_ms") or 0, server.get("version")),
                     details)]


@register(
    "hana.connection", "Log in to SYSTEMDB within the timeout", ("all_operations",),
    tags=("connection", "database"),
    references=("Seed:HANA_BACKINT",),
    rule="hdbcli logs in to SYSTEMDB with the configured user (or userstore key) within connect_timeout; failures "
         "are classified: refused (hdbcli -10709), authentication (10), timeout, tls, dns, driver_missing.",
    permissions="A database user of SYSTEMDB (reads SYS.M_DATABASE).",
    versions="SAP HANA 1.0 SPS09 and later, 2.0.",
)
def connection(ctx):
    user = ctx.settings["user"] or "the user of key %s" % ctx.settings["userstore_key"]
    return judge_connection(ctx.server(), ctx.settings["endpoint"], user, ctx.target)


# -- hana.services_started ----------------------------------------------------------------------------------

def judge_services(rows, target):
    values = dict((((r["section"] or "").lower(), (r["name"] or "").lower()), r) for r in rows)
    started = values.get(("services", "all started"))
    distributed = values.get(("system", "distributed"))
    details = {"all_started": started and started["value"], "distributed": distributed and distributed["value"]}
    if started is None:
        raise PrecheckError("permission", "SYS.M_SYSTEM_OVERVIEW shows no 'All Started' row on %s: the login user "
                            "cannot see the services." % target,
                            "GRANT CATALOG READ TO <the login user>; (as a user administrator in SYSTEMDB).")
    if str(started["value"]).lower() != "yes":
        return [R.failed(target, "Not all SAP HANA services are started on %s (M_SYSTEM_OVERVIEW All Started = %s, "
                         "%s): a backup fails while a service is down." % (target, started["value"], started["status"]),
                         "Start the services: sapcontrol -nr <nn> -function StartSystem HDB; "
                         "sapcontrol -nr <nn> -function GetProcessList shows them.", details, code="not_started")]
    if distributed is not None and str(distributed["value"]).lower() == "yes":
        return [R.warning(target, "All services are started on %s, a distributed (scale-out) system: the backup "
                          "client must be installed on every host of it." % target,
                          "Install and configure the backint agent on every host of the system.", details,
                          code="distributed")]
    return [R.passed(target, "All SAP HANA services are started on %s (single host)." % target, details)]


@register(
    "hana.services_started", "All SAP HANA services started", ("backup",),
    tags=("database",),
    references=("Seed:HANA_BACKINT",),
    rule="SYS.M_SYSTEM_OVERVIEW shows Services / All Started = Yes; a distributed (scale-out) system warns.",
    permissions="CATALOG READ (without it the view shows no rows: error, cause permission).",
    versions="SAP HANA 1.0 SPS09 and later, 2.0.",
)
def services_started(ctx):
    return judge_services(ctx.overview(), ctx.target)


# -- hana.tenants_active ---------------------------------------------------------------------------------------

def judge_tenants(rows, problem, target):
    """`problem`: the PrecheckError that withheld SYS.M_DATABASES (no privilege, no such view), or None."""
    if problem is not None and problem.cause == "unsupported":
        raise PrecheckError("unsupported", problem.message, "SYS.M_DATABASES exists in multitenant systems only: "
                            "convert the system (hdbnsutil -convertToMultiDB) to back it up through Backint.")
    if not rows:
        raise PrecheckError("permission", problem.message if problem else "SYS.M_DATABASES shows no rows on %s: the "
                            "login user lacks CATALOG READ." % target,
                            "GRANT CATALOG READ TO <the login user>; (as a user administrator in SYSTEMDB).")
    out = []
    for row in rows:
        where = database_target(target, row["name"])
        if str(row["active"]).upper() == "YES":
            out.append(R.passed(where, "Database %s is active." % row["name"], row))
        else:
            out.append(R.warning(where, "Database %s is not active (ACTIVE_STATUS = %s%s): it cannot be backed up "
                                 "until it is started." % (row["name"], row["active"],
                                                           ", %s" % row["details"] if row["details"] else ""),
                                 "In SYSTEMDB: ALTER SYSTEM START DATABASE %s;" % quote_identifier(row["name"]),
                                 row, code="stopped"))
    return out


@register(
    "hana.tenants_active", "Every tenant database active", ("backup",),
    tags=("database", "tenants"),
    references=("Seed:HANA_BACKINT",),
    rule="Each row of SYS.M_DATABASES has ACTIVE_STATUS YES; a stopped tenant warns (it is not backed up).",
    permissions="CATALOG READ (without it the view shows no rows: error, cause permission).",
    versions="SAP HANA 1.0 SPS09 (multitenant) and later, 2.0.",
)
def tenants_active(ctx):
    rows, _reason = ctx.databases()
    return judge_tenants(rows, ctx.problems.get("databases"), ctx.target)


# -- hana.full_backup_base and hana.backup_running ---------------------------------------------------------------

def _database_names(databases, backups):
    names = [row["name"] for row in databases or []]
    return names or sorted(set(b["database"] for b in backups))


def judge_full_backup_base(databases, backups, target):
    out = []
    names = _database_names(databases, backups)
    if not names:
        raise PrecheckError("permission", "Neither SYS.M_DATABASES nor SYS_DATABASES.M_BACKUP_CATALOG shows a "
                            "database on %s." % target,
                            "GRANT CATALOG READ TO <the login user>; (as a user administrator in SYSTEMDB).")
    for name in names:
        complete = [b for b in backups if b["database"] == name and b["type"] == "complete data backup"
                    and b["state"] == "successful"]
        where = database_target(target, name)
        if complete:
            out.append(R.passed(where, "Database %s has a successful complete data backup (backup id %s, %s): log "
                                "backups can build on it." % (name, complete[0]["backup_id"], complete[0]["start"]),
                                {"last_complete": complete[0]}))
        else:
            command = ("BACKUP DATA USING BACKINT ('full')" if name == "SYSTEMDB"
                       else "BACKUP DATA FOR %s USING BACKINT ('full')" % quote_identifier(name))
            out.append(R.failed(where, "Database %s has no successful complete data backup in its backup catalog: "
                                "log and incremental backups have no base to start from." % name,
                                "Take a complete data backup first, in SYSTEMDB: hdbsql -d SYSTEMDB \"%s\"" % command,
                                {"data_backups": len([b for b in backups if b["database"] == name])},
                                code="no_full_backup"))
    return out


@register(
    "hana.full_backup_base", "A complete data backup exists per database", ("log_backup", "incremental_backup"),
    tags=("database", "backup_catalog"),
    references=("Seed:HANA_BACKINT",),
    rule="SYS_DATABASES.M_BACKUP_CATALOG has a successful complete data backup for every database of "
         "SYS.M_DATABASES, so that log and incremental backups can start.",
    permissions="CATALOG READ or BACKUP ADMIN (without them the views show no rows: error, cause permission).",
    versions="SAP HANA 1.0 SPS09 (multitenant) and later, 2.0.",
)
def full_backup_base(ctx):
    databases, _reason = ctx.databases()
    return judge_full_backup_base(databases, ctx.backups(), ctx.target)


def judge_backup_running(backups, target):
    running = [b for b in backups if b["state"] == "running"]
    if running:
        names = ", ".join("%s (%s, backup id %s, since %s)" % (b["database"], b["type"], b["backup_id"], b["start"])
                          for b in running)
        return [R.failed(target, "A data backup is running now on %s: %s; another backup cannot start until it "
                         "ends." % (target, names),
                         "Wait for it to finish (SELECT * FROM M_BACKUP_PROGRESS), or cancel it in SYSTEMDB: "
                         "BACKUP CANCEL %s;" % running[0]["backup_id"], {"running": running}, code="running")]
    return [R.passed(target, "No data backup is running on %s." % target, {"data_backups_read": len(backups)})]


@register(
    "hana.backup_running", "No data backup running now", ("backup",),
    tags=("database", "backup_catalog"),
    references=("Seed:HANA_BACKINT",),
    rule="No entry of SYS_DATABASES.M_BACKUP_CATALOG for a data backup has STATE_NAME running.",
    permissions="CATALOG READ or BACKUP ADMIN (without them the view shows no rows).",
    versions="SAP HANA 1.0 SPS09 (multitenant) and later, 2.0.",
)
def backup_running(ctx):
    return judge_backup_running(ctx.backups(), ctx.target)


# -- hana.privileges ---------------------------------------------------------------------------------------------

def judge_privileges(user, privileges, tenants, target):
    held = set(str(p).upper() for p in privileges)
    details = {"user": user, "system_privileges": sorted(held)}
    missing = []
    if not held & {"BACKUP ADMIN", "BACKUP OPERATOR"}:
        missing.append("BACKUP ADMIN")
    if not held & {CATALOG_READ, "DATA ADMIN"}:
        missing.append(CATALOG_READ)
    grant = "GRANT %s TO %s;" % (", ".join(missing), quote_identifier(user))
    if missing:
        return [R.failed(target, "The backup user %s lacks %s in SYSTEMDB: backups through backint fail."
                         % (user, " and ".join(missing)),
                         "As a user administrator: hdbsql -d SYSTEMDB \"%s\"" % grant.rstrip(";"), details,
                         code="missing")]
    if tenants and "DATABASE ADMIN" not in held:
        return [R.warning(target, "The backup user %s holds the backup privileges but not DATABASE ADMIN in "
                          "SYSTEMDB: tenants (%s) cannot be recovered by it." % (user, ", ".join(tenants)),
                          "As a user administrator: hdbsql -d SYSTEMDB \"GRANT DATABASE ADMIN TO %s\""
                          % quote_identifier(user), details, code="no_database_admin")]
    return [R.passed(target, "The backup user %s holds %s in SYSTEMDB." % (
        user, ", ".join(sorted(held & {"BACKUP ADMIN", "BACKUP OPERATOR", CATALOG_READ, "DATA ADMIN",
                                       "DATABASE ADMIN"}))), details)]


@register(
    "hana.privileges", "The backup user holds BACKUP ADMIN and CATALOG READ", ("backup", "restore"),
    tags=("database", "permissions"),
    references=("Seed:HANA_BACKINT",),
    rule="SYS.EFFECTIVE_PRIVILEGES (user bound as a parameter) shows the system privileges BACKUP ADMIN (or BACKUP "
         "OPERATOR) and CATALOG READ (or DATA ADMIN); without DATABASE ADMIN tenants cannot be recovered (warning).",
    permissions="CATALOG READ to list the tenants (SYS.M_DATABASES); the login user's own privileges need nothing "
                "more, another backup_user's need CATALOG READ too.",
    versions="SAP HANA 1.0 SPS09 and later, 2.0.",
)
def privileges(ctx):
    databases, _reason = ctx.databases()
    tenants = [row["name"] for row in databases or [] if row["name"] != "SYSTEMDB"]
    return judge_privileges(ctx.backup_user(), ctx.privileges(), tenants, ctx.target)
