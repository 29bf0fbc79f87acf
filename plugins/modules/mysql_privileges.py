#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mysql_privileges
short_description: Check that the backup user holds the privileges a backup needs
version_added: 0.1.0
description:
  - Reads C(SHOW GRANTS) of the login account (or of O(backup_user)) and compares the global (C(ON *.*))
    privileges with what a backup needs on that version, which is RELOAD, LOCK TABLES, PROCESS and REPLICATION CLIENT,
    called BINLOG MONITOR on MariaDB 10.5.2 and later, plus BACKUP_ADMIN on MySQL 8.0. ALL PRIVILEGES covers
    them all.
  - Missing privileges fail, with the C(GRANT) statement to run and the account quoted; an account with roles
    warns instead, since role privileges count only when the role is active.
  - Check item C(mysql.privileges). A failure prevents backups.
  - To run several MySQL items over one connection, use M(cloudbackup.precheck.mysql_precheck).
author:
  - cloudbackup.precheck developers (@cloudbackup)
extends_documentation_fragment:
  - cloudbackup.precheck.mysql
  - cloudbackup.precheck.mysql.checks
  - cloudbackup.precheck.results
"""

EXAMPLES = r"""
- name: Check the login account's own grants
  cloudbackup.precheck.mysql_privileges:
    login_user: backup
    login_password: "{{ vault_mysql_backup_password }}"

- name: Check the grants of another account (needs SELECT on the mysql schema)
  cloudbackup.precheck.mysql_privileges:
    login_user: admin
    login_password: "{{ vault_mysql_admin_password }}"
    backup_user: backup@localhost
"""

RETURN = r"""
check_results:
  description:
    - The results of C(mysql.privileges), in the schema documented by M(cloudbackup.precheck.host_precheck).
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
    run_module(engine.ENGINE, "mysql.privileges")


if __name__ == "__main__":
    main()
