#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mysql_connection
short_description: Check that a MySQL or MariaDB server is reachable and the login works
version_added: 0.1.0
description:
  - Connects (TCP or unix socket, TLS when O(ca_cert) or O(client_cert) is set) and logs in, each step bounded
    by O(connect_timeout).
  - Passes with the server version, the account (as C(CURRENT_USER) returns it), the TLS cipher and the connect time. A
    failure is an V(error) with its cause, one of V(unreachable) (refused, no socket, no route), V(dns), V(timeout),
    V(tls), V(login_failed) (1045 and other login errors) or V(driver_missing) (no PyMySQL).
  - Check item C(mysql.connection). A failure prevents all operations.
  - To run several MySQL items over one connection, use M(cloudbackup.precheck.mysql_precheck).
author:
  - cloudbackup.precheck developers (@cloudbackup)
extends_documentation_fragment:
  - cloudbackup.precheck.mysql
  - cloudbackup.precheck.mysql.checks
  - cloudbackup.precheck.results
"""

EXAMPLES = r"""
- name: Check that the backup account can log in
  cloudbackup.precheck.mysql_connection:
    login_host: db1.example.com
    login_user: backup
    login_password: "{{ vault_mysql_backup_password }}"
    connect_timeout: 5
  register: result
  failed_when: result.summary.passed == 0
"""

RETURN = r"""
check_results:
  description:
    - The results of C(mysql.connection), in the schema documented by M(cloudbackup.precheck.host_precheck).
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

from ansible_collections.cloudbackup.precheck.plugins.module_utils.mysql import engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.module import run_module


def main():
    run_module(engine.ENGINE, "mysql.connection")


if __name__ == "__main__":
    main()
