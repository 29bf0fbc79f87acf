#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oracle_archive_mode
short_description: Check that an Oracle database runs in ARCHIVELOG mode
version_added: 0.1.0
description:
  - Reads C(gv$database) LOG_MODE. V(ARCHIVELOG) passes, V(NOARCHIVELOG) fails (no online backup,
    RMAN-06149; no log backups), V(MANUAL) warns.
  - The remediation of a failure is the C(SHUTDOWN IMMEDIATE; STARTUP MOUNT; ALTER DATABASE ARCHIVELOG;
    ALTER DATABASE OPEN;) sequence, with its downtime noted (the srvctl variant on RAC).
  - Check item C(oracle.archive_mode) (HBR C(ARCHIVELOG)). Impact is backup and log backups.
  - To run several Oracle items over one connection, use M(cloudbackup.precheck.oracle_precheck).
author:
  - cloudbackup.precheck developers (@cloudbackup)
extends_documentation_fragment:
  - cloudbackup.precheck.oracle
  - cloudbackup.precheck.results
"""

EXAMPLES = r"""
- name: Check the archive mode
  cloudbackup.precheck.oracle_archive_mode:
    dsn: db01.example.com/ORCL
    login_user: c##backup
    login_password: "{{ vault_oracle_backup_password }}"
  register: archiving
  failed_when: archiving.summary.failed > 0
"""

RETURN = r"""
check_results:
  description:
    - The results of C(oracle.archive_mode), in the schema documented by M(cloudbackup.precheck.oracle_precheck).
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
    run_module(engine.ENGINE, "oracle.archive_mode")


if __name__ == "__main__":
    main()
