#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oracle_rman_running
short_description: Check that no RMAN job is running on an Oracle database
version_added: 0.1.0
description:
  - Reads C(gv$rman_status) rows that are RUNNING and joins them to the RMAN sessions of C(gv$session). A
    running job with a live session fails; stale RUNNING records and idle RMAN clients pass with a note.
  - Check item C(oracle.rman_running). Impact is backup.
  - To run several Oracle items over one connection, use M(cloudbackup.precheck.oracle_precheck).
author:
  - cloudbackup.precheck developers (@cloudbackup)
extends_documentation_fragment:
  - cloudbackup.precheck.oracle
  - cloudbackup.precheck.results
"""

EXAMPLES = r"""
- name: Check that no other backup runs right now
  cloudbackup.precheck.oracle_rman_running:
    login_host: db01.example.com
    service_name: ORCL
    login_user: c##backup
    login_password: "{{ vault_oracle_backup_password }}"
    mode: sysbackup
"""

RETURN = r"""
check_results:
  description:
    - The results of C(oracle.rman_running), in the schema documented by M(cloudbackup.precheck.oracle_precheck).
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
    run_module(engine.ENGINE, "oracle.rman_running")


if __name__ == "__main__":
    main()
