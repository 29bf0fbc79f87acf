#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: merge_reports
short_description: Merge several precheck.json reports (AWX job slices) into one fleet report in every format
version_added: 0.1.0
description:
  - Reads the C(precheck.json) files that the callback C(cloudbackup.precheck.precheck_report) wrote, for
    example one per AWX job slice, and writes one fleet report from them in every format (C(precheck.json),
    C(precheck-junit.xml), C(precheck.md), C(precheck.html)), as the callback would for the whole fleet.
  - A host is counted once. When several files have the same host (the same slice given twice, or a slice
    run again), the entry of the newest file (its C(generated_at)) is kept; the merged C(precheck.json)
    names the replaced hosts under C(merged_from).
  - Runs on the controller (an action plugin); the playbook C(cloudbackup.precheck.merge_reports) calls it.
author:
  - cloudbackup.precheck developers (@cloudbackup)
options:
  src:
    description:
      - The C(precheck.json) files to merge, as paths or globs (C(slices/*/precheck.json)).
      - A glob that matches no file fails, naming it.
    type: list
    elements: path
    required: true
  dest:
    description: The directory to write the merged report files to; created if missing.
    type: path
    required: true
  formats:
    description: The report files to write, as the callback's C(formats) option.
    type: list
    elements: str
    default: [json, junit, markdown, html]
  list_hosts:
    description: List every host in C(precheck.md) and in the returned terminal report.
    type: bool
    default: false
  markdown_appendix:
    description: Add every host with every result to C(precheck.md).
    type: bool
    default: false
attributes:
  check_mode:
    support: none
    description: The files are written in check mode too; they are reports, not managed state.
  diff_mode:
    support: none
    description: No diff is shown.
  platform:
    support: full
    platforms: posix
    description: Runs on the controller.
notes:
  - The callback of each slice must write C(json) (its O(formats) default does).
seealso:
  - module: cloudbackup.precheck.host_precheck
"""

EXAMPLES = r"""
- name: Merge the reports of every job slice
  cloudbackup.precheck.merge_reports:
    src:
      - /var/lib/awx/reports/slice-*/precheck.json
    dest: /var/lib/awx/reports/fleet
"""

RETURN = r"""
files:
  description: The report files written.
  returned: always
  type: list
  elements: str
run_id:
  description: The run id the slices share, or a new one when they come from different runs.
  returned: success
  type: str
interrupted:
  description: Whether any slice was an interrupted run.
  returned: success
  type: bool
summary:
  description: The merged fleet's host counts (C(hosts), C(ready), C(blocked), C(not_evaluated), C(verdicts)).
  returned: success
  type: dict
sources:
  description: Each merged file with its run id, time, number of hosts and the hosts another file replaced.
  returned: success
  type: list
  elements: dict
report:
  description: The merged fleet's terminal report, one line per item.
  returned: success
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(
        src=dict(type="list", elements="path", required=True),
        dest=dict(type="path", required=True),
        formats=dict(type="list", elements="str", default=["json", "junit", "markdown", "html"]),
        list_hosts=dict(type="bool", default=False),
        markdown_appendix=dict(type="bool", default=False),
    ))
    module.fail_json(msg="cloudbackup.precheck.merge_reports runs on the controller as an action plugin; "
                         "it was run as a module on a target instead")


if __name__ == "__main__":
    main()
