#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oracle_database_status
short_description: Check that an Oracle database and each of its PDBs is open
version_added: 0.1.0
description:
  - Reads C(gv$database) OPEN_MODE and DATABASE_ROLE. V(READ WRITE) passes; V(MOUNTED), V(MIGRATE) and
    V(READ ONLY) on a primary warn; a standby role warns; V(FAR SYNC) fails.
  - In a CDB every PDB of C(gv$pdbs) but PDB$SEED is reported with the target C(<database>/<PDB>).
    V(MOUNTED), V(MIGRATE) and RESTRICTED warn.
  - Check item C(oracle.database_status) (HBR C(ORACLE_DB_STATUS)). Impact is backup.
  - To run several Oracle items over one connection, use M(cloudbackup.precheck.oracle_precheck).
author:
  - cloudbackup.precheck developers (@cloudbackup)
extends_documentation_fragment:
  - cloudbackup.precheck.oracle
  - cloudbackup.precheck.results
"""

EXAMPLES = r"""
- name: Check a CDB and its PDBs
  cloudbackup.precheck.oracle_database_status:
    login_host: db01.example.com
    service_name: CDB1
    login_user: c##backup
    login_password: "{{ vault_oracle_backup_password }}"
    mode: sysbackup
  register: db_status

- name: Show the PDBs that are not open
  ansible.builtin.debug:
    msg: "{{ db_status.check_results | selectattr('status', 'ne', 'passed') | map(attribute='message') | list }}"
"""

RETURN = r"""
check_results:
  description:
    - The results of C(oracle.database_status), in the schema documented by M(cloudbackup.precheck.oracle_precheck).
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

from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.module import run_module


def main():
    run_module(engine.ENGINE, "oracle.database_status")


if __name__ == "__main__":
    main()
