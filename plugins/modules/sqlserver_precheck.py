#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sqlserver_precheck
short_description: Run the SQL Server check items of a backup precheck for one instance in one task
version_added: 0.1.0
description:
  - Connects once to one SQL Server instance and runs a selection of the SQL Server check items
    over that connection, reading each data set (server properties, C(sys.databases), ...) once.
  - The items are C(sqlserver.connection), C(sqlserver.recovery_model), C(sqlserver.database_state),
    C(sqlserver.sysadmin), C(sqlserver.conflicting_operation), C(sqlserver.foreign_backups),
    C(sqlserver.full_backup_base), C(sqlserver.log_space), C(sqlserver.mirroring),
    C(sqlserver.availability_group), C(sqlserver.tde_certificate), C(sqlserver.file_path_length),
    C(sqlserver.database_exists), C(sqlserver.restore_target) and C(sqlserver.instances_healthy).
    If the connection fails, its result carries the classified cause and the other items report
    that they were not run.
  - Data sets that several items use (C(sys.databases), C(sys.database_recovery_status),
    C(sys.master_files), ...) are read once per run; every statement is a C(SELECT).
  - This is the module the role C(cloudbackup.precheck.precheck) uses, one task per instance. Each
    item also has a module of its own, for example M(cloudbackup.precheck.sqlserver_recovery_model)
    or M(cloudbackup.precheck.sqlserver_log_space).
author:
  - cloudbackup.precheck developers (@cloudbackup)
extends_documentation_fragment:
  - cloudbackup.precheck.sqlserver
  - cloudbackup.precheck.sqlserver.databases
  - cloudbackup.precheck.sqlserver.backup
  - cloudbackup.precheck.selection
  - cloudbackup.precheck.results
"""

EXAMPLES = r"""
- name: Check a default instance over TCP 1433 with a SQL Server login
  cloudbackup.precheck.sqlserver_precheck:
    login_host: sql01.example.com
    login_user: backup_check
    login_password: "{{ vault_sql01_password }}"
  register: sql01

- name: Check a named instance from a Linux host that has the ODBC driver
  cloudbackup.precheck.sqlserver_precheck:
    login_host: winsql02.example.com
    instance_name: SQLEXPRESS
    login_user: backup_check
    login_password: "{{ vault_winsql02_password }}"
    trust_server_certificate: true
    backup_types: [full, log]
    databases_exclude: [msdb, Scratch*]
  delegate_to: linux-jump01

- name: Only the database state, with FreeTDS and a short timeout
  cloudbackup.precheck.sqlserver_precheck:
    login_host: 10.0.0.12
    login_port: 14330
    login_user: backup_check
    login_password: "{{ vault_password }}"
    driver: FreeTDS
    connect_timeout: 3
    checks: [database_state]

- name: Check a restore target with a second instance on the same host
  cloudbackup.precheck.sqlserver_precheck:
    login_host: sql02.example.com
    login_user: backup_check
    login_password: "{{ vault_sql02_password }}"
    restore_target: true
    restore_databases: [Sales]
    source_certificate_thumbprints: ['0x8F2B6C1D0E3A4F5B6C7D8E9FA0B1C2D3E4F5A6B7']
    peer_instances:
      - name: reporting
        login_host: sql02.example.com
        instance_name: REPORTING

- name: Fail when a check failed or could not run
  cloudbackup.precheck.sqlserver_precheck:
    login_host: sql01.example.com
    login_user: backup_check
    login_password: "{{ vault_sql01_password }}"
  register: result
  failed_when: result.summary.failed > 0 or result.summary.error > 0
"""

RETURN = r"""
check_results:
  description:
    - One result per check item and target, in the collection's result schema (C(docs/results.md)).
    - The target of C(sqlserver.connection) is the instance (V(host:port) or V(host\\instance)); the
      database items have one result per database (V(host:port/database)), plus instance-level
      results for databases left out by the options and for a login that cannot see every database.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The check item id.
      type: str
      sample: sqlserver.recovery_model
    title:
      description: What the check item verifies.
      type: str
    engine:
      description: The engine the item belongs to, here V(sqlserver).
      type: str
      sample: sqlserver
    target:
      description: The instance or the database checked.
      type: str
      sample: sql01.example.com:1433/Sales
    status:
      description: V(passed), V(warning), V(failed), V(error) (could not check) or V(skipped) (not applicable).
      type: str
      sample: failed
    impact:
      description: What a failure prevents. V(backup), V(restore), V(log_backup), V(incremental_backup), V(all_operations).
      type: list
      elements: str
      sample: [log_backup, incremental_backup]
    message:
      description: One line that names the database or instance, the cause and the consequence.
      type: str
    remediation:
      description: What to do about it, with the exact statement (names quoted as V([name])); empty when nothing is to be done.
      type: str
      sample: "ALTER DATABASE [Sales] SET RECOVERY FULL; then take a full backup of [Sales] right away ..."
    details:
      description: Observed values behind the verdict, such as the recovery model, the state, the driver and the server version.
      type: dict
    references:
      description: The vendor codes this item answers, such as V(HBR:SQL_SERVER_DB_NOT_ONLINE).
      type: list
      elements: str
    cause:
      description:
        - The classified cause of an V(error) result, one of V(unreachable), V(login_failed), V(timeout),
          V(tls), V(driver_missing), V(permission), V(dependency) (not run because the connection failed)
          or V(internal); null otherwise.
      type: str
    duration_ms:
      description: How long the check item took, the connection included for C(sqlserver.connection).
      type: int
summary:
  description: The number of results per status, and C(total).
  returned: always
  type: dict
  sample: {passed: 5, warning: 1, failed: 1, error: 0, skipped: 0, total: 7}
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

from ansible_collections.cloudbackup.precheck.plugins.module_utils.sqlserver import engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.module import run_module


def main():
    run_module(engine.ENGINE)


if __name__ == "__main__":
    main()
