#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oracle_backup_privilege
short_description: Check that an Oracle login holds SYSBACKUP or SYSDBA
version_added: 0.1.0
description:
  - A login made with O(mode=sysbackup) or O(mode=sysdba) passes. Otherwise C(v$pwfile_users) is read for
    O(login_user) (bound as a parameter). SYSBACKUP or SYSDBA passes, neither fails with the C(GRANT
    SYSBACKUP) to run.
  - Check item C(oracle.backup_privilege). Impact is backup.
  - To run several Oracle items over one connection, use M(cloudbackup.precheck.oracle_precheck).
author:
  - cloudbackup.precheck developers (@cloudbackup)
extends_documentation_fragment:
  - cloudbackup.precheck.oracle
  - cloudbackup.precheck.results
"""

EXAMPLES = r"""
- name: Check that the agent's user may run RMAN
  cloudbackup.precheck.oracle_backup_privilege:
    login_host: db01.example.com
    service_name: ORCL
    login_user: c##backup
    login_password: "{{ vault_oracle_backup_password }}"
"""

RETURN = r"""
check_results:
  description:
    - The results of C(oracle.backup_privilege), in the schema documented by M(cloudbackup.precheck.oracle_precheck).
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
    run_module(engine.ENGINE, "oracle.backup_privilege")


if __name__ == "__main__":
    main()
