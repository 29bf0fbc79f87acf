#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sqlserver_recovery_model
short_description: Check that each database's recovery model supports the planned backup types
version_added: 0.1.0
description:
  - Reads C(sys.databases) and judges the recovery model of each selected database against
    O(backup_types). SIMPLE with log backups planned fails, with the C(ALTER DATABASE ... SET RECOVERY FULL)
    statement and the full backup that must follow. C(master) takes full backups only, so planned
    differential or log backups of it are a V(warning) (HBR converts them to full). BULK_LOGGED with log
    backups planned is a V(warning), because point-in-time restore within such a log backup is impossible.
  - C(tempdb) is never checked; database snapshots are V(skipped).
  - Check item C(sqlserver.recovery_model) (HBR C(SQL_SERVER_DB_IN_SIMPLE_RECOVERY_MODE), Azure
    C(UserErrorSQLPODoesNotSupportBackupType)). Its impact is log and incremental backups.
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
- name: Check the recovery model of the Sales databases against full and log backups
  cloudbackup.precheck.sqlserver_recovery_model:
    login_host: sql01.example.com
    login_user: backup_check
    login_password: "{{ vault_sql01_password }}"
    backup_types: [full, log]
    databases_include: ['Sales*']
"""

RETURN = r"""
check_results:
  description:
    - The results of C(sqlserver.recovery_model), in the schema documented by M(cloudbackup.precheck.sqlserver_precheck).
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
    run_module(engine.ENGINE, "sqlserver.recovery_model")


if __name__ == "__main__":
    main()
