#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oracle_instance_status
short_description: Check that every Oracle instance is open and healthy
version_added: 0.1.0
description:
  - Reads C(gv$instance). STATUS V(OPEN) passes, V(MOUNTED) and V(OPEN MIGRATE) warn, V(STARTED) (NOMOUNT)
    fails; a DATABASE_STATUS other than V(ACTIVE) warns; ARCHIVER V(FAILED) fails; restricted logins
    warn.
  - On RAC every instance is reported, with the target C(<database>@<INSTANCE_NAME>).
  - Check item C(oracle.instance_status) (HBR C(ORACLE_INSTANCE_STATUS)). Impact is backup and restore.
  - To run several Oracle items over one connection, use M(cloudbackup.precheck.oracle_precheck).
author:
  - cloudbackup.precheck developers (@cloudbackup)
extends_documentation_fragment:
  - cloudbackup.precheck.oracle
  - cloudbackup.precheck.results
"""

EXAMPLES = r"""
- name: Check the instances of a RAC database through its SCAN address
  cloudbackup.precheck.oracle_instance_status:
    dsn: rac-scan.example.com:1521/sales.example.com
    login_user: c##backup
    login_password: "{{ vault_oracle_backup_password }}"
    mode: sysbackup
"""

RETURN = r"""
check_results:
  description:
    - The results of C(oracle.instance_status), in the schema documented by M(cloudbackup.precheck.oracle_precheck).
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
    run_module(engine.ENGINE, "oracle.instance_status")


if __name__ == "__main__":
    main()
