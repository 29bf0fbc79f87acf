#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sqlserver_file_path_length
short_description: Check that each database's restore file list fits Azure Backup's limit
version_added: 0.1.0
description:
  - Builds the JSON file list Azure Backup keeps per database (C([{"path","logicalName","isDir"}]) from
    C(sys.master_files)) and measures it in bytes.
  - Over O(file_list_limit_bytes) (20,000) warns that a restore cannot choose the target paths, naming the
    override file C(<database>.json); from O(file_list_warn_percent) of the limit warns as close.
  - Check item C(sqlserver.file_path_length) (seed 004, size limit for files). Its impact is restore.
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
- name: Measure the restore file lists
  cloudbackup.precheck.sqlserver_file_path_length:
    login_host: sql01.example.com
    login_user: backup_check
    login_password: "{{ vault_sql01_password }}"
  register: result
  failed_when: result.summary.failed > 0
"""

RETURN = r"""
check_results:
  description:
    - The results of C(sqlserver.file_path_length), in the schema documented by M(cloudbackup.precheck.sqlserver_precheck).
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
    run_module(engine.ENGINE, "sqlserver.file_path_length")


if __name__ == "__main__":
    main()
