# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Options of the host network checks.
    DOCUMENTATION = r"""
options:
  region:
    description:
      - The cloud region id, for example V(cn-hangzhou). The object-storage endpoint tested is then
        C(oss-<region>-internal.aliyuncs.com:443), the endpoint reached from a VPC.
      - Ignored when O(oss_endpoint) is set. With neither, C(host.oss_connectivity) is V(skipped).
    type: str
  oss_endpoint:
    description:
      - The object-storage endpoint to test instead of the region's, as V(host), V(host:port),
        V([ipv6]:port) or V(https://host[:port]). Any HTTPS endpoint works, for example an Azure blob
        host. The default port is 443.
    type: str
  control_endpoints:
    description:
      - Control-plane endpoints of the backup service, each V(host:port), that must accept TCP.
    type: list
    elements: str
    default: []
  control_route_addresses:
    description:
      - Addresses inside 100.64.0.0/10 whose kernel route is looked up, one per half of the control
        network (100.64.0.0/11 and 100.96.0.0/11).
    type: list
    elements: str
    default: [100.64.0.1, 100.96.0.1]
  timeout:
    description:
      - Seconds each probe may take in all (DNS, TCP, TLS and HTTP together). Probes run
        concurrently, so a host whose endpoints are all silent takes about one timeout.
    type: float
    default: 5.0
  validate_certs:
    description:
      - Verify the object-storage endpoint's TLS certificate and host name. A failed verification is
        reported as a V(tls) failure.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file of CA certificates to verify the endpoint with, instead of the system's.
    type: path
"""
