#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: precheck_fact
short_description: Build the cloudbackup_precheck host fact from the engine tasks' registered results
version_added: 0.1.0
description:
  - Reads the registered results of the engine module tasks (single runs, loops, skipped tasks) named in
    O(registered), and returns the host fact C(cloudbackup_precheck) (see the collection's docs/results.md) as
    its result, with the gate policy's verdict on it. The role registers it as C(cloudbackup_precheck).
  - The results are read as the modules returned them, in Python, without templating them, so that the fact of
    thousands of databases costs a small part of the checks themselves.
  - A host where nothing was checked is not evaluated (C(evaluated=false), with the reasons in C(not_evaluated)) when
    no engine task returned results, every result of an engine task is V(skipped), or C(host.oss_connectivity) was
    skipped because neither a region nor an object-storage endpoint is set. It is not C(ready) unless
    C(not_evaluated_blocks=false) in O(policy).
  - Fails, naming the variable, the entry and the valid values, on an invalid O(policy), on an entry of O(skip)
    that is no check id, and (with O(validate_role_inputs)) on a control character (a newline, a tab) in any
    endpoint, name or path of the role's variables.
  - Runs on the controller (an action plugin).
author:
  - cloudbackup.precheck developers (@cloudbackup)
options:
  registered:
    description: The names of the variables the engine tasks registered their results in.
    type: list
    elements: str
    required: true
  run_id:
    description: The id of this run, kept in the fact so that a gate never passes on an earlier run's results.
    type: str
    required: true
  policy:
    description:
      - The gate policy, with C(block_on), C(warnings_block), C(errors_block), C(not_evaluated_blocks) and
        C(accepted_findings), as the role's variables of the same names.
      - An accepted finding of an unknown check id, or C(block_on) given as a string, fails, naming the entry.
    type: dict
    default: {}
  cacheable:
    description:
      - Also return the fact as C(ansible_facts.cloudbackup_precheck), which Ansible stores in the fact cache.
      - The registered result is the fact for the rest of the run either way.
    type: bool
    default: false
  skip:
    description: The role's C(cloudbackup_precheck_skip); an entry that is no check id fails, naming the closest ids.
    type: list
    elements: raw
    default: []
  validate_role_inputs:
    description:
      - Check every endpoint, name and path of the role's variables (C(cloudbackup_precheck_<option>) and each
        entry of the instance lists; never a secret option) for control characters.
    type: bool
    default: true
attributes:
  check_mode:
    support: full
    description: The fact is built in check mode too; the checks ran in check mode as well.
  diff_mode:
    support: none
    description: No diff is shown.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller.
seealso:
  - module: cloudbackup.precheck.precheck_gate
"""

EXAMPLES = r"""
- name: Check the host
  cloudbackup.precheck.host_precheck:
    oss_endpoint: oss-cn-hangzhou-internal.aliyuncs.com
  register: host_result

- name: Build the fact
  cloudbackup.precheck.precheck_fact:
    registered: [host_result]
    run_id: "{{ now(utc=true, fmt='%Y%m%dT%H%M%S.%fZ') }}"
    policy:
      block_on: [backup, restore]
  register: cloudbackup_precheck
"""

RETURN = r"""
schema_version:
  description: The version of the result schema.
  returned: success
  type: int
run_id:
  description: The O(run_id).
  returned: success
  type: str
generated_at:
  description: When the fact was built (UTC, ISO 8601).
  returned: success
  type: str
ready:
  description: No finding blocks under the policy, and the host was evaluated (or the policy lets it pass).
  returned: success
  type: bool
evaluated:
  description: Whether anything was checked on the host.
  returned: success
  type: bool
not_evaluated:
  description: Why the host was not evaluated, one entry (C(engine), C(target), C(reason)) per gap; empty when it was.
  returned: success
  type: list
  elements: dict
engines:
  description: Per engine that returned results, C(runs), C(results), C(checked) (not skipped) and C(evaluated).
  returned: success
  type: dict
summary:
  description: The number of results per status, and C(total).
  returned: success
  type: dict
results:
  description: Every result of this run, in the collection's result schema.
  returned: success
  type: list
  elements: dict
blocking:
  description: The results that block under the policy.
  returned: success
  type: list
  elements: dict
accepted:
  description: The results that would block but were accepted, each with its C(accepted_reason).
  returned: success
  type: list
  elements: dict
policy:
  description: The policy the verdict was made with, defaults filled in.
  returned: success
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        registered=dict(type="list", elements="str", required=True),
        run_id=dict(type="str", required=True),
        policy=dict(type="dict", default={}),
        cacheable=dict(type="bool", default=False),
        skip=dict(type="list", elements="raw", default=[]),
        validate_role_inputs=dict(type="bool", default=True),
    ), supports_check_mode=True)
    module.fail_json(msg="cloudbackup.precheck.precheck_fact runs on the controller as an action plugin; "
                         "it was run as a module on a target instead")


if __name__ == "__main__":
    main()
