#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: host_precheck
short_description: Run the host check items of a backup precheck in one task
version_added: 0.1.0
description:
  - Runs a selection of the host check items (C(host.oss_connectivity), C(host.control_network))
    in one task, with every network probe bounded by O(timeout) and all probes running concurrently.
  - This is the module the role C(cloudbackup.precheck.precheck) uses. For a single item, see
    M(cloudbackup.precheck.host_oss_connectivity) and M(cloudbackup.precheck.host_control_network).
author:
  - cloudbackup.precheck developers (@cloudbackup)
extends_documentation_fragment:
  - cloudbackup.precheck.host
  - cloudbackup.precheck.selection
  - cloudbackup.precheck.results
"""

EXAMPLES = r"""
- name: Check the data path to object storage and the control network
  cloudbackup.precheck.host_precheck:
    region: cn-hangzhou
    control_endpoints:
      - hbr-vpc.cn-hangzhou.aliyuncs.com:443
    timeout: 5
  register: host_checks

- name: Only the network items, with an explicit endpoint (any HTTPS endpoint works)
  cloudbackup.precheck.host_precheck:
    oss_endpoint: https://mystorageaccount.blob.core.windows.net
    checks: ['@network']

- name: Fail when any host check failed
  cloudbackup.precheck.host_precheck:
    region: cn-hangzhou
  register: result
  failed_when: result.summary.failed > 0 or result.summary.error > 0
"""

RETURN = r"""
check_results:
  description:
    - One result per check item and target, in the collection's result schema (C(docs/results.md)).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: The check item id.
      type: str
      sample: host.oss_connectivity
    title:
      description: What the check item verifies.
      type: str
    engine:
      description: The engine the item belongs to (V(host), V(sqlserver), V(oracle), V(mysql)).
      type: str
      sample: host
    target:
      description: What was checked, such as an endpoint, a route, an instance or a database.
      type: str
      sample: oss-cn-hangzhou-internal.aliyuncs.com:443
    status:
      description: V(passed), V(warning), V(failed), V(error) (could not check) or V(skipped) (not applicable).
      type: str
      sample: failed
    impact:
      description: What a failure prevents. V(backup), V(restore), V(log_backup), V(incremental_backup), V(all_operations).
      type: list
      elements: str
      sample: [backup, restore]
    message:
      description: One line that names the object, the cause and the consequence.
      type: str
    remediation:
      description: What to do about it; empty when nothing is to be done.
      type: str
    details:
      description: Observed values behind the verdict.
      type: dict
    references:
      description: The vendor codes this item answers, such as V(HBR:OSS_INTERNAL_ENDPOINT_CONNECTIVITY).
      type: list
      elements: str
    cause:
      description:
        - The classified cause of an V(error) or network V(failed) result, such as V(dns), V(refused),
          V(timeout), V(tls), V(unreachable), V(login_failed), V(permission), V(driver_missing); null otherwise.
      type: str
    duration_ms:
      description: How long the check item took.
      type: int
summary:
  description: The number of results per status, and C(total).
  returned: always
  type: dict
  sample: {passed: 3, warning: 0, failed: 1, error: 0, skipped: 0, total: 4}
schema_version:
  description: The version of the result schema.
  returned: always
  type: int
  sample: 1
msg:
  description: The counts per status and the first finding, for a person reading the task output.
  returned: always
  type: str
"""

from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.module import run_module


def main():
    run_module(engine.ENGINE)


if __name__ == "__main__":
    main()
