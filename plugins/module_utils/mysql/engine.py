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


DESCRIPTION = (
    "Connects once to a MySQL or MariaDB server and runs a selection of the check items C(mysql.connection), "
    "C(mysql.version), C(mysql.binlog) and C(mysql.privileges) over that connection.",
    "Each data set (version, global variables, grants) is read once, with read-only C(SELECT) and C(SHOW) "
    "statements. A server that cannot be reached is an V(error) result, not a failed task.",
)

REQUIREMENTS = (
    "PyMySQL (C(pip install PyMySQL)) for the Python interpreter that runs the module. Without it every check is an "
    "V(error) with cause V(driver_missing). Accounts with C(caching_sha2_password) reached over plain TCP also need "
    "C(cryptography).",
)

NOTES = (
    "Only C(SELECT) and C(SHOW) statements are sent. Names from options are bound as parameters.",
    "A connection failure is the V(error) result of C(mysql.connection), classified as V(unreachable), V(dns), "
    "V(timeout), V(tls), V(login_failed) or V(driver_missing); the other checks of the task then say C(Not run) with"
    " cause V(dependency). Without C(mysql.connection) in the selection, each check reports the connection failure "
    "itself.",
    "The options can be set once for every MySQL module with C(module_defaults) and the action group "
    "C(group/cloudbackup.precheck.mysql).",
)

EXAMPLES = r"""
- name: Check a local server through its socket, with the credentials of ~/.my.cnf
  cloudbackup.precheck.mysql_precheck:
    login_unix_socket: /run/mysqld/mysqld.sock
  register: mysql_checks

- name: Check a remote server over TLS as the backup user
  cloudbackup.precheck.mysql_precheck:
    login_host: db1.example.com
    login_user: backup
    login_password: "{{ vault_mysql_backup_password }}"
    ca_cert: /etc/pki/mysql-ca.pem
    connect_timeout: 5

- name: Judge the grants of the backup account while logged in as a monitoring account
  cloudbackup.precheck.mysql_precheck:
    login_user: monitor
    login_password: "{{ vault_mysql_monitor_password }}"
    backup_user: backup@localhost
    checks: [connection, privileges]

- name: Everything but the binary log, and fail when a blocking finding is found
  cloudbackup.precheck.mysql_precheck:
    login_user: backup
    login_password: "{{ vault_mysql_backup_password }}"
    skip: [mysql.binlog]
  register: result
  failed_when: result.summary.failed > 0 or result.summary.error > 0
"""


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
    backup_user = params.get("backup_user")
    if backup_user is not None:
        user, host = split_account(backup_user)
        if not user or not host:
            problems.append("backup_user: %r is not an account (valid forms: name or name@host, for example "
                            "backup@localhost or backup@%%)" % backup_user)
    return problems


def mysql_context(params):
    return MysqlContext(params)


ENGINE = Engine("mysql", mysql_conn.CONNECTION_ARGS, mysql_context, validate=validate, items=(checks,),
                title="MySQL and MariaDB", description=DESCRIPTION, examples=EXAMPLES, requirements=REQUIREMENTS,
                notes=NOTES, instances="mysql_instances",
                endpoint=dict(host="login_host", port="login_port", without=("login_unix_socket", "config_file")))
