# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Oracle engine: its options, their validation, and the context of a run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.module import Engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import checks
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle import connection as oracle_conn
from ansible_collections.cloudbackup.precheck.plugins.module_utils.oracle.gathering import OracleContext

ORACLE_ARGS = dict(oracle_conn.CONNECTION_ARGS)
ORACLE_ARGS.update(
    recovery_area_warn_percent=dict(type="float", default=70.0),
    recovery_area_fail_percent=dict(type="float", default=90.0),
)


def validate(params):
    problems = oracle_conn.validate_connection(params)
    warn, fail = params.get("recovery_area_warn_percent"), params.get("recovery_area_fail_percent")
    for option, value in (("recovery_area_warn_percent", warn), ("recovery_area_fail_percent", fail)):
        if value is None or not 0 < value <= 100:
            problems.append("%s: must be a percentage above 0 and at most 100, got %r" % (option, value))
    if warn is not None and fail is not None and 0 < warn <= 100 and 0 < fail <= 100 and warn >= fail:
        problems.append("recovery_area_warn_percent: must be below recovery_area_fail_percent (got %g and %g)"
                        % (warn, fail))
    return problems


ENGINE = Engine("oracle", ORACLE_ARGS, OracleContext, validate=validate, items=(checks,))
