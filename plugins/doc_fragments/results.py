# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # What every check module promises: it reads, never changes, and reports findings as data.
    DOCUMENTATION = r"""
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
    details: The checks are read-only, so check mode runs them exactly as a normal run does.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in diff mode).
    support: none
notes:
  - A failed check is data, not a failed task. The task fails only for invalid arguments.
    Use RV(check_results) and RV(summary) (or the role C(cloudbackup.precheck.precheck) and its gate)
    to decide.
  - Each result follows the schema described in the collection's C(docs/results.md); the
    callback C(cloudbackup.precheck.precheck_report) renders them.
"""
