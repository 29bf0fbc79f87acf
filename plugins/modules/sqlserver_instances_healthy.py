#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sqlserver_instances_healthy
short_description: Check that every SQL Server instance of the host answers
version_added: 0.1.0
description:
  - Probes this instance and each of O(peer_instances) at once with TCP (and the SQL Server Browser for a
    named instance) and a TDS pre-login, without logging in, within O(connect_timeout).
  - An instance that does not answer fails, because while one instance of a host is faulty, Azure Backup
    does not show the host as a restore target. The remediation names the C(whitelistedInstancesForInquiry)
    workaround. V(skipped) without O(peer_instances).
  - Check item C(sqlserver.instances_healthy) (seed 004, faulty instance in a VM with multiple SQL Server
    instances). Its impact is restore.
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
- name: Check the three instances of sql01
  cloudbackup.precheck.sqlserver_instances_healthy:
    login_host: sql01.example.com
    login_user: backup_check
    login_password: "{{ vault_sql01_password }}"
    peer_instances:
      - {name: reporting, login_host: sql01.example.com, instance_name: REPORTING}
      - {name: staging, login_host: sql01.example.com, login_port: 14330}
  register: result
  failed_when: result.summary.failed > 0
"""

RETURN = r"""
check_results:
  description:
    - The results of C(sqlserver.instances_healthy), in the schema documented by M(cloudbackup.precheck.sqlserver_precheck).
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
    run_module(engine.ENGINE, "sqlserver.instances_healthy")


if __name__ == "__main__":
    main()
