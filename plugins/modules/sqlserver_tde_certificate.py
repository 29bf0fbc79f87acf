#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: sqlserver_tde_certificate
short_description: Check that TDE certificates are in master and backed up
version_added: 0.1.0
description:
  - Reads C(sys.dm_database_encryption_keys) and C(master.sys.certificates). A transitional encryption
    state, a certificate missing from master and a private key never backed up (C(pvt_key_last_backup_date))
    fail, with the C(BACKUP CERTIFICATE) statement.
  - With O(restore_target), each of O(source_certificate_thumbprints) must be in master with its private
    key.
  - Check item C(sqlserver.tde_certificate) (Azure C(UserErrorCannotFindServerCertificateWithThumbprint)).
    Its impact is backup and restore.
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
- name: Check that a restore target has the source's TDE certificate
  cloudbackup.precheck.sqlserver_tde_certificate:
    login_host: sql01.example.com
    login_user: backup_check
    login_password: "{{ vault_sql01_password }}"
    restore_target: true
    source_certificate_thumbprints: ['8F2B6C1D0E3A4F5B6C7D8E9FA0B1C2D3E4F5A6B7']
  register: result
  failed_when: result.summary.failed > 0
"""

RETURN = r"""
check_results:
  description:
    - The results of C(sqlserver.tde_certificate), in the schema documented by M(cloudbackup.precheck.sqlserver_precheck).
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
    run_module(engine.ENGINE, "sqlserver.tde_certificate")


if __name__ == "__main__":
    main()
