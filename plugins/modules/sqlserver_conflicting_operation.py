#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sqlserver_conflicting_operation
short_description: Check that no BACKUP or RESTORE is running on the databases
version_added: 0.1.0
description:
  - Reads C(sys.dm_exec_requests) for requests whose command starts with BACKUP or RESTORE; each selected
    database with one fails, naming the session, login, program and progress.
  - Without C(VIEW SERVER STATE) the view shows only the login's own requests, so the answer is a V(warning)
    (unknown), never V(passed).
  - Check item C(sqlserver.conflicting_operation) (Azure
    C(OperationCancelledBecauseConflictingOperationRunningUserError)). Its impact is backup.
  - The options of the other SQL Server check items are accepted and ignored.
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
- name: Check for running backups and restores
  cloudbackup.precheck.sqlserver_conflicting_operation:
    login_host: sql01.example.com
    login_user: backup_check
    login_password: "{{ vault_sql01_password }}"
  register: result
  failed_when: result.summary.failed > 0
"""

RETURN = r"""
check_results:
  description:
    - The results of C(sqlserver.conflicting_operation), in the schema documented by M(cloudbackup.precheck.sqlserver_precheck).
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
    run_module(engine.ENGINE, "sqlserver.conflicting_operation")


if __name__ == "__main__":
    main()
