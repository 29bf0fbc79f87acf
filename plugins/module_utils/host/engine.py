# -*- coding: utf-8 -*-
# Copyright (c) cloudbackup.precheck contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The host engine: its options, their validation, and the context of a run (the host itself)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import ipaddress
import socket

from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.context import Context
from ansible_collections.cloudbackup.precheck.plugins.module_utils.core.module import Engine
from ansible_collections.cloudbackup.precheck.plugins.module_utils.host import checks

DESCRIPTION = (
    "Runs a selection of the host check items (C(host.oss_connectivity), C(host.control_network)) in one task, with "
    "every network probe bounded by O(timeout) and all probes running concurrently.",
)

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

OPTIONS = dict(
    timeout=dict(type="float", default=5.0, description=(
        "Seconds each probe may take in all (DNS, TCP, TLS and HTTP together). Probes run concurrently, so a host "
        "whose endpoints are all silent takes about one timeout.",
    )),
)


def validate(params):
    problems = []
    if params["timeout"] is None or params["timeout"] <= 0:
        problems.append("timeout: must be a number of seconds greater than 0, got %r" % (params["timeout"],))
    if params.get("region") and not checks.REGION.match(params["region"]):
        problems.append("region: %r is not a region id (for example cn-hangzhou, ap-southeast-1)" % params["region"])
    for option, values in (("oss_endpoint", [params.get("oss_endpoint")] if params.get("oss_endpoint") else []),
                           ("control_endpoints", params.get("control_endpoints") or [])):
        for value in values:
            try:
                host, port = checks.parse_endpoint(value, None, option)
                if option == "control_endpoints" and port is None:
                    problems.append("control_endpoints: %r has no port (valid form: host:port)" % value)
            except ValueError as exc:
                problems.append(str(exc))
    for address in params.get("control_route_addresses") or []:
        try:
            if ipaddress.ip_address(address) not in checks.CONTROL_NETWORK:
                problems.append("control_route_addresses: %s is outside %s" % (address, checks.CONTROL_NETWORK))
        except ValueError:
            problems.append("control_route_addresses: %r is not an IPv4 address (for example 100.64.0.1)" % address)
    return problems


def host_context(params):
    return Context(params, socket.gethostname())


ENGINE = Engine("host", OPTIONS, host_context, validate=validate, concurrent=True, items=(checks,), title="Host",
                description=DESCRIPTION, examples=EXAMPLES)
