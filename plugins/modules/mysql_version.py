#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mysql_version
short_description: Check that the MySQL or MariaDB version is supported by the backup agent
version_added: 0.1.0
description:
  - Reads the C(VERSION) function and C(@@version_comment), recognises MariaDB (and TiDB), and judges the version against
    the supported range of its flavour (O(supported_versions)), by default MySQL 5.1.38 to 8.0.x, MariaDB 10.0 to 11.x. Percona Server is judged as MySQL.
  - Check item C(mysql.version) (HBR C(MYSQL_VERSION)). A failure prevents all operations.
  - To run several MySQL items over one connection, use M(cloudbackup.precheck.mysql_precheck).
author:
  - cloudbackup.precheck developers (@cloudbackup)
extends_documentation_fragment:
  - cloudbackup.precheck.mysql
  - cloudbackup.precheck.mysql.checks
  - cloudbackup.precheck.results
"""

EXAMPLES = r"""
- name: Check the version against the default table
  cloudbackup.precheck.mysql_version:
    login_unix_socket: /run/mysqld/mysqld.sock

- name: Accept only MySQL 5.7 and 8.0 and MariaDB 10.6 to 10.11
  cloudbackup.precheck.mysql_version:
    login_unix_socket: /run/mysqld/mysqld.sock
    supported_versions:
      mysql: 5.7-8.0
      mariadb: 10.6-10.11
"""

RETURN = r"""
check_results:
  description:
    - The results of C(mysql.version), in the schema documented by M(cloudbackup.precheck.host_precheck).
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
    run_module(engine.ENGINE, "mysql.version")


if __name__ == "__main__":
    main()
