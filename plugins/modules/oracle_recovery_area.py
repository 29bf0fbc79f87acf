#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oracle_recovery_area
short_description: Check that the Oracle fast recovery area has room
version_added: 0.1.0
description:
  - Reads C(v$recovery_file_dest). The used part that is not reclaimable, over the limit, at or above
    O(recovery_area_warn_percent) warns and at or above O(recovery_area_fail_percent) fails.
  - V(skipped) when no fast recovery area is configured.
  - Check item C(oracle.recovery_area). Impact is log backups.
  - To run several Oracle items over one connection, use M(cloudbackup.precheck.oracle_precheck).
author:
  - cloudbackup.precheck developers (@cloudbackup)
extends_documentation_fragment:
  - cloudbackup.precheck.oracle
  - cloudbackup.precheck.results
"""

EXAMPLES = r"""
- name: Warn earlier than the default
  cloudbackup.precheck.oracle_recovery_area:
    login_host: db01.example.com
    service_name: ORCL
    login_user: c##backup
    login_password: "{{ vault_oracle_backup_password }}"
    recovery_area_warn_percent: 60
    recovery_area_fail_percent: 85
"""

RETURN = r"""
check_results:
  description:
    - The results of C(oracle.recovery_area), in the schema documented by M(cloudbackup.precheck.oracle_precheck).
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
    run_module(engine.ENGINE, "oracle.recovery_area")


if __name__ == "__main__":
    main()
