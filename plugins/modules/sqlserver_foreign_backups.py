#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sqlserver_foreign_backups
short_description: Check that no other product takes log or full backups of the databases
version_added: 0.1.0
description:
  - Reads the C(msdb) backup history of the last O(foreign_backup_window_hours) hours and joins it to the
    databases on C(database_guid).
  - Non-copy-only backups to NUL fail; non-copy-only log backups not taken by O(own_backup_users) fail (they
    break the agent's log chain); non-copy-only full backups by others fail when differential backups are
    planned, else warn.
  - Check item C(sqlserver.foreign_backups) (Azure C(UserErrorSQLLSNValidationFailure),
    C(UserErrorFileManipulationIsNotAllowedDuringBackup)). Its impact is log and incremental backups.
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
- name: Look for backups by other products in the last 3 days
  cloudbackup.precheck.sqlserver_foreign_backups:
    login_host: sql01.example.com
    login_user: backup_check
    login_password: "{{ vault_sql01_password }}"
    foreign_backup_window_hours: 72
  register: result
  failed_when: result.summary.failed > 0
"""

RETURN = r"""
check_results:
  description:
    - The results of C(sqlserver.foreign_backups), in the schema documented by M(cloudbackup.precheck.sqlserver_precheck).
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
    run_module(engine.ENGINE, "sqlserver.foreign_backups")


if __name__ == "__main__":
    main()
