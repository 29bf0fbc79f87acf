#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sqlserver_connection
short_description: Check that a SQL Server instance is reachable and the login works
version_added: 0.1.0
description:
  - Connects to the instance through ODBC within O(connect_timeout) and logs in. The result reports the
    server version and edition and the driver used.
  - A failure is an V(error) result with its cause classified on the SQLSTATE and native error number,
    V(unreachable) (refused, no route, DNS, SQL Server Browser), V(login_failed) (18456, 18452, ...),
    V(timeout), V(tls), V(driver_missing) (no pyodbc, no unixODBC or no driver; the remediation says what
    to install) or V(permission). SQL Server older than 2008 is a V(warning).
  - Check item C(sqlserver.connection) (Azure C(UserErrorOpeningSQLConnection)). Its impact is all operations.
  - The options of the other SQL Server check items (O(backup_types), O(databases_include), O(restore_target), ...) are
    accepted and ignored, so that C(module_defaults) of the group can set them for every SQL Server module.
  - To run several SQL Server items over one connection, use M(cloudbackup.precheck.sqlserver_precheck).
author:
  - cloudbackup.precheck developers (@cloudbackup)
extends_documentation_fragment:
  - cloudbackup.precheck.sqlserver
  - cloudbackup.precheck.sqlserver.databases
  - cloudbackup.precheck.sqlserver.backup
  - cloudbackup.precheck.results
"""

EXAMPLES = r"""
- name: Check that the backup login can connect
  cloudbackup.precheck.sqlserver_connection:
    login_host: sql01.example.com
    login_user: backup_check
    login_password: "{{ vault_sql01_password }}"
    connect_timeout: 5
  register: connection
  failed_when: connection.summary.error > 0
"""

RETURN = r"""
check_results:
  description:
    - The results of C(sqlserver.connection), in the schema documented by M(cloudbackup.precheck.sqlserver_precheck).
  returned: always
  type: list
  elements: dict
summary:
  description: The number of results per status, and C(total).
  returned: always
  type: dict
schema_version:
  description: The version of the result schema.
  returned: always
  type: int
msg:
  description: The counts per status and the first finding.
  returned: always
  type: str
"""

from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.module import run_module


def main():
    run_module(engine.ENGINE, "sqlserver.connection")


if __name__ == "__main__":
    main()
