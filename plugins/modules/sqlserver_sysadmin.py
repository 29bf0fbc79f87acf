#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sqlserver_sysadmin
short_description: Check that the backup login is a member of the sysadmin server role
version_added: 0.1.0
description:
  - Reads C(IS_SRVROLEMEMBER('sysadmin')) for the login of the connection, or for O(backup_login) (bound as
    a parameter) when the backup agent uses another login.
  - V(0) fails with C(ALTER SERVER ROLE [sysadmin] ADD MEMBER [login];) (C(sp_addsrvrolemember) before SQL
    Server 2012); an unknown membership is a V(warning), never V(passed).
  - Check item C(sqlserver.sysadmin) (Azure C(UserErrorSQLNoSysadminMembership)). Its impact is all
    operations.
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
- name: Check that the Azure Backup service login is a sysadmin
  cloudbackup.precheck.sqlserver_sysadmin:
    login_host: sql01.example.com
    login_user: backup_check
    login_password: "{{ vault_sql01_password }}"
    backup_login: NT SERVICE\AzureWLBackupPluginSvc
  register: result
  failed_when: result.summary.failed > 0
"""

RETURN = r"""
check_results:
  description:
    - The results of C(sqlserver.sysadmin), in the schema documented by M(cloudbackup.precheck.sqlserver_precheck).
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
    run_module(engine.ENGINE, "sqlserver.sysadmin")


if __name__ == "__main__":
    main()
