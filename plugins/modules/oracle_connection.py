#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: oracle_connection
short_description: Check that an Oracle listener is reachable and the login works
version_added: 0.1.0
description:
  - Connects with python-oracledb (thin mode unless O(oracle_client_lib_dir) is set or OS authentication is
    used) and logs in, the whole connect bounded by O(connect_timeout).
  - A failure is V(error) with its cause classified on the DPY-/ORA- number, one of V(unreachable) (nothing
    listens, no route, name not resolved), V(listener_refused) (service or SID unknown to the listener,
    instance not started or not open), V(login_failed) (ORA-01017, locked or expired account, missing AS
    SYSBACKUP/SYSDBA privilege), V(timeout) (a listener that accepts TCP and stays silent),
    V(driver_missing).
  - Check item C(oracle.connection). Impact is all operations.
  - To run several Oracle items over one connection, use M(cloudbackup.precheck.oracle_precheck).
author:
  - cloudbackup.precheck developers (@cloudbackup)
extends_documentation_fragment:
  - cloudbackup.precheck.oracle
  - cloudbackup.precheck.results
"""

EXAMPLES = r"""
- name: Check that the backup login works (an unreachable database is data, not a failed task)
  cloudbackup.precheck.oracle_connection:
    login_host: db01.example.com
    service_name: ORCLPDB1
    login_user: c##backup
    login_password: "{{ vault_oracle_backup_password }}"
    mode: sysbackup
    connect_timeout: 5
  register: oracle_login

- name: Stop when the database cannot be reached
  ansible.builtin.assert:
    that: oracle_login.summary.passed == 1
    fail_msg: "{{ oracle_login.msg }}"
"""

RETURN = r"""
check_results:
  description:
    - The results of C(oracle.connection), in the schema documented by M(cloudbackup.precheck.oracle_precheck).
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
    run_module(engine.ENGINE, "oracle.connection")


if __name__ == "__main__":
    main()
