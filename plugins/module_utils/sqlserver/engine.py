# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SQL Server engine: every SQL Server check item, their combined options and validation, and
the context of a run.

Every SQL Server module imports this file, so that AnsiballZ (which bundles module_utils by their
static imports) ships every item file with each module and every module sees the whole engine:
the per-item modules accept the same options as sqlserver_precheck.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.module import Engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import access
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import backup_chain
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import checks
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import common
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import connection as sqlserver_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import ha
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import restore
from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver.gathering import SqlServerContext

# The order of the results and of docs/checks.md: the connection first.
ITEMS = (checks, access, backup_chain, ha, restore)

DESCRIPTION = (
    "Connects once to one SQL Server instance and runs a selection of the SQL Server check items over that "
    "connection, reading each data set (server properties, C(sys.databases), ...) once.",
    "Data sets that several items use (C(sys.databases), C(sys.database_recovery_status), C(sys.master_files), ...) "
    "are read once per run; every statement is a C(SELECT).",
)

REQUIREMENTS = (
    "pyodbc on the host that runs the module (with C(delegate_to), the delegate).",
    "unixODBC and an ODBC driver for SQL Server there, for example C(apt-get install unixodbc tdsodbc) or "
    "Microsoft's C(msodbcsql18). Without them the results are V(error) with cause V(driver_missing).",
)

NOTES = (
    "Every statement is a read-only C(SELECT) on an autocommit connection to C(master); user-supplied names are "
    "never put into SQL text.",
    "The minimum permissions for each check and how to check a Windows SQL Server from a Linux host are described in"
    " the collection's C(docs/sqlserver.md).",
)

EXAMPLES = r"""
- name: Check a default instance over TCP 1433 with a SQL Server login
  cloudbackup.precheck.sqlserver_precheck:
    login_host: sql01.example.com
    login_user: backup_check
    login_password: "{{ vault_sql01_password }}"
  register: sql01

- name: Check a named instance from a Linux host that has the ODBC driver
  cloudbackup.precheck.sqlserver_precheck:
    login_host: winsql02.example.com
    instance_name: SQLEXPRESS
    login_user: backup_check
    login_password: "{{ vault_winsql02_password }}"
    trust_server_certificate: true
    backup_types: [full, log]
    databases_exclude: [msdb, Scratch*]
  delegate_to: linux-jump01

- name: Only the database state, with FreeTDS and a short timeout
  cloudbackup.precheck.sqlserver_precheck:
    login_host: 10.0.0.12
    login_port: 14330
    login_user: backup_check
    login_password: "{{ vault_password }}"
    driver: FreeTDS
    connect_timeout: 3
    checks: [database_state]

- name: Check a restore target with a second instance on the same host
  cloudbackup.precheck.sqlserver_precheck:
    login_host: sql02.example.com
    login_user: backup_check
    login_password: "{{ vault_sql02_password }}"
    restore_target: true
    restore_databases: [Sales]
    source_certificate_thumbprints: ['0x8F2B6C1D0E3A4F5B6C7D8E9FA0B1C2D3E4F5A6B7']
    peer_instances:
      - name: reporting
        login_host: sql02.example.com
        instance_name: REPORTING

- name: Fail when a check failed or could not run
  cloudbackup.precheck.sqlserver_precheck:
    login_host: sql01.example.com
    login_user: backup_check
    login_password: "{{ vault_sql01_password }}"
  register: result
  failed_when: result.summary.failed > 0 or result.summary.error > 0
"""

OPTIONS = dict(sqlserver_conn.CONNECTION_ARGS)
OPTIONS.update(common.RESTORE_TARGET_OPTION)
OPTIONS.update(
    backup_types=dict(type="list", elements="str", choices=list(common.BACKUP_TYPES), default=list(common.BACKUP_TYPES), description=(
        "The backup types planned for the databases of this instance. The recovery model is judged against them, for"
        " example SIMPLE fails only when V(log) is planned.",
    )),
    databases_include=dict(type="list", elements="str", default=["*"], description=(
        "The databases to check, as names or glob patterns (V(*), V(?), V([...])), matched case-insensitively in "
        "Python against C(sys.databases). A pattern equal to a name matches it literally, even if it contains "
        "brackets.",
        "C(tempdb) is never checked. A pattern that matches no database is reported as a V(warning) by "
        "C(sqlserver.database_state).",
    )),
    databases_exclude=dict(type="list", elements="str", default=[], description=(
        "Databases not to check, in the same forms as O(databases_include). They are reported once per check as "
        "V(skipped), by name.",
        "For example V(msdb), which is in the SIMPLE recovery model by default, when its log is not backed up.",
    )),
)


def validate(params):
    problems = sqlserver_conn.validate_connection(params)
    if not params.get("backup_types"):
        problems.append("backup_types: name at least one of %s" % ", ".join(common.BACKUP_TYPES))
    if not params.get("databases_include"):
        problems.append("databases_include: an empty list selects no database; use ['*'] for every database "
                        "(tempdb is never checked)")
    for option in ("databases_include", "databases_exclude"):
        for pattern in params.get(option) or []:
            if not str(pattern).strip():
                problems.append("%s: empty pattern (use a database name or a glob such as Sales*)" % option)
    return problems + common.validate_backup_options(params)


def sqlserver_context(params):
    return SqlServerContext(params, sqlserver_conn.resolve_settings(params))


# sqlserver.instances_healthy is a view of the whole host: the first instance probes the others, which
# the role passes without their credentials.
ROLE_ARGS = dict(peer_instances=(
    "{{ (_cloudbackup_precheck_index == 0) | ternary(cloudbackup_precheck_sqlserver_instances[1:] | map('dict2items') "
    "| map('selectattr', 'key', 'in', ['name', 'login_host', 'login_port', 'instance_name']) | map('list') "
    "| map('items2dict') | list, omit) }}"))

ENGINE = Engine("sqlserver", OPTIONS, sqlserver_context, validate=validate, items=ITEMS, title="SQL Server",
                description=DESCRIPTION, examples=EXAMPLES, requirements=REQUIREMENTS, notes=NOTES,
                instances="sqlserver_instances", role_args=ROLE_ARGS,
                endpoint=common.ENDPOINT)
