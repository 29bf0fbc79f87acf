#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sqlserver_restore_target
short_description: Check that a restore target has no database of the same name
version_added: 0.1.0
description:
  - With O(restore_target), each name in O(restore_databases) that already exists on the instance fails
    unless O(overwrite) is true. V(skipped) when O(restore_target) is false.
  - Check item C(sqlserver.restore_target) (Azure C(UserErrorCannotRestoreExistingDBWithoutForceOverwrite)).
    Its impact is restore.
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
- name: Check a restore target for Sales and HR
  cloudbackup.precheck.sqlserver_restore_target:
    login_host: sql01.example.com
    login_user: backup_check
    login_password: "{{ vault_sql01_password }}"
    restore_target: true
    restore_databases: [Sales, HR]
  register: result
  failed_when: result.summary.failed > 0
"""

RETURN = r"""
check_results:
  description:
    - The results of C(sqlserver.restore_target), in the schema documented by M(cloudbackup.precheck.sqlserver_precheck).
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
    run_module(engine.ENGINE, "sqlserver.restore_target")


if __name__ == "__main__":
    main()
