#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: precheck_gate
short_description: Fail the host when its cloudbackup_precheck fact blocks backup deployment
version_added: 0.1.0
description:
  - Reads the host's C(cloudbackup_precheck) fact (see M(cloudbackup.precheck.precheck_fact)) and fails the host
    when the fact is missing or not from this run (O(run_id)), or when it is not C(ready) (a finding blocks under
    the policy, or the host was not evaluated). The message lists every blocking finding with its fix and how to
    accept it, and why the host was not evaluated.
  - Runs on the controller (an action plugin); the role C(cloudbackup.precheck.precheck) calls it.
author:
  - cloudbackup.precheck developers (@cloudbackup)
options:
  run_id:
    description: The id of this run; a fact of another run (a cached fact) fails the host.
    type: str
  bypass:
    description: Escape hatch. Report what would block, as a warning, but do not fail the host.
    type: bool
    default: false
attributes:
  check_mode:
    support: full
    description: Gates in check mode too.
  diff_mode:
    support: none
    description: No diff is shown.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller.
seealso:
  - module: cloudbackup.precheck.precheck_fact
"""

EXAMPLES = r"""
- name: Gate deployment on the fact of this run
  cloudbackup.precheck.precheck_gate:
    run_id: "{{ _cloudbackup_precheck_run_id | default(omit) }}"
"""

RETURN = r"""
ready:
  description: Whether the host is ready for backup deployment.
  returned: when the fact is from this run
  type: bool
bypassed:
  description: V(true) when the host is not ready but O(bypass) let it pass.
  returned: when bypassed
  type: bool
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        run_id=dict(type="str"),
        bypass=dict(type="bool", default=False),
    ), supports_check_mode=True)
    module.fail_json(msg="cloudbackup.precheck.precheck_gate runs on the controller as an action plugin; "
                         "it was run as a module on a target instead")


if __name__ == "__main__":
    main()
