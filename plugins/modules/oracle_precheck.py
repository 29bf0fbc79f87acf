#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oracle_precheck
short_description: Run the Oracle check items of a backup precheck over one connection
version_added: 0.1.0
description:
  - Connects once to an Oracle database (python-oracledb, thin mode unless O(oracle_client_lib_dir) is set or
    OS authentication is used) and runs a selection of the Oracle check items over that connection, each
    view read once.
  - The items are C(oracle.connection), C(oracle.instance_status), C(oracle.database_status) (PDBs included),
    C(oracle.archive_mode), C(oracle.recovery_area), C(oracle.force_logging), C(oracle.block_change_tracking),
    C(oracle.rman_running) and C(oracle.backup_privilege). Each also has a module of its own, such as
    M(cloudbackup.precheck.oracle_archive_mode).
  - When the connection fails, C(oracle.connection) is V(error) with the classified cause and the other items
    are V(error) with cause V(dependency), so that the task still returns in about O(connect_timeout).
  - This is the module the role C(cloudbackup.precheck.precheck) uses for each entry of
    C(cloudbackup_precheck_oracle_instances).
author:
  - cloudbackup.precheck developers (@cloudbackup)
extends_documentation_fragment:
  - cloudbackup.precheck.oracle
  - cloudbackup.precheck.selection
  - cloudbackup.precheck.results
"""

EXAMPLES = r"""
- name: Run every Oracle item as the backup user
  cloudbackup.precheck.oracle_precheck:
    login_host: db01.example.com
    service_name: ORCLPDB1
    login_user: c##backup
    login_password: "{{ vault_oracle_backup_password }}"
    mode: sysbackup
  register: oracle

- name: Only the HBR items, over an Easy Connect string, with a short connect timeout
  cloudbackup.precheck.oracle_precheck:
    dsn: rac-scan.example.com:1521/sales.example.com
    login_user: c##backup
    login_password: "{{ vault_oracle_backup_password }}"
    mode: sysbackup
    connect_timeout: 5
    checks: ['@status', archive_mode]

- name: Local instance with OS authentication (thick mode, Oracle Client on the database host)
  cloudbackup.precheck.oracle_precheck:
    mode: sysdba
    oracle_client_lib_dir: /u01/app/oracle/product/19.0.0/dbhome_1/lib
    skip: [block_change_tracking]
  environment:
    ORACLE_SID: ORCL
    ORACLE_HOME: /u01/app/oracle/product/19.0.0/dbhome_1
  become: true
  become_user: oracle

- name: Fail when an item that blocks backups failed or could not run
  cloudbackup.precheck.oracle_precheck:
    login_host: db01.example.com
    service_name: ORCL
    login_user: c##backup
    login_password: "{{ vault_oracle_backup_password }}"
  register: result
  failed_when: result.summary.failed > 0 or result.summary.error > 0
"""

RETURN = r"""
check_results:
  description:
    - One result per check item and target, in the collection's result schema (C(docs/results.md)).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The check item id.
      type: str
      sample: oracle.archive_mode
    title:
      description: What the check item verifies.
      type: str
    engine:
      description: The engine the item belongs to (V(host), V(sqlserver), V(oracle), V(mysql)).
      type: str
      sample: oracle
    target:
      description:
        - What was checked. For Oracle the database label (O(service_name), or C(host/service) of O(dsn)),
          C(<label>@<INSTANCE_NAME>) for an instance of a RAC database, C(<label>/<PDB>) for a PDB.
      type: str
      sample: ORCLPDB1
    status:
      description: V(passed), V(warning), V(failed), V(error) (could not check) or V(skipped) (not applicable).
      type: str
      sample: failed
    impact:
      description: What a failure prevents. V(backup), V(restore), V(log_backup), V(incremental_backup), V(all_operations).
      type: list
      elements: str
      sample: [backup, restore]
    message:
      description: One line that names the object, the cause and the consequence.
      type: str
    remediation:
      description: What to do about it; empty when nothing is to be done.
      type: str
    details:
      description: Observed values behind the verdict.
      type: dict
    references:
      description: The vendor codes this item answers, such as V(HBR:ARCHIVELOG).
      type: list
      elements: str
    cause:
      description:
        - The classified cause of an V(error) or network V(failed) result, such as V(dns), V(refused),
          V(timeout), V(tls), V(unreachable), V(login_failed), V(listener_refused), V(permission),
          V(driver_missing), V(dependency) (not run because the connection failed); null otherwise.
      type: str
    duration_ms:
      description: How long the check item took.
      type: int
summary:
  description: The number of results per status, and C(total).
  returned: always
  type: dict
  sample: {passed: 3, warning: 0, failed: 1, error: 0, skipped: 0, total: 4}
schema_version:
  description: The version of the result schema.
  returned: always
  type: int
  sample: 1
msg:
  description: The counts per status and the first finding, for a person reading the task output.
  returned: always
  type: str
"""

from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.module import run_module


def main():
    run_module(engine.ENGINE)


if __name__ == "__main__":
    main()
