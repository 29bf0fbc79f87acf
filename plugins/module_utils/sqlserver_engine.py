# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SQL Server engine: every SQL Server check item, their combined options and validation.

Every SQL Server module imports this file, so that AnsiballZ (which bundles module_utils by their
static imports) ships every check file with each module and every module sees the whole engine:
the per-item modules accept the same options as sqlserver_precheck.

The check files register their items when imported, and the order of registration is the order of
the results and of docs/checks.md. They are imported here in that order (sqlserver_checks, which the
others import, first); tools/catalog.py imports the *_checks.py files sorted by name, so their names
sort in the same order.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils import sqlserver_checks
from ansible_collections.cloudbackup.precheck.plugins.module_utils import sqlserver_common
from ansible_collections.cloudbackup.precheck.plugins.module_utils import sqlserver_access_checks
from ansible_collections.cloudbackup.precheck.plugins.module_utils import sqlserver_backup_chain_checks
from ansible_collections.cloudbackup.precheck.plugins.module_utils import sqlserver_ha_checks
from ansible_collections.cloudbackup.precheck.plugins.module_utils import sqlserver_restore_checks
from ansible_collections.cloudbackup.precheck.plugins.module_utils.module import Engine

CHECK_FILES = (sqlserver_checks, sqlserver_access_checks, sqlserver_backup_chain_checks, sqlserver_ha_checks,
               sqlserver_restore_checks)

ARGUMENT_SPEC = dict(sqlserver_checks.SQLSERVER_ARGS)
ARGUMENT_SPEC.update(sqlserver_common.BACKUP_ARGS)


def validate(params):
    return sqlserver_checks.validate(params) + sqlserver_common.validate(params)


ENGINE = Engine("sqlserver", ARGUMENT_SPEC, sqlserver_checks.sqlserver_context, validate=validate)
