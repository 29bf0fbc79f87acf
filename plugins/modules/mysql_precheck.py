#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mysql_precheck
short_description: Run the MySQL and MariaDB check items of a backup precheck in one task
version_added: 0.1.0
description:
  - Connects once to a MySQL or MariaDB server and runs a selection of the check items
    C(mysql.connection), C(mysql.version), C(mysql.binlog) and C(mysql.privileges) over that connection.
  - Each data set (version, global variables, grants) is read once, with read-only C(SELECT) and C(SHOW)
    statements. A server that cannot be reached is an V(error) result, not a failed task.
  - This is the module the role C(cloudbackup.precheck.precheck) uses (variable
    C(cloudbackup_precheck_mysql_instances)). For a single item, see M(cloudbackup.precheck.mysql_connection),
    M(cloudbackup.precheck.mysql_version), M(cloudbackup.precheck.mysql_binlog) and
    M(cloudbackup.precheck.mysql_privileges).
author:
  - cloudbackup.precheck developers (@cloudbackup)
extends_documentation_fragment:
  - cloudbackup.precheck.mysql
  - cloudbackup.precheck.mysql.checks
  - cloudbackup.precheck.selection
  - cloudbackup.precheck.results
"""

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

RETURN = r"""
check_results:
  description:
    - One result per check item and target, in the collection's result schema (C(docs/results.md)); every
      field is described in M(cloudbackup.precheck.host_precheck).
    - The target is the instance (V(host:port) or the socket path); for C(mysql.privileges) it is
      V(instance/user@host).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The check item id.
      type: str
      sample: mysql.binlog
    target:
      description: The instance, or the instance and account checked.
      type: str
      sample: db1.example.com:3306
    status:
      description: V(passed), V(warning), V(failed), V(error) (could not check) or V(skipped) (not applicable).
      type: str
      sample: failed
    message:
      description: One line that names the object, the cause and the consequence.
      type: str
      sample: "Binary logging is off on db1.example.com:3306 (log_bin = OFF): ..."
    remediation:
      description: What to run or change, such as the GRANT statement with the account quoted.
      type: str
      sample: "Run as an administrator: GRANT RELOAD ON *.* TO 'backup'@'%';"
    cause:
      description:
        - The classified cause of an V(error) result, V(unreachable), V(dns), V(timeout), V(tls),
          V(login_failed), V(driver_missing), V(permission), V(dependency) or V(internal); null otherwise.
      type: str
    details:
      description: Observed values, such as C(log_bin), C(binlog_format), C(retention_seconds), C(missing).
      type: dict
summary:
  description: The number of results per status, and C(total).
  returned: always
  type: dict
  sample: {passed: 3, warning: 0, failed: 1, error: 0, skipped: 0, total: 4}
schema_version:
  description: The version of the result schema.
  returned: always
  type: int
  sample: 1
msg:
  description: The counts per status and the first finding, for a person reading the task output.
  returned: always
  type: str
"""

from ansible_collections.cloudbackup.precheck.plugins.module_utils.mysql import engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.module import run_module


def main():
    run_module(engine.ENGINE)


if __name__ == "__main__":
    main()
