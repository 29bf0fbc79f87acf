#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sqlserver_database_state
short_description: Check that each database is online and can be backed up
version_added: 0.1.0
description:
  - Reads C(sys.databases) and judges the state of each selected database. ONLINE passes; RESTORING,
    RECOVERING, RECOVERY_PENDING, SUSPECT, EMERGENCY, OFFLINE, COPYING and OFFLINE_SECONDARY fail, a
    database mirroring mirror or an availability group secondary being reported as such. A database in
    STANDBY fails, a READ_ONLY one is a V(warning), snapshots are V(skipped). Each finding gives the
    statement to fix it, such as C(ALTER DATABASE [name] SET ONLINE;).
  - C(tempdb) is never checked.
  - Check item C(sqlserver.database_state) (HBR C(SQL_SERVER_DB_NOT_ONLINE)). Its impact is backup and restore.
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
- name: Check that every database but the scratch ones is online
  cloudbackup.precheck.sqlserver_database_state:
    login_host: sql01.example.com
    login_user: backup_check
    login_password: "{{ vault_sql01_password }}"
    databases_exclude: ['Scratch*']
"""

RETURN = r"""
check_results:
  description:
    - The results of C(sqlserver.database_state), in the schema documented by M(cloudbackup.precheck.sqlserver_precheck).
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
    run_module(engine.ENGINE, "sqlserver.database_state")


if __name__ == "__main__":
    main()
