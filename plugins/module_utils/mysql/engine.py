# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The MySQL and MariaDB engine: its options, their validation, and the context of a run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.module import Engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.mysql import checks
from ansible_collections.cloudbackup.precheck.plugins.module_utils.mysql import connection as mysql_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.mysql.gathering import (
    FLAVOUR_NAMES, MysqlContext, split_account)

CHECK_ARGS = dict(
    supported_versions=dict(type="dict", default=dict(checks.SUPPORTED_VERSIONS)),
    backup_user=dict(type="str"),
    binlog_min_retention_hours=dict(type="float", default=24.0),
)


MYSQL_ARGS = dict(mysql_conn.CONNECTION_ARGS)
MYSQL_ARGS.update(CHECK_ARGS)


def validate(params):
    problems = mysql_conn.validate_connection(params)
    option = params.get("supported_versions") or {}
    for flavour, text in option.items():
        if str(flavour).lower() not in FLAVOUR_NAMES:
            problems.append("supported_versions: unknown server flavour %r (valid keys: %s)"
                            % (flavour, ", ".join(sorted(FLAVOUR_NAMES))))
            continue
        try:
            checks.parse_version_range(text)
        except ValueError as exc:
            problems.append("supported_versions.%s: %s" % (flavour, exc))
    hours = params.get("binlog_min_retention_hours")
    if hours is None or hours < 0:
        problems.append("binlog_min_retention_hours: must be 0 (no minimum) or a positive number of hours, got %r"
                        % (hours,))
    backup_user = params.get("backup_user")
    if backup_user is not None:
        user, host = split_account(backup_user)
        if not user or not host:
            problems.append("backup_user: %r is not an account (valid forms: name or name@host, for example "
                            "backup@localhost or backup@%%)" % backup_user)
    return problems


def mysql_context(params):
    return MysqlContext(params)


ENGINE = Engine("mysql", MYSQL_ARGS, mysql_context, validate=validate, items=(checks,))
