#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sqlserver_log_space
short_description: Check that the transaction logs have room for backups
version_added: 0.1.0
description:
  - Reads the log usage per database from C(sys.dm_db_log_stats) (SQL Server 2016 SP2, 2017 and later) or
    from the performance counters C(Log File(s) Used Size (KB)) and C(Log File(s) Size (KB)) on older
    versions, and the log files' growth from C(sys.master_files).
  - From O(log_space_fail_percent) fails when the log cannot grow and warns when it can; from
    O(log_space_warn_percent) warns. The log reuse wait is reported.
  - Check item C(sqlserver.log_space) (Azure C(UserErrorBackupFailedAsTransactionLogIsFull)). Its impact is
    backup and log backup.
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
- name: Warn from 60% of the log in use
  cloudbackup.precheck.sqlserver_log_space:
    login_host: sql01.example.com
    login_user: backup_check
    login_password: "{{ vault_sql01_password }}"
    log_space_warn_percent: 60
  register: result
  failed_when: result.summary.failed > 0
"""

RETURN = r"""
check_results:
  description:
    - The results of C(sqlserver.log_space), in the schema documented by M(cloudbackup.precheck.sqlserver_precheck).
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
    run_module(engine.ENGINE, "sqlserver.log_space")


if __name__ == "__main__":
    main()
