#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sqlserver_availability_group
short_description: Check that the availability group backup preference can be met
version_added: 0.1.0
description:
  - For each selected availability database, reads the group's backup preference and replica priorities,
    C(sys.fn_hadr_backup_is_preferred_replica) and the replica states.
  - Suspended or unhealthy data movement, differential backups planned on a secondary, and a preference no
    replica can meet fail; this replica not being the preferred one warns, naming the replicas that take the
    backups.
  - V(skipped) before SQL Server 2012.
  - Check item C(sqlserver.availability_group) (Azure C(FabricSvcBackupPreferenceCheckFailedUserError)). Its
    impact is backup.
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
- name: Check an availability group replica that takes only full and log backups
  cloudbackup.precheck.sqlserver_availability_group:
    login_host: sql01.example.com
    login_user: backup_check
    login_password: "{{ vault_sql01_password }}"
    backup_types: [full, log]
  register: result
  failed_when: result.summary.failed > 0
"""

RETURN = r"""
check_results:
  description:
    - The results of C(sqlserver.availability_group), in the schema documented by M(cloudbackup.precheck.sqlserver_precheck).
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
    run_module(engine.ENGINE, "sqlserver.availability_group")


if __name__ == "__main__":
    main()
