# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""SQL Server check item: the login the backup agent uses is a member of the sysadmin server role
(Azure UserErrorSQLNoSysadminMembership). The options, their validation and the shared helpers are
in common.py.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core import results as R
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.registry import register
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver.common import (
    V2008, as_int, login_of, lower_keys, major_version, read_rows, sql_string, unreadable)
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver.connection import quote_name

# -- statements -------------------------------------------------------------------------------

BACKUP_LOGIN_SQL = "SELECT IS_SRVROLEMEMBER('sysadmin', ?) AS is_sysadmin"


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


# -- the check items --------------------------------------------------------------------------

@register(
    "sqlserver.sysadmin", "The backup login is a sysadmin", ("all_operations",),
    tags=("permissions",),
    references=("Azure:UserErrorSQLNoSysadminMembership",),
    rule="IS_SRVROLEMEMBER('sysadmin') is 1 for the login the backup agent uses: backup_login if set (bound as a "
         "parameter), else the login of the connection. 0 fails with the ALTER SERVER ROLE statement "
         "(sp_addsrvrolemember before 2012); NULL (unknown login, or membership not visible) warns.",
    permissions="None for the login of the connection. For another backup_login, the checking login must see its "
                "role membership (VIEW ANY DEFINITION or sysadmin), otherwise the result is a warning.",
    versions=V2008 + " (ALTER SERVER ROLE from 2012; the remediation uses sp_addsrvrolemember before).",
    options=dict(
        backup_login=dict(type="str", description=(
            "The login the backup agent will use, for C(sqlserver.sysadmin), for example V(NT "
            "SERVICE\\\\AzureWLBackupPluginSvc) for Azure Backup. Its sysadmin membership is read with "
            "C(IS_SRVROLEMEMBER('sysadmin', ?)), the name bound as a parameter.",
            "When not set, the login of the connection is checked.",
        )),
    ),
)
def sysadmin(ctx):
    server = ctx.server()
    connected = server.get("login_name") or ctx.settings.get("user")
    wanted = ctx.params.get("backup_login")
    if wanted and wanted.lower() != str(connected or "").lower():
        rows, exc = read_rows(ctx, "backup_login_sysadmin", BACKUP_LOGIN_SQL,
                              "the sysadmin membership of backup_login", [wanted])
        if rows is None:
            return [unreadable(ctx.target, exc, "VIEW ANY DEFINITION", login_of(ctx))]
        value = lower_keys(rows[0]).get("is_sysadmin") if rows else None
        member = None if value is None else (1 if as_int(value) == 1 else 0)
        return judge_sysadmin(member, wanted, ctx.target, major_version(server), connected=False)
    return judge_sysadmin(ctx.permissions().get("is_sysadmin"), connected or "login", ctx.target, major_version(server))
