# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Oracle engine: its options, their validation, and the context of a run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.module import Engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import checks
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import connection as oracle_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle.gathering import OracleContext

DESCRIPTION = (
    "Connects once to an Oracle database (python-oracledb, thin mode unless O(oracle_client_lib_dir) is set or OS "
    "authentication is used) and runs a selection of the Oracle check items over that connection, each view read "
    "once.",
    "When the connection fails, C(oracle.connection) is V(error) with the classified cause and the other items are "
    "V(error) with cause V(dependency), so that the task still returns in about O(connect_timeout).",
)

REQUIREMENTS = (
    "python-oracledb 1.0 or later on the managed host (C(pip install oracledb)). Without it every item is reported "
    "as V(error) with cause V(driver_missing).",
)

NOTES = (
    "The SQL is read-only. Names from options (the user name) are bound as parameters.",
    "Instance-level views are read as C(gv$) views, so on RAC every instance is reported; an instance's target is "
    "then C(<database>@<INSTANCE_NAME>). A PDB's target is C(<database>/<PDB>).",
    "The permissions each item needs are listed in the collection's C(docs/oracle.md). A permission too weak to see "
    "the truth is reported as V(error) with cause V(permission), never as V(passed).",
)

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


def validate(params):
    problems = oracle_conn.validate_connection(params)
    warn, fail = params.get("recovery_area_warn_percent"), params.get("recovery_area_fail_percent")
    if warn >= fail:
        problems.append("recovery_area_warn_percent: must be below recovery_area_fail_percent (got %g and %g)"
                        % (warn, fail))
    return problems


ENGINE = Engine("oracle", oracle_conn.CONNECTION_ARGS, OracleContext, validate=validate, items=(checks,), title="Oracle",
                description=DESCRIPTION, examples=EXAMPLES, requirements=REQUIREMENTS, notes=NOTES,
                instances="oracle_instances", endpoint=dict(host="login_host", port="login_port", without=("dsn",)))
