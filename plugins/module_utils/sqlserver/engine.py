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

CHECK_ARGS = dict(
    backup_types=dict(type="list", elements="str", choices=list(common.BACKUP_TYPES), default=list(common.BACKUP_TYPES)),
    databases_include=dict(type="list", elements="str", default=["*"]),
    databases_exclude=dict(type="list", elements="str", default=[]),
)


ARGUMENT_SPEC = dict(sqlserver_conn.CONNECTION_ARGS)
ARGUMENT_SPEC.update(CHECK_ARGS)
ARGUMENT_SPEC.update(common.BACKUP_ARGS)


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


ENGINE = Engine("sqlserver", ARGUMENT_SPEC, sqlserver_context, validate=validate, items=ITEMS)
