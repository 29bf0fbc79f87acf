# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Options of the engine modules that run a selection of check items.
    DOCUMENTATION = r"""
options:
  checks:
    description:
      - The check items to run, by id (V(sqlserver.recovery_model)), by short name (V(recovery_model)),
        by tag (V(@network)), or V(all).
      - An unknown name or tag fails the task before anything runs, listing the known ones.
    type: list
    elements: str
    default: [all]
  skip:
    description:
      - Check items not to run, in the same forms as O(checks). Each appears in RV(check_results) as
        V(skipped), so that a report shows what was left out on purpose.
    type: list
    elements: str
    default: []
"""
