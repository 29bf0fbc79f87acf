#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: mysql_binlog
short_description: Check that the binary log is on, in ROW format, and kept long enough
version_added: 0.1.0
description:
  - Reads the global variables C(log_bin), C(binlog_format), C(gtid_mode) (where it exists) and the retention, from
    C(binlog_expire_logs_seconds) on MySQL 8.0.1+ and MariaDB 10.6.1+, else C(expire_logs_days).
  - C(log_bin) OFF fails (incremental and log backups need the binary log); a C(binlog_format) other than ROW
    warns; a retention below O(binlog_min_retention_hours) warns. The message names the setting to change in
    the server config.
  - Check item C(mysql.binlog) (HBR C(MYSQL_BINLOG)). A failure prevents log and incremental backups.
  - To run several MySQL items over one connection, use M(cloudbackup.precheck.mysql_precheck).
author:
  - cloudbackup.precheck developers (@cloudbackup)
extends_documentation_fragment:
  - cloudbackup.precheck.mysql
  - cloudbackup.precheck.mysql.checks
  - cloudbackup.precheck.results
"""

EXAMPLES = r"""
- name: Check the binary log of a local server
  cloudbackup.precheck.mysql_binlog:
    login_unix_socket: /run/mysqld/mysqld.sock
    binlog_min_retention_hours: 72
"""

RETURN = r"""
check_results:
  description:
    - The results of C(mysql.binlog), in the schema documented by M(cloudbackup.precheck.host_precheck).
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
    run_module(engine.ENGINE, "mysql.binlog")


if __name__ == "__main__":
    main()
