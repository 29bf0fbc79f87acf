#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: host_control_network
short_description: Check the route to the control network and the control endpoints
version_added: 0.1.0
description:
  - Looks up the kernel route to an address in each half of 100.64.0.0/10. No route, or a route of type
    unreachable, blackhole or prohibit, fails; the result reports the device and gateway found.
  - Then connects over TCP to each of O(control_endpoints), concurrently.
  - Check item C(host.control_network) (HBR C(SERVICE_CONNECTIVITY)). Its impact is all operations.
  - To run several host items in one task, use M(cloudbackup.precheck.host_precheck).
author:
  - cloudbackup.precheck developers (@cloudbackup)
extends_documentation_fragment:
  - cloudbackup.precheck.host
  - cloudbackup.precheck.results
"""

EXAMPLES = r"""
- name: Check routes and two control endpoints
  cloudbackup.precheck.host_control_network:
    control_endpoints:
      - hbr-vpc.cn-hangzhou.aliyuncs.com:443
      - 100.100.30.25:80
    timeout: 3
"""

RETURN = r"""
check_results:
  description:
    - The results of C(host.control_network), in the schema documented by M(cloudbackup.precheck.host_precheck).
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

from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.module import run_module


def main():
    run_module(engine.ENGINE, "host.control_network")


if __name__ == "__main__":
    main()
