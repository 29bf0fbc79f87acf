# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The SQL Server engine: every SQL Server check item, their combined options and validation.

Every SQL Server module imports this file, so that AnsiballZ (which bundles module_utils by their
static imports) ships both check files with each module and every module sees the whole engine:
the per-item modules accept the same options as sqlserver_precheck.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils import sqlserver_backup_checks
from ansible_collections.cloudbackup.precheck.plugins.module_utils import sqlserver_checks
from ansible_collections.cloudbackup.precheck.plugins.module_utils.module import Engine

ARGUMENT_SPEC = dict(sqlserver_checks.SQLSERVER_ARGS)
ARGUMENT_SPEC.update(sqlserver_backup_checks.BACKUP_ARGS)


def validate(params):
    return sqlserver_checks.validate(params) + sqlserver_backup_checks.validate(params)


ENGINE = Engine("sqlserver", ARGUMENT_SPEC, sqlserver_checks.sqlserver_context, validate=validate)
