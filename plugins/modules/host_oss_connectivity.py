#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: host_oss_connectivity
short_description: Check that the object-storage endpoint is reachable over the VPC
version_added: 0.1.0
description:
  - Resolves the region's internal object-storage endpoint (or O(oss_endpoint)), connects over TCP, completes
    TLS and sends one HTTP request. Any HTTP status passes. A failure names the step and one of the causes
    V(dns), V(refused), V(timeout), V(unreachable), V(tls) or V(protocol).
  - Check item C(host.oss_connectivity) (HBR C(OSS_INTERNAL_ENDPOINT_CONNECTIVITY)). Its impact is backup and restore.
  - To run several host items in one task, use M(cloudbackup.precheck.host_precheck).
author:
  - cloudbackup.precheck developers (@cloudbackup)
extends_documentation_fragment:
  - cloudbackup.precheck.host
  - cloudbackup.precheck.results
"""

EXAMPLES = r"""
- name: Check the internal endpoint of the region
  cloudbackup.precheck.host_oss_connectivity:
    region: cn-hangzhou
    timeout: 3

- name: Check a private endpoint signed by an internal CA
  cloudbackup.precheck.host_oss_connectivity:
    oss_endpoint: https://storage.example.internal:8443
    ca_path: /etc/pki/internal-ca.pem
"""

RETURN = r"""
check_results:
  description:
    - The results of C(host.oss_connectivity), in the schema documented by M(cloudbackup.precheck.host_precheck).
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
    run_module(engine.ENGINE, "host.oss_connectivity")


if __name__ == "__main__":
    main()
